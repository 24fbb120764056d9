"""Build the benchmark's Opus-MT-shaped model offline, in the exact Hugging Face Marian layout.

    bench/.work/models/Helsinki-NLP/opus-mt-en-de/   config.json, generation_config.json, model.safetensors,
                                                     source.spm, target.spm, vocab.json, tokenizer_config.json
    bench/.work/ct2-int8/                            the same weights converted by CTranslate2 to int8
    bench/.work/sentences.json                       the test sentences with their token counts

The shape is Opus-MT's (d_model 512, 6+6 layers, 8 heads, FFN 2048, 58,101-token vocabulary), so every engine
does the work a real Opus-MT model does; the weights are random (seeded), which decodes at the same speed as
trained ones. `</s>` gets a final-logits bias of -10^4, so no engine ever stops early: with any budget of N
new tokens, every sentence decodes exactly N. The SentencePiece model is the test fixtures' (trained on
tests/fixtures/spm_corpus.txt); the vocabulary is padded with filler pieces to Opus-MT's size, since the
58k-row output projection is over half of the decoder's work.

Everything is rebuilt only when a stamp (hash of the builder, corpus and library versions) changes.
Run as `python -m bench.model` (prints the paths) or through `python -m bench`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import sentencepiece as spm
import torch
from tests.make_test_models import (
    CORPUS_PATH,
    GENERATION_TRANSFORMERS_VERSION,
    marian_configs,
    quiet_transformers,
    train_sentencepiece,
)
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, MarianConfig

from bench import workspace
from bench.sentences import generate_sentences

D_MODEL: Final = 512
LAYERS: Final = 6
HEADS: Final = 8
FFN_DIM: Final = 2048
VOCAB_SIZE: Final = 58_101  # Helsinki-NLP/opus-mt-en-de's, <pad> included
MAX_POSITIONS: Final = 512
SEED: Final = 58101
# Large enough that </s> never wins, small enough for float16 (max 65504) on GPU.
EOS_LOGIT_BIAS: Final = -1.0e4
EOS_ID: Final = 0
UNK_ID: Final = 1
PAD_ID: Final = VOCAB_SIZE - 1
STAMP_NAME: Final = ".bench-stamp"  # a dotfile: the server's CTranslate2 fingerprint skips those

_STAMP_SOURCES: Final = (
    Path(__file__),
    Path(__file__).with_name("sentences.py"),
    Path(__file__).with_name("workspace.py"),
    CORPUS_PATH,
    workspace.REPO_ROOT / "tests" / "make_test_models.py",
)


class BuildError(RuntimeError):
    """The built model does not behave as the benchmark relies on."""


def _stamp(extra: Sequence[str] = ()) -> str:
    digest = hashlib.sha256()
    for source in _STAMP_SOURCES:
        digest.update(source.read_bytes())
    for package in ("torch", "transformers", "sentencepiece", "safetensors", *extra):
        digest.update(f"{package}=={metadata.version(package)}\n".encode())
    return digest.hexdigest()


def _is_current(folder: Path, stamp: str) -> bool:
    stamp_file = folder / STAMP_NAME
    return stamp_file.is_file() and stamp_file.read_text(encoding="utf-8").strip() == stamp


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _vocabulary(sp_model: bytes) -> dict[str, int]:
    """Opus-MT order: </s>, <unk>, the SentencePiece pieces, filler pieces up to the real size, <pad> last."""
    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    vocab: dict[str, int] = {"</s>": EOS_ID, "<unk>": UNK_ID}
    for index in range(processor.get_piece_size()):
        if not (processor.is_control(index) or processor.is_unknown(index)):
            vocab.setdefault(processor.id_to_piece(index), len(vocab))
    # Fillers are never produced by the tokenizer but are real rows of the embedding and output projection,
    # which is what costs time. Spaces are not allowed in them (CTranslate2's vocabulary is one per line).
    filler = 0
    while len(vocab) < PAD_ID:
        vocab.setdefault(f"▁filler{filler:05d}", len(vocab))
        filler += 1
    vocab["<pad>"] = PAD_ID
    return vocab


def _configs() -> tuple[dict[str, Any], dict[str, Any]]:
    # The fixtures' Opus-MT config (as Helsinki-NLP/opus-mt-en-de ships it), at Opus-MT's real size.
    return marian_configs(
        workspace.MODEL_REPO_ID,
        d_model=D_MODEL,
        heads=HEADS,
        ffn_dim=FFN_DIM,
        layers=LAYERS,
        vocab_size=VOCAB_SIZE,
        pad_id=PAD_ID,
        max_positions=MAX_POSITIONS,
    )


def _write_weights(out: Path) -> None:
    torch.manual_seed(SEED)
    model: Any = AutoModelForSeq2SeqLM.from_config(MarianConfig.from_pretrained(out))  # type: ignore[no-untyped-call]
    with torch.no_grad():
        model.final_logits_bias[0, EOS_ID] = EOS_LOGIT_BIAS
    with tempfile.TemporaryDirectory() as scratch:
        # save_pretrained writes the tensor names and tied-weight layout transformers expects; its JSON files
        # are dropped for the hand-written ones in the hub's style.
        model.save_pretrained(scratch)
        (out / "model.safetensors").write_bytes((Path(scratch) / "model.safetensors").read_bytes())


def _verify(out: Path) -> None:
    """Load the model the way the service does; every output must be exactly NEW_TOKENS long."""
    tokenizer = AutoTokenizer.from_pretrained(out)
    if type(tokenizer).__name__ != "MarianTokenizer" or len(tokenizer) != VOCAB_SIZE:
        raise BuildError(f"tokenizer {type(tokenizer).__name__} with {len(tokenizer)} tokens")
    model = AutoModelForSeq2SeqLM.from_pretrained(out)
    model.eval()
    if float(model.final_logits_bias[0, EOS_ID]) != EOS_LOGIT_BIAS:
        raise BuildError("final_logits_bias did not survive save/load: outputs would stop early")
    batch = tokenizer(
        ["The weather is lovely today.", "Please send me the report."], return_tensors="pt", padding=True
    )
    with torch.inference_mode():
        # No min_new_tokens here: the bias alone must keep </s> out, as in the server, which sets no minimum.
        output = model.generate(
            **batch, num_beams=1, max_new_tokens=workspace.NEW_TOKENS, forced_eos_token_id=None
        )
    new = output[:, 1:]
    if new.shape[1] != workspace.NEW_TOKENS or bool((new == EOS_ID).any()):
        raise BuildError(f"expected {workspace.NEW_TOKENS} new tokens without </s>, got {new.tolist()}")


def _write_sentences(out: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(out)

    def count(texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in tokenizer(list(texts))["input_ids"]]

    pairs = generate_sentences(workspace.SENTENCE_COUNT, workspace.TARGET_INPUT_TOKENS, count)
    _write_json(workspace.SENTENCES_PATH, [{"text": text, "tokens": tokens} for text, tokens in pairs])


def build_model(out: Path = workspace.MODEL_DIR) -> bool:
    """Build the model and sentences unless the stamp says they are current; True if it built."""
    stamp = _stamp()
    if _is_current(out, stamp) and workspace.SENTENCES_PATH.is_file():
        return False
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.iterdir():
        stale.unlink()
    # The server's CTranslate2 copies of an older model (~300 MB each) would only pile up.
    shutil.rmtree(workspace.SERVER_CACHE_DIR, ignore_errors=True)
    sp_model = train_sentencepiece()
    vocab = _vocabulary(sp_model)
    if len(vocab) != VOCAB_SIZE:
        raise BuildError(f"vocabulary has {len(vocab)} entries, expected {VOCAB_SIZE}")
    (out / "source.spm").write_bytes(sp_model)
    (out / "target.spm").write_bytes(sp_model)
    _write_json(out / "vocab.json", vocab)
    _write_json(out / "tokenizer_config.json", {"source_lang": "en", "target_lang": "de"})
    config, generation = _configs()
    _write_json(out / "config.json", config)
    _write_json(
        out / "generation_config.json",
        {**generation, "transformers_version": GENERATION_TRANSFORMERS_VERSION},
    )
    with quiet_transformers():
        _write_weights(out)
        _verify(out)
        _write_sentences(out)
    # Written last: an interrupted build never looks current.
    (out / STAMP_NAME).write_text(stamp + "\n", encoding="utf-8")
    return True


def convert_ct2_int8(model_dir: Path = workspace.MODEL_DIR, out: Path = workspace.CT2_INT8_DIR) -> bool:
    """Convert the model for CTranslate2 with int8 weights unless already current; True if it converted."""
    import ctranslate2  # only the CPU benchmark needs it; the GPU script converts on its own

    stamp = _stamp(("ctranslate2",)) + (model_dir / STAMP_NAME).read_text(encoding="utf-8").strip()
    if _is_current(out, stamp):
        return False
    converter = ctranslate2.converters.TransformersConverter(str(model_dir), low_cpu_mem_usage=True)
    with quiet_transformers():
        converter.convert(str(out), quantization="int8", force=True)
    (out / STAMP_NAME).write_text(stamp + "\n", encoding="utf-8")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the benchmark's Opus-MT-shaped model (offline).")
    parser.add_argument("--no-ct2", action="store_true", help="skip the CTranslate2 int8 conversion")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        built = build_model()
        converted = False if args.no_ct2 else convert_ct2_int8()
    except BuildError as error:
        print(f"bench model: {error}", file=sys.stderr)
        return 1
    what = "built" if built else "reused"
    ct2 = (
        "" if args.no_ct2 else (", CTranslate2 int8 converted" if converted else ", CTranslate2 int8 reused")
    )
    print(f"bench model {what} at {workspace.MODEL_DIR}{ct2} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
