"""Settings: every variable parsed, CPU/GPU defaults, and bad values stopped with a clear message."""

from __future__ import annotations

import pytest

from mostlylucid_nmt import settings as settings_module
from mostlylucid_nmt.settings import ModelFamily, SettingsError, load_settings


def test_cpu_defaults_are_the_measured_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "available_cores", lambda: 4)
    s = load_settings({})
    assert s.resolved_device == "cpu"
    assert (s.batch_size, s.max_cached_models, s.batch_max_tokens, s.batch_max_wait_ms) == (32, 5, 8192, 30.0)
    # One worker process, one batch at a time, cut by CTranslate2 into one single-threaded part per core.
    assert (s.web_concurrency, s.max_inflight_translations, s.max_workers_backend) == (1, 1, 1)
    assert (s.ct2_compute_type, s.ct2_inter_threads, s.ct2_intra_threads) == ("int8", 4, 1)
    assert s.max_queue_size == 1000
    assert s.model_args == {}
    assert s.port == 8000
    assert s.model_family is ModelFamily.OPUS_MT
    assert s.log_include_text is False
    assert s.torch_dtype == "float32"
    # Fewer CTranslate2 workers than cores: the cores are shared out among them.
    assert load_settings({"CT2_INTER_THREADS": "2"}).ct2_intra_threads == 2


def test_gpu_defaults_when_cuda_is_visible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "cuda_available", lambda: True)
    monkeypatch.setattr(settings_module, "cuda_device_count", lambda: 2)
    s = load_settings({})
    assert s.resolved_device == "cuda"
    assert (s.batch_size, s.max_cached_models, s.max_inflight_translations) == (64, 10, 1)
    assert (s.max_queue_size, s.web_concurrency) == (2000, 1)
    assert (s.ct2_compute_type, s.ct2_inter_threads) == ("float16", 1)
    assert s.model_args == {"torch_dtype": "float16"}
    assert s.torch_dtype == "float16"
    assert load_settings({"DEVICE": "cuda:1"}).resolved_device == "cuda:1"
    assert load_settings({"USE_GPU": "false"}).resolved_device == "cpu"
    # An explicit value always wins over the device default.
    assert load_settings({"EASYNMT_BATCH_SIZE": "8"}).batch_size == 8


def test_half_precision_is_never_used_on_cpu() -> None:
    s = load_settings({"EASYNMT_MODEL_ARGS": '{"torch_dtype": "fp16"}'})
    assert s.model_args == {"torch_dtype": "float16"}
    assert s.torch_dtype == "float32"


@pytest.mark.parametrize(
    ("value", "family", "m2m_repo"),
    [
        ("opus-mt", ModelFamily.OPUS_MT, "facebook/m2m100_418M"),
        ("mbart50_m2m", ModelFamily.MBART50, "facebook/m2m100_418M"),
        ("m2m_100_418M", ModelFamily.M2M100, "facebook/m2m100_418M"),
        ("m2m_100_1.2B", ModelFamily.M2M100, "facebook/m2m100_1.2B"),
    ],
)
def test_easynmt_model_names_are_accepted(value: str, family: ModelFamily, m2m_repo: str) -> None:
    s = load_settings({"EASYNMT_MODEL": value})
    assert s.model_family is family
    assert s.m2m100_model == m2m_repo


def test_model_family_wins_over_easynmt_model() -> None:
    assert (
        load_settings({"EASYNMT_MODEL": "opus-mt", "MODEL_FAMILY": "m2m100"}).model_family
        is ModelFamily.M2M100
    )


def test_lists_and_pairs_are_parsed() -> None:
    s = load_settings(
        {"PRELOAD_MODELS": "en->de, de->en ,", "MODEL_FALLBACK_ORDER": "m2m100,mbart50", "PIVOT_LANG": " DE "}
    )
    assert s.preload_models == [("en", "de"), ("de", "en")]
    assert s.model_fallback_order == [ModelFamily.M2M100, ModelFamily.MBART50]
    assert s.pivot_lang == "de"


