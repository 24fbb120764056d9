"""Markup-safe translation: HTML and Markdown documents translated through the plain-text service."""

from mostlylucid_nmt.translation.markup.translator import (
    MarkupTranslator,
    TextFormat,
    parse_document,
    probe_text,
)

__all__ = ["MarkupTranslator", "TextFormat", "parse_document", "probe_text"]
