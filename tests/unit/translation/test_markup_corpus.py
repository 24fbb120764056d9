"""The markup round-trip corpus (tests/fixtures/markup): real-world HTML and Markdown documents.

Each document goes through the real TranslationService with the fake backend, which marks every sentence it
translates with "[de] ". The checks are made with independent parsers (tests/support/markup.py): the skeleton
of tags, attributes and Markdown tokens is identical, code and other verbatim content is byte for byte the
same, every block of text is translated, and nothing but the translation marks changed in the text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mostlylucid_nmt.backends.fake import FakeLoader
from mostlylucid_nmt.main import build_services
from mostlylucid_nmt.settings import load_settings
from mostlylucid_nmt.state import AppServices
from mostlylucid_nmt.translation.markup import MarkupTranslator, TextFormat, parse_document
from mostlylucid_nmt.translation.service import TranslationRequest
from tests.support.markup import (
    assert_html_translated,
    assert_markdown_translated,
    markdown_view,
    protected_strings,
)

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "markup"
DOCUMENTS = sorted(CORPUS.glob("*.html")) + sorted(CORPUS.glob("*.md"))
FORMATS = {".html": TextFormat.HTML, ".md": TextFormat.MARKDOWN}
SOURCES = {path: path.read_text(encoding="utf-8") for path in DOCUMENTS}


@pytest.fixture
async def services() -> AsyncIterator[AppServices]:
    services = build_services(load_settings({"TRANSLATION_BACKEND": "fake"}))
    yield services
    await services.batcher.close()
    await services.registry.close()


async def _translate(services: AppServices, text: str, text_format: TextFormat) -> str:
    translator = MarkupTranslator(
        services.service, max_texts_per_call=services.settings.max_texts_per_request
    )
    outcome = await translator.translate(
        TranslationRequest(texts=[text], target_lang="de", source_lang="en"), text_format
    )
    return outcome.translated[0]


def _model_inputs(services: AppServices) -> list[str]:
    loader = services.registry._loader
    assert isinstance(loader, FakeLoader)
    return [text for _, texts in loader.activity.batches for text in texts]


def test_the_corpus_is_large_enough() -> None:
    assert len([path for path in DOCUMENTS if path.suffix == ".html"]) >= 8
    assert len([path for path in DOCUMENTS if path.suffix == ".md"]) >= 8


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_untranslated_rendering_is_byte_identical(path: Path) -> None:
    source = SOURCES[path]
    document = parse_document(source, FORMATS[path.suffix])
    assert document.segments, "a corpus document with nothing to translate tests nothing"
    assert document.render(lambda index, fill: None) == source


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
async def test_structure_survives_and_every_text_is_translated(services: AppServices, path: Path) -> None:
    source = SOURCES[path]
    output = await _translate(services, source, FORMATS[path.suffix])
    assert output != source
    if path.suffix == ".html":
        assert_html_translated(source, output)
    else:
        assert_markdown_translated(source, output)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
async def test_placeholders_and_urls_never_reach_the_model(services: AppServices, path: Path) -> None:
    source = SOURCES[path]
    output = await _translate(services, source, FORMATS[path.suffix])
    sent = "\n".join(_model_inputs(services))
    for protected in protected_strings(source):
        assert protected not in sent, protected
        assert output.count(protected) >= source.count(protected), protected


@pytest.mark.parametrize("path", [p for p in DOCUMENTS if p.suffix == ".md"], ids=lambda path: path.name)
async def test_markdown_code_and_front_matter_are_byte_equal(services: AppServices, path: Path) -> None:
    source = SOURCES[path]
    output = await _translate(services, source, TextFormat.MARKDOWN)
    kinds = ("fence", "code_block", "front_matter")
    before = [t for t in markdown_view(source).skeleton if t[0] in kinds]
    after = [t for t in markdown_view(output).skeleton if t[0] in kinds]
    assert after == before
    for token in before:
        if token[0] != "code_block":  # indented code: its lines lose the indentation in the token
            assert str(token[-1]) in output
