"""Properties the issue asks for: a 5-star review never lowers a DSR dimension, and a quality return
never raises the product score, whatever the history before it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from laotie.scores import formulas as f

stars = st.lists(st.integers(min_value=1, max_value=5), max_size=300)


@given(shop=stars, others=stars)
def test_a_five_star_review_never_lowers_a_dsr_dimension(shop: list[int], others: list[int]) -> None:
    # The review counts in the shop and in its category (whose average is the prior).
    cat_sum, cat_n = sum(shop) + sum(others), len(shop) + len(others)
    before = f.dsr_x100(sum(shop), len(shop), f.category_mean(cat_sum, cat_n))
    after = f.dsr_x100(sum(shop) + 5, len(shop) + 1, f.category_mean(cat_sum + 5, cat_n + 1))
    assert after is not None or before is None
    if before is not None and after is not None:
        assert after >= before


product_inputs = st.builds(
    f.ProductInputs,
    reviews=st.integers(0, 2_000),
    product_star_sum=st.integers(0, 10_000),
    delivered=st.integers(0, 5_000),
    quality_returns=st.integers(0, 5_000),
    complaints=st.integers(0, 100),
    violation_points=st.integers(0, 30),
    category_prior=st.floats(1.0, 5.0),
)


@given(i=product_inputs)
def test_a_quality_return_never_raises_the_product_score(i: f.ProductInputs) -> None:
    i = f.ProductInputs(
        reviews=i.reviews,
        product_star_sum=min(max(i.product_star_sum, i.reviews), 5 * i.reviews),
        delivered=i.delivered,
        quality_returns=i.quality_returns,
        complaints=i.complaints,
        violation_points=i.violation_points,
        category_prior=i.category_prior,
    )
    before = f.product_score(i)
    after = f.product_score(
        f.ProductInputs(
            i.reviews,
            i.product_star_sum,
            i.delivered,
            i.quality_returns + 1,
            i.complaints,
            i.violation_points,
            i.category_prior,
        )
    )
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert after <= before


@given(i=product_inputs, extra=st.integers(1, 50))
def test_more_quality_returns_never_raise_shop_experience(i: f.ProductInputs, extra: int) -> None:
    shop = f.ShopInputs(reviews=i.reviews, delivered=i.delivered, quality_returns=i.quality_returns)
    worse = f.ShopInputs(reviews=i.reviews, delivered=i.delivered, quality_returns=i.quality_returns + extra)
    before, after = f.experience(shop), f.experience(worse)
    if before is not None and after is not None:
        assert after <= before
