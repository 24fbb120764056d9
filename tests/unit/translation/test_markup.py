"""Markup-safe translation in detail: what the model sees, what comes back, and the run-by-run fallback.

A stand-in for the translation service records the texts it is given and answers with a function of them, so
each test can play a model that keeps, moves, drops or mangles the markers.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

import pytest

from mostlylucid_nmt.translation.markup import MarkupTranslator, TextFormat, parse_document
from mostlylucid_nmt.translation.service import TranslationOutcome, TranslationRequest, TranslationService
from tests.support.markup import markdown_parser

Answer = Callable[[str], str]


class RecordingService:
    """Duck-types the three TranslationService methods the markup translator calls."""

    def __init__(self, answer: Answer, detected: str = "en") -> None:
        self._answer = answer
        self._detected = detected
        self.calls: list[list[str]] = []

    def check_limits(self, texts: Sequence[str]) -> None:
        pass

    async def detect_languages(self, texts: Sequence[str]) -> list[str]:
        return [self._detected for _ in texts]

    async def translate(self, request: TranslationRequest) -> TranslationOutcome:
        self.calls.append(list(request.texts))
        return TranslationOutcome(
            translated=[self._answer(text) for text in request.texts],
            target_lang=request.target_lang,
            detected_langs=None,
            models=["m"],
        )


def upper(text: str) -> str:
    """A 'translation' that keeps every marker and changes every word."""
    return re.sub(
        r"<[^>]*>|[^<]+", lambda m: m.group() if m.group().startswith("<") else m.group().upper(), text
    )


def drop_markers(text: str) -> str:
    return re.sub(r"<[^>]*>", "", text).upper()


async def translate(
    text: str, text_format: TextFormat, answer: Answer = upper, *, max_texts: int = 512
) -> tuple[str, RecordingService]:
    service = RecordingService(answer)
    translator = MarkupTranslator(service, max_texts_per_call=max_texts)  # type: ignore[arg-type]
    outcome = await translator.translate(TranslationRequest([text], "de", "en"), text_format)
    return outcome.translated[0], service


# --- what the model sees -----------------------------------------------------------------------------------
async def test_nested_inline_tags_do_not_split_the_sentence() -> None:
    html = '<p>Click <a href="/go"><b>here</b></a> to continue.</p>'
    output, service = await translate(html, TextFormat.HTML)
    assert service.calls == [["Click <g1><g2>here</g2></g1> to continue."]]
    assert output == '<p>CLICK <a href="/go"><b>HERE</b></a> TO CONTINUE.</p>'


async def test_a_model_may_move_markup_with_the_words() -> None:
    def reorder(text: str) -> str:
        assert text == "Click <g1>here</g1> now."
        return "<g1>Hier</g1> jetzt klicken."

    output, _ = await translate('<p>Click <a href="/x">here</a> now.</p>', TextFormat.HTML, reorder)
    assert output == '<p><a href="/x">Hier</a> jetzt klicken.</p>'


@pytest.mark.parametrize(
    "answer",
    [
        "Hier klicken.",  # markers lost
        "<g1>Hier</g1> <g1>hier</g1> klicken.",  # duplicated
        "<g1>Hier <x2/></g1></g1>",  # extra close
        "<g1>Hier</g2>",  # unknown marker
        "</g1>Hier<g1> <x2/>",  # closed before opened
    ],
)
async def test_an_answer_with_broken_markers_falls_back_to_runs(answer: str) -> None:
    html = '<p>Click <a href="/x">here</a> to see <img src="a.png"> more.</p>'
    output, service = await translate(
        html, TextFormat.HTML, lambda text: answer if "<g1>" in text else text.upper()
    )
    assert service.calls[1] == ["Click", "here", "to see", "more."]
    assert output == '<p>CLICK <a href="/x">HERE</a> TO SEE <img src="a.png"> MORE.</p>'


async def test_fallback_with_a_model_that_always_drops_markers() -> None:
    markdown = "Use **bold** and `code` with [a link](https://x.org/a_b) here.\n"
    output, service = await translate(markdown, TextFormat.MARKDOWN, drop_markers)
    assert service.calls[0] == ["Use <g1>bold</g1> and <x2/> with <g3>a link</g3> here."]
    assert service.calls[1] == ["Use", "bold", "and", "with", "a link", "here."]
    assert output == "USE **BOLD** AND `code` WITH [A LINK](https://x.org/a_b) HERE.\n"


async def test_outer_markup_and_edge_atoms_are_not_shown_to_the_model() -> None:
    html = '<p><strong><img src="i.png"> Whole sentence in bold.</strong></p>'
    output, service = await translate(html, TextFormat.HTML)
    assert service.calls == [[" Whole sentence in bold."]]
    assert output == '<p><strong><img src="i.png"> WHOLE SENTENCE IN BOLD.</strong></p>'


async def test_text_that_looks_like_a_marker_is_translated_by_runs() -> None:
    html = "<p>Type &lt;g1&gt; to <b>start</b>.</p>"
    output, service = await translate(html, TextFormat.HTML)
    assert service.calls == [["Type <g1> to", "start"]]
    assert output == "<p>TYPE &lt;g1&gt; TO <b>START</b>.</p>"


async def test_placeholders_urls_and_emails_are_atoms() -> None:
    text = "<p>Hi {name}, %1$s sent {{ count }} files to bob@example.com: see https://x.org/a?b=1. Save 50% now.</p>"
    _, service = await translate(text, TextFormat.HTML)
    assert service.calls == [["Hi <x1/>, <x2/> sent <x3/> files to <x4/>: see <x5/>. Save 50% now."]]


async def test_texts_are_cut_into_calls_of_at_most_the_request_limit() -> None:
    html = "".join(f"<li>Item number {n}</li>" for n in range(7))
    output, service = await translate(html, TextFormat.HTML, max_texts=3)
    assert [len(call) for call in service.calls] == [3, 3, 1]
    assert output == "".join(f"<li>ITEM NUMBER {n}</li>" for n in range(7))


async def test_document_in_the_target_language_is_not_touched() -> None:
    service = RecordingService(upper, detected="de")
    translator = MarkupTranslator(service, max_texts_per_call=8)  # type: ignore[arg-type]
    html = "<p>Guten   Morgen &amp; willkommen</p>"
    outcome = await translator.translate(TranslationRequest([html], "de", ""), TextFormat.HTML)
    assert outcome.translated == [html]
    assert outcome.detected_langs == ["de"]
    assert service.calls == []


# --- HTML ----------------------------------------------------------------------------------------------------
async def test_entities_are_written_back_as_the_source_spelled_them() -> None:
    html = "<p>Fish &amp; chips&nbsp;&mdash; &#169; 2024 &#x2014; AT&T &lt;3</p>"
    output, service = await translate(html, TextFormat.HTML, lambda text: text)
    assert service.calls == [["Fish & chips\xa0— © 2024 — AT&T <3"]]
    assert output == "<p>Fish &amp; chips&nbsp;&mdash; &#169; 2024 &mdash; AT&amp;T &lt;3</p>"


async def test_verbatim_elements_comments_and_no_translate_are_untouched() -> None:
    html = (
        "<p>Run <code>ls -la</code> and <kbd>Enter</kbd>.</p><pre>keep  this</pre><!-- a comment -->"
        '<script>let s = "text";</script><style>p{}</style><div translate="no">Brand Name</div>'
        '<p class="notranslate">Also kept</p><textarea>draft</textarea>'
    )
    output, service = await translate(html, TextFormat.HTML)
    assert service.calls == [["Run <x1/> and <x2/>."]]
    assert output == html.replace("Run ", "RUN ").replace(" and <kbd>", " AND <kbd>")


async def test_translatable_attributes() -> None:
    html = (
        '<img alt="A red car" src="car.png"><img alt=Logo src=l.png>'
        '<a href="/x" title=\'Opens "help"\'>Help</a><input placeholder="Your name"><span aria-label="Close">x</span>'
        '<div data-title="not this" class="title">Body</div>'
    )
    output, _ = await translate(html, TextFormat.HTML)
    assert output == (
        '<img alt="A RED CAR" src="car.png"><img alt="LOGO" src=l.png>'
        '<a href="/x" title=\'OPENS "HELP"\'>HELP</a><input placeholder="YOUR NAME"><span aria-label="CLOSE">X</span>'
        '<div data-title="not this" class="title">BODY</div>'
    )


async def test_attribute_quotes_in_translations_are_escaped() -> None:
    output, _ = await translate('<img alt="1" title="A b">', TextFormat.HTML, lambda text: 'Say "hi" & <go>')
    assert output == '<img alt="1" title="Say &quot;hi&quot; &amp; &lt;go>">'


async def test_line_breaks_in_a_paragraph_are_spaces_for_the_model() -> None:
    _, service = await translate("<p>One sentence\n   wrapped over\n   three lines.</p>", TextFormat.HTML)
    assert service.calls == [["One sentence wrapped over three lines."]]


async def test_br_ends_a_run() -> None:
    output, service = await translate("<p>Line one<br>Line two</p>", TextFormat.HTML)
    assert service.calls == [["Line one", "Line two"]]
    assert output == "<p>LINE ONE<br>LINE TWO</p>"


# --- Markdown ------------------------------------------------------------------------------------------------
async def test_markdown_blocks_and_inline_markup() -> None:
    markdown = (
        '# A *title*\n\n> Quoted **bold\n> text** here.\n\n- item with [link](http://a.b/c "T")\n'
        "  and ![alt text](i.png)\n\n| Col | `code` |\n|---|---|\n| a \\| b | *c* |\n"
    )
    output, service = await translate(markdown, TextFormat.MARKDOWN)
    assert service.calls == [
        [
            "A <g1>title</g1>",
            "Quoted <g1>bold text</g1> here.",
            "item with <g1>link</g1> and <g2>alt text</g2>",
            "Col",
            "a | b",
            "c",
        ]
    ]
    assert output == (
        '# A *TITLE*\n\n> QUOTED **BOLD TEXT** HERE.\n\n- ITEM WITH [LINK](http://a.b/c "T") AND ![ALT TEXT](i.png)\n'
        "\n| COL | `code` |\n|---|---|\n| A \\| B | *C* |\n"
    )


async def test_markdown_escapes_what_would_become_markup() -> None:
    output, _ = await translate(
        "Some text.\n", TextFormat.MARKDOWN, lambda text: "# 1 * 2 _x_ [y] <z> `q` | ~s~ &amp;"
    )
    assert output == "\\# 1 \\* 2 \\_x\\_ \\[y\\] \\<z> \\`q\\` \\| \\~s\\~ \\&amp;\n"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Es dauert <g1> zehn Minuten </g1>.", "Es dauert _zehn Minuten_ .\n"),
        ("Es dauert<g1>zehn Minuten</g1>insgesamt.", "Es dauert _zehn Minuten_ insgesamt.\n"),
        ("Es dauert <g1>zehn Minuten</g1>.", "Es dauert _zehn Minuten_.\n"),
    ],
)
async def test_markdown_emphasis_stays_emphasis_whatever_the_spacing(answer: str, expected: str) -> None:
    output, _ = await translate("It takes _ten minutes_.\n", TextFormat.MARKDOWN, lambda text: answer)
    assert output == expected
    tokens = [token.type for token in markdown_parser().parseInline(output)[0].children or []]
    assert "em_open" in tokens


async def test_markdown_hard_breaks_keep_their_line_prefix() -> None:
    markdown = "> First line  \n> second line\\\n> third line\n"
    output, service = await translate(markdown, TextFormat.MARKDOWN)
    assert service.calls == [["First line<x1/>second line<x2/>third line"]]
    assert output == "> FIRST LINE  \n> SECOND LINE\\\n> THIRD LINE\n"


async def test_markdown_verbatim_parts() -> None:
    markdown = (
        "---\ntitle: Keep me\n---\n\n```python\nprint('hi')\n```\n\n    indented code\n\n"
        'Text with <kbd>Ctrl</kbd> and <https://auto.link> and `code`.\n\n[ref]: https://x.org "Title"\n'
    )
    output, service = await translate(markdown, TextFormat.MARKDOWN)
    assert service.calls == [["Text with <x1/> and <x2/> and <x3/>."]]
    assert output == markdown.replace("Text with", "TEXT WITH").replace(" and ", " AND ")


async def test_markdown_html_block_is_translated_as_html() -> None:
    markdown = '<div align="center">\n  <p>Hello <b>there</b></p>\n</div>\n\nAfter.\n'
    output, _ = await translate(markdown, TextFormat.MARKDOWN)
    assert output == '<div align="center">\n  <p>HELLO <b>THERE</b></p>\n</div>\n\nAFTER.\n'


# --- robustness: any input, however broken, round-trips exactly ------------------------------------------------
HTML_BITS = [
    "<p>", "</p>", "<b>", "</b>", "<i>", "</a>", '<a href="x">', "<br>", "<br/>", "<img alt=Cat>", "<!--", "-->",
    "<script>", "</script>", "<pre>", "<", ">", "&", "&amp;", "&#", "&nbsp", " text ", "Hello world. ", "\n",
    '"', "'", "=", "<div translate=no>", "</div>", "<code>", "<!DOCTYPE html>", "<![CDATA[", "]]>", "</", "{name}",
]  # fmt: skip
MARKDOWN_BITS = [
    "# ", "\n", "\n\n", "*", "**", "_", "`", "```", "[", "]", "(", ")", "![", "> ", "- ", "1. ", "|", "---",
    "\\", "&amp;", "<b>", "</b>", "<http://x.y>", " word ", "Sentence. ", "    ", "\t", "~~", "http://a.b/c",
    "<!-- c -->", "\r\n", "\r",
]  # fmt: skip


@pytest.mark.parametrize(
    ("text_format", "bits"), [(TextFormat.HTML, HTML_BITS), (TextFormat.MARKDOWN, MARKDOWN_BITS)]
)
async def test_random_documents_round_trip(text_format: TextFormat, bits: list[str]) -> None:
    generator = random.Random(20240601)
    for _ in range(300):
        source = "".join(generator.choice(bits) for _ in range(generator.randint(1, 40)))
        document = parse_document(source, text_format)
        assert document.render(lambda index, fill: None) == source, source
        # Translating must not fail either, with markers kept or dropped.
        await translate(source, text_format, upper)
        await translate(source, text_format, drop_markers)


def test_the_service_type_is_what_the_stand_in_mimics() -> None:
    for name in ("check_limits", "detect_languages", "translate"):
        assert callable(getattr(TranslationService, name))
