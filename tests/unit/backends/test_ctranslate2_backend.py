"""The CTranslate2 backend on the tiny real-format fixture models: conversion, its cache and locks, languages.

The fixture weights are random, so outputs are not translations. What is checked: every family converts
offline; a checkpoint is converted once per cache (across loaders, threads and processes), and an interrupted
conversion never leaves a copy that loads; greedy CTranslate2 output equals the transformers backend's,
string for string; each family's target language is really applied and never leaks into the text.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ctranslate2
import pytest
from transformers import AutoConfig, AutoTokenizer

from mostlylucid_nmt.backends import ctranslate2_backend
from mostlylucid_nmt.backends.base import GenerationOptions, ModelSpec, Translator
from mostlylucid_nmt.backends.ctranslate2_backend import (
    PARTIAL_PREFIX,
    SOURCE_RECORD,
    ConvertedModels,
    CTranslate2Loader,
    CTranslate2Translator,
    is_converted,
)
from mostlylucid_nmt.backends.family_tokens import FamilyTokenizer
from mostlylucid_nmt.backends.hub import ModelLocator
from mostlylucid_nmt.backends.transformers_backend import TransformersLoader
from mostlylucid_nmt.errors import ModelUnavailable, UnsupportedLanguage
from mostlylucid_nmt.settings import ModelFamily, Settings, load_settings
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

OPUS = ModelSpec(ModelFamily.OPUS_MT, "Helsinki-NLP/opus-mt-en-de")
OPUS_REVERSE = ModelSpec(ModelFamily.OPUS_MT, "Helsinki-NLP/opus-mt-de-en")
OPUS_MULTI = ModelSpec(ModelFamily.OPUS_MT, "Helsinki-NLP/opus-mt-en-roa", multi_target=True)
MBART = ModelSpec(ModelFamily.MBART50, "facebook/mbart-large-50-many-to-many-mmt")
M2M = ModelSpec(ModelFamily.M2M100, "facebook/m2m100_418M")
SPECS = [OPUS, OPUS_REVERSE, OPUS_MULTI, MBART, M2M]

EN = [
    "Where is the train station?",
    "My sister works in a small bakery near the river.",
    "Hello",
    "The weather is nice today, and we will walk along the old canal after lunch.",
]
DE = ["Wo ist der Bahnhof?", "Meine Schwester arbeitet in einer kleinen Bäckerei am Fluss.", "Guten Morgen"]
GREEDY = GenerationOptions(beam_size=1, max_new_tokens=64)


@dataclass(frozen=True)
class Direction:
    spec: ModelSpec
    source: str
    target: str

    @property
    def texts(self) -> list[str]:
        return DE if self.source == "de" else EN

    def __str__(self) -> str:
        return f"{self.spec.repo_id}:{self.source}-{self.target}"


DIRECTIONS = [
    Direction(OPUS, "en", "de"),
    Direction(OPUS_REVERSE, "de", "en"),
    Direction(OPUS_MULTI, "en", "fr"),
    Direction(OPUS_MULTI, "en", "es"),
    Direction(MBART, "en", "de"),
    Direction(MBART, "en", "fr"),
    Direction(MBART, "de", "th"),
    Direction(M2M, "en", "zu"),
    Direction(M2M, "de", "en"),
]


def make_settings(models_dir: Path, cache_dir: Path, **env: str) -> Settings:
    return load_settings(
        {
            "MODEL_DIR": str(models_dir),
            "MODEL_CACHE_DIR": str(cache_dir),
            "HF_HUB_OFFLINE": "1",
            "DEVICE": "cpu",
            # float32 so that outputs can be compared with transformers token for token.
            "CT2_COMPUTE_TYPE": "float32",
            "CT2_INTRA_THREADS": "1",
            **env,
        }
    )


def make_loader(models_dir: Path, cache_dir: Path, **env: str) -> CTranslate2Loader:
    settings = make_settings(models_dir, cache_dir, **env)
    return CTranslate2Loader(
        settings, ModelLocator(settings.model_dir, settings.model_cache_dir, offline=True)
    )


def converted_dirs(cache_dir: Path) -> list[Path]:
    """Converted copies in a cache, whether complete or not; interrupted conversions are left out."""
    root = cache_dir / "ctranslate2"
    if not root.is_dir():
        return []
    return sorted(
        path for path in root.iterdir() if path.is_dir() and not path.name.startswith(PARTIAL_PREFIX)
    )


def partial_dirs(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "ctranslate2").glob(f"{PARTIAL_PREFIX}*"))


def copy_model(test_models_dir: Path, spec: ModelSpec, models_dir: Path) -> Path:
    target = models_dir / spec.repo_id
    shutil.copytree(test_models_dir / spec.repo_id, target)
    return target


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every conversion the backend runs from now on, by source folder."""
    runs: list[Path] = []
    real = ctranslate2_backend.convert_checkpoint

    def counting(source: Path, output: Path) -> None:
        runs.append(source)
        real(source, output)

    monkeypatch.setattr(ctranslate2_backend, "convert_checkpoint", counting)
    return runs


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ct2-cache")


