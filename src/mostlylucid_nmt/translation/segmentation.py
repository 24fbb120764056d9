"""Cut documents into translatable sentences and put them back together exactly.

The model
---------
A text is described by a :class:`SplitText`: the ``sentences`` that go to the translation model, and
the ``gaps`` around them, which hold every character that is *not* translated (line breaks, blank
lines, indentation, list markers, the spaces between sentences). There is always one more gap than
there are sentences, so a document is::

    gaps[0] + sentences[0] + gaps[1] + sentences[1] + ... + sentences[n-1] + gaps[n]

and rebuilding it from translated sentences only swaps the sentences while the layout survives
exactly. Every function here keeps the round trip ``s.rebuild(s.sentences) == text``.

Three operations produce that shape:

* :func:`split_text` cuts a document into lines and lines into sentences (or, with sentence
  splitting off, just trims the outer whitespace).
* :func:`split_long` cuts one over-long sentence into pieces that satisfy a caller's size predicate
  (typically "fits the model's token limit"), preferring the most natural cut points.
* :meth:`SplitText.refine` applies such a per-sentence split to every sentence of a document and
  flattens the result, so callers can chain ``split_text(doc).refine(lambda s: split_long(s, fits))``.

Sentence splitting is heuristic and errs on the side of *not* splitting: a missed boundary only
gives the model a longer input, while a false one (after "Dr." or in "3. Oktober") changes the
meaning of the translation.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["SplitText", "split_long", "split_text"]

# (start, end) offsets of a run of text; for separators the run may be empty.
_Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class SplitText:
    """A text cut into translatable pieces and the exact untranslated material around them."""

    gaps: tuple[str, ...]
    sentences: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.gaps) != len(self.sentences) + 1:
            raise ValueError(
                f"SplitText needs exactly one more gap than sentences, got {len(self.gaps)} gaps "
                f"for {len(self.sentences)} sentences"
            )
        for index, sentence in enumerate(self.sentences):
            if not sentence or sentence != sentence.strip():
                raise ValueError(
                    f"sentence {index} must be non-empty without surrounding whitespace: {sentence!r}"
                )

    def rebuild(self, translated: Sequence[str]) -> str:
        """gaps[0] + translated[0] + gaps[1] + ... + translated[n-1] + gaps[n].

        Raises ValueError if the number of translations differs from the number of sentences.
        """
        if len(translated) != len(self.sentences):
            raise ValueError(f"expected {len(self.sentences)} translated sentences, got {len(translated)}")
        parts = [self.gaps[0]]
        for sentence, gap in zip(translated, self.gaps[1:], strict=True):
            parts.append(sentence)
            parts.append(gap)
        return "".join(parts)

    def refine(self, split_one: Callable[[str], SplitText]) -> SplitText:
        """Replace each sentence by the pieces split_one gives for it, flattening the result.

        The gaps split_one produces (for instance the spaces at its cut points) are merged into ours, so
        the round trip still holds. Raises ValueError if split_one does not reproduce a sentence.
        """
        builder = _Builder()
        builder.add_gap(self.gaps[0])
        for sentence, gap_after in zip(self.sentences, self.gaps[1:], strict=True):
            sub = split_one(sentence)
            if sub.rebuild(sub.sentences) != sentence:
                # Merging a split that does not reproduce its input would silently corrupt the document.
                raise ValueError(f"split_one does not reproduce its input sentence {sentence!r}")
            builder.add_gap(sub.gaps[0])
            for piece, sub_gap in zip(sub.sentences, sub.gaps[1:], strict=True):
                builder.add_sentence(piece)
                builder.add_gap(sub_gap)
            builder.add_gap(gap_after)
        return builder.build()


class _Builder:
    """Collects sentences and the text between them, merging adjacent gap fragments."""

    __slots__ = ("_gaps", "_pending", "_sentences")

    def __init__(self) -> None:
        self._gaps: list[str] = []
        self._sentences: list[str] = []
        self._pending: list[str] = []

    def add_gap(self, text: str) -> None:
        self._pending.append(text)

    def add_sentence(self, sentence: str) -> None:
        self._gaps.append("".join(self._pending))
        self._pending.clear()
        self._sentences.append(sentence)

    def build(self) -> SplitText:
        return SplitText(gaps=(*self._gaps, "".join(self._pending)), sentences=tuple(self._sentences))


# ---------------------------------------------------------------------------------------------------
# Character classes
# ---------------------------------------------------------------------------------------------------

# Closing quotes and brackets that belong to the sentence they close. Both German closers (“ ‘) and
# the reversed guillemets used in German/Scandinavian typography (« ‹) are included; they can only be
# taken as closers when they follow a terminal mark directly, so an opening “ after a space is safe.
# Markdown emphasis markers close "**Bold sentence.**" the same way.
_CLOSERS = "\"'”’“‘»«›‹)\\]}」』）】〉》〕〗〙〛］｝｣＂＇*_"
_CLOSERS_CLASS = f"[{_CLOSERS}]"

# Han (with extensions and compatibility forms), kana, Hangul, and the CJK opening brackets a new
# sentence may start with.
_CJK_START_CLASS = (
    "[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\uac00-\ud7af\U00020000-\U0003134f「『（【〈《〔]"
)

# Latin-style terminal marks: only a sentence end when followed by whitespace, and subject to the
# abbreviation and case heuristics below.
_SPACED_MARKS = ".!?…"
# Marks that end a sentence outright and need no following space: CJK full stops and
# question/exclamation marks, and the Devanagari danda and double danda (Hindi, Marathi, Sanskrit
# and Bengali write no space-sensitive abbreviations with them, so a danda is always a sentence end).
_UNSPACED_MARKS = "。！？｡．।॥"
# Script-specific terminals that are unambiguous but, like Latin marks, only end a sentence before
# whitespace: Arabic question mark, Urdu full stop, Armenian full stop, Ethiopic full stop and
# question mark, Burmese and Khmer sentence marks.
_SCRIPT_MARKS = "؟۔։።፧။។៕"

# French typography spaces the closing guillemet ("« Stop. » Puis"); a spaced » or › still closes the
# sentence as long as no word follows it directly (German "Er ging. »Halt!«" opens with »).
_SPACED_GUILLEMET = r"(?:[ \u00a0\u202f]*+[»›](?![^\W_]))?+"
_LATIN_END = re.compile(
    rf"(?<![{_SPACED_MARKS}])(?P<mark>[{_SPACED_MARKS}]++)"
    rf"(?P<close>{_SPACED_GUILLEMET}{_CLOSERS_CLASS}*+)(?P<ws>\s+)(?=\S)"
)
_UNSPACED_END = re.compile(
    rf"(?<![{_UNSPACED_MARKS}])(?P<mark>[{_UNSPACED_MARKS}]++)(?P<close>{_CLOSERS_CLASS}*+)"
)
_SCRIPT_END = re.compile(rf"(?<![{_SCRIPT_MARKS}])[{_SCRIPT_MARKS}]++{_CLOSERS_CLASS}*+(?P<ws>\s+)(?=\S)")
# "你好!世界": Chinese and Japanese text often uses ASCII ! and ? without a following space.
_CJK_BANG_END = re.compile(rf"(?<![!?])[!?]++{_CLOSERS_CLASS}*+(?={_CJK_START_CLASS})")

# Thai writes no sentence punctuation; a space between Thai words marks a sentence (or at least a
# clause) boundary. Spaces after the repetition mark ๆ and the abbreviation mark ฯ are conventional
# inside a sentence, so those do not count.
_THAI_BREAK = re.compile(r"(?<=[\u0e00-\u0e2e\u0e30-\u0e45\u0e47-\u0e7f])\s+(?=[\u0e00-\u0e7f])")

# A URL runs to the next whitespace: it may hold non-ASCII ("https://例子.cn/?查询"), and in CJK text
# without spaces it is safer to miss a boundary after a URL than to cut one in two.
# The lookbehinds make each match start at the beginning of a run, keeping the scan linear.
_URL_LIKE = re.compile(
    r"(?:(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}://|www\.)\S*|(?<![!-~])[!-~]+@[!-~]+"
)

_WHITESPACE = re.compile(r"\s+")
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")

# Openers stripped from the front of a word before looking it up as an abbreviation: "(e.g."
_OPENERS = "\"'“‘„«‹([{¿¡*_"

# Japanese quotative particles: "「こんにちは。」と言った" continues the sentence after the quote.
_QUOTATIVE_CONTINUATIONS = "とっ"

# ---------------------------------------------------------------------------------------------------
# Abbreviations
# ---------------------------------------------------------------------------------------------------

# Matched exactly: capitalisation is what tells "Dr." the title from a word that ends a sentence.
_EXACT_ABBREVIATIONS = frozenset(
    {
        # English titles, companies, references
        "Mr", "Mrs", "Ms", "Messrs", "Dr", "Prof", "Sr", "Jr", "St", "Mt", "Rev", "Hon", "Gen", "Col",
        "Capt", "Lt", "Sgt", "Inc", "Ltd", "Co", "Corp", "Bros", "Fig", "Figs", "Vol", "Vols", "pp",
        "al",
        # English month abbreviations
        "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
        # German
        "Nr", "Hr", "Hrn", "Fr", "Frl", "Str", "Hrsg", "Jh", "Mio", "Mrd", "Tel",
        # French ("p. ex.": "p" is caught by the single-letter rule)
        "Mme", "Mmes", "Mlle", "Mlles", "MM", "ex",
        # Spanish
        "Sra", "Sras", "Srta", "Sres", "Dra", "Ud", "Uds", "Vd", "Vds", "pág", "núm",
    }
)  # fmt: skip

# Matched case-insensitively: these may start a sentence ("Ca. 20 Leute kamen.") or be written in capitals.
_ANY_CASE_ABBREVIATIONS = frozenset(
    {
        "etc", "vs", "approx", "cf", "resp", "esp", "dept", "ibid",
        "ca", "bzw", "usw", "evtl", "ggf", "inkl", "vgl", "bspw", "zzgl", "sog", "ehem", "allg",
        "env", "aprox",
    }
)  # fmt: skip

# Only an abbreviation in front of a number: "No. 5" continues, but "No. I won't." is two sentences.
_NUMBER_ABBREVIATIONS = frozenset({"No", "Nos", "Art", "Abs"})

# Dotted abbreviations written without spaces: "e.g", "i.e", "z.B", "d.h", "U.S", "Ph.D" (the final
# dot is the mark itself). Segments are at most two letters so that domains like "example.com" and
# "www.x.org" are not mistaken for abbreviations.
_DOTTED_ABBREVIATION = re.compile(r"[^\W\d_]{1,2}(?:\.[^\W\d_]{1,2})+")

# Ordinals and in-line enumerations: German "am 3. Oktober", "im 19. Jahrhundert", "1. Open it.".
# A longer number (a year, an amount) before a full stop does end the sentence.
_MAX_ORDINAL_DIGITS = 3


def _is_abbreviation(word: str, next_char: str) -> bool:
    """Whether ``word`` followed by a full stop is an abbreviation (the text goes on), not a sentence end."""
    if not word:
        return False
    if len(word) == 1 and word.isalpha():
        # Initials ("J. R. R. Tolkien"), "z. B.", "d. h.", "p. ex.", "M. Dupont".
        return True
    if word.isdecimal() and len(word) <= _MAX_ORDINAL_DIGITS:
        return True
    if word in _EXACT_ABBREVIATIONS or word.lower() in _ANY_CASE_ABBREVIATIONS:
        return True
    if word in _NUMBER_ABBREVIATIONS:
        return next_char.isdecimal()
    return _DOTTED_ABBREVIATION.fullmatch(word) is not None


def _word_before(content: str, end: int) -> str:
    """The whitespace-delimited word ending at ``end``, without leading quotes or brackets."""
    start = end
    while start > 0 and not content[start - 1].isspace():
        start -= 1
    return content[start:end].lstrip(_OPENERS)


# ---------------------------------------------------------------------------------------------------
# Sentence boundaries
# ---------------------------------------------------------------------------------------------------


def _latin_boundary(content: str, match: re.Match[str]) -> bool:
    next_char = content[match.end()]
    if next_char.islower():
        # "Well... maybe", "e.g. the", "Really? yes": a lowercase continuation is not a new sentence.
        return False
    if match.group("close") or match.group("mark") != ".":
        # A closing quote/bracket, "!", "?" or an ellipsis before a capital, digit or quote is an end.
        return True
    return not _is_abbreviation(_word_before(content, match.start()), next_char)


def _unspaced_boundary(content: str, match: re.Match[str]) -> bool:
    end = match.end()
    if end >= len(content):
        return False
    start = match.start()
    if match.group(0) == "．" and start > 0 and content[start - 1].isdecimal() and content[end].isdecimal():
        # Fullwidth decimal point: "３．１４".
        return False
    return not (match.group("close") and content[end] in _QUOTATIVE_CONTINUATIONS)


def _skip_whitespace(content: str, position: int) -> int:
    while position < len(content) and content[position].isspace():
        position += 1
    return position


def _inside_url(url_spans: list[_Span], position: int) -> bool:
    """Whether ``position`` falls in one of the sorted, non-overlapping ``url_spans``."""
    index = bisect.bisect_right(url_spans, position, key=lambda span: span[0]) - 1
    return index >= 0 and url_spans[index][0] <= position < url_spans[index][1]


def _sentence_boundaries(content: str) -> list[_Span]:
    """Separators between sentences of ``content`` (which has no surrounding whitespace).

    Each separator is ``(end of previous sentence, start of next sentence)``; the whitespace between
    them, possibly none, belongs to the gap.
    """
    found: list[_Span] = []
    for match in _LATIN_END.finditer(content):
        if _latin_boundary(content, match):
            found.append(match.span("ws"))
    for match in _UNSPACED_END.finditer(content):
        if _unspaced_boundary(content, match):
            found.append((match.end(), _skip_whitespace(content, match.end())))
    for match in _SCRIPT_END.finditer(content):
        found.append(match.span("ws"))
    bangs = list(_CJK_BANG_END.finditer(content))
    if bangs:
        url_spans = [m.span() for m in _URL_LIKE.finditer(content)]
        found.extend((m.end(), m.end()) for m in bangs if not _inside_url(url_spans, m.start()))
    for match in _THAI_BREAK.finditer(content):
        found.append(match.span())
    return _ordered_separators(found, len(content))


def _ordered_separators(separators: list[_Span], length: int) -> list[_Span]:
    """Sort separators and drop any that would leave an empty piece or overlap an earlier one."""
    result: list[_Span] = []
    previous_end = 0
    for start, end in sorted(separators):
        if start <= previous_end or end >= length:
            continue
        result.append((start, end))
        previous_end = end
    return result


def _pieces_between(length: int, separators: list[_Span]) -> list[_Span]:
    pieces: list[_Span] = []
    start = 0
    for separator_start, separator_end in separators:
        pieces.append((start, separator_start))
        start = separator_end
    pieces.append((start, length))
    return pieces


def _has_word_character(text: str) -> bool:
    return any(char.isalnum() for char in text)


def _attach_punctuation_only(content: str, pieces: list[_Span]) -> list[_Span]:
    """Fold pieces without any letter or digit into a neighbouring sentence.

    A stray closing quote, an emoji or "..." on its own is not worth a model call (models tend to
    hallucinate on such input) and belongs to the sentence it follows. Before the first real sentence
    it joins the next one; a line of nothing but symbols ("---", "* * *") yields no sentence at all.
    """
    kept: list[_Span] = []
    carried_start: int | None = None
    for start, end in pieces:
        if _has_word_character(content[start:end]):
            kept.append((start if carried_start is None else carried_start, end))
            carried_start = None
        elif kept:
            kept[-1] = (kept[-1][0], end)
        elif carried_start is None:
            carried_start = start
    return kept


# ---------------------------------------------------------------------------------------------------
# Lines and list markers
# ---------------------------------------------------------------------------------------------------

# Markers that stay untranslated at the start of a line. Each must be followed by whitespace (or end
# the line): "2024 was a good year." and "-5 degrees" are sentences, "1. Step" and "- item" are lists.
# Numbers are limited to three digits per level so that "2024. was" is not a list item; nested
# numbering ("1.2.") is allowed. Letters count only with a closing parenthesis ("a)", "(iv)"), because
# "A. Smith" is an initial, not a list.
_LINE_MARKER = re.compile(
    r"""
    (?:
        (?P<heading>\#{1,6})
      | >+
      | [-*+•·](?:[ \t]+\[[ xX]\])?
      | \d{1,3}(?:\.\d{1,3})*[.)]
      | \(\d{1,3}\)
      | \(?(?:[^\W\d_]|[ivxlcdm]{2,6}|[IVXLCDM]{2,6})\)
    )
    (?:\s+|\Z)
    """,
    re.VERBOSE,
)


def _skip_line_markers(line: str, position: int) -> tuple[int, bool]:
    """Position after any (possibly nested, "> - ") markers, and whether one was a heading."""
    is_heading = False
    while match := _LINE_MARKER.match(line, position):
        if match.end() == position:
            break
        is_heading = is_heading or match.group("heading") is not None
        position = match.end()
    return position, is_heading


def _before_closing_hashes(line: str, start: int, end: int) -> int:
    """End of a heading's text without its optional closing hashes: "## Title ##" (but not "C#")."""
    without_hashes = line[start:end].rstrip("#")
    if len(without_hashes) == end - start or not without_hashes[-1:].isspace():
        return end
    return start + len(without_hashes.rstrip())


