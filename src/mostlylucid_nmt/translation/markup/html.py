"""HTML: the text between block boundaries is translated; tags, attributes, comments and entities stay.

The standard library's tolerant tokenizer (:class:`html.parser.HTMLParser`) finds the tags; every token keeps
its exact source, so untranslated parts of the document come back byte for byte, and markup the parser does
not understand simply stays where it was.

* Inline elements (``b``, ``i``, ``a``, ``span``, ``em``, ``strong``...) are markup inside a sentence; any other
  element, ``<br>`` and form labels and buttons included, ends the run of text before it.
* ``code``, ``kbd``, ``samp``, ``var`` inside a sentence, and ``pre``, ``script``, ``style``, ``textarea``,
  ``svg``, ``math``, ``template``, comments and any element marked ``translate="no"`` or
  ``class="notranslate"`` (the conventions browsers and web translators follow) are left as they are.
* ``alt``, ``title``, ``placeholder`` and ``aria-label`` are written for people and translated, each on its own.
* Entities decode for the model (``&amp;`` is ``&``) and are written back as the source wrote them when the
  translation keeps the character (``&nbsp;``, ``&copy;``, ``&#8212;``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from mostlylucid_nmt.translation.markup.segments import (
    DocumentBuilder,
    Fragment,
    SegmentBuilder,
    Slot,
    has_letters,
)

# Phrasing elements that may wrap part of a sentence.
INLINE_ELEMENTS = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "big", "cite", "data", "del", "dfn", "em", "font", "i", "ins",
        "mark", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u",
    }
)  # fmt: skip
# Void elements that sit inside a sentence.
INLINE_VOID_ELEMENTS = frozenset({"img", "input", "wbr"})
# Content kept verbatim. The first set sits inside a sentence as one unit, the second ends the run of text.
VERBATIM_INLINE_ELEMENTS = frozenset({"code", "kbd", "samp", "var"})
VERBATIM_BLOCK_ELEMENTS = frozenset({"pre", "script", "style", "textarea", "svg", "math", "template"})
VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
TRANSLATABLE_ATTRIBUTES = frozenset({"alt", "title", "placeholder", "aria-label"})

_CHARACTER_REFERENCE = re.compile(r"&(?:#[0-9]{1,8};?|#[xX][0-9a-fA-F]{1,7};?|[A-Za-z][A-Za-z0-9]{0,31};?)")
_LINE_BREAK = re.compile(r"\n")
_TAG_NAME = re.compile(r"<[^\s/>]*")
# One attribute of a start tag, as browsers read it: a name, then optionally = and a quoted or bare value.
_ATTRIBUTE = re.compile(
    r"""(?P<lead>[\s/]*)(?P<name>[^\s/>=][^\s/>=]*)"""
    r"""(?:(?P<equals>\s*=\s*)(?P<value>"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+)))?"""
)


class HtmlCodec:
    """Text in HTML: entities decode for the model and come back as the source spelled them."""

    tight_markup = False

    def __init__(self, quote: str | None = None) -> None:
        self._quote = quote  # the quote around an attribute value; None in element text
        self._spellings: dict[str, str] = {}

    def decode(self, raw: str) -> str:
        return _CHARACTER_REFERENCE.sub(self._decode_reference, raw)

    def _decode_reference(self, match: re.Match[str]) -> str:
        reference = match.group()
        decoded = html.unescape(reference)
        if decoded != reference and len(decoded) == 1:
            self._spellings.setdefault(decoded, reference)
        return decoded

    def escape(self, text: str, line_start: bool) -> str:
        parts: list[str] = []
        for char in text:
            if char in self._spellings:
                parts.append(self._spellings[char])
            elif char == "&":
                parts.append("&amp;")
            elif char == "<":
                parts.append("&lt;")
            elif char == '"' and self._quote in ('"', ""):
                parts.append("&quot;")
            elif char == "'" and self._quote == "'":
                parts.append("&#39;")
            else:
                parts.append(char)
        return "".join(parts)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # start, startend, end, data, other
    start: int
    tag: str = ""
    attrs: tuple[tuple[str, str | None], ...] = ()


class _Tokenizer(HTMLParser):
    """Records where each token starts; a token's source runs to the start of the next."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._line_starts = [0, *(match.end() for match in _LINE_BREAK.finditer(source))]
        self.tokens: list[_Token] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(_Token("start", self._offset(), tag, tuple(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(_Token("startend", self._offset(), tag, tuple(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(_Token("end", self._offset(), tag))

    def handle_data(self, data: str) -> None:
        self.tokens.append(_Token("data", self._offset()))

    def handle_comment(self, data: str) -> None:
        self.tokens.append(_Token("other", self._offset()))

    def handle_decl(self, decl: str) -> None:
        self.tokens.append(_Token("other", self._offset()))

    def handle_pi(self, data: str) -> None:
        self.tokens.append(_Token("other", self._offset()))

    def unknown_decl(self, data: str) -> None:
        self.tokens.append(_Token("other", self._offset()))


def _tokens_with_source(source: str) -> list[tuple[_Token, str]]:
    tokenizer = _Tokenizer(source)
    tokenizer.feed(source)
    tokenizer.close()
    tokens = tokenizer.tokens
    if not tokens or tokens[0].start != 0:
        # Never expected: keep any unreported prefix as text so that the round trip stays exact.
        tokens.insert(0, _Token("data", 0))
    ends = [token.start for token in tokens[1:]] + [len(source)]
    return [(token, source[token.start : end]) for token, end in zip(tokens, ends, strict=True)]


def _keeps_content(tag: str, attrs: tuple[tuple[str, str | None], ...]) -> bool:
    return tag in VERBATIM_INLINE_ELEMENTS or tag in VERBATIM_BLOCK_ELEMENTS or _marked_no_translate(attrs)


def _marked_no_translate(attrs: tuple[tuple[str, str | None], ...]) -> bool:
    for name, value in attrs:
        if name == "translate" and (value or "").strip().lower() == "no":
            return True
        if name == "class" and "notranslate" in (value or "").split():
            return True
    return False


@dataclass
class _Verbatim:
    """An element whose content is kept as it is, collected until its end tag."""

    tag: str
    inline: bool
    parts: list[str | Slot]
    depth: int = 1


class _HtmlReader:
    def __init__(self, document: DocumentBuilder) -> None:
        self._document = document
        self._inline = SegmentBuilder(HtmlCodec())
        self._verbatim: _Verbatim | None = None

    def read(self, source: str) -> None:
        for token, raw in _tokens_with_source(source):
            if self._verbatim is not None:
                self._continue_verbatim(token, raw)
            elif token.kind == "data":
                self._inline.text(raw)
            elif token.kind == "other":
                self._inline.atom((raw,))
            elif token.kind in ("start", "startend"):
                self._start(token, raw)
            else:
                self._end(token, raw)
        if self._verbatim is not None:  # never closed: keep everything after its start as it was
            self._finish_verbatim()
        self._flush()

    def _flush(self) -> None:
        self._document.inline(self._inline)
        self._inline = SegmentBuilder(HtmlCodec())

    def _start(self, token: _Token, raw: str) -> None:
        tag = token.tag
        inline = tag in INLINE_ELEMENTS or tag in INLINE_VOID_ELEMENTS or tag in VERBATIM_INLINE_ELEMENTS
        # A textarea's placeholder is translated though its content is not; translate="no" covers both.
        fragment = (raw,) if _marked_no_translate(token.attrs) else self._tag_fragment(raw, token.attrs)
        if _keeps_content(token.tag, token.attrs):
            if token.kind == "start" and tag not in VOID_ELEMENTS:
                if not inline:
                    self._flush()
                self._verbatim = _Verbatim(tag, inline, list(fragment))
            elif inline:
                self._inline.atom(fragment)
            else:
                self._flush()
                self._document.verbatim(fragment)
            return
        if tag in INLINE_ELEMENTS and token.kind == "start":
            self._inline.open(fragment, tag)
        elif inline:
            self._inline.atom(fragment)
        else:
            self._flush()
            self._document.verbatim(fragment)

    def _end(self, token: _Token, raw: str) -> None:
        if token.tag in INLINE_ELEMENTS:
            self._inline.close((raw,), token.tag)
        elif token.tag in INLINE_VOID_ELEMENTS:
            self._inline.atom((raw,))
        else:
            self._flush()
            self._document.verbatim(raw)

    def _continue_verbatim(self, token: _Token, raw: str) -> None:
        verbatim = self._verbatim
        assert verbatim is not None
        verbatim.parts.append(raw)
        if token.tag == verbatim.tag:
            if token.kind == "start":
                verbatim.depth += 1
            elif token.kind == "end":
                verbatim.depth -= 1
                if verbatim.depth == 0:
                    self._finish_verbatim()

    def _finish_verbatim(self) -> None:
        verbatim = self._verbatim
        assert verbatim is not None
        self._verbatim = None
        fragment = tuple(verbatim.parts)
        if verbatim.inline:
            self._inline.atom(fragment)
        else:
            self._document.verbatim(fragment)

    def _tag_fragment(self, raw: str, attrs: tuple[tuple[str, str | None], ...]) -> Fragment:
        """The start tag with a slot in place of each translatable attribute value that has words."""
        if not any(name in TRANSLATABLE_ATTRIBUTES and has_letters(value or "") for name, value in attrs):
            return (raw,)
        name_match = _TAG_NAME.match(raw)
        position = name_match.end() if name_match else 0
        parts: list[str | Slot] = []
        copied = 0
        while position < len(raw):
            match = _ATTRIBUTE.match(raw, position)
            if match is None or match.end() == position:
                break
            position = match.end()
            if match.group("name").lower() not in TRANSLATABLE_ATTRIBUTES or match.group("value") is None:
                continue
            quote = '"' if match.group("dq") is not None else "'" if match.group("sq") is not None else ""
            group = "dq" if quote == '"' else "sq" if quote == "'" else "bare"
            value_start, value_end = match.span(group)
            builder = SegmentBuilder(HtmlCodec(quote))
            builder.text(raw[value_start:value_end])
            segment, _ = builder.freeze(wrap=('"', '"') if not quote else ("", ""))
            if segment is None:
                continue
            parts.append(raw[copied:value_start])
            parts.append(self._document.add_segment(segment))
            copied = value_end
        parts.append(raw[copied:])
        return tuple(part for part in parts if part != "")


def read_html(source: str, document: DocumentBuilder) -> None:
    """Append the source, cut into verbatim parts and segments, to ``document``."""
    _HtmlReader(document).read(source)