@pytest.fixture(scope="module")
def ct2_translators(test_models_dir: Path, shared_cache: Path) -> Iterator[dict[str, Translator]]:
    loader = make_loader(test_models_dir, shared_cache)
    translators = {spec.repo_id: loader.load(spec) for spec in SPECS}
    yield translators
    for translator in translators.values():
        translator.close()


@pytest.fixture(scope="module")
def hf_translators(test_models_dir: Path, shared_cache: Path) -> Iterator[dict[str, Translator]]:
    settings = make_settings(test_models_dir, shared_cache)
    loader = TransformersLoader(
        settings, ModelLocator(settings.model_dir, settings.model_cache_dir, offline=True)
    )
    translators = {spec.repo_id: loader.load(spec) for spec in SPECS}
    yield translators
    for translator in translators.values():
        translator.close()


# ------------------------------------------------------------------------------------------------ conversion


def test_every_family_converts_offline_into_the_cache(
    ct2_translators: dict[str, Translator], shared_cache: Path
) -> None:
    names = [path.name for path in converted_dirs(shared_cache)]
    assert len(names) == len(SPECS)
    for spec in SPECS:
        prefix = spec.repo_id.replace("/", "--") + "--"
        (name,) = [name for name in names if name.startswith(prefix)]
        fingerprint = name.removeprefix(prefix)
        assert len(fingerprint) == 16
        assert int(fingerprint, 16) >= 0
        folder = shared_cache / "ctranslate2" / name
        assert {"model.bin", "config.json", SOURCE_RECORD} <= {path.name for path in folder.iterdir()}
        assert ct2_translators[spec.repo_id].spec == spec
    assert not partial_dirs(shared_cache)


@pytest.mark.parametrize("direction", DIRECTIONS, ids=str)
def test_output_is_non_empty_and_free_of_language_tokens(
    ct2_translators: dict[str, Translator], direction: Direction
) -> None:
    translator = ct2_translators[direction.spec.repo_id]
    outputs = translator.translate(direction.texts, direction.source, direction.target, GREEDY)
    assert len(outputs) == len(direction.texts)
    for text in outputs:
        assert text.strip()
        assert not any(marker in text for marker in (">>", "<<", "__", "_XX", "_DE", "_TH", "</s>", "<pad>"))
    assert translator.translate(direction.texts, direction.source, direction.target, GREEDY) == outputs
    assert translator.translate([], direction.source, direction.target, GREEDY) == []


def test_a_second_loader_reuses_the_converted_copy(
    test_models_dir: Path, tmp_path: Path, conversions: list[Path]
) -> None:
    make_loader(test_models_dir, tmp_path).load(OPUS).close()
    (converted,) = converted_dirs(tmp_path)
    written = (converted / "model.bin").stat()
    # Another compute type, and a loader of its own: still the same copy, loaded without converting.
    translator = make_loader(test_models_dir, tmp_path, CT2_COMPUTE_TYPE="int8").load(OPUS)
    assert translator.translate(EN, "en", "de", GREEDY)
    translator.close()
    assert len(conversions) == 1
    assert converted_dirs(tmp_path) == [converted]
    assert (converted / "model.bin").stat().st_mtime_ns == written.st_mtime_ns
    assert (converted / "model.bin").stat().st_ino == written.st_ino


