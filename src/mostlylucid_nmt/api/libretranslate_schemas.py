"""LibreTranslate's wire shapes, for the OpenAPI schema. Field names are LibreTranslate's (camelCase)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LibreTranslateBody(BaseModel):
    """POST /libretranslate/translate, as JSON or as a form (a repeated form field `q` gives a list)."""

    q: str | list[str] = Field(description="Text to translate, or a list of texts.")
    source: str = Field(default="auto", description="Source language code; 'auto' detects it per text.")
    target: str = Field(description="Target language code.")
    format: str = Field(default="text", description="text or html (markdown also works here).")
    alternatives: int = Field(
        default=0,
        description="Alternative translations wanted; at most EASYNMT_MAX_BEAM_SIZE. The list is empty: "
        "one model output is returned per text.",
    )
    api_key: str | None = Field(default=None, description="API key.")


class DetectedLanguage(BaseModel):
    confidence: float = Field(description="0 to 100.")
    language: str


class LibreTranslateResponse(BaseModel):
    alternatives: list[str] | list[list[str]] | None = Field(
        default=None, description="Only when alternatives > 0 was asked for."
    )
    detectedLanguage: DetectedLanguage | list[DetectedLanguage] | None = Field(  # noqa: N815
        default=None, description="Only with source=auto; one entry per text for a list."
    )
    translatedText: str | list[str]  # noqa: N815


class LibreDetectBody(BaseModel):
    q: str | list[str] = Field(description="Text whose language to detect (a list gives one list per text).")
    api_key: str | None = None


class LibreLanguage(BaseModel):
    code: str
    name: str
    targets: list[str] = Field(description="Languages this one can be translated into.")


class LibreError(BaseModel):
    error: str
