"""CTranslate2 backend: the family's Hugging Face tokenizer + a CTranslate2 copy of the checkpoint.

CTranslate2 has its own model format, so the first load of a checkpoint converts its folder (from MODEL_DIR or
the hub cache) into

    MODEL_CACHE_DIR/ctranslate2/<org>--<name>--<fingerprint>/      model.bin, config.json, vocabulary,
                                                                   conversion-source.json (written last)

The fingerprint hashes the source files, so new weights get a new copy; every later load, in any process,
reuses the copy. Weights keep the checkpoint's own precision: CTranslate2 converts them to CT2_COMPUTE_TYPE
when it loads them, so one copy serves int8 on CPU and float16 on GPU alike.

A conversion takes seconds (Opus-MT) to minutes (mBART-50, M2M-100) and must happen once: threads of one
process wait on a lock per copy, gunicorn workers on a file lock beside it. The converter writes into a
`.partial-*` folder that is renamed into place only when complete, so a crash never leaves a copy that looks
usable; the next conversion of that model deletes such leftovers.

Languages are given the family's way (see `family_tokens`): the `>>xxx<<` token goes into the source tokens,
mBART-50's and M2M-100's target token is the decoder's `target_prefix`, and is dropped from the output.
"""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ctranslate2
from transformers import AutoConfig, AutoTokenizer

from mostlylucid_nmt.backends.base import GenerationOptions, ModelSpec, Translator
from mostlylucid_nmt.backends.family_tokens import (
    FamilyTokenizer,
    TokenizedTranslator,
    check_required_files,
    check_vocabulary,
)
from mostlylucid_nmt.backends.hf_logging import quiet_transformers
from mostlylucid_nmt.backends.hub import ModelLocator
from mostlylucid_nmt.backends.model_build import MODEL_BUILD_LOCK
from mostlylucid_nmt.errors import ModelUnavailable
from mostlylucid_nmt.settings import Settings

log = logging.getLogger(__name__)

quiet_transformers()

CONVERTED_SUBDIR = "ctranslate2"
# Written into a converted copy after everything else: a copy without it is not trusted.
SOURCE_RECORD = "conversion-source.json"
PARTIAL_PREFIX = ".partial-"
# Source files up to this size are fingerprinted by content (configs, vocabularies, SentencePiece models);
# larger ones (the weights) by size and modification time, since hashing gigabytes on every load is too slow.
_CONTENT_HASH_MAX_BYTES = 64 * 1024 * 1024

# One lock per converted copy, shared by every loader in the process (the files are process-wide too).
_conversion_locks: dict[Path, threading.Lock] = {}
_conversion_locks_guard = threading.Lock()


class CTranslate2Translator(TokenizedTranslator):
    """One loaded checkpoint. `translate` may be called from several threads at once."""

    def __init__(self, spec: ModelSpec, tokens: FamilyTokenizer, engine: Any, parallel: int = 1) -> None:
        super().__init__(spec, tokens)
        self._engine = engine
        self._parallel = max(1, parallel)

    def translate(
        self, texts: Sequence[str], source_lang: str, target_lang: str, options: GenerationOptions
    ) -> list[str]:
        if not texts:
            return []
        tokenizer = self._tokens.tokenizer
        ids: list[list[int]] = self._tokens.encode(texts, source_lang, target_lang)["input_ids"]
        source = [tokenizer.convert_ids_to_tokens(row) for row in ids]
        target_token = self._tokens.forced_target_token(target_lang)
        prefix = [[target_token] for _ in source] if target_token is not None else None
        results = self._engine.translate_batch(
            source,
            target_prefix=prefix,
            beam_size=options.beam_size,
            # CTranslate2 counts the target prefix as transformers counts the forced first token, and
            # neither counts the decoder start or returns </s>: the same budget gives the same text.
            max_decoding_length=self._tokens.new_token_budget(
                options.max_new_tokens, max(len(row) for row in source)
            ),
            # transformers lets a translation end at its first step (empty output); CTranslate2's default
            # of 1 would not, for Opus-MT.
            min_decoding_length=0,
            no_repeat_ngram_size=options.no_repeat_ngram_size,
            repetition_penalty=options.repetition_penalty,
            # Never truncate silently (the default cuts at 1024): inputs are split to max_input_tokens before
            # they get here, and a longer one fails loudly, as with transformers.
            max_input_length=0,
            # The scheduler's batch, cut into one part per CTranslate2 worker so that they run it together
            # (one thread each beats two threads on one part on CPU).
            max_batch_size=math.ceil(len(source) / self._parallel),
            return_scores=False,
        )
        # The prefix leads every hypothesis: drop it by position, whatever the tokenizer counts as special.
        skip = 1 if target_token is not None else 0
        return self._tokens.decode(
            [tokenizer.convert_tokens_to_ids(result.hypotheses[0][skip:]) for result in results]
        )

    def close(self) -> None:
        self._engine.unload_model()
        del self._engine
        del self._tokens
        gc.collect()