def test_changed_source_files_get_a_new_copy(
    test_models_dir: Path, tmp_path: Path, conversions: list[Path]
) -> None:
    models = tmp_path / "models"
    source = copy_model(test_models_dir, OPUS, models)
    loader = make_loader(models, tmp_path / "cache")
    loader.load(OPUS).close()
    config = source / "config.json"
    config.write_text(config.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    loader.load(OPUS).close()
    assert len(conversions) == 2
    assert len(converted_dirs(tmp_path / "cache")) == 2


def test_threads_loading_one_model_convert_it_once(
    test_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, conversions: list[Path]
) -> None:
    counting = ctranslate2_backend.convert_checkpoint

    def slow(source: Path, output: Path) -> None:
        time.sleep(0.5)  # long enough for every other thread to arrive while this one converts
        counting(source, output)

    monkeypatch.setattr(ctranslate2_backend, "convert_checkpoint", slow)
    # Separate loaders, as two registries (or a registry and a preload) would have.
    loaders = [make_loader(test_models_dir, tmp_path) for _ in range(4)]
    start = threading.Barrier(len(loaders))
    loaded: list[Translator] = []
    failures: list[BaseException] = []

    def load(loader: CTranslate2Loader) -> None:
        start.wait()
        try:
            loaded.append(loader.load(MBART))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=load, args=(loader,)) for loader in loaders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    assert len(loaded) == len(loaders)
    assert len(conversions) == 1
    outputs = {tuple(translator.translate(EN, "en", "de", GREEDY)) for translator in loaded}
    assert len(outputs) == 1
    for translator in loaded:
        translator.close()


# A gunicorn worker in miniature: loads M2M-100 into a shared cache and prints a translation. Its conversion
# first notes the process id in a log file, then "hold" waits for a release file, "die" is killed mid-way.
_CONVERT_IN_A_WORKER = textwrap.dedent(
    """
    import logging, os, signal, sys, time
    from pathlib import Path
    from mostlylucid_nmt.backends import ctranslate2_backend
    from mostlylucid_nmt.backends.base import GenerationOptions, ModelSpec
    from mostlylucid_nmt.backends.hub import ModelLocator
    from mostlylucid_nmt.settings import ModelFamily, load_settings

    logging.basicConfig(level=logging.INFO)
    models, cache, log, mode = sys.argv[1:5]
    real = ctranslate2_backend.convert_checkpoint

    def convert(source, output):
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()}\\n")
        if mode == "die":
            (Path(output) / "model.bin").write_bytes(b"half a model")
            os.kill(os.getpid(), signal.SIGKILL)
        release = Path(log).with_name("release")
        deadline = time.monotonic() + 60
        while mode == "hold" and not release.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        real(source, output)

    ctranslate2_backend.convert_checkpoint = convert
    settings = load_settings({"MODEL_DIR": models, "MODEL_CACHE_DIR": cache, "HF_HUB_OFFLINE": "1",
                              "DEVICE": "cpu", "CT2_COMPUTE_TYPE": "int8", "CT2_INTRA_THREADS": "1"})
    locator = ModelLocator(settings.model_dir, settings.model_cache_dir, offline=True)
    loader = ctranslate2_backend.CTranslate2Loader(settings, locator)
    translator = loader.load(ModelSpec(ModelFamily.M2M100, "facebook/m2m100_418M"))
    print(translator.translate(["Hello world"], "en", "de", GenerationOptions(1, 32))[0])
    """
)


@dataclass
class Worker:
    process: subprocess.Popen[str]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def finish(self) -> str:
        stdout, _ = self.process.communicate(timeout=120)
        return stdout


