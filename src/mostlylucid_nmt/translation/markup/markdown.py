"""Markdown: paragraphs, headings and table cells are translated; everything else stays byte for byte.

markdown-it-py (CommonMark, plus GitHub tables and strikethrough, plus front matter) decides what the
document means: which backticks open a code span, which asterisks are emphasis, where a link's text ends and
its URL begins. It does not say where inline tokens are in the source, so each paragraph, heading or cell is
located line by line in the source (block quote markers and list indentation sit outside the located text),
and its inline tokens are then found in order inside it. A block that cannot be located exactly (for
instance after tab expansion) is left untranslated rather than risked.

* Emphasis, strong, strikethrough, links and images are markup around part of a sentence: the link text and
  the image description are translated, the URL and title stay.
* Code spans, autolinks, inline HTML tags that are not paired and hard line breaks sit in the sentence as
  atoms; code blocks, fences, front matter, link reference definitions and thematic breaks are untouched.
* HTML blocks are translated as HTML.
* Soft line breaks inside a paragraph are spaces: a wrapped paragraph comes back as one line per paragraph
  (hard breaks stay).
* Translated text is escaped where Markdown would read it as markup (``*``, ``_``, ``[``, a leading ``#``...).
"""

from __future__ import annotations

import bisect
import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.helpers import parseLinkDestination, parseLinkTitle
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from mostlylucid_nmt.translation.markup.html import read_html
from mostlylucid_nmt.translation.markup.segments import DocumentBuilder, SegmentBuilder, has_letters

log = logging.getLogger(__name__)

# Inline HTML elements kept with their content (a sentence atom), and those that pair up around words.
_VERBATIM_INLINE_TAGS = frozenset({"code", "kbd", "samp", "var"})
_HTML_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)\s*>\Z", re.DOTALL)
_HTML_VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "source", "track", "wbr"})

# A backslash escape (any ASCII punctuation) or a character reference, as CommonMark reads them.
_ESCAPE_OR_REFERENCE = re.compile(
    r"\\(?P<escaped>[!-/:-@\[-`{-~])|(?P<reference>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
)
# Characters escaped wherever translated text lands; and what could start a block at the start of a line.
_INLINE_SPECIALS = frozenset("\\`*_[]<|~")
_BLOCK_START = re.compile(r"[ ]{0,3}(?:(?P<mark>[#>+=-])|\d{1,9}(?P<number>[.)]))")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


@cache
def _parser() -> MarkdownIt:
    # text_join would merge escapes and entities into the text around them, hiding their source form.
    return (
        MarkdownIt("commonmark")
        .enable(["table", "strikethrough"])
        .use(front_matter_plugin)
        .disable("text_join")
    )


class MarkdownCodec:
    """Inline Markdown text: escapes and entities decode for the model; translations are escaped back."""

    tight_markup = True

    def __init__(self) -> None:
        self._spellings: dict[str, str] = {}

    def decode(self, raw: str) -> str:
        return _ESCAPE_OR_REFERENCE.sub(self._decode_one, raw)

    def _decode_one(self, match: re.Match[str]) -> str:
        if match.group("escaped") is not None:
            return match.group("escaped")
        reference = match.group("reference")
        decoded = html.unescape(reference)
        if decoded == reference:
            return reference
        if len(decoded) == 1 and not decoded.isascii():  # &nbsp; &copy; &mdash;, not &amp; or &lt;
            self._spellings.setdefault(decoded, reference)
        return decoded

    def escape(self, text: str, line_start: bool) -> str:
        parts: list[str] = []
        for index, char in enumerate(text):
            if char in self._spellings:
                parts.append(self._spellings[char])
            elif char in _INLINE_SPECIALS or (char == "&" and _ENTITY_LIKE.match(text, index)):
                parts.append("\\" + char)
            else:
                parts.append(char)
        escaped = "".join(parts)
        if line_start:
            block = _BLOCK_START.match(escaped)
            if block is not None:
                group = "mark" if block.group("mark") is not None else "number"
                position = block.start(group)
                escaped = escaped[:position] + "\\" + escaped[position:]
        return escaped


class _NotFound(Exception):
    """The source of a block or token could not be located exactly; the block stays untranslated."""


@dataclass(frozen=True, slots=True)
class _Line:
    content_start: int  # offset of this line in the block's content
    lead: int  # leading spaces/tabs of the content line (not part of the located text)
    offsets: tuple[int, ...]  # source offset of each character of the stripped line, and of its end


