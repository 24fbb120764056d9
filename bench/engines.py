"""The raw engines, in-process and tuned, on the benchmark model: what the server could at best deliver.

Run in a child process per engine (`python -m bench.engines --engine ctranslate2 --out result.json`), so that
each engine's threads and memory are its own and the load generator never imports torch. A call is the
whole translation of a batch: tokenise, decode exactly NEW_TOKENS tokens greedily, detokenise; the same
steps the server runs for a batch.

- transformers fp32: torch.inference_mode, torch.set_num_threads(threads), greedy, min = max new tokens.
- CTranslate2 int8: the int8 conversion, intra_threads=threads, inter_threads=1, beam 1, min = max
  decoding length.

For each batch size: warm-up calls, then timed passes; a pass's rate is sentences / seconds.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import workspace

Translate = Callable[[Sequence[str]], list[str]]


class EngineError(RuntimeError):
    """An engine did not decode exactly NEW_TOKENS tokens: its timings would not compare."""


@dataclass
class BatchTiming:
    batch_size: int
    pass_rates: list[float] = field(default_factory=list)  # sentences per second, one per timed pass
    call_seconds: list[float] = field(default_factory=list)  # every timed call


@dataclass
class EngineResult:
    engine: str
    threads: int
    load_s: float
    peak_rss_mb: float
    new_tokens: int
    sample_source: str
    sample_translation: str
    batches: list[BatchTiming]


def _load_transformers(model_dir: Path, threads: int, device: str) -> Translate:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    torch.set_num_threads(threads)
    tokenizer: Any = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir).to(device)
    model.eval()

    def translate(texts: Sequence[str]) -> list[str]:
        batch = tokenizer(list(texts), return_tensors="pt", padding=True).to(device)
        with torch.inference_mode():
            output = model.generate(
                **batch,
                num_beams=1,
                do_sample=False,
                max_new_tokens=workspace.NEW_TOKENS,
                min_new_tokens=workspace.NEW_TOKENS,
                # As the server's backend: no </s> forced in place of the last token.
                forced_eos_token_id=None,
            )
        if output.shape[1] - 1 != workspace.NEW_TOKENS:  # minus the decoder start token
            raise EngineError(f"transformers decoded {output.shape[1] - 1} tokens")
        return [text.strip() for text in tokenizer.batch_decode(output, skip_special_tokens=True)]

    return translate


def _load_ctranslate2(model_dir: Path, ct2_dir: Path, threads: int, device: str) -> Translate:
    import ctranslate2
    from transformers import AutoTokenizer

    tokenizer: Any = AutoTokenizer.from_pretrained(model_dir)
    translator = ctranslate2.Translator(
        str(ct2_dir), device=device, compute_type="int8", inter_threads=1, intra_threads=threads
    )

    def translate(texts: Sequence[str]) -> list[str]:
        ids: list[list[int]] = tokenizer(list(texts))["input_ids"]
        results = translator.translate_batch(
            [tokenizer.convert_ids_to_tokens(row) for row in ids],
            beam_size=1,
            max_decoding_length=workspace.NEW_TOKENS,
            min_decoding_length=workspace.NEW_TOKENS,
            return_scores=False,
        )
        hypotheses = [result.hypotheses[0] for result in results]
        lengths = {len(hypothesis) for hypothesis in hypotheses}
        if lengths != {workspace.NEW_TOKENS}:
            raise EngineError(f"CTranslate2 decoded {sorted(lengths)} tokens")
        decoded = tokenizer.batch_decode(
            [tokenizer.convert_tokens_to_ids(hypothesis) for hypothesis in hypotheses],
            skip_special_tokens=True,
        )
        return [text.strip() for text in decoded]

    return translate


def measure(
    translate: Translate,
    sentences: Sequence[str],
    batch_sizes: Sequence[int],
    passes: int,
    calls_at_batch_1: int,
) -> list[BatchTiming]:
    """Warm up, then time `passes` passes per batch size; sentences rotate so no two calls repeat."""
    timings: list[BatchTiming] = []
    cursor = 0

    def next_batch(size: int) -> list[str]:
        nonlocal cursor
        batch = [sentences[(cursor + offset) % len(sentences)] for offset in range(size)]
        cursor += size
        return batch

    for size in batch_sizes:
        timing = BatchTiming(size)
        # One batch-1 call is a fraction of a second: several per pass give a latency distribution.
        calls_per_pass = calls_at_batch_1 if size == 1 else 1
        for _ in range(max(1, calls_per_pass // 2)):  # warm-up: allocators, caches, lazy init
            translate(next_batch(size))
        for _ in range(passes):
            pass_started = time.perf_counter()
            for _ in range(calls_per_pass):
                started = time.perf_counter()
                translate(next_batch(size))
                timing.call_seconds.append(time.perf_counter() - started)
            timing.pass_rates.append(size * calls_per_pass / (time.perf_counter() - pass_started))
        timings.append(timing)
    return timings


def run_engine(
    engine: str, batch_sizes: Sequence[int], passes: int, calls_at_batch_1: int, threads: int, device: str
) -> EngineResult:
    records: list[dict[str, Any]] = json.loads(workspace.SENTENCES_PATH.read_text(encoding="utf-8"))
    sentences = [str(record["text"]) for record in records]
    started = time.perf_counter()
    if engine == "transformers":
        translate = _load_transformers(workspace.MODEL_DIR, threads, device)
    else:
        translate = _load_ctranslate2(workspace.MODEL_DIR, workspace.CT2_INT8_DIR, threads, device)
    load_s = time.perf_counter() - started
    sample = translate(sentences[:1])[0]  # also the first call, which pays for lazy initialisation
    batches = measure(translate, sentences, batch_sizes, passes, calls_at_batch_1)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return EngineResult(
        engine, threads, load_s, peak_kib / 1024, workspace.NEW_TOKENS, sentences[0], sample, batches
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time one raw engine on the benchmark model.")
    parser.add_argument("--engine", choices=("transformers", "ctranslate2"), required=True)
    parser.add_argument("--batches", default="1,8,16,32", help="comma-separated batch sizes")
    parser.add_argument("--passes", type=int, default=3, help="timed passes per batch size")
    parser.add_argument("--calls-at-batch-1", type=int, default=4, help="calls per pass at batch size 1")
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the result")
    args = parser.parse_args(argv)
    batch_sizes = [int(size) for size in args.batches.split(",") if size.strip()]
    # transformers logs a notice per generate call (max_new_tokens overrides the config's max_length).
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        result = run_engine(args.engine, batch_sizes, args.passes, args.calls_at_batch_1, args.threads, "cpu")
    except EngineError as error:
        print(f"bench engines: {error}", file=sys.stderr)
        return 1
    args.out.write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
