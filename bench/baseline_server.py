"""The baseline: a translation server in EasyNMT's style, on the benchmark model.

EasyNMT's REST server (2.0.x) ran one uvicorn worker whose `async def` route called the model synchronously:
each request's sentences were translated in one transformers `generate` call, on the event loop, so requests
ran strictly one after another and nothing was batched across requests. This reproduces that on the same
model and the same work as the benchmark's other engines (fp32, greedy for beam_size 1, exactly
--max-new-tokens tokens per sentence), with EasyNMT's request and response shapes:

    POST /translate {"text": str | [str], "target_lang", "source_lang", "beam_size", ...}
      -> {"target_lang", "source_lang", "translated", "translation_time"}

It does not split sentences (the benchmark sends one sentence per request) and adds GET /health for the
benchmark's start-up check. Run: python bench/baseline_server.py --model-dir DIR --port PORT.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
from transformers.utils import logging as transformers_logging


class TranslateBody(BaseModel):
    text: str | list[str]
    target_lang: str
    source_lang: str | None = None
    beam_size: int = 5
    perform_sentence_splitting: bool = True


def create_app(model_dir: Path, max_new_tokens: int, threads: int) -> FastAPI:
    torch.set_num_threads(threads)
    transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    tokenizer: Any = AutoTokenizer.from_pretrained(model_dir)
    model: Any = AutoModelForSeq2SeqLM.from_pretrained(model_dir)
    model.eval()

    def translate(texts: list[str], beam_size: int) -> list[str]:
        batch = tokenizer(texts, return_tensors="pt", padding=True)
        with torch.inference_mode():
            output = model.generate(
                **batch, num_beams=beam_size, max_new_tokens=max_new_tokens, forced_eos_token_id=None
            )
        return [text.strip() for text in tokenizer.batch_decode(output, skip_special_tokens=True)]

    app = FastAPI(title="EasyNMT-style baseline")

    @app.post("/translate")
    async def translate_route(body: TranslateBody) -> dict[str, Any]:
        # Deliberately blocking the event loop, as EasyNMT did: this is what serialises requests.
        started = time.perf_counter()
        texts = [body.text] if isinstance(body.text, str) else body.text
        translated = translate(texts, body.beam_size)
        return {
            "target_lang": body.target_lang,
            "source_lang": body.source_lang,
            "translated": translated[0] if isinstance(body.text, str) else translated,
            "translation_time": time.perf_counter() - started,
        }

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="EasyNMT-style baseline translation server.")
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    args = parser.parse_args(argv)
    app = create_app(args.model_dir, args.max_new_tokens, args.threads)
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
