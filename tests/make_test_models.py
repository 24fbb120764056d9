"""Build tiny translation models in the exact on-disk layout of their Hugging Face Hub repositories.

No model can be downloaded where the tests run, yet the service's real loading path (the family tokenizer's
``from_pretrained(local_dir)``, ``AutoModelForSeq2SeqLM.from_pretrained(local_dir)``, ``generate``, CTranslate2
conversion) has to be exercised. This script writes five such models of well under a megabyte each:

    OUT_DIR/Helsinki-NLP/opus-mt-en-de                 Marian, one target language
    OUT_DIR/Helsinki-NLP/opus-mt-de-en                 Marian, one target language
    OUT_DIR/Helsinki-NLP/opus-mt-en-roa                Marian, several targets chosen by a ``>>fra<<`` token
    OUT_DIR/facebook/mbart-large-50-many-to-many-mmt   mBART-50 with its 52 language codes
    OUT_DIR/facebook/m2m100_418M                       M2M-100 with its 100 language tokens

Usage: ``python tests/make_test_models.py OUT_DIR [--only REPO_ID ...] [--check-ct2]``.

The weights are random but shaped (see ``_shape_weights``) so that greedy and beam search stop by themselves
after a handful of tokens, never emit special tokens, and follow the requested target language. Everything
is seeded: two runs write byte-identical files. After writing a model the script loads it the way the service
does and raises ``FixtureError`` if any property the tests rely on does not hold. ``--check-ct2`` also converts
each model with CTranslate2 (not a project dependency: install it by hand for that check).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import math
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import sentencepiece as spm
import torch
from torch import nn
from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer, PreTrainedModel
from transformers.utils import logging as hf_logging

Family = Literal["marian", "mbart50", "m2m100"]

CORPUS_PATH: Final = Path(__file__).resolve().parent / "fixtures" / "spm_corpus.txt"
SPM_VOCAB_SIZE: Final = 1000

D_MODEL: Final = 32
LAYERS: Final = 2
HEADS: Final = 4
FFN_DIM: Final = 64
MARIAN_MAX_POSITIONS: Final = 512
FAIRSEQ_MAX_POSITIONS: Final = 1024
# Versions recorded in the real checkpoints' JSON files; their legacy keys are reproduced too.
MARIAN_TRANSFORMERS_VERSION: Final = "4.22.0.dev0"
FAIRSEQ_TRANSFORMERS_VERSION: Final = "4.4.0.dev0"
GENERATION_TRANSFORMERS_VERSION: Final = "4.27.0.dev0"

# Output shaping (see _shape_weights). Two model dimensions are "lanes" that no attention or feed-forward
# block reads or writes, so what enters them reaches the output layer untouched.
# RAMP_LANE: a slow sine of the positional encoding (dimension 6 rises for ~50 steps in both sinusoid
# layouts; mBART's learned table gets the same sine). Only </s> has a weight there, so its logit climbs
# step by step until it beats the other tokens.
RAMP_LANE: Final = 6
RAMP_SLOPE: Final = 0.6  # </s> logit gained per step, before layer-norm scaling
EOS_RAMP_WEIGHT: Final = 2.0
# Most of </s>'s random logit would be noise on the step it wins: keep it small so the ramp decides.
EOS_CONTENT_SCALE: Final = 0.25
# BIAS_LANE: the last layer norm pins it to BIAS_LANE_SCALE, so a token's embedding value there is a logit
# bias. It keeps special tokens out of the output (M2M-100 has no final_logits_bias). Scale and value trade
# off: a large embedding value would swamp language tokens used as inputs, a large scale costs CTranslate2's
# int8 activations their resolution.
BIAS_LANE: Final = D_MODEL - 1
BIAS_LANE_SCALE: Final = 12.0
SUPPRESSED_LOGIT: Final = -12.0
# Marian's >>fra<< is one source token among many, yet has to steer the output.
TARGET_TOKEN_SCALE: Final = 3.0
# The ramp is offset so that half of a corpus sample stops within this many tokens (see _calibrate_eos_shift).
TARGET_LENGTH: Final = 10
CALIBRATION_SENTENCES: Final = 30

MBART50_LANGUAGE_CODES: Final = (
    "ar_AR", "cs_CZ", "de_DE", "en_XX", "es_XX", "et_EE", "fi_FI", "fr_XX", "gu_IN", "hi_IN", "it_IT", "ja_XX",
    "kk_KZ", "ko_KR", "lt_LT", "lv_LV", "my_MM", "ne_NP", "nl_XX", "ro_RO", "ru_RU", "si_LK", "tr_TR", "vi_VN",
    "zh_CN", "af_ZA", "az_AZ", "bn_IN", "fa_IR", "he_IL", "hr_HR", "id_ID", "ka_GE", "km_KH", "mk_MK", "ml_IN",
    "mn_MN", "mr_IN", "pl_PL", "ps_AF", "pt_XX", "sv_SE", "sw_KE", "ta_IN", "te_IN", "th_TH", "tl_XX", "uk_UA",
    "ur_PK", "xh_ZA", "gl_ES", "sl_SI",
)  # fmt: skip
M2M100_LANGUAGES: Final = (
    "af", "am", "ar", "ast", "az", "ba", "be", "bg", "bn", "br", "bs", "ca", "ceb", "cs", "cy", "da", "de", "el",
    "en", "es", "et", "fa", "ff", "fi", "fr", "fy", "ga", "gd", "gl", "gu", "ha", "he", "hi", "hr", "ht", "hu",
    "hy", "id", "ig", "ilo", "is", "it", "ja", "jv", "ka", "kk", "km", "kn", "ko", "lb", "lg", "ln", "lo", "lt",
    "lv", "mg", "mk", "ml", "mn", "mr", "ms", "my", "ne", "nl", "no", "ns", "oc", "or", "pa", "pl", "ps", "pt",
    "ro", "ru", "sd", "si", "sk", "sl", "so", "sq", "sr", "ss", "su", "sv", "sw", "ta", "th", "tl", "tn", "tr",
    "uk", "ur", "uz", "vi", "wo", "xh", "yi", "yo", "zh", "zu",
)  # fmt: skip
M2M100_MADEUP_WORDS: Final = 8
# Modelled on the real opus-mt-en-roa vocabulary: ISO 639-3 codes, some with a script suffix.
EN_ROA_TARGET_TOKENS: Final = tuple(
    f">>{code}<<"
    for code in (
        "arg", "ast", "cat", "cos", "egl", "ext", "fra", "frm_Latn", "gcf_Latn", "glg", "hat", "ind", "ita",
        "lad", "lad_Latn", "lij", "lld_Latn", "lmo", "max_Latn", "mfe", "min", "mwl", "oci", "pap", "pms", "por",
        "roh", "ron", "scn", "spa", "tmw_Latn", "vec", "wln", "zlm_Latn", "zsm_Latn",
    )
)  # fmt: skip

CHECK_SENTENCES: Final = {
    "en": ("The weather is lovely today.", "Please send me the report before Friday afternoon."),
    "de": ("Das Wetter ist heute schön.", "Bitte schicken Sie mir den Bericht vor Freitag."),
}
MAX_CHECK_TOKENS: Final = 40


@dataclass(frozen=True)
class ModelSpec:
    repo_id: str
    family: Family
    seed: int
    source_lang: str = ""
    target_lang: str = ""
    target_tokens: tuple[str, ...] = ()


MODELS: Final = (
    ModelSpec("Helsinki-NLP/opus-mt-en-de", "marian", seed=1, source_lang="en", target_lang="de"),
    ModelSpec("Helsinki-NLP/opus-mt-de-en", "marian", seed=2, source_lang="de", target_lang="en"),
    ModelSpec(
        "Helsinki-NLP/opus-mt-en-roa",
        "marian",
        seed=3,
        source_lang="en",
        target_lang="roa",
        target_tokens=EN_ROA_TARGET_TOKENS,
    ),
    ModelSpec("facebook/mbart-large-50-many-to-many-mmt", "mbart50", seed=4),
    ModelSpec("facebook/m2m100_418M", "m2m100", seed=5),
)
MODELS_BY_REPO: Final = {spec.repo_id: spec for spec in MODELS}
EXPECTED_TOKENIZER: Final[dict[Family, str]] = {
    "marian": "MarianTokenizer",
    "mbart50": "MBart50Tokenizer",
    "m2m100": "M2M100Tokenizer",
}


class FixtureError(RuntimeError):
    """A built model does not load or behave the way the tests rely on."""


# --------------------------------------------------------------------------------------- sentencepiece


def train_sentencepiece(corpus: Path = CORPUS_PATH) -> bytes:
    """Train the unigram model all fixtures share; one thread and no shuffling keep the bytes reproducible."""
    sentences = [line for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=buffer,
        model_type="unigram",
        vocab_size=SPM_VOCAB_SIZE,
        character_coverage=1.0,
        hard_vocab_limit=False,
        num_threads=1,
        shuffle_input_sentence=False,
        minloglevel=2,
    )
    return buffer.getvalue()


def _spm_pieces(model: bytes) -> list[str]:
    """Ordinary pieces in id order; <unk>, <s> and </s> get their family's fixed ids instead."""
    processor = spm.SentencePieceProcessor(model_proto=model)
    return [
        processor.id_to_piece(i)
        for i in range(processor.get_piece_size())
        if not (processor.is_control(i) or processor.is_unknown(i))
    ]


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------- repository files


