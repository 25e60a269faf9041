"""The semantic extra: all-MiniLM-L6-v2 from its registry package, run in numpy.

The encoder is checked against the similarities sentence-transformers' documentation prints for
this model ("A man is eating food." / "A man is eating a piece of bread." 0.7553; "The new movie
is awesome" / "The new movie is so great" 0.8939), so the numpy forward pass matches the reference
implementation to four decimals without PyTorch being installed.
"""

from __future__ import annotations

import builtins

import pytest

from themegraph.errors import ThemeGraphError


def test_numpy_minilm_reproduces_the_reference_similarities():
    from themegraph.review.embedding import encode

    v = encode(["A man is eating food.", "A man is eating a piece of bread.",
                "The new movie is awesome", "The new movie is so great"])
    assert v.shape == (4, 384)
    assert round(float(v[0] @ v[1]), 4) == 0.7553
    assert round(float(v[2] @ v[3]), 4) == 0.8939
    assert abs(float(v[0] @ v[2])) < 0.1


def test_semantic_similarity_ranks_a_translation_above_an_unrelated_theme():
    from themegraph.review.suggest import semantic_similarity

    sim = semantic_similarity({
        "a": "Transparency",
        "b": "Transparent communication with patients and representatives of the justice system",
        "c": "Fear",
    })
    assert sim("a", "b") > sim("a", "c")


def test_without_the_extra_semantic_asks_for_it(monkeypatch):
    from themegraph.review import embedding

    real_import = builtins.__import__

    def no_tokenizers(name, *args, **kwargs):
        if name == "tokenizers":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tokenizers)
    with pytest.raises(ThemeGraphError, match=r"pip install 'themegraph\[semantic\]'"):
        embedding.model_dir()