def _split_line(line: str, builder: _Builder) -> None:
    body_start, is_heading = _skip_line_markers(line, len(line) - len(line.lstrip()))
    body_end = len(line.rstrip())
    if is_heading:
        body_end = _before_closing_hashes(line, body_start, body_end)
    if body_start >= body_end:
        builder.add_gap(line)
        return
    content = line[body_start:body_end]
    pieces = _pieces_between(len(content), _sentence_boundaries(content))
    cursor = 0
    builder.add_gap(line[:body_start])
    for start, end in _attach_punctuation_only(content, pieces):
        builder.add_gap(content[cursor:start])
        builder.add_sentence(content[start:end])
        cursor = end
    builder.add_gap(content[cursor:])
    builder.add_gap(line[body_end:])


def split_text(text: str, *, split_sentences: bool = True) -> SplitText:
    """Split ``text`` into sentences to translate and the untranslated layout around them.

    With ``split_sentences`` every line is handled on its own: indentation, list markers, heading
    hashes, blank lines and line endings (``\\n``, ``\\r\\n``, ``\\r``) go to the gaps, and the rest is
    cut into sentences. Without it the whole text, newlines included, is one sentence and only its
    outer whitespace is kept aside. Whitespace-only text gives no sentences and ``gaps == (text,)``.
    """
    if not split_sentences:
        return _trimmed(text)
    builder = _Builder()
    for index, part in enumerate(_LINE_BREAK.split(text)):
        # re.split with a capturing group alternates lines (even) and their line breaks (odd).
        if index % 2:
            builder.add_gap(part)
        else:
            _split_line(part, builder)
    return builder.build()