class _ContentMap:
    """Maps offsets in a block's content (markdown-it's view, prefixes removed) to offsets in the source."""

    def __init__(self, source: str, line_starts: Sequence[int], token: Token, content: str, cursor: int):
        assert token.map is not None
        first_line = token.map[0]
        self._lines: list[_Line] = []
        content_start = 0
        for number, line in enumerate(content.split("\n")):
            stripped = line.strip(" \t")
            lead = len(line) - len(line.lstrip(" \t"))
            source_line = first_line + number
            if source_line + 1 >= len(line_starts):
                raise _NotFound
            low = max(cursor, line_starts[source_line])
            high = line_starts[source_line + 1]
            # Table cells lose the backslash of an escaped pipe in markdown-it's content.
            pattern = re.compile(re.escape(stripped).replace("\\|", "\\\\?\\|"))
            match = pattern.search(source, low, high)
            if match is None:
                raise _NotFound
            self._lines.append(_Line(content_start, lead, _align(stripped, match.group(), match.start())))
            cursor = match.end()
            content_start += len(line) + 1
        self._starts = [line.content_start for line in self._lines]
        self.end = self.source_offset(len(content))

    def source_offset(self, offset: int) -> int:
        line = self._lines[bisect.bisect_right(self._starts, offset) - 1]
        index = offset - line.content_start - line.lead
        if index <= 0:
            return line.offsets[0]
        size = len(line.offsets) - 1
        if index <= size:
            return line.offsets[index]
        return line.offsets[size] + index - size  # trailing whitespace, the same in the source


def _align(stripped: str, found: str, base: int) -> tuple[int, ...]:
    """Source offset of each character of ``stripped`` (and of its end), ``found`` at ``base`` in the source.

    The two are equal except where markdown-it dropped the backslash of an escaped pipe in a table cell: that
    pipe then starts at its backslash.
    """
    offsets: list[int] = []
    position = 0
    for char in stripped:
        offsets.append(base + position)
        position += 2 if found[position] != char else 1
    offsets.append(base + len(found))
    return tuple(offsets)


@dataclass(frozen=True, slots=True)
class _Event:
    kind: str  # text, atom, open, close
    start: int  # offsets in the block's content
    end: int
    key: str = ""
    breaks_line: bool = False


class _InlineScanner:
    """Finds markdown-it's inline tokens, in order, in a block's content."""

    def __init__(self, content: str) -> None:
        self._content = content
        self._position = 0
        self.events: list[_Event] = []

    def scan(self, tokens: Sequence[Token]) -> list[_Event]:
        self._tokens(tokens)
        self._text_until(len(self._content))
        return self.events

    def _tokens(self, tokens: Sequence[Token]) -> None:
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.type == "link_open" and token.markup == "autolink":
                start = self._find("<")
                end = self._content.find(">", start) + 1
                if end == 0:
                    raise _NotFound
                self._emit("atom", start, end)
                while tokens[index].type != "link_close":
                    index += 1
            else:
                self._token(token)
            index += 1

    def _token(self, token: Token) -> None:
        kind = token.type
        if kind == "text":
            if token.content:
                start = self._find(token.content)
                self._emit("text", start, start + len(token.content))
        elif kind == "text_special":
            start = self._find(token.markup)
            self._emit("text", start, start + len(token.markup))
        elif kind == "softbreak":
            start = self._find("\n")
            self._emit("text", start, self._after_spaces(start + 1))
        elif kind == "hardbreak":
            newline = self._content.find("\n", self._position)
            if newline < 0 or self._content[self._position : newline].strip(" ") not in ("", "\\"):
                raise _NotFound
            self._emit("atom", self._position, self._after_spaces(newline + 1), breaks_line=True)
        elif kind == "code_inline":
            start = self._find(token.markup)
            closing = re.compile(f"(?<!`){re.escape(token.markup)}(?!`)").search(
                self._content, start + len(token.markup)
            )
            if closing is None:
                raise _NotFound
            self._emit("atom", start, closing.end())
        elif kind == "html_inline":
            self._html(token.content)
        elif kind in ("em_open", "strong_open", "s_open"):
            start = self._find(token.markup)
            self._emit("open", start, start + len(token.markup), key=kind[: -len("_open")])
        elif kind in ("em_close", "strong_close", "s_close"):
            start = self._find(token.markup)
            self._emit("close", start, start + len(token.markup), key=kind[: -len("_close")])
        elif kind == "link_open":
            start = self._find("[")
            self._emit("open", start, start + 1, key="link")
        elif kind == "link_close":
            self._link_end("link")
        elif kind == "image":
            start = self._find("![")
            self._emit("open", start, start + 2, key="image")
            self._tokens(token.children or [])
            self._link_end("image")
        else:
            raise _NotFound

    def _html(self, tag: str) -> None:
        start = self._find(tag)
        end = start + len(tag)
        match = _HTML_TAG.match(tag)
        if match is None or match.group(3) or match.group(2).lower() in _HTML_VOID:
            self._emit("atom", start, end)
        elif match.group(1):
            self._emit("close", start, end, key="html:" + match.group(2).lower())
        else:
            self._emit("open", start, end, key="html:" + match.group(2).lower())

    def _link_end(self, key: str) -> None:
        """The ']' that ends a link's text and the destination after it: '(url "title")', '[ref]' or none."""
        content = self._content
        start = self._find("]")
        position = start + 1
        if content.startswith("(", position):
            position = self._after_spaces(position + 1, newlines=True)
            if not content.startswith(")", position):
                destination = parseLinkDestination(content, position, len(content))
                if destination.ok:
                    position = self._after_spaces(destination.pos, newlines=True)
                if position < len(content) and content[position] in "\"'(":
                    title = parseLinkTitle(content, position, len(content))
                    if not title.ok:
                        raise _NotFound
                    position = self._after_spaces(title.pos, newlines=True)
            if not content.startswith(")", position):
                raise _NotFound
            position += 1
        elif content.startswith("[", position):
            label_end = re.compile(r"(?<!\\)\]").search(content, position + 1)
            if label_end is None:
                raise _NotFound
            position = label_end.end()
        self._emit("close", start, position, key=key)

    def _find(self, needle: str) -> int:
        """Where ``needle`` is next, with only whitespace before it (which becomes text)."""
        found = self._content.find(needle, self._position)
        if found < 0 or self._content[self._position : found].strip():
            raise _NotFound
        self._text_until(found)
        return found

    def _after_spaces(self, position: int, *, newlines: bool = False) -> int:
        spaces = " \t\n" if newlines else " \t"
        while position < len(self._content) and self._content[position] in spaces:
            position += 1
        return position

    def _text_until(self, end: int) -> None:
        if end > self._position:
            self._emit("text", self._position, end)

    def _emit(self, kind: str, start: int, end: int, *, key: str = "", breaks_line: bool = False) -> None:
        if kind == "text" and self.events and self.events[-1].kind == "text":
            start = self.events.pop().start
        self.events.append(_Event(kind, start, end, key, breaks_line))
        self._position = end


