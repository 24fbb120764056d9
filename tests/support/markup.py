"""Independent views of HTML and Markdown documents, for checking what markup-safe translation kept.

They use the standard library's HTML tokenizer and markdown-it's token stream directly, not the service's
segmenter, so a segmenter bug cannot hide itself: the skeleton (every tag, attribute, comment and Markdown
token except running text) must be identical before and after translation, verbatim content (code, pre,
script, style, front matter...) byte for byte, and the running text of every block must be translated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

FAKE_MARK = re.compile(r"\[[a-z]{2,3}\] ")  # what the fake backend puts before each sentence
TRANSLATABLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label"}
VERBATIM_TAGS = {
    "script",
    "style",
    "pre",
    "code",
    "kbd",
    "samp",
    "var",
    "textarea",
    "svg",
    "math",
    "template",
}
# Elements that end a run of text (the HTML notion of a block, for this check).
BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "br", "button", "caption", "dd", "details", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "head", "header", "hr", "html", "legend", "li", "main", "nav", "noscript", "ol", "option", "p", "section",
    "select", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
}  # fmt: skip
_PROTECTED = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\$\{[^}]*\}|\{\w+\}|%\(\w+\)[sd]|%\d\$[sd]|%s|https?://[^\s<>\"')]*[\w/]"
    r"|[\w.+-]+@[\w-]+\.[\w.]+\w"
)


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def unmark(text: str) -> str:
    return FAKE_MARK.sub("", text)


def untranslated_blocks(blocks: list[str]) -> list[str]:
    """Blocks with words (outside placeholders and URLs) that carry no translation mark."""
    return [
        block
        for block in blocks
        if re.search(r"[^\W\d_]", _PROTECTED.sub("", block)) and not FAKE_MARK.search(block)
    ]


def protected_strings(text: str) -> list[str]:
    """Placeholders, URLs and e-mail addresses in a text."""
    return _PROTECTED.findall(text)


@dataclass
class HtmlView:
    skeleton: list[tuple[object, ...]] = field(default_factory=list)
    verbatim: list[str] = field(default_factory=list)  # content of verbatim elements, exact
    blocks: list[str] = field(default_factory=list)  # running text of each block
    attributes: list[str] = field(default_factory=list)  # translatable attribute values

    @property
    def text(self) -> str:
        return " ".join(self.blocks)


class _HtmlViewer(HTMLParser):
    def __init__(self, *, unmark_attributes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.view = HtmlView()
        self._unmark = unmark_attributes
        self._verbatim: list[str] = []
        self._block: list[str] = []

    def _attributes(self, attrs: list[tuple[str, str | None]]) -> tuple[tuple[str, str | None], ...]:
        kept = []
        for name, value in attrs:
            if name in TRANSLATABLE_ATTRIBUTES and value is not None:
                self.view.attributes.append(value)
                value = unmark(value) if self._unmark else value
            kept.append((name, value))
        return tuple(kept)

    def _is_verbatim(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        values = dict(attrs)
        return (
            tag in VERBATIM_TAGS
            or values.get("translate") == "no"
            or "notranslate" in (values.get("class") or "")
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._verbatim:
            self._verbatim.append(tag)
            self.view.skeleton.append(("start", tag, tuple(attrs)))
            return
        self.view.skeleton.append(("start", tag, self._attributes(attrs)))
        if tag in BLOCK_TAGS:
            self._end_block()
        if self._is_verbatim(tag, attrs) and tag not in {"br", "img", "input", "hr", "meta", "link"}:
            self._verbatim.append(tag)
            self.view.verbatim.append("")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.view.skeleton.append(("startend", tag, self._attributes(attrs)))
        if tag in BLOCK_TAGS:
            self._end_block()

    def handle_endtag(self, tag: str) -> None:
        self.view.skeleton.append(("end", tag))
        if self._verbatim:
            if tag == self._verbatim[-1]:
                self._verbatim.pop()
            return
        if tag in BLOCK_TAGS:
            self._end_block()

    def handle_data(self, data: str) -> None:
        if self._verbatim:
            self.view.verbatim[-1] += data
        else:
            self._block.append(data)

    def handle_comment(self, data: str) -> None:
        self.view.skeleton.append(("comment", data))

    def handle_decl(self, decl: str) -> None:
        self.view.skeleton.append(("decl", decl))

    def _end_block(self) -> None:
        text = "".join(self._block)
        if text.strip():
            self.view.blocks.append(text)
        self._block = []

    def close(self) -> None:
        super().close()
        self._end_block()


def html_view(source: str, *, translated: bool = False) -> HtmlView:
    viewer = _HtmlViewer(unmark_attributes=translated)
    viewer.feed(source)
    viewer.close()
    return viewer.view


def assert_html_translated(source: str, output: str) -> None:
    """Same skeleton and verbatim content; every block's text and attribute translated, nothing else changed."""
    before, after = html_view(source), html_view(output, translated=True)
    assert after.skeleton == before.skeleton
    assert after.verbatim == before.verbatim
    assert fold(unmark(after.text)) == fold(before.text)
    assert untranslated_blocks(after.blocks) == []
    assert untranslated_blocks(after.attributes) == []


# --- Markdown -----------------------------------------------------------------------------------------------
def markdown_parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(front_matter_plugin)


@dataclass
class MarkdownView:
    skeleton: list[tuple[object, ...]] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)  # the text of each paragraph, heading or cell
    html_blocks: list[str] = field(default_factory=list)


def _inline_skeleton(tokens: list[Token], view: list[tuple[object, ...]], texts: list[str]) -> None:
    for token in tokens:
        if token.type in ("text", "text_special"):
            texts.append(token.content)
        elif token.type == "softbreak":
            texts.append(" ")
        elif token.type == "image":
            view.append(("image", token.attrs.get("src"), token.attrs.get("title")))
            _inline_skeleton(token.children or [], view, texts)
            view.append(("/image",))
        else:
            content = token.content if token.type in ("code_inline", "html_inline") else None
            view.append((token.type, token.markup, tuple(sorted(token.attrs.items())), content))


def markdown_view(source: str) -> MarkdownView:
    view = MarkdownView()
    for token in markdown_parser().parse(source):
        if token.type == "inline":
            texts: list[str] = []
            _inline_skeleton(token.children or [], view.skeleton, texts)
            view.blocks.append("".join(texts))
        elif token.type == "html_block":
            view.html_blocks.append(token.content)
            view.skeleton.append(("html_block",))
        else:
            verbatim = token.content if token.type in ("fence", "code_block", "front_matter") else None
            view.skeleton.append((token.type, token.tag, token.markup, token.info, verbatim))
    return view


def assert_markdown_translated(source: str, output: str) -> None:
    before, after = markdown_view(source), markdown_view(output)
    assert after.skeleton == before.skeleton
    assert [fold(unmark(block)) for block in after.blocks] == [fold(block) for block in before.blocks]
    assert untranslated_blocks(after.blocks) == []
    assert len(after.html_blocks) == len(before.html_blocks)
    for html_before, html_after in zip(before.html_blocks, after.html_blocks, strict=True):
        assert_html_translated(html_before, html_after)
