"""Where the benchmark keeps its files, and the workload every engine and server is measured on."""

from __future__ import annotations

from pathlib import Path
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
# Git-ignored scratch space: the built model, its CTranslate2 copy, the sentences, server logs.
WORK_DIR: Final = REPO_ROOT / "bench" / ".work"
MODELS_DIR: Final = WORK_DIR / "models"
MODEL_REPO_ID: Final = "Helsinki-NLP/opus-mt-en-de"
MODEL_DIR: Final = MODELS_DIR / MODEL_REPO_ID
CT2_INT8_DIR: Final = WORK_DIR / "ct2-int8"
SENTENCES_PATH: Final = WORK_DIR / "sentences.json"
# The server's CTranslate2 backend converts models into MODEL_CACHE_DIR; keep that inside the scratch space.
SERVER_CACHE_DIR: Final = WORK_DIR / "model-cache"
LOGS_DIR: Final = WORK_DIR / "logs"
RESULTS_DIR: Final = REPO_ROOT / "bench" / "results"

# Every engine decodes exactly this many new tokens per sentence (EOS is suppressed in the weights), so
# that all of them do the same work whatever the random weights would prefer.
NEW_TOKENS: Final = 32
# Input length of the generated sentences, </s> included: a typical sentence of running text.
TARGET_INPUT_TOKENS: Final = 25
SENTENCE_COUNT: Final = 200
SOURCE_LANG: Final = "en"
TARGET_LANG: Final = "de"