def _trimmed(text: str) -> SplitText:
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    if start >= end:
        return SplitText(gaps=(text,), sentences=())
    return SplitText(gaps=(text[:start], text[end:]), sentences=(text[start:end],))


# ---------------------------------------------------------------------------------------------------
# Splitting over-long sentences
# ---------------------------------------------------------------------------------------------------

# Clause punctuation that stays at the end of the piece before it. Latin, Arabic (، ؛) and dash forms
# need whitespace after them ("1,000", "12:30", "a—b" must stay whole); the CJK forms are written
# without spaces.
_CLAUSE_BREAK = re.compile(r"(?<=[,;:—–،؛])\s+|(?<=[，；：、])\s*")

_ZERO_WIDTH_JOINER = "\u200d"
_REGIONAL_INDICATORS = ("\U0001f1e6", "\U0001f1ff")
_EMOJI_MODIFIERS = ("\U0001f3fb", "\U0001f3ff")
_TAG_CHARACTERS = ("\U000e0020", "\U000e007f")
_HIGH_SURROGATES = ("\ud800", "\udbff")
_LOW_SURROGATES = ("\udc00", "\udfff")


def _within(char: str, bounds: tuple[str, str]) -> bool:
    return bounds[0] <= char <= bounds[1]


def _continues_cluster(text: str, cluster_start: int, index: int) -> bool:
    """Whether ``text[index]`` belongs to the user-perceived character that starts at ``cluster_start``.

    An approximation of Unicode grapheme clusters that covers what matters for a hard cut: combining
    marks stay on their base, emoji ZWJ sequences, skin tones, tag sequences and flag pairs stay
    whole, and halves of a surrogate pair (possible in text decoded with surrogatepass) stay together.
    """
    char, previous = text[index], text[index - 1]
    if unicodedata.combining(char) or unicodedata.category(char).startswith("M"):
        return True
    if char == _ZERO_WIDTH_JOINER or previous == _ZERO_WIDTH_JOINER:
        return True
    if _within(char, _EMOJI_MODIFIERS) or _within(char, _TAG_CHARACTERS):
        return True
    if _within(char, _LOW_SURROGATES) and _within(previous, _HIGH_SURROGATES):
        return True
    if previous == "\r" and char == "\n":
        return True
    # Flags are pairs of regional indicators; a third one starts the next flag.
    return (
        index - cluster_start == 1
        and _within(char, _REGIONAL_INDICATORS)
        and _within(previous, _REGIONAL_INDICATORS)
    )