@dataclass(frozen=True)
class TokenIds:
    """What the weight shaping needs to know about a family's vocabulary."""

    vocab_size: int
    eos: int
    never_generated: tuple[int, ...]
    target_tokens: tuple[int, ...] = ()
    # Transformers starts Marian's decoder from <pad>, CTranslate2 from a zero vector: equal only if the row is 0.
    zero_rows: tuple[int, ...] = ()


def marian_configs(
    repo_id: str,
    *,
    d_model: int,
    heads: int,
    ffn_dim: int,
    layers: int,
    vocab_size: int,
    pad_id: int,
    max_positions: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """config.json and generation_config.json of an Opus-MT checkpoint of the given shape (keys as the hub's).

    The benchmark's Opus-MT-sized model uses it too.
    """
    generation = {
        "bad_words_ids": [[pad_id]],
        "bos_token_id": 0,
        "decoder_start_token_id": pad_id,
        "eos_token_id": 0,
        "forced_eos_token_id": 0,
        "max_length": max_positions,
        "num_beams": 4,
        "pad_token_id": pad_id,
    }
    config = {
        "_name_or_path": repo_id,
        "activation_dropout": 0.0,
        "activation_function": "swish",
        "add_bias_logits": False,
        "add_final_layer_norm": False,
        "architectures": ["MarianMTModel"],
        "attention_dropout": 0.0,
        "classif_dropout": 0.0,
        "classifier_dropout": 0.0,
        "d_model": d_model,
        "decoder_attention_heads": heads,
        "decoder_ffn_dim": ffn_dim,
        "decoder_layerdrop": 0.0,
        "decoder_layers": layers,
        "decoder_vocab_size": vocab_size,
        "dropout": 0.1,
        "encoder_attention_heads": heads,
        "encoder_ffn_dim": ffn_dim,
        "encoder_layerdrop": 0.0,
        "encoder_layers": layers,
        "gradient_checkpointing": False,
        "init_std": 0.02,
        "is_encoder_decoder": True,
        "max_position_embeddings": max_positions,
        "model_type": "marian",
        "normalize_before": False,
        "normalize_embedding": False,
        "num_hidden_layers": layers,
        "scale_embedding": True,
        "share_encoder_decoder_embeddings": True,
        "static_position_embeddings": True,
        "transformers_version": MARIAN_TRANSFORMERS_VERSION,
        "use_cache": True,
        "vocab_size": vocab_size,
        **generation,
    }
    return dict(sorted(config.items())), generation


def _write_marian_files(spec: ModelSpec, sp_model: bytes, out: Path) -> TokenIds:
    # Opus-MT order: </s>, <unk>, the target-language tokens, the pieces, and <pad> last (added by the
    # conversion to transformers: it starts the decoder and must never be generated).
    vocab: dict[str, int] = {"</s>": 0, "<unk>": 1}
    for token in (*spec.target_tokens, *_spm_pieces(sp_model)):
        vocab.setdefault(token, len(vocab))
    pad = len(vocab)
    vocab["<pad>"] = pad
    # One joint SentencePiece model serves as both source.spm and target.spm.
    (out / "source.spm").write_bytes(sp_model)
    (out / "target.spm").write_bytes(sp_model)
    _write_json(out / "vocab.json", vocab)
    _write_json(
        out / "tokenizer_config.json", {"target_lang": spec.target_lang, "source_lang": spec.source_lang}
    )
    config, generation = marian_configs(
        spec.repo_id,
        d_model=D_MODEL,
        heads=HEADS,
        ffn_dim=FFN_DIM,
        layers=LAYERS,
        vocab_size=len(vocab),
        pad_id=pad,
        max_positions=MARIAN_MAX_POSITIONS,
    )
    _write_json(out / "config.json", config)
    _write_json(
        out / "generation_config.json",
        {**generation, "transformers_version": GENERATION_TRANSFORMERS_VERSION},
    )
    targets = tuple(vocab[token] for token in spec.target_tokens)
    return TokenIds(
        len(vocab), eos=0, never_generated=(1, pad, *targets), target_tokens=targets, zero_rows=(pad,)
    )


def _fairseq_config(model_type: str, architecture: str, vocab_size: int) -> dict[str, Any]:
    return {
        "activation_dropout": 0.0,
        "activation_function": "relu",
        "architectures": [architecture],
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "d_model": D_MODEL,
        "decoder_attention_heads": HEADS,
        "decoder_ffn_dim": FFN_DIM,
        "decoder_layerdrop": 0.0,
        "decoder_layers": LAYERS,
        "decoder_start_token_id": 2,
        "dropout": 0.1,
        "early_stopping": True,
        "encoder_attention_heads": HEADS,
        "encoder_ffn_dim": FFN_DIM,
        "encoder_layerdrop": 0.0,
        "encoder_layers": LAYERS,
        "eos_token_id": 2,
        "gradient_checkpointing": False,
        "init_std": 0.02,
        "is_encoder_decoder": True,
        "max_length": 200,
        "max_position_embeddings": FAIRSEQ_MAX_POSITIONS,
        "model_type": model_type,
        "num_beams": 5,
        "num_hidden_layers": LAYERS,
        "pad_token_id": 1,
        "scale_embedding": True,
        "transformers_version": FAIRSEQ_TRANSFORMERS_VERSION,
        "use_cache": True,
        "vocab_size": vocab_size,
    }


def _fairseq_generation_config(*, forced_eos: bool) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bos_token_id": 0,
        "decoder_start_token_id": 2,
        "early_stopping": True,
        "eos_token_id": 2,
        "max_length": 200,
        "num_beams": 5,
        "pad_token_id": 1,
    }
    if forced_eos:
        config["forced_eos_token_id"] = 2
    return {**dict(sorted(config.items())), "transformers_version": GENERATION_TRANSFORMERS_VERSION}