def _start_worker(test_models_dir: Path, tmp_path: Path, mode: str, name: str) -> Worker:
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO_ROOT / "src")}
    log_path = tmp_path / f"{name}.log"
    with log_path.open("w") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _CONVERT_IN_A_WORKER,
                str(test_models_dir),
                str(tmp_path / "cache"),
                str(tmp_path / "conversions.log"),
                mode,
            ],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    return Worker(process, log_path)


def _wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_different_models_converted_and_loaded_at_once_all_succeed(
    test_models_dir: Path, tmp_path: Path
) -> None:
    # transformers builds models under process-wide torch state; builds running together once failed with
    # "meta tensors" (four pairs first requested together). Both engines' builds must take turns.
    ct2 = make_loader(test_models_dir, tmp_path)
    torch_settings = make_settings(test_models_dir, tmp_path, TRANSLATION_BACKEND="transformers")
    torch_loader = TransformersLoader(
        torch_settings, ModelLocator(torch_settings.model_dir, torch_settings.model_cache_dir, offline=True)
    )
    jobs: list[tuple[Any, ModelSpec]] = [(ct2, spec) for spec in SPECS] + [
        (torch_loader, OPUS),
        (torch_loader, M2M),
    ]
    start = threading.Barrier(len(jobs))
    loaded: list[Translator] = []
    failures: list[BaseException] = []

    def load(loader: Any, spec: ModelSpec) -> None:
        start.wait()
        try:
            loaded.append(loader.load(spec))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=load, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(loaded) == len(jobs)
    for translator in loaded:
        translator.close()


def test_worker_processes_convert_once_and_share_the_copy(test_models_dir: Path, tmp_path: Path) -> None:
    conversions = tmp_path / "conversions.log"
    first = _start_worker(test_models_dir, tmp_path, "hold", "first")
    _wait_for(conversions.exists, "the first worker to start converting")
    second = _start_worker(test_models_dir, tmp_path, "hold", "second")
    # The second worker finds the file lock taken and waits, instead of converting too.
    _wait_for(lambda: "waiting for another process" in second.log(), "the second worker to wait on the lock")
    (tmp_path / "release").touch()
    outputs = [first.finish(), second.finish()]
    assert first.process.returncode == 0, first.log()
    assert second.process.returncode == 0, second.log()
    assert outputs[0].strip()
    assert outputs[0] == outputs[1]
    assert len(conversions.read_text().splitlines()) == 1
    assert len(converted_dirs(tmp_path / "cache")) == 1


def test_a_worker_killed_mid_conversion_leaves_nothing_that_loads(
    test_models_dir: Path, tmp_path: Path, conversions: list[Path]
) -> None:
    worker = _start_worker(test_models_dir, tmp_path, "die", "killed")
    worker.finish()
    assert worker.process.returncode == -signal.SIGKILL
    cache = tmp_path / "cache"
    assert len(partial_dirs(cache)) == 1  # its half-written folder is still there, under a name never loaded
    assert converted_dirs(cache) == []
    # Its lock died with it: this process converts again (no waiting), removes the leftover and loads.
    translator = make_loader(test_models_dir, cache).load(M2M)
    assert translator.translate(EN, "en", "de", GREEDY)
    translator.close()
    assert len(conversions) == 1
    assert partial_dirs(cache) == []
    (converted,) = converted_dirs(cache)
    assert is_converted(converted)


