"""Chinese text for search: normalisation, segmentation, pinyin, synonyms, typos, safe tokens."""

from __future__ import annotations

import pytest

from laotie.search import fts, ranking, text
from laotie.search.plan import correct, plan
from laotie.search.vocabulary import Vocabulary


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.build({"iphone": 40, "碎花": 10})


def test_normalize_folds_width_case_and_traditional_characters() -> None:
    assert text.normalize("ＡＢＣ　連衣裙") == "abc 连衣裙"
    assert text.normalize("  多   空格 ") == "多 空格"
    assert len(text.normalize("裙" * 1000)) == text.MAX_QUERY_CHARS


def test_tokens_keep_only_letters_digits_and_ideographs() -> None:
    assert text.tokens_of(text.normalize('"连衣裙" OR * NEAR(红色) 😀')) == ["连衣裙", "or", "near", "红色"]
    assert text.tokens_of("😀😀") == []


def test_product_dictionary_and_near_misses() -> None:
    seg = text.segmenter()
    assert "连衣裙" in seg.query_terms("连衣裙")
    assert seg.query_terms("打底 裤") == ["打底裤"]  # the gap between Chinese characters closes
    assert seg.query_terms("碎花连衣裙") == ["碎花", "连衣裙"]  # a compound split into what covers it
    doc = seg.doc_tokens("加绒打底 裤 女")
    assert "打底裤" in doc and "打底" in doc


def test_pinyin_keys_cover_polyphones() -> None:
    fulls, initials = text.pinyin_keys("长裙")
    assert "changqun" in fulls and "zhangqun" in fulls and "cq" in initials


def test_pinyin_and_initials_find_the_word(vocab: Vocabulary) -> None:
    assert "连衣裙" in plan("lianyiqun", vocab).terms[0]
    assert "连衣裙" in plan("lyq", vocab).terms[0]
    run = plan("lianyiqunhongse", vocab)
    assert run.words == ("连衣裙", "红色")


def test_synonyms_both_ways(vocab: Vocabulary) -> None:
    assert "裙子" in plan("连衣裙", vocab).terms[0]
    assert "连衣裙" in plan("裙子", vocab).terms[0]
    assert "短袖" in plan("T恤", vocab).terms[0]


def test_typos_are_corrected(vocab: Vocabulary) -> None:
    assert correct(plan("连衣群", vocab), vocab) == ["连衣裙"]  # a homophone
    assert correct(plan("lianyiqn", vocab), vocab) == ["连衣裙"]  # pinyin one letter off
    assert correct(plan("iphnoe", vocab), vocab) == ["iphone"]  # a swapped Latin word
    assert correct(plan("连衣裙", vocab), vocab) is None  # nothing to correct


def test_match_expressions_quote_every_token() -> None:
    terms = [["连衣裙", "裙子"], ["or"]]
    assert fts.sqlite_match(terms) == '("连衣裙" OR "裙子") AND ("or")'
    assert fts.postgres_match(terms, any_term=True) == "('连衣裙' | '裙子') | ('or')"


def test_rank_obeys_consequences_and_quality() -> None:
    good = ranking.Signals(product_score=95, price_index_bp=8000, sales=800, dsr_x100=490)
    poor = ranking.Signals(product_score=45, price_index_bp=14000, sales=3, dsr_x100=380)
    assert ranking.rank_bp(good) > ranking.rank_bp(poor) > 0
    assert ranking.rank_bp(ranking.Signals(distributed=False)) == 0
    plain = ranking.rank_bp(ranking.Signals())
    assert abs(ranking.rank_bp(ranking.Signals(boosted=False)) - plain * ranking.WEIGHTS.no_boost_factor) <= 1
    assert abs(ranking.rank_bp(ranking.Signals(weight_bp=5000)) - plain / 2) <= 1
    assert ranking.rank_bp(ranking.Signals(overpriced=True)) < plain / 3
