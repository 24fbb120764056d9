"""Translatable segments of a marked-up document, and how they travel through a plain-text translator.

A parsed document (HTML or Markdown) is verbatim source with holes: each hole (a :class:`Slot`) is a
:class:`Segment`, one run of text as a reader sees it (a paragraph, a heading, a table cell, an ``alt``
attribute). A segment is a sequence of pieces:

* :class:`Text`: words to translate, as the model should see them (entities decoded, line breaks folded
  into spaces), together with the exact source they came from;
* :class:`Atom`: something inside the sentence that must come back byte for byte: inline code, an image, a
  URL, an e-mail address, a ``{placeholder}`` or ``%s``, a hard line break;
* :class:`Open` / :class:`Close`: inline markup around part of the sentence (``<b>…</b>``, ``*…*``,
  ``[…](url)``).

A segment is translated as one unit, so inline markup never cuts a sentence in two: its pieces become
XLIFF-style markers (``<g1>…</g1>`` around paired markup, ``<x2/>`` for atoms) and the markers in the answer
are replaced by the original markup. Models move such markers with the words they enclose, but nothing forces
a model to keep them; an answer that loses, duplicates or mis-nests a marker is not trusted. That segment is
then translated again run by run, each stretch of text between two markers on its own, which cannot damage
the structure (at some cost in fluency for that one segment).

Atoms and whitespace at the edges of a segment, and markup that wraps all of it, are peeled off and kept in
place: the model sees only what lies between them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "Atom",
    "Close",
    "Codec",
    "Document",
    "DocumentBuilder",
    "Fragment",
    "Open",
    "Segment",
    "SegmentBuilder",
    "Slot",
    "Text",
    "has_letters",
]


@dataclass(frozen=True, slots=True)
class Slot:
    """A hole in verbatim material, filled with the rendering of segment ``index`` of the document."""

    index: int


# Verbatim source with holes, e.g. ('<img alt="', Slot(3), '" src="a.png">').
Fragment = tuple[str | Slot, ...]


@dataclass(frozen=True, slots=True)
class Text:
    text: str  # what the model sees
    raw: str  # the exact source


@dataclass(frozen=True, slots=True)
class Atom:
    raw: Fragment
    breaks_line: bool = False  # what follows starts a new source line (Markdown hard break)


@dataclass(frozen=True, slots=True)
class Open:
    raw: Fragment
    key: str  # opens and closes pair up by key: 'b', 'em', 'link'...


@dataclass(frozen=True, slots=True)
class Close:
    raw: Fragment
    key: str


Piece = Text | Atom | Open | Close


class Codec(Protocol):
    """How text is written in one context (HTML text, an HTML attribute value, Markdown inline text)."""

    # Markup that must touch the words it encloses (Markdown emphasis cannot open before a space).
    tight_markup: bool

    def decode(self, raw: str) -> str:
        """Source text as a reader sees it (entities and escapes resolved)."""
        ...

    def escape(self, text: str, line_start: bool) -> str:
        """Translated text, written so that it reads as plain text in this context."""
        ...


def has_letters(text: str) -> bool:
    return any(char.isalpha() for char in text)


# Folded to one space: line breaks inside a paragraph are layout, and the service would otherwise translate
# each source line of a wrapped paragraph as a sentence of its own. (Not \s: a no-break space is content.)
_FOLDABLE_SPACE = re.compile(r"[ \t\r\n\f]+")

# Never translated, wherever they appear in running text: template placeholders ({name}, {{ var }},
# {% tag %}, ${var}), printf and Python %-formats (%s, %1$s, %(name)s), URLs and e-mail addresses.
# A URL stops before trailing punctuation so that "see https://x.org." keeps its full stop in the sentence.
_PROTECTED = re.compile(
    r"""
      \{\{.*?\}\}
    | \{%.*?%\}
    | \$\{[^{}\n]*\}
    | \{[^{}\s]{0,64}\}
    | %\([A-Za-z_]\w*\)[-+0\#]*\d*(?:\.\d+)?[sdifFeEgGxXocr]
    | %(?:\d+\$)?[-+0\#]*(?:\d+|\*)?(?:\.\d+)?[sdifFeEgGxXocp@](?![A-Za-z])
    | (?:https?|ftp)://[^\s<>"'`]*[^\s<>"'`.,;:!?)\]}]
    | www\.[^\s<>"'`]*[^\s<>"'`.,;:!?)\]}]
    | [A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+
    """,
    re.VERBOSE,
)

# Markers in a model's answer. Tolerant of the spaces tokenizers put back ("< g1 >", "</ g1>").
_MARKER = re.compile(r"<\s*(/?)\s*([gx])\s*(\d{1,4})\s*(/?)\s*>", re.IGNORECASE)


def protected_spans(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in _PROTECTED.finditer(text)]


class SegmentBuilder:
    """Collects the pieces of one run of inline content, then pairs, peels and freezes them."""

    def __init__(self, codec: Codec) -> None:
        self._codec = codec
        self._pieces: list[Piece] = []

    @property
    def empty(self) -> bool:
        return not self._pieces

    def text(self, content: str, raw_of: Callable[[int, int], str] | None = None) -> None:
        """Add running text. ``raw_of(start, end)`` gives the source of ``content[start:end]`` when the two
        differ (Markdown inside block quotes and lists); by default the content is its own source."""
        if not content:
            return
        source_of = raw_of or (lambda start, end: content[start:end])
        position = 0
        for start, end in protected_spans(content):
            self._add_text(content[position:start], source_of(position, start))
            self._pieces.append(Atom((source_of(start, end),)))
            position = end
        self._add_text(content[position:], source_of(position, len(content)))

    def _add_text(self, content: str, raw: str) -> None:
        if content:
            text = _FOLDABLE_SPACE.sub(" ", self._codec.decode(content))
            self._pieces.append(Text(text, raw))

    def atom(self, raw: Fragment, *, breaks_line: bool = False) -> None:
        self._pieces.append(Atom(raw, breaks_line))

    def open(self, raw: Fragment, key: str) -> None:
        self._pieces.append(Open(raw, key))

    def close(self, raw: Fragment, key: str) -> None:
        self._pieces.append(Close(raw, key))

    def take(self) -> list[Piece]:
        """The pieces collected so far, with opens and closes paired (unpaired ones become atoms)."""
        pieces = _pair(self._pieces)
        self._pieces = []
        return pieces

    def freeze(
        self, *, starts_line: bool = False, wrap: tuple[str, str] = ("", "")
    ) -> tuple[Segment | None, list[Piece]]:
        """The collected pieces (now cleared) and the segment they make, or None when nothing in them is
        worth translating (the caller then writes the pieces' source as it was)."""
        pieces = self.take()
        return Segment.build(pieces, self._codec, starts_line=starts_line, wrap=wrap), pieces


def _pair(pieces: list[Piece]) -> list[Piece]:
    """Keep opens and closes that match up (properly nested, by key); the rest become atoms."""
    result: list[Piece] = list(pieces)
    stack: list[int] = []
    matched: set[int] = set()
    for index, piece in enumerate(pieces):
        if isinstance(piece, Open):
            stack.append(index)
        elif isinstance(piece, Close):
            for depth in range(len(stack) - 1, -1, -1):
                if _key_of(pieces[stack[depth]]) == piece.key:
                    matched.update((stack[depth], index))
                    del stack[depth:]  # opens left inside never close: they stay unmatched
                    break
    for index, piece in enumerate(pieces):
        if isinstance(piece, Open | Close) and index not in matched:
            result[index] = Atom(piece.raw)
    return result


def _key_of(piece: Piece) -> str:
    return piece.key if isinstance(piece, Open | Close) else ""


def _is_space(piece: Piece) -> bool:
    return isinstance(piece, Text) and not piece.text.strip()


def _partner(pieces: Sequence[Piece], open_index: int) -> int:
    """Index of the close that pairs with the (matched) open at ``open_index``."""
    depth = 0
    for index in range(open_index, len(pieces)):
        if isinstance(pieces[index], Open):
            depth += 1
        elif isinstance(pieces[index], Close):
            depth -= 1
            if depth == 0:
                return index
    raise ValueError("unpaired open")  # _pair guarantees a partner


# One token of a decoded answer: text, or (kind, marker number) with kind 'open', 'close' or 'atom'.
AnswerToken = str | tuple[str, int]


@dataclass(frozen=True, slots=True)
class Segment:
    """One run of text to translate: ``head`` and ``tail`` stay as they are, ``body`` goes to the model."""

    head: tuple[Piece, ...]
    body: tuple[Piece, ...]
    tail: tuple[Piece, ...]
    codec: Codec
    starts_line: bool = False
    # Put around a translated rendering; e.g. quotes for an attribute value that had none.
    wrap: tuple[str, str] = ("", "")
    # Marker number -> the opening or atom piece it stands for, and -> the close of a pair.
    _markers: dict[int, Piece] = field(default_factory=dict, compare=False, repr=False)
    _closes: dict[int, Piece] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(
        cls,
        pieces: Sequence[Piece],
        codec: Codec,
        *,
        starts_line: bool = False,
        wrap: tuple[str, str] = ("", ""),
    ) -> Segment | None:
        if not any(isinstance(piece, Text) and has_letters(piece.text) for piece in pieces):
            return None
        start, end = 0, len(pieces)
        while True:
            if start < end and (isinstance(pieces[start], Atom) or _is_space(pieces[start])):
                start += 1
            elif start < end and (isinstance(pieces[end - 1], Atom) or _is_space(pieces[end - 1])):
                end -= 1
            elif start < end and isinstance(pieces[start], Open) and _partner(pieces[:end], start) == end - 1:
                start, end = start + 1, end - 1
            else:
                break
        segment = cls(
            tuple(pieces[:start]), tuple(pieces[start:end]), tuple(pieces[end:]), codec, starts_line, wrap
        )
        number = 0
        stack: list[int] = []
        for piece in segment.body:
            if isinstance(piece, Open | Atom):
                number += 1
                segment._markers[number] = piece
                if isinstance(piece, Open):
                    stack.append(number)
            elif isinstance(piece, Close):
                segment._closes[stack.pop()] = piece
        return segment

    # --- what the model sees ------------------------------------------------------------------------------
    def model_text(self) -> str:
        """The body as one text with markers: ``Click <g1>here</g1> to see <x2/>.``"""
        parts: list[str] = []
        number = 0
        stack: list[int] = []
        for piece in self.body:
            if isinstance(piece, Text):
                parts.append(piece.text)
            elif isinstance(piece, Open):
                number += 1
                stack.append(number)
                parts.append(f"<g{number}>")
            elif isinstance(piece, Close):
                parts.append(f"</g{stack.pop()}>")
            else:
                number += 1
                parts.append(f"<x{number}/>")
        return "".join(parts)

    @property
    def markers_are_safe(self) -> bool:
        """False when the text itself contains something that reads as a marker (then translate by runs)."""
        return not any(isinstance(piece, Text) and _MARKER.search(piece.text) for piece in self.body)

    def run_texts(self) -> list[str]:
        """The stretches of text between markers that have letters, stripped: the run-by-run fallback."""
        return [text.strip() for text in self._runs() if has_letters(text)]

    def _runs(self) -> list[str]:
        runs: list[str] = []
        current: list[str] | None = None
        for piece in self.body:
            if isinstance(piece, Text):
                if current is None:
                    current = []
                    runs.append("")
                current.append(piece.text)
                runs[-1] = "".join(current)
            else:
                current = None
        return runs

    def parse_answer(self, answer: str) -> list[AnswerToken] | None:
        """The answer as text and markers, or None unless every marker is there once, properly nested."""
        tokens: list[AnswerToken] = []
        seen: set[tuple[str, int]] = set()
        stack: list[int] = []
        position = 0
        for match in _MARKER.finditer(answer):
            if match.start() > position:
                tokens.append(answer[position : match.start()])
            position = match.end()
            closing, kind, number, self_closing = (
                match.group(1),
                match.group(2).lower(),
                int(match.group(3)),
                match.group(4),
            )
            piece = self._markers.get(number)
            if kind == "x":
                token = ("atom", number)
                if closing or not isinstance(piece, Atom):
                    return None
            elif closing:
                token = ("close", number)
                if self_closing or not stack or stack.pop() != number:
                    return None
            else:
                token = ("open", number)
                if self_closing or not isinstance(piece, Open):
                    return None
                stack.append(number)
            if token in seen:
                return None
            seen.add(token)
            tokens.append(token)
        if position < len(answer):
            tokens.append(answer[position:])
        expected = sum(2 if isinstance(piece, Open) else 1 for piece in self._markers.values())
        if stack or len(seen) != expected:
            return None
        return tokens

    # --- rendering ---------------------------------------------------------------------------------------
    def render_source(self, fill: Callable[[Fragment], str]) -> str:
        return "".join(_piece_source(piece, fill) for piece in (*self.head, *self.body, *self.tail))

    def render_answer(self, tokens: Sequence[AnswerToken], fill: Callable[[Fragment], str]) -> str:
        writer = _Writer(self, fill)
        writer.pieces(self.head)
        for token in _tighten(tokens) if self.codec.tight_markup else tokens:
            if isinstance(token, str):
                writer.text(token)
            else:
                writer.piece(self._closes[token[1]] if token[0] == "close" else self._markers[token[1]])
        writer.pieces(self.tail)
        return writer.result()

    def render_runs(self, translations: Sequence[str], fill: Callable[[Fragment], str]) -> str:
        """Render with ``translations`` for :meth:`run_texts`, in order; other runs stay as they were."""
        writer = _Writer(self, fill)
        writer.pieces(self.head)
        remaining = iter(translations)
        run: list[Text] = []

        def flush() -> None:
            text = "".join(piece.text for piece in run)
            if has_letters(text):
                leading = text[: len(text) - len(text.lstrip())]
                trailing = text[len(text.rstrip()) :]
                writer.text(leading + next(remaining) + trailing)
            else:
                writer.pieces(run)
            run.clear()

        for piece in self.body:
            if isinstance(piece, Text):
                run.append(piece)
                continue
            if run:
                flush()
            writer.piece(piece)
        if run:
            flush()
        writer.pieces(self.tail)
        return writer.result()


def _piece_source(piece: Piece, fill: Callable[[Fragment], str]) -> str:
    return piece.raw if isinstance(piece, Text) else fill(piece.raw)


def _tighten(tokens: Sequence[AnswerToken]) -> list[AnswerToken]:
    """Move whitespace just inside paired markup to just outside it: ``<g1> word </g1>`` reads as
    `` <g1>word</g1> `` (Markdown emphasis cannot open before, or close after, a space)."""
    result: list[AnswerToken] = []
    for token in tokens:
        if isinstance(token, str) and result and _is_marker(result[-1], "open"):
            stripped = token.lstrip()
            start = len(result)
            while start and _is_marker(result[start - 1], "open"):
                start -= 1
            before = result[start - 1] if start else None
            if not (isinstance(before, str) and before[-1:].isspace()):
                result.insert(start, token[: len(token) - len(stripped)])
            token = stripped
        result.append(token)
    tightened: list[AnswerToken] = []
    for token in reversed(result):
        if isinstance(token, str) and tightened and _is_marker(tightened[-1], "close"):
            stripped = token.rstrip()
            end = len(tightened)
            while end and _is_marker(tightened[end - 1], "close"):
                end -= 1
            after = tightened[end - 1] if end else None
            if not (isinstance(after, str) and after[:1].isspace()):
                tightened.insert(end, token[len(stripped) :])
            token = stripped
        tightened.append(token)
    return [token for token in reversed(tightened) if token != ""]


def _is_marker(token: AnswerToken, kind: str) -> bool:
    return isinstance(token, tuple) and token[0] == kind


class _Writer:
    """Joins rendered pieces, tracking whether the next text starts a source line (for Markdown escapes).

    With tight markup (Markdown), an underscore delimiter is kept from touching a letter of translated text,
    which would turn it into a plain underscore (``_word_s`` is not emphasis): a space goes between them.
    """

    def __init__(self, segment: Segment, fill: Callable[[Fragment], str]) -> None:
        self._segment = segment
        self._fill = fill
        self._parts: list[str] = []
        self._line_start = segment.starts_line
        self._tight = segment.codec.tight_markup
        self._after_underscore = False

    def pieces(self, pieces: Sequence[Piece]) -> None:
        for piece in pieces:
            self.piece(piece)

    def piece(self, piece: Piece) -> None:
        rendered = _piece_source(piece, self._fill)
        if (
            self._tight
            and isinstance(piece, Open)
            and rendered.startswith("_")
            and self._parts
            and self._parts[-1][-1:].isalnum()
        ):
            self._parts.append(" ")
        self._parts.append(rendered)
        self._after_underscore = self._tight and isinstance(piece, Close) and rendered.endswith("_")
        if isinstance(piece, Atom) and piece.breaks_line:
            self._line_start = True
        elif rendered.strip():
            self._line_start = False

    def text(self, text: str) -> None:
        if self._after_underscore and text[:1].isalnum():
            text = " " + text
        self._after_underscore = False
        if text:
            self._parts.append(self._segment.codec.escape(text, self._line_start))
        if text.strip():
            self._line_start = False

    def result(self) -> str:
        before, after = self._segment.wrap
        return before + "".join(self._parts) + after


@dataclass(frozen=True, slots=True)
class Document:
    """Verbatim source with holes, and the segments that fill them."""

    body: Fragment
    segments: tuple[Segment, ...]

    def probe_text(self, limit: int = 2000) -> str:
        """Plain text of the document (what a reader sees), for language detection."""
        parts: list[str] = []
        size = 0
        for segment in self.segments:
            for text in segment.run_texts():
                parts.append(text)
                size += len(text) + 1
                if size >= limit:
                    return " ".join(parts)[:limit]
        return " ".join(parts)

    def render(self, rendered: Callable[[int, Callable[[Fragment], str]], str | None]) -> str:
        """The document with each segment as ``rendered(index, fill)`` gives it (None: as in the source)."""
        cache: dict[int, str] = {}

        def fill(fragment: Fragment) -> str:
            return "".join(part if isinstance(part, str) else segment_text(part.index) for part in fragment)

        def segment_text(index: int) -> str:
            if index not in cache:
                text = rendered(index, fill)
                cache[index] = self.segments[index].render_source(fill) if text is None else text
            return cache[index]

        return fill(self.body)


class DocumentBuilder:
    """Appends verbatim source and segments in document order."""

    def __init__(self) -> None:
        self._body: list[str | Slot] = []
        self._segments: list[Segment] = []

    def verbatim(self, raw: str | Fragment) -> None:
        if isinstance(raw, str):
            if raw:
                self._body.append(raw)
        else:
            self._body.extend(raw)

    def add_segment(self, segment: Segment) -> Slot:
        """Register a segment; the caller places the returned slot (in the body or inside a fragment)."""
        self._segments.append(segment)
        return Slot(len(self._segments) - 1)

    def inline(self, builder: SegmentBuilder, *, starts_line: bool = False) -> None:
        """Place what ``builder`` collected: as a segment when it has words, verbatim otherwise."""
        if builder.empty:
            return
        segment, pieces = builder.freeze(starts_line=starts_line)
        if segment is None:
            for piece in pieces:
                self.verbatim(piece.raw)
        else:
            self._body.append(self.add_segment(segment))

    def build(self) -> Document:
        return Document(tuple(self._body), tuple(self._segments))