class _MarkdownReader:
    def __init__(self, source: str, document: DocumentBuilder) -> None:
        self._source = source
        self._document = document
        # Where each line starts, as markdown-it counts lines (at \n only), and where the last one ends.
        self._line_starts = [0, *(match.end() for match in re.finditer("\n", source))]
        if self._line_starts[-1] < len(source):
            self._line_starts.append(len(source))
        self._cursor = 0  # everything before it is already in the document

    def read(self) -> None:
        previous = ""
        for token in _parser().parse(self._source):
            if token.type == "inline" and token.map is not None and has_letters(token.content):
                # Text at the start of a paragraph or heading could be read as a block marker.
                self._inline(token, starts_line=previous in ("paragraph_open", "heading_open"))
            elif token.type == "html_block" and token.map is not None and has_letters(token.content):
                self._html_block(token)
            previous = token.type
        self._document.verbatim(self._source[self._cursor :])

    def _inline(self, token: Token, *, starts_line: bool) -> None:
        content = token.content
        try:
            where = _ContentMap(self._source, self._line_starts, token, content, self._cursor)
            events = _fold_verbatim_html(_InlineScanner(content).scan(token.children or []))
        except _NotFound:
            assert token.map is not None
            log.debug("markdown block at line %d kept as it is: it could not be located", token.map[0] + 1)
            return
        start = where.source_offset(0)
        self._document.verbatim(self._source[self._cursor : start])
        builder = SegmentBuilder(MarkdownCodec())
        source = self._source
        for event in events:
            if event.kind == "text":
                base = event.start

                def raw_of(begin: int, end: int, base: int = base) -> str:
                    return source[where.source_offset(base + begin) : where.source_offset(base + end)]

                builder.text(content[event.start : event.end], raw_of)
                continue
            raw = (source[where.source_offset(event.start) : where.source_offset(event.end)],)
            if event.kind == "atom":
                builder.atom(raw, breaks_line=event.breaks_line)
            elif event.kind == "open":
                builder.open(raw, event.key)
            else:
                builder.close(raw, event.key)
        self._document.inline(builder, starts_line=starts_line)
        self._cursor = where.end

    def _html_block(self, token: Token) -> None:
        assert token.map is not None
        if token.map[1] >= len(self._line_starts):
            return  # markdown-it counted lines differently (a lone \r ends a line for it): leave it be
        start = self._line_starts[token.map[0]]
        end = self._line_starts[token.map[1]]
        if start < self._cursor or self._source[start:end] != token.content:
            return  # indented inside a list or quote: its lines are not the block's content
        self._document.verbatim(self._source[self._cursor : start])
        read_html(token.content, self._document)
        self._cursor = end


def _fold_verbatim_html(events: list[_Event]) -> list[_Event]:
    """``<kbd>Ctrl</kbd>`` and the like keep their content: each such pair becomes one atom."""
    result: list[_Event] = []
    index = 0
    while index < len(events):
        event = events[index]
        if event.kind == "open" and event.key.removeprefix("html:") in _VERBATIM_INLINE_TAGS:
            depth = 0
            for end in range(index, len(events)):
                if events[end].key == event.key:
                    depth += 1 if events[end].kind == "open" else -1 if events[end].kind == "close" else 0
                    if depth == 0:
                        result.append(_Event("atom", event.start, events[end].end))
                        index = end + 1
                        break
            else:
                result.append(event)
                index += 1
            continue
        result.append(event)
        index += 1
    return result


def read_markdown(source: str, document: DocumentBuilder) -> None:
    """Append the source, cut into verbatim parts and segments, to ``document``."""
    _MarkdownReader(source, document).read()