def _write_mbart50_files(sp_model: bytes, out: Path) -> TokenIds:
    # MBart50Tokenizer's fairseq layout: <s> <pad> </s> <unk>, the pieces (shifted by one), 52 codes, <mask>.
    pieces = len(_spm_pieces(sp_model))
    first_code = 4 + pieces
    vocab_size = first_code + len(MBART50_LANGUAGE_CODES) + 1
    (out / "sentencepiece.bpe.model").write_bytes(sp_model)
    mask = {"content": "<mask>", "lstrip": True, "normalized": True, "rstrip": False, "single_word": False}
    specials: dict[str, Any] = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "cls_token": "<s>",
        "mask_token": mask,
        "additional_special_tokens": list(MBART50_LANGUAGE_CODES),
    }
    _write_json(out / "special_tokens_map.json", specials)
    # bos_token must be in tokenizer_config.json: transformers 5 leaves it unset otherwise, and CTranslate2's
    # converter then writes a null bos and refuses to load its own output.
    tokenizer_config = {
        "src_lang": None,
        "tgt_lang": None,
        **specials,
        "mask_token": {**mask, "__type": "AddedToken"},
        "tokenizer_file": None,
        "tokenizer_class": "MBart50Tokenizer",
    }
    _write_json(out / "tokenizer_config.json", tokenizer_config)
    config = _fairseq_config("mbart", "MBartForConditionalGeneration", vocab_size) | {
        # Legacy keys of the real checkpoint: CTranslate2's converter reads normalize_before, and only
        # tokenizer_class tells it that decoding starts from </s>.
        "_num_labels": 3,
        "add_bias_logits": False,
        "add_final_layer_norm": True,
        "classif_dropout": 0.0,
        "classifier_dropout": 0.0,
        "forced_eos_token_id": 2,
        "normalize_before": True,
        "normalize_embedding": True,
        "output_past": True,
        "static_position_embeddings": False,
        "tokenizer_class": "MBart50Tokenizer",
    }
    _write_json(out / "config.json", config)
    _write_json(out / "generation_config.json", _fairseq_generation_config(forced_eos=True))
    return TokenIds(vocab_size, eos=2, never_generated=(0, 1, 3, *range(first_code, vocab_size)))