def _line_separators(text: str) -> list[_Span]:
    return [m.span() for m in _WHITESPACE.finditer(text) if "\n" in m.group() or "\r" in m.group()]


def _clause_separators(text: str) -> list[_Span]:
    return [m.span() for m in _CLAUSE_BREAK.finditer(text)]


def _whitespace_separators(text: str) -> list[_Span]:
    return [m.span() for m in _WHITESPACE.finditer(text)]


def _cluster_separators(text: str) -> list[_Span]:
    separators: list[_Span] = []
    cluster_start = 0
    for index in range(1, len(text)):
        if not _continues_cluster(text, cluster_start, index):
            separators.append((index, index))
            cluster_start = index
    return separators


# Cut points from most to least natural. Line breaks and sentence ends come first because
# split_text(..., split_sentences=False) hands whole documents to split_long.
_CUT_LEVELS: tuple[Callable[[str], list[_Span]], ...] = (
    _line_separators,
    _sentence_boundaries,
    _clause_separators,
    _whitespace_separators,
    _cluster_separators,
)


def _last_fitting(first: int, count: int, fits_through: Callable[[int], bool], guess: int) -> int:
    """Largest ``last`` in ``[first, count)`` with ``fits_through(last)``, given that ``first`` fits.

    The first probe takes ``guess`` units (the size of the previous piece: pieces of one text tend to be
    alike). From there it gallops forward (1, 2, 4, ... units) until a probe fails and then bisects, so
    the number of predicate calls grows with the logarithm of the piece size and every probed string
    stays close to the final piece in length; bisecting over the whole remainder instead would make
    the caller tokenize most of the text on every probe.
    """
    good, bad = first, count
    probe = min(first + guess - 1, count - 1)
    if probe > first:
        if fits_through(probe):
            good = probe
        else:
            bad = probe
    step = 1
    while bad == count and good + step < count:
        probe = good + step
        if fits_through(probe):
            good = probe
            step *= 2
        else:
            bad = probe
    while bad - good > 1:
        middle = (good + bad) // 2
        if fits_through(middle):
            good = middle
        else:
            bad = middle
    return good