class CTranslate2Loader:
    """Loads checkpoints from MODEL_DIR or the hub, converted once, onto the configured device."""

    def __init__(self, settings: Settings, locator: ModelLocator) -> None:
        self._locator = locator
        self._converted = ConvertedModels(settings.model_cache_dir / CONVERTED_SUBDIR)
        self._device, self._device_index = _ctranslate2_device(settings.resolved_device)
        self._compute_type = settings.ct2_compute_type or "default"
        self._inter_threads = settings.ct2_inter_threads or 1
        self._intra_threads = settings.ct2_intra_threads or 0

    def is_available(self, spec: ModelSpec) -> bool:
        return self._locator.is_available(spec.repo_id)

    def load(self, spec: ModelSpec) -> Translator:
        folder = self._locator.resolve(spec.repo_id)
        check_required_files(spec, folder)
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder)
            config = AutoConfig.from_pretrained(folder)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.warning("loading %s from %s failed: %r", spec.repo_id, folder, exc)
            self._locator.discard_download(spec.repo_id)
            raise ModelUnavailable(f"model {spec.repo_id} could not be loaded (files damaged?)") from None
        check_vocabulary(spec, tokenizer, config)
        try:
            converted = self._converted.ensure(spec.repo_id, folder)
        except ModelUnavailable:
            self._locator.discard_download(spec.repo_id)
            raise
        try:
            engine = ctranslate2.Translator(
                str(converted),
                device=self._device,
                device_index=self._device_index,
                compute_type=self._compute_type,
                inter_threads=self._inter_threads,
                intra_threads=self._intra_threads,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            log.warning("CTranslate2 could not load %s from %s: %r", spec.repo_id, converted, exc)
            raise ModelUnavailable(
                f"model {spec.repo_id} could not be loaded by CTranslate2 with compute type "
                f"{self._compute_type} on {self._device}"
            ) from None
        log.info(
            "loaded %s on %s:%d (CTranslate2, %s)",
            spec.repo_id,
            self._device,
            self._device_index,
            self._compute_type,
        )
        return CTranslate2Translator(
            spec, FamilyTokenizer(spec, tokenizer, config), engine, self._inter_threads
        )


class ConvertedModels:
    """CTranslate2 copies of checkpoints under one folder, each converted once (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def path_for(self, repo_id: str, source: Path) -> Path:
        """Where the copy of `source` lives: `<org>--<name>--<fingerprint of the source files>`."""
        return self._root / f"{repo_id.replace('/', '--')}--{source_fingerprint(source)}"

    def ensure(self, repo_id: str, source: Path) -> Path:
        """The converted copy of `source`, converting it first if no process has yet. Blocking."""
        target = self.path_for(repo_id, source)
        if is_converted(target):
            return target
        with _process_lock(target), _file_lock(target.with_name(target.name + ".lock"), repo_id):
            # Another thread or worker may have finished while this one waited.
            if is_converted(target):
                return target
            self._discard_leftovers(target)
            self._convert(repo_id, source, target)
        return target

    def _discard_leftovers(self, target: Path) -> None:
        # Whoever wrote these held the lock we hold now, so they are dead: crashed or killed mid-conversion.
        for leftover in self._root.glob(f"{PARTIAL_PREFIX}{target.name}-*"):
            log.warning("removing an interrupted conversion: %s", leftover)
            shutil.rmtree(leftover, ignore_errors=True)
        if target.exists():
            log.warning("removing an incomplete converted model: %s", target)
            shutil.rmtree(target, ignore_errors=True)

    def _convert(self, repo_id: str, source: Path, target: Path) -> None:
        log.info("converting %s to CTranslate2 into %s", repo_id, target)
        started = time.monotonic()
        partial = Path(tempfile.mkdtemp(prefix=f"{PARTIAL_PREFIX}{target.name}-", dir=self._root))
        try:
            convert_checkpoint(source, partial)
            record = {"repo_id": repo_id, "source": str(source), "ctranslate2": ctranslate2.__version__}
            (partial / SOURCE_RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
            _flush_to_disk(partial)
            partial.rename(target)
            _fsync_directory(self._root)
        except Exception:
            # The converter fails in many ways (unsupported architecture, damaged weights, full disk): all
            # mean this model cannot be served; the details go to the log.
            log.exception("converting %s from %s to CTranslate2 failed", repo_id, source)
            shutil.rmtree(partial, ignore_errors=True)
            raise ModelUnavailable(
                f"model {repo_id} could not be converted to CTranslate2 (see the server log)"
            ) from None
        finally:
            gc.collect()  # the converter held a full torch copy of the weights
        log.info("converted %s in %.1f s", repo_id, time.monotonic() - started)


def convert_checkpoint(source: Path, output: Path) -> None:
    """Convert a Hugging Face checkpoint folder into `output` (replaced), weights in their own precision."""
    # quantization=None keeps the checkpoint's dtype; CTranslate2 quantizes at load time to the compute type.
    # force: `output` is the empty folder made for this conversion, which the converter would refuse.
    converter = ctranslate2.converters.TransformersConverter(str(source))
    with MODEL_BUILD_LOCK:  # the converter builds the transformers model first
        converter.convert(str(output), quantization=None, force=True)


def is_converted(path: Path) -> bool:
    return (path / SOURCE_RECORD).is_file() and bool(ctranslate2.contains_model(str(path)))


def source_fingerprint(source: Path) -> str:
    """A short hash that changes when any file of the checkpoint (or the CTranslate2 version) changes."""
    digest = hashlib.sha256(f"ctranslate2=={ctranslate2.__version__}\n".encode())
    for path in sorted(source.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0".encode())
        if stat.st_size <= _CONTENT_HASH_MAX_BYTES:
            digest.update(path.read_bytes())
        else:
            # In the hub cache the file is a link to a blob named by its content hash: the best identity.
            digest.update(f"{path.resolve().name}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:16]


def _ctranslate2_device(resolved_device: str) -> tuple[str, int]:
    """`cuda:1` -> ("cuda", 1); CTranslate2 takes the device kind and index separately."""
    kind, _, index = resolved_device.partition(":")
    return kind, int(index or 0)


@contextmanager
def _process_lock(target: Path) -> Iterator[None]:
    with _conversion_locks_guard:
        lock = _conversion_locks.setdefault(target, threading.Lock())
    with lock:
        yield


@contextmanager
def _file_lock(path: Path, repo_id: str) -> Iterator[None]:
    """An exclusive lock shared with other processes (gunicorn workers), released if the holder dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Lock files stay: deleting one while another process waits on it would let a third one in.
    with path.open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another process to finish converting %s", repo_id)
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _flush_to_disk(folder: Path) -> None:
    """fsync every file, so that the rename below never publishes a copy whose data is still in memory."""
    for path in folder.iterdir():
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
    _fsync_directory(folder)


def _fsync_directory(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