def _write_m2m100_files(sp_model: bytes, out: Path) -> TokenIds:
    # A fairseq dictionary; M2M100Tokenizer appends the 100 __xx__ tokens, the model 8 unused "madeup" rows.
    vocab: dict[str, int] = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for piece in _spm_pieces(sp_model):
        vocab.setdefault(piece, len(vocab))
    vocab_size = len(vocab) + len(M2M100_LANGUAGES) + M2M100_MADEUP_WORDS
    (out / "sentencepiece.bpe.model").write_bytes(sp_model)
    _write_json(out / "vocab.json", vocab)
    specials = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "additional_special_tokens": [f"__{code}__" for code in M2M100_LANGUAGES],
    }
    # Written by hand in the Hub's style: after M2M100Tokenizer.save_pretrained (transformers 5) a reloaded
    # tokenizer no longer treats __de__ as special and decoding leaks it into the text.
    _write_json(out / "special_tokens_map.json", specials)
    tokenizer_config = {
        "src_lang": None,
        "tgt_lang": None,
        **specials,
        "language_codes": "m2m100",
        "num_madeup_words": M2M100_MADEUP_WORDS,
        "model_max_length": FAIRSEQ_MAX_POSITIONS,
        "tokenizer_file": None,
        "tokenizer_class": "M2M100Tokenizer",
    }
    _write_json(out / "tokenizer_config.json", tokenizer_config)
    config = _fairseq_config("m2m_100", "M2M100ForConditionalGeneration", vocab_size)
    _write_json(out / "config.json", config)
    _write_json(out / "generation_config.json", _fairseq_generation_config(forced_eos=False))
    return TokenIds(vocab_size, eos=2, never_generated=(0, 1, 3, *range(len(vocab), vocab_size)))


# ------------------------------------------------------------------------------------------------ weights


def _ramp_frequency(family: Family) -> float:
    # Marian's sinusoids use 10000 ** (-2k / dim), M2M-100's 10000 ** (-k / (dim / 2 - 1)); mBART copies Marian.
    if family == "m2m100":
        return float(10000 ** (-RAMP_LANE / (D_MODEL / 2 - 1)))
    return float(10000 ** (-2 * RAMP_LANE / D_MODEL))