def _pack(text: str, level: int, fits: Callable[[str], bool], builder: _Builder) -> None:
    """Emit ``text``, which does not fit as a whole, as the fewest greedy pieces cut at ``level`` or finer."""
    if level == len(_CUT_LEVELS):
        raise ValueError(
            f"split_long: {text!r} cannot be split further and does not fit; the size limit is smaller "
            "than a single character"
        )
    separators = _ordered_separators(_CUT_LEVELS[level](text), len(text))
    if not separators:
        _pack(text, level + 1, fits, builder)
        return
    units = _pieces_between(len(text), separators)
    index = 0
    guess = 1
    while index < len(units):
        if index:
            builder.add_gap(text[units[index - 1][1] : units[index][0]])
        start, end = units[index]
        if not fits(text[start:end]):
            _pack(text[start:end], level + 1, fits, builder)
            index += 1
            continue
        last = _last_fitting(index, len(units), _prefix_fits(text, start, units, fits), guess)
        builder.add_sentence(text[start : units[last][1]])
        guess = last - index + 1
        index = last + 1


def _prefix_fits(
    text: str, start: int, units: list[_Span], fits: Callable[[str], bool]
) -> Callable[[int], bool]:
    """Predicate: does the text from ``start`` through the end of unit ``last`` fit?"""

    def fits_through(last: int) -> bool:
        return fits(text[start : units[last][1]])

    return fits_through


def split_long(sentence: str, fits: Callable[[str], bool]) -> SplitText:
    """Cut ``sentence`` into as few, as large pieces as possible that each satisfy ``fits``.

    ``fits`` must be monotone (whatever is part of a fitting text fits too). Cuts are tried at line
    breaks, then sentence ends, then clause punctuation (``, ; : —`` and CJK/Arabic forms), then
    whitespace, and finally between characters, never separating a base character from its
    combining marks. Whitespace at a cut goes to the gaps and punctuation stays with the piece before
    it. A sentence that fits is returned whole; if a single character does not fit, ValueError.
    """
    core = sentence.strip()
    if not core:
        return SplitText(gaps=(sentence,), sentences=())
    leading = sentence[: len(sentence) - len(sentence.lstrip())]
    builder = _Builder()
    builder.add_gap(leading)
    if fits(core):
        builder.add_sentence(core)
    else:
        _pack(core, 0, fits, builder)
    builder.add_gap(sentence[len(leading) + len(core) :])
    return builder.build()