def test_a_failed_conversion_is_unavailable_and_leaves_nothing(
    test_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(source: Path, output: Path) -> None:
        (output / "model.bin").write_bytes(b"half a model")
        raise RuntimeError("converter exploded")

    monkeypatch.setattr(ctranslate2_backend, "convert_checkpoint", broken)
    loader = make_loader(test_models_dir, tmp_path)
    with pytest.raises(ModelUnavailable, match=r"opus-mt-en-de could not be converted to CTranslate2"):
        loader.load(OPUS)
    assert "converter exploded" in caplog.text
    assert converted_dirs(tmp_path) == []
    assert partial_dirs(tmp_path) == []
    monkeypatch.undo()
    translator = loader.load(OPUS)
    assert translator.translate(EN, "en", "de", GREEDY)
    translator.close()


def test_an_incomplete_copy_is_converted_again(
    test_models_dir: Path, tmp_path: Path, conversions: list[Path]
) -> None:
    # A copy missing its record (written last) and a stale partial folder, as an older crash could leave.
    models = ConvertedModels(tmp_path / "ctranslate2")
    target = models.path_for(MBART.repo_id, test_models_dir / MBART.repo_id)
    target.mkdir(parents=True)
    (target / "model.bin").write_bytes(b"truncated")
    stale = target.with_name(f"{PARTIAL_PREFIX}{target.name}-old")
    stale.mkdir()
    (stale / "model.bin").write_bytes(b"truncated")
    assert not is_converted(target)
    translator = make_loader(test_models_dir, tmp_path).load(MBART)
    assert translator.translate(EN, "en", "de", GREEDY)
    translator.close()
    assert len(conversions) == 1
    assert is_converted(target)
    assert not stale.exists()


# ------------------------------------------------------------------------------------------ load-time checks


@pytest.mark.parametrize(
    ("spec", "removed"),
    [
        (OPUS, ["source.spm", "vocab.json"]),
        (MBART, ["sentencepiece.bpe.model"]),
        (M2M, ["vocab.json"]),
    ],
    ids=lambda value: value.repo_id if isinstance(value, ModelSpec) else "+".join(value),
)
def test_missing_files_are_named(
    test_models_dir: Path, tmp_path: Path, spec: ModelSpec, removed: list[str], conversions: list[Path]
) -> None:
    folder = copy_model(test_models_dir, spec, tmp_path / "models")
    for name in removed:
        (folder / name).unlink()
    with pytest.raises(ModelUnavailable, match=r"is missing " + ", ".join(removed)):
        make_loader(tmp_path / "models", tmp_path / "cache").load(spec)
    assert not conversions


def test_a_tokenizer_that_does_not_fit_the_model_is_refused(
    test_models_dir: Path, tmp_path: Path, conversions: list[Path]
) -> None:
    # Opus-MT's tokenizer with mBART-50's config: the vocabularies differ by far.
    folder = copy_model(test_models_dir, OPUS, tmp_path / "models")
    shutil.copy(test_models_dir / MBART.repo_id / "config.json", folder / "config.json")
    with pytest.raises(ModelUnavailable, match="files do not match"):
        make_loader(tmp_path / "models", tmp_path / "cache").load(OPUS)
    assert not conversions


def test_unsupported_target_of_a_multi_target_model(ct2_translators: dict[str, Translator]) -> None:
    translator = ct2_translators[OPUS_MULTI.repo_id]
    with pytest.raises(UnsupportedLanguage, match="no target token for 'de'"):
        translator.translate(EN, "en", "de", GREEDY)
    with pytest.raises(UnsupportedLanguage):
        translator.count_tokens(EN, "en", "de")


def test_an_unloadable_compute_type_is_unavailable(test_models_dir: Path, tmp_path: Path) -> None:
    if "float16" in ctranslate2.get_supported_compute_types("cpu"):
        pytest.skip("this CPU computes in float16")
    with pytest.raises(ModelUnavailable, match="compute type float16 on cpu"):
        make_loader(test_models_dir, tmp_path, CT2_COMPUTE_TYPE="float16").load(OPUS)


# ------------------------------------------------------------------------------------- languages per family


class RecordingEngine:
    """Passes calls on to a real CTranslate2 translator and keeps what it was given."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.calls: list[tuple[list[list[str]], dict[str, Any]]] = []

    def translate_batch(self, source: list[list[str]], **options: Any) -> Any:
        self.calls.append((source, options))
        return self.engine.translate_batch(source, **options)


@pytest.mark.parametrize(
    ("direction", "language_token", "prefix"),
    [
        (Direction(OPUS, "en", "de"), None, None),
        (Direction(OPUS_MULTI, "en", "fr"), ">>fra<<", None),
        (Direction(MBART, "en", "th"), "en_XX", "th_TH"),
        (Direction(M2M, "de", "zu"), "__de__", "__zu__"),
    ],
    ids=lambda value: str(value) if isinstance(value, Direction) else None,
)
def test_each_family_gives_the_engine_its_language_tokens(
    test_models_dir: Path,
    shared_cache: Path,
    direction: Direction,
    language_token: str | None,
    prefix: str | None,
) -> None:
    spec, folder = direction.spec, test_models_dir / direction.spec.repo_id
    converted = ConvertedModels(shared_cache / "ctranslate2").ensure(spec.repo_id, folder)
    engine = RecordingEngine(ctranslate2.Translator(str(converted), device="cpu", compute_type="float32"))
    tokens = FamilyTokenizer(spec, AutoTokenizer.from_pretrained(folder), AutoConfig.from_pretrained(folder))
    texts = direction.texts[:2]
    outputs = CTranslate2Translator(spec, tokens, engine).translate(
        texts, direction.source, direction.target, GREEDY
    )
    assert all(outputs)
    ((source, options),) = engine.calls
    for row in source:
        if language_token is None:
            assert not row[0].startswith(">>")
        else:
            assert row[0] == language_token
        assert row[-1] == "</s>"
    assert options["target_prefix"] == (None if prefix is None else [[prefix]] * len(texts))
    assert options["beam_size"] == 1
    assert options["min_decoding_length"] == 0
    assert options["max_batch_size"] == len(texts)  # one worker: the batch in one part
    assert options["max_input_length"] == 0
    assert options["return_scores"] is False


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Direction(OPUS_MULTI, "en", "fr"), Direction(OPUS_MULTI, "en", "es")),
        (Direction(MBART, "en", "de"), Direction(MBART, "en", "fr")),
        (Direction(M2M, "en", "zu"), Direction(M2M, "en", "ast")),
    ],
    ids=lambda direction: str(direction),
)
def test_the_target_language_changes_the_output(
    ct2_translators: dict[str, Translator], first: Direction, second: Direction
) -> None:
    translator = ct2_translators[first.spec.repo_id]
    for beam_size in (1, 3):
        options = GenerationOptions(beam_size=beam_size, max_new_tokens=64)
        a = translator.translate(first.texts, first.source, first.target, options)
        b = translator.translate(second.texts, second.source, second.target, options)
        assert all(x != y for x, y in zip(a, b, strict=True))


# ------------------------------------------------------------------------------- the same as transformers


@pytest.mark.parametrize("max_new_tokens", [64, 3, 1])
@pytest.mark.parametrize("direction", DIRECTIONS, ids=str)
def test_greedy_output_equals_the_transformers_backend(
    ct2_translators: dict[str, Translator],
    hf_translators: dict[str, Translator],
    direction: Direction,
    max_new_tokens: int,
) -> None:
    # 3 and 1 cut every output at the budget, where transformers would force </s> if allowed to.
    options = GenerationOptions(beam_size=1, max_new_tokens=max_new_tokens)
    args = (direction.texts, direction.source, direction.target, options)
    expected = hf_translators[direction.spec.repo_id].translate(*args)
    assert ct2_translators[direction.spec.repo_id].translate(*args) == expected
    if max_new_tokens == 64:
        assert all(expected)


@pytest.mark.parametrize("direction", DIRECTIONS, ids=str)
def test_token_counts_and_limits_equal_the_transformers_backend(
    ct2_translators: dict[str, Translator], hf_translators: dict[str, Translator], direction: Direction
) -> None:
    ct2, hf = ct2_translators[direction.spec.repo_id], hf_translators[direction.spec.repo_id]
    assert (
        ct2.max_input_tokens
        == hf.max_input_tokens
        == (512 if direction.spec.family is ModelFamily.OPUS_MT else 1024)
    )
    args = (direction.texts, direction.source, direction.target)
    assert ct2.count_tokens(*args) == hf.count_tokens(*args)


def test_close_releases_the_model(test_models_dir: Path, shared_cache: Path) -> None:
    translator = make_loader(test_models_dir, shared_cache).load(OPUS)
    assert translator.translate(EN, "en", "de", GREEDY)
    translator.close()