def test_the_process_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EASYNMT_BATCH_SIZE", "3")
    monkeypatch.setenv("ENABLE_QUEUE", "0")
    monkeypatch.setenv("LOG_FORMAT", "json")
    s = load_settings()
    assert s.batch_size == 3
    assert s.enable_queue is False
    assert s.log_format == "json"


@pytest.mark.parametrize(
    ("env", "variable", "hint"),
    [
        ({"MODEL_FAMILY": "nllb"}, "MODEL_FAMILY", "allowed"),
        ({"EASYNMT_BATCH_SIZE": "0"}, "EASYNMT_BATCH_SIZE", "greater than 0"),
        ({"EASYNMT_BATCH_SIZE": "many"}, "EASYNMT_BATCH_SIZE", "integer"),
        ({"DEVICE": "tpu"}, "DEVICE", "cuda:N"),
        ({"USE_GPU": "perhaps"}, "USE_GPU", "auto"),
        ({"EASYNMT_MODEL_ARGS": "{oops"}, "EASYNMT_MODEL_ARGS", "JSON object"),
        ({"EASYNMT_MODEL_ARGS": '{"torch_dtype": "int3"}'}, "EASYNMT_MODEL_ARGS", "fp16"),
        ({"PRELOAD_MODELS": "en-de"}, "PRELOAD_MODELS", "src->tgt"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT", "plain"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL", "DEBUG"),
        ({"PORT": "70000"}, "PORT", "65535"),
        ({"ENABLE_QUEUE": "maybe"}, "ENABLE_QUEUE", "boolean"),
        ({"TRANSLATE_TIMEOUT_SEC": "-1"}, "TRANSLATE_TIMEOUT_SEC", "greater than or equal"),
        ({"MODEL_FALLBACK_ORDER": "opus-mt,bogus"}, "MODEL_FALLBACK_ORDER", "allowed"),
        ({"TRANSLATION_BACKEND": "onnx"}, "TRANSLATION_BACKEND", "transformers"),
        ({"DEVICE": "cuda"}, "DEVICE", "no such CUDA device"),
        ({"USE_GPU": "true"}, "USE_GPU", "no CUDA device"),
    ],
)
def test_bad_values_name_the_variable_and_what_is_allowed(
    env: dict[str, str], variable: str, hint: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    message = str(caught.value)
    assert variable in message
    assert hint in message


def test_every_field_is_documented() -> None:
    for name, field in settings_module.Settings.model_fields.items():
        assert field.description, f"{name} has no description"


def test_no_module_outside_settings_reads_the_environment() -> None:
    import re
    from pathlib import Path

    # Setting a variable for a library is allowed (gunicorn's config hands PROMETHEUS_MULTIPROC_DIR to the
    # workers' prometheus_client); reading one is the settings' job alone.
    reads = re.compile(r"getenv|os\.environ(?!\[\"[A-Z_]+\"\] = )")
    package = Path(settings_module.__file__).parent
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "settings.py" and reads.search(path.read_text())
    ]
    assert offenders == []


def test_an_explicit_mapping_ignores_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "77")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert load_settings().port == 77
    explicit = load_settings({"MAX_QUEUE_SIZE": "3"})
    assert (explicit.port, explicit.offline, explicit.max_queue_size) == (8000, False, 3)
    # ...and the environment is read again afterwards.
    assert load_settings().offline is True


def test_cors_credentials_with_any_origin_are_refused() -> None:
    with pytest.raises(SettingsError, match="CORS_ORIGINS"):
        load_settings({"CORS_ORIGINS": "*", "CORS_ALLOW_CREDENTIALS": "true"})


def test_cors_origins_and_api_keys_are_comma_separated_lists() -> None:
    settings = load_settings(
        {"CORS_ORIGINS": " https://a.example , https://b.example,", "API_KEYS": "k1,,k2"}
    )
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.api_keys == ["k1", "k2"]
    assert load_settings({}).cors_origins == []
    assert load_settings({}).api_keys == []