def _final_layer_norm(model: PreTrainedModel, family: Family) -> nn.LayerNorm:
    decoder = model.get_decoder()
    # Marian is post-norm: its last decoder layer's final norm feeds the output projection directly.
    norm = decoder.layers[-1].final_layer_norm if family == "marian" else decoder.layer_norm
    if not isinstance(norm, nn.LayerNorm):
        raise FixtureError(f"unexpected final norm {type(norm).__name__}")
    return norm


def _shape_weights(model: PreTrainedModel, family: Family, ids: TokenIds, seed: int) -> None:
    """Overwrite every trainable weight with a seeded value, with a few deliberate structures.

    Plain random weights either stop at once or never, and keep repeating the current token (the tied
    embedding carries the input token straight to the output layer). Here activations have unit variance;
    embedding rows and block outputs have zero mean over the model dimensions, so a layer norm's mean is
    the positional encoding's alone and the lanes carry no noise; the last layer norm has negative gains,
    which turns the copy of the input token into a penalty; and the two lanes (see RAMP_LANE) end outputs
    after a few tokens and keep special tokens out of them.
    """
    generator = torch.Generator().manual_seed(seed)
    dim = model.config.d_model
    lanes = [RAMP_LANE, BIAS_LANE]
    content = [i for i in range(dim) if i not in lanes]
    with torch.no_grad():
        for name, module in sorted(model.named_modules(), key=lambda item: item[0]):
            if isinstance(module, nn.Linear) and name != "lm_head":  # lm_head is the tied embedding
                weight = torch.randn(module.weight.shape, generator=generator) / math.sqrt(module.in_features)
                if name.endswith(("q_proj", "k_proj", "v_proj", "fc1")):
                    weight[:, lanes] = 0.0
                if name.endswith(("out_proj", "fc2")):
                    weight[lanes, :] = 0.0
                    weight[content, :] -= weight[content, :].mean(dim=0)
                module.weight.copy_(weight)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.LayerNorm):
                module.weight.fill_(1.0)
                module.bias.zero_()
            elif family == "mbart50" and name.endswith("embed_positions"):
                # mBART learns its positions (offset by 2): give the ramp lane the sinusoid families' sine.
                table = torch.randn(module.weight.shape, generator=generator) * 0.5
                steps = (torch.arange(table.shape[0], dtype=torch.float32) - 2).clamp(min=0)
                table[:, RAMP_LANE] = torch.sin(steps * _ramp_frequency(family))
                table[:, BIAS_LANE] = 0.0
                table[:, content] -= table.sum(dim=1, keepdim=True) / len(content)
                module.weight.copy_(table)

        embedding = torch.randn((ids.vocab_size, dim), generator=generator) / math.sqrt(dim)
        embedding[:, lanes] = 0.0
        embedding[ids.eos] *= EOS_CONTENT_SCALE
        embedding[list(ids.target_tokens)] *= TARGET_TOKEN_SCALE
        embedding[ids.eos, RAMP_LANE] = -EOS_RAMP_WEIGHT
        embedding[list(ids.never_generated), BIAS_LANE] = SUPPRESSED_LOGIT / BIAS_LANE_SCALE
        embedding[:, content] -= embedding.sum(dim=1, keepdim=True) / len(content)
        embedding[list(ids.zero_rows)] = 0.0
        model.get_input_embeddings().weight.copy_(embedding)

        norm = _final_layer_norm(model, family)
        norm.weight.fill_(-1.0)
        # With a negative gain and a negative </s> weight, the rising sine raises the </s> logit, while </s>
        # as an input (mBART and M2M-100 start decoding with it) lowers its own logit.
        norm.weight[RAMP_LANE] = -RAMP_SLOPE / _ramp_frequency(family) / EOS_RAMP_WEIGHT
        norm.weight[BIAS_LANE] = 0.0
        norm.bias[BIAS_LANE] = BIAS_LANE_SCALE
    model.tie_weights()


def _calibration_kwargs(family: Family, tokenizer: Any) -> dict[str, Any]:
    if family == "mbart50":
        tokenizer.src_lang = "en_XX"
        return {"forced_bos_token_id": tokenizer.convert_tokens_to_ids("de_DE")}
    if family == "m2m100":
        tokenizer.src_lang = "en"
        return {"forced_bos_token_id": tokenizer.get_lang_id("de")}
    return {}


