"""transformers fp16 against CTranslate2 float16 on one CUDA GPU, on the benchmark's Opus-MT-shaped model.

The Python half of bench/gpu.sh (which finds a Python with CUDA torch and the packages first). Both engines
translate the same batches of the same sentences, greedy, exactly NEW_TOKENS new tokens per sentence; a
call is the whole translation (tokenise, decode, detokenise), timed once the GPU has finished it.

Each engine runs in a child process, so that one that crashes (a CUDA library mismatch can kill the process)
still leaves the other's numbers. CTranslate2 4.x wheels are built for CUDA 12 and load libcublas.so.12:
its directory is put on the child's loader path when a wheel such as nvidia-cublas-cu12 provides it; on a
CUDA 13 machine without it, a second attempt links libcublas.so.12 to the CUDA 13 library (experimental,
and labelled so in the table).

`--device cpu` runs the same code path on the CPU (transformers fp32, CTranslate2 int8, since neither does
float16 there) to check the script where no GPU is at hand; its numbers mean nothing for a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Final

from bench import workspace
from bench.model import STAMP_NAME, build_model

CT2_GPU_DIR: Final = workspace.WORK_DIR / "ct2-gpu"
CUBLAS_SHIM_DIR: Final = workspace.WORK_DIR / "cublas12-shim"
_CHILD_TIMEOUT_S: Final = 150

Translate = Callable[[Sequence[str]], list[int]]  # returns the number of new tokens of each output


@dataclass
class Measurement:
    engine: str
    batch_size: int
    call_seconds: list[float] = field(default_factory=list)
    error: str = ""

    @property
    def sentences_per_s(self) -> float | None:
        return self.batch_size / statistics.median(self.call_seconds) if self.call_seconds else None


# ------------------------------------------------------------------------------------------ the engines


def _quiet_transformers() -> None:
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]


def _transformers(device: str) -> tuple[str, Translate]:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    dtype = torch.float16 if device == "cuda" else torch.float32
    tokenizer: Any = AutoTokenizer.from_pretrained(workspace.MODEL_DIR)
    model = AutoModelForSeq2SeqLM.from_pretrained(workspace.MODEL_DIR).to(device=device, dtype=dtype)
    model.eval()

    def translate(texts: Sequence[str]) -> list[int]:
        batch = tokenizer(list(texts), return_tensors="pt", padding=True).to(device)
        with torch.inference_mode():
            output = model.generate(
                **batch,
                num_beams=1,
                do_sample=False,
                max_new_tokens=workspace.NEW_TOKENS,
                min_new_tokens=workspace.NEW_TOKENS,
                forced_eos_token_id=None,
            )
        tokenizer.batch_decode(output, skip_special_tokens=True)  # part of the work, result unused
        if device == "cuda":
            torch.cuda.synchronize()
        return [int(output.shape[1]) - 1] * len(texts)  # minus the decoder start token

    return f"transformers {'fp16' if device == 'cuda' else 'fp32'}", translate


def _ctranslate2(device: str) -> tuple[str, Translate]:
    import ctranslate2
    from transformers import AutoTokenizer

    if device == "cuda" and ctranslate2.get_cuda_device_count() < 1:
        raise RuntimeError("this CTranslate2 build sees no CUDA device (CPU-only wheel, or driver too old)")
    compute_type = "float16" if device == "cuda" else "int8"
    model_stamp = (workspace.MODEL_DIR / STAMP_NAME).read_text(encoding="utf-8")
    ct2_stamp = CT2_GPU_DIR / STAMP_NAME
    if not ct2_stamp.is_file() or ct2_stamp.read_text(encoding="utf-8") != model_stamp:
        # Weights kept in their own precision: CTranslate2 converts them to compute_type when loading.
        converter = ctranslate2.converters.TransformersConverter(str(workspace.MODEL_DIR))
        converter.convert(str(CT2_GPU_DIR), force=True)
        ct2_stamp.write_text(model_stamp, encoding="utf-8")
    tokenizer: Any = AutoTokenizer.from_pretrained(workspace.MODEL_DIR)
    translator = ctranslate2.Translator(str(CT2_GPU_DIR), device=device, compute_type=compute_type)

    def translate(texts: Sequence[str]) -> list[int]:
        ids: list[list[int]] = tokenizer(list(texts))["input_ids"]
        results = translator.translate_batch(
            [tokenizer.convert_ids_to_tokens(row) for row in ids],
            beam_size=1,
            max_decoding_length=workspace.NEW_TOKENS,
            min_decoding_length=workspace.NEW_TOKENS,
            max_batch_size=0,
        )
        hypotheses = [result.hypotheses[0] for result in results]
        tokenizer.batch_decode(
            [tokenizer.convert_tokens_to_ids(hypothesis) for hypothesis in hypotheses],
            skip_special_tokens=True,
        )
        return [len(hypothesis) for hypothesis in hypotheses]

    return f"CTranslate2 {compute_type}", translate


_ENGINES: Final = {"transformers": _transformers, "ctranslate2": _ctranslate2}


def measure(
    name: str, translate: Translate, sentences: Sequence[str], batch_size: int, warmups: int, passes: int
) -> Measurement:
    batches = [
        [sentences[(start + offset) % len(sentences)] for offset in range(batch_size)]
        for start in range(0, batch_size * (warmups + passes), batch_size)
    ]
    for batch in batches[:warmups]:
        translate(batch)
    timings = []
    for batch in batches[warmups:]:
        started = time.perf_counter()
        lengths = translate(batch)
        timings.append(time.perf_counter() - started)
        if set(lengths) != {workspace.NEW_TOKENS}:
            return Measurement(
                name, batch_size, [], f"decoded {sorted(set(lengths))} tokens, not {workspace.NEW_TOKENS}"
            )
    return Measurement(name, batch_size, timings)


def child(engine: str, device: str, batch_size: int, warmups: int, passes: int, out: Path) -> int:
    """Measure one engine in this process and write the Measurement as JSON."""
    _quiet_transformers()
    sentences = [
        str(item["text"]) for item in json.loads(workspace.SENTENCES_PATH.read_text(encoding="utf-8"))
    ]
    name, translate = _ENGINES[engine](device)
    result = measure(name, translate, sentences, batch_size, warmups, passes)
    out.write_text(json.dumps(asdict(result)) + "\n", encoding="utf-8")
    return 0


# ------------------------------------------------------------------------------------- CUDA libraries


def _library_dirs(filename: str) -> list[str]:
    """Folders holding `filename` in pip's NVIDIA wheels (site-packages/nvidia/*/lib) or the system's."""
    found: set[str] = set()
    for entry in sys.path:
        root = Path(entry) / "nvidia"
        if entry and root.is_dir():
            found.update(str(path.parent) for path in root.glob(f"*/lib/{filename}"))
    try:
        listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=False).stdout
    except OSError:
        listing = ""
    for line in listing.splitlines():
        if line.strip().startswith(filename + " ") and "=>" in line:
            found.add(str(Path(line.split("=>", 1)[1].strip()).parent))
    return sorted(found)


def _cublas12_shim() -> Path | None:
    """A folder where libcublas(Lt).so.12 link to the CUDA 13 libraries, or None if those are not here."""
    links = {}
    for name in ("libcublas", "libcublasLt"):
        dirs = _library_dirs(f"{name}.so.13")
        if not dirs:
            return None
        links[f"{name}.so.12"] = Path(dirs[0]) / f"{name}.so.13"
    CUBLAS_SHIM_DIR.mkdir(parents=True, exist_ok=True)
    for link, target in links.items():
        path = CUBLAS_SHIM_DIR / link
        path.unlink(missing_ok=True)
        path.symlink_to(target)
    return CUBLAS_SHIM_DIR


def _label(engine: str, device: str) -> str:
    if engine == "transformers":
        return "transformers fp16" if device == "cuda" else "transformers fp32"
    return "CTranslate2 float16" if device == "cuda" else "CTranslate2 int8"


def _run_child(engine: str, args: argparse.Namespace, library_dirs: Sequence[str]) -> Measurement:
    out = workspace.WORK_DIR / f"gpu-{engine}.json"
    out.unlink(missing_ok=True)
    env = dict(os.environ)
    if library_dirs:
        env["LD_LIBRARY_PATH"] = ":".join([*library_dirs, env.get("LD_LIBRARY_PATH", "")]).rstrip(":")
    command = [sys.executable, "-m", "bench.gpu_compare", "--engine", engine, "--device", args.device]
    command += ["--batch", str(args.batch), "--warmups", str(args.warmups), "--passes", str(args.passes)]
    command += ["--json", str(out)]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=_CHILD_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return Measurement(
            _label(engine, args.device), args.batch, error=f"no result within {_CHILD_TIMEOUT_S} s"
        )
    if done.returncode != 0 or not out.is_file():
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        return Measurement(
            _label(engine, args.device), args.batch, error=f"{reason} (exit status {done.returncode})"
        )
    return Measurement(**json.loads(out.read_text(encoding="utf-8")))


# ------------------------------------------------------------------------------------------- the report


def _device_name(device: str) -> str:
    if device != "cuda":
        return "CPU (dry run: numbers are not GPU numbers)"
    import torch

    return str(torch.cuda.get_device_name(0))


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def markdown(device: str, measurements: Sequence[Measurement], passes: int) -> str:
    lines = [
        f"# GPU comparison {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "",
        f"Device: {_device_name(device)}. torch {_version('torch')}, transformers {_version('transformers')}, "
        f"ctranslate2 {_version('ctranslate2')}.",
        "Model: Opus-MT-shaped (d_model 512, 6+6 layers, 58,101-token vocabulary, random weights), "
        f"{workspace.TARGET_INPUT_TOKENS}±1 tokens in, exactly {workspace.NEW_TOKENS} out, greedy. Median of "
        f"{passes} timed calls after warm-up; a call includes tokenising and detokenising.",
        "",
        "| engine | batch | sentences/s | generated tokens/s | ms per call |",
        "|---|---:|---:|---:|---:|",
    ]
    for item in measurements:
        rate = item.sentences_per_s
        if rate is None:
            lines.append(f"| {item.engine} | {item.batch_size} | – | – | failed: {item.error} |")
            continue
        call_ms = statistics.median(item.call_seconds) * 1000
        lines.append(
            f"| {item.engine} | {item.batch_size} | {rate:.0f} | {rate * workspace.NEW_TOKENS:.0f} | {call_ms:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="transformers fp16 vs CTranslate2 float16 on one GPU.")
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--passes", type=int, default=10)
    parser.add_argument("--out", type=Path, help="Markdown file (default bench/results/gpu-<timestamp>.md)")
    parser.add_argument("--engine", choices=sorted(_ENGINES), help=argparse.SUPPRESS)  # child mode
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)  # child mode: where the result goes
    args = parser.parse_args(argv)
    if args.engine:
        return child(args.engine, args.device, args.batch, args.warmups, args.passes, args.json)

    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            print(
                f"gpu_compare: torch {torch.__version__} sees no CUDA GPU (built for CUDA {torch.version.cuda}); "
                "run bench/gpu.sh on the GPU machine, or --device cpu for a dry run",
                file=sys.stderr,
            )
            return 2
    started = time.perf_counter()
    _quiet_transformers()
    build_model()
    print(f"gpu_compare: model ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    measurements = [_run_child("transformers", args, [])]
    print(f"gpu_compare: {measurements[-1].engine} done {measurements[-1].error}", file=sys.stderr)
    cublas12 = _library_dirs("libcublas.so.12") if args.device == "cuda" else []
    ct2 = _run_child("ctranslate2", args, cublas12)
    if args.device == "cuda" and ct2.error and not cublas12:
        shim = _cublas12_shim()
        if shim is not None:
            print(
                f"gpu_compare: CTranslate2 failed ({ct2.error}); retrying with CUDA 13's cuBLAS",
                file=sys.stderr,
            )
            ct2 = _run_child("ctranslate2", args, [str(shim)])
            ct2.engine += " (cuBLAS 13 linked as .so.12: experimental)"
    measurements.append(ct2)
    print(f"gpu_compare: {ct2.engine} done {ct2.error}", file=sys.stderr)

    text = markdown(args.device, measurements, args.passes)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    default_dir = workspace.RESULTS_DIR if args.device == "cuda" else workspace.WORK_DIR / "results"
    out: Path = args.out or default_dir / f"gpu-{stamp}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text, flush=True)
    print(f"gpu_compare: wrote {out}", file=sys.stderr)
    return 0 if all(item.call_seconds for item in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