def _calibrate_eos_shift(model: PreTrainedModel, tokenizer: Any, family: Family, ids: TokenIds) -> float:
    """Return the </s> logit shift after which half of a corpus sample stops within TARGET_LENGTH tokens.

    With </s> banned, greedy decoding follows the same path whatever </s>'s logit is, so one pass tells, for
    every sentence and step, how far </s> is below the best other token: the length any shift would give.
    """
    lines = [line for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = lines[:: max(1, len(lines) // CALIBRATION_SENTENCES)]
    kwargs = _calibration_kwargs(family, tokenizer)
    batch = tokenizer(texts, return_tensors="pt", padding=True)
    with torch.inference_mode():
        output = model.generate(
            **batch,
            **kwargs,
            num_beams=1,
            do_sample=False,
            max_new_tokens=TARGET_LENGTH + 2,
            suppress_tokens=[ids.eos],
            forced_eos_token_id=None,
            output_logits=True,
            return_dict_in_generate=True,
        )
    logits = torch.stack(output.logits, dim=1)
    others = logits.clone()
    others[..., [ids.eos, *ids.never_generated]] = -math.inf
    margin = logits[..., ids.eos] - others.amax(dim=-1)
    first = 1 if kwargs else 0  # the forced language token
    best = margin[:, first : first + TARGET_LENGTH + 1].amax(dim=1)
    shift = float(torch.quantile(-best, 0.5))
    # Rounded up to a coarse grid, one step past the median so that sentence stops too: the weights stay
    # identical when the last bits of a float sum differ between machines.
    return math.ceil(shift * 4 + 1) / 4


def _write_weights(out: Path, family: Family, ids: TokenIds, seed: int) -> None:
    model = AutoModelForSeq2SeqLM.from_config(AutoConfig.from_pretrained(out))
    model.eval()
    _shape_weights(model, family, ids, seed)
    shift = _calibrate_eos_shift(model, AutoTokenizer.from_pretrained(out), family, ids)
    with torch.no_grad():
        # </s> is the only row with a weight in the ramp lane, so this offset moves its logit alone.
        _final_layer_norm(model, family).bias[RAMP_LANE] = -shift / EOS_RAMP_WEIGHT
    with tempfile.TemporaryDirectory() as scratch:
        # save_pretrained gives the tensor names and tied-weight layout transformers itself writes; its JSON
        # files are dropped in favour of the hand-written ones with the Hub's legacy keys.
        model.save_pretrained(scratch)
        (out / "model.safetensors").write_bytes((Path(scratch) / "model.safetensors").read_bytes())


# ------------------------------------------------------------------------------------------- verification


def _check(condition: bool, repo_id: str, message: str) -> None:
    if not condition:
        raise FixtureError(f"{repo_id}: {message}")


@dataclass(frozen=True)
class Request:
    """A batch to translate: texts, the tokenizer's source language, the forced target-language token."""

    texts: tuple[str, ...]
    src_lang: str | None = None
    forced_bos: str | None = None

    def prepare(self, tokenizer: Any) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        if self.src_lang is not None:
            tokenizer.src_lang = self.src_lang
        batch = dict(tokenizer(list(self.texts), return_tensors="pt", padding=True))
        if self.forced_bos is None:
            return batch, {}
        return batch, {"forced_bos_token_id": tokenizer.convert_tokens_to_ids(self.forced_bos)}

    @property
    def prefix_length(self) -> int:
        """Decoder start token, plus the forced language token for mBART and M2M-100."""
        return 1 if self.forced_bos is None else 2


def _generate(model: PreTrainedModel, tokenizer: Any, request: Request, **options: Any) -> list[list[int]]:
    batch, forced = request.prepare(tokenizer)
    with torch.inference_mode():
        output = model.generate(**batch, **forced, **options)
    return [[int(token) for token in row] for row in output]


def _new_tokens(row: Sequence[int], request: Request, eos: int) -> list[int] | None:
    """The generated tokens up to and including </s>; None if </s> never came."""
    tokens = list(row[request.prefix_length :])
    return tokens[: tokens.index(eos) + 1] if eos in tokens else None


@dataclass(frozen=True)
class Contrast:
    """Two requests whose outputs must differ (another target language, or another source text)."""

    name: str
    first: Request
    second: Request


def contrasts(spec: ModelSpec) -> list[Contrast]:
    en, de = CHECK_SENTENCES["en"], CHECK_SENTENCES["de"]
    if spec.family == "mbart50":
        return [
            Contrast("en->de/fr", Request(en, "en_XX", "de_DE"), Request(en, "en_XX", "fr_XX")),
            Contrast("de->en/ja", Request(de, "de_DE", "en_XX"), Request(de, "de_DE", "ja_XX")),
        ]
    if spec.family == "m2m100":
        return [
            Contrast("en->de/fr", Request(en, "en", "__de__"), Request(en, "en", "__fr__")),
            Contrast("de->en/zh", Request(de, "de", "__en__"), Request(de, "de", "__zh__")),
        ]
    if spec.target_tokens:
        fra, spa = (tuple(f"{token} {text}" for text in en) for token in (">>fra<<", ">>spa<<"))
        return [Contrast("en->fra/spa", Request(fra), Request(spa))]
    texts = CHECK_SENTENCES[spec.source_lang]
    return [Contrast("two inputs", Request(texts[:1]), Request(texts[1:]))]


def _verify_tokenizer(spec: ModelSpec, tokenizer: Any, vocab_size: int) -> None:
    repo = spec.repo_id
    name = type(tokenizer).__name__
    _check(name == EXPECTED_TOKENIZER[spec.family], repo, f"loads as {name}")
    if spec.family == "m2m100":
        # Like the real checkpoint, the model has 8 "madeupword" rows the tokenizer does not count.
        _check(len(tokenizer) + M2M100_MADEUP_WORDS == vocab_size, repo, f"{len(tokenizer)=}, {vocab_size=}")
        lang_ids = {tokenizer.get_lang_id(code) for code in M2M100_LANGUAGES}
        _check(len(lang_ids) == len(M2M100_LANGUAGES), repo, "language ids are not distinct")
        _check(lang_ids <= set(tokenizer.all_special_ids), repo, "language tokens are not special")
    else:
        _check(len(tokenizer) == vocab_size, repo, f"{len(tokenizer)=} but {vocab_size=}")
    if spec.family == "mbart50":
        code_ids = {tokenizer.convert_tokens_to_ids(code) for code in MBART50_LANGUAGE_CODES}
        _check(len(code_ids) == len(MBART50_LANGUAGE_CODES), repo, "language codes are not distinct")
        _check(tokenizer.unk_token_id not in code_ids, repo, "a language code is <unk>")
        _check(tokenizer.bos_token == "<s>", repo, f"bos_token is {tokenizer.bos_token!r}")
    if spec.family == "marian":
        codes = list(tokenizer.supported_language_codes)
        _check(codes == list(spec.target_tokens), repo, f"supported_language_codes {codes}")
        if spec.target_tokens:
            first = tokenizer(">>fra<< Hello")["input_ids"][0]
            _check(first == tokenizer.convert_tokens_to_ids(">>fra<<"), repo, ">>fra<< is not the first id")
    text = " ".join(sentence for texts in CHECK_SENTENCES.values() for sentence in texts)
    _check(tokenizer.unk_token not in tokenizer.tokenize(text), repo, "ordinary text has <unk> pieces")


def verify_model(spec: ModelSpec, model_dir: Path) -> list[int]:
    """Load the model the way the service does and check what the tests rely on; return output lengths."""
    repo = spec.repo_id
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir)
    model.eval()
    _verify_tokenizer(spec, tokenizer, model.config.vocab_size)
    eos = model.generation_config.eos_token_id
    special_ids = set(tokenizer.all_special_ids) - {eos}
    lengths: list[int] = []
    for contrast in contrasts(spec):
        for num_beams in (1, 2):
            where = f"{contrast.name}, {num_beams} beam(s)"
            outputs = []
            for request in (contrast.first, contrast.second):
                options = {"num_beams": num_beams, "do_sample": False, "max_new_tokens": MAX_CHECK_TOKENS}
                rows = _generate(model, tokenizer, request, **options)
                _check(
                    rows == _generate(model, tokenizer, request, **options),
                    repo,
                    f"{where}: not deterministic",
                )
                for row in rows:
                    new = _new_tokens(row, request, eos)
                    _check(new is not None, repo, f"{where}: no </s> within {MAX_CHECK_TOKENS} tokens: {row}")
                    assert new is not None
                    _check(len(new) > 1, repo, f"{where}: empty output {row}")
                    _check(not special_ids & set(new), repo, f"{where}: special tokens generated: {row}")
                    text = str(tokenizer.decode(row, skip_special_tokens=True))
                    _check(bool(text.strip()), repo, f"{where}: {row} decodes to nothing")
                    _check(
                        "__" not in text and ">>" not in text, repo, f"{where}: a token leaks into {text!r}"
                    )
                    lengths.append(len(new) - 1)
                outputs.append([_new_tokens(row, request, eos) for row in rows])
            differ = all(a != b for a, b in zip(*outputs, strict=True))
            _check(differ, repo, f"{where}: outputs do not depend on the request: {outputs}")
    # The shipped generation config (4 or 5 beams, max_length 512 or 200) must stop by itself too.
    request = contrasts(spec)[0].first
    for row in _generate(model, tokenizer, request):
        new = _new_tokens(row, request, eos)
        _check(new is not None and len(new) <= MAX_CHECK_TOKENS, repo, f"default generation runs on: {row}")
    return lengths


def check_ctranslate2(spec: ModelSpec, model_dir: Path) -> None:
    """Convert with CTranslate2 (int8 and float32) and translate; float32 greedy must equal transformers."""
    import ctranslate2  # optional: only this check needs it

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir)
    model.eval()
    eos = model.generation_config.eos_token_id
    request = contrasts(spec)[0].first
    sources, expected = [], []
    for text in request.texts:
        single = Request((text,), request.src_lang, request.forced_bos)
        batch, _ = single.prepare(tokenizer)
        sources.append(tokenizer.convert_ids_to_tokens(batch["input_ids"][0].tolist()))
        # transformers forces </s> at max length unless told not to; CTranslate2 does not.
        row = _generate(
            model, tokenizer, single, num_beams=1, max_new_tokens=MAX_CHECK_TOKENS, forced_eos_token_id=None
        )
        generated = row[0][1:]  # CTranslate2 returns the target prefix but neither start token nor </s>
        expected.append(
            tokenizer.convert_ids_to_tokens(
                generated[: generated.index(eos)] if eos in generated else generated
            )
        )
    prefix = [[request.forced_bos] for _ in sources] if request.forced_bos else None
    with tempfile.TemporaryDirectory() as scratch:
        for quantization in ("int8", "float32"):
            target = Path(scratch) / quantization
            ctranslate2.converters.TransformersConverter(str(model_dir)).convert(
                str(target), quantization=quantization
            )
            translator = ctranslate2.Translator(str(target), device="cpu")
            results = translator.translate_batch(
                sources, target_prefix=prefix, beam_size=1, max_decoding_length=MAX_CHECK_TOKENS + 1
            )
            hypotheses = [result.hypotheses[0] for result in results]
            _check(all(hypotheses), spec.repo_id, f"CTranslate2 {quantization}: empty output")
            # int8 rounding flips near-ties between random logits, so only float32 must match exactly.
            if quantization == "float32":
                _check(
                    hypotheses == expected,
                    spec.repo_id,
                    f"CTranslate2 {hypotheses} != transformers {expected}",
                )


# ------------------------------------------------------------------------------------------------- driver


@dataclass(frozen=True)
class BuildReport:
    repo_id: str
    path: Path
    size_bytes: int
    seconds: float
    lengths: list[int] = field(default_factory=list)
    ctranslate2_checked: bool = False

    def line(self) -> str:
        span = f"{min(self.lengths)}-{max(self.lengths)}" if self.lengths else "?"
        ct2 = ", CTranslate2 ok" if self.ctranslate2_checked else ""
        return f"{self.repo_id}: {self.size_bytes / 1024:.0f} KiB, outputs of {span} tokens{ct2}, {self.seconds:.1f} s"


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' progress bars and log lines while fixtures are built, then restore them."""
    verbosity = hf_logging.get_verbosity()
    progress_bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            # MarianTokenizer recommends sacremoses whenever it is missing; it changes nothing here.
            warnings.filterwarnings(
                "ignore", message="Recommended: pip install sacremoses", category=UserWarning
            )
            yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if progress_bars:
            hf_logging.enable_progress_bar()


def build_model(spec: ModelSpec, sp_model: bytes, out_root: Path) -> Path:
    """Write one model (files and weights) under ``out_root/<org>/<name>``; return its folder."""
    out = out_root / spec.repo_id
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.iterdir():
        stale.unlink()
    if spec.family == "marian":
        ids = _write_marian_files(spec, sp_model, out)
    elif spec.family == "mbart50":
        ids = _write_mbart50_files(sp_model, out)
    else:
        ids = _write_m2m100_files(sp_model, out)
    _write_weights(out, spec.family, ids, spec.seed)
    return out


def build_models(out_root: Path, only: Sequence[str] = (), *, check_ct2: bool = False) -> list[BuildReport]:
    """Build and verify the selected models (all by default) under ``out_root``."""
    unknown = sorted(set(only) - set(MODELS_BY_REPO))
    if unknown:
        raise FixtureError(f"unknown model(s) {unknown}; known: {sorted(MODELS_BY_REPO)}")
    selected = [spec for spec in MODELS if not only or spec.repo_id in only]
    if (
        any(spec.family == "mbart50" for spec in selected)
        and importlib.util.find_spec("google.protobuf") is None
    ):
        # The Hub repo has no tokenizer.json; transformers 5 converts sentencepiece.bpe.model with protobuf
        # and, without it, fails with a misleading "tiktoken is required" error.
        raise FixtureError("mBART-50's tokenizer needs the protobuf package: pip install protobuf")
    sp_model = train_sentencepiece()
    if train_sentencepiece() != sp_model:
        raise FixtureError("SentencePiece training is not reproducible")
    reports = []
    with quiet_transformers():
        for spec in selected:
            started = time.perf_counter()
            path = build_model(spec, sp_model, out_root)
            lengths = verify_model(spec, path)
            if check_ct2:
                check_ctranslate2(spec, path)
            size = sum(file.stat().st_size for file in path.iterdir())
            seconds = time.perf_counter() - started
            reports.append(
                BuildReport(spec.repo_id, path, size, seconds, lengths, ctranslate2_checked=check_ct2)
            )
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build tiny real-format translation models for the tests.")
    parser.add_argument("out_dir", type=Path, help="folder that receives <org>/<name>/ for each model")
    parser.add_argument(
        "--only", action="append", default=[], metavar="REPO_ID", help="build only this model"
    )
    parser.add_argument("--check-ct2", action="store_true", help="also convert and run with CTranslate2")
    args = parser.parse_args(argv)
    try:
        reports = build_models(args.out_dir, args.only, check_ct2=args.check_ct2)
    except FixtureError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for report in reports:
        print(report.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
