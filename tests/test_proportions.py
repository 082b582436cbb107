"""helpers.evaluation.proportions: the Wilson interval of a proportion."""

from __future__ import annotations

import math

import pytest

from helpers.evaluation.proportions import wilson_interval


def test_known_values():
    # Newcombe (1998), Table I: 81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605 (95%, Wilson score)
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert wilson_interval(15, 148) == pytest.approx((0.0624, 0.1605), abs=5e-5)


def test_zero_and_all_hits_have_width_and_stay_in_range():
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and 0.25 < high < 0.35  # 0.2775: not the zero-width Wald interval
    low, high = wilson_interval(10, 10)
    assert 0.65 < low < 0.75 and high == 1.0


def test_level_and_n_narrow_the_interval():
    w95 = wilson_interval(500, 1000)
    w99 = wilson_interval(500, 1000, level=0.99)
    assert w99[0] < w95[0] and w99[1] > w95[1]
    assert math.isclose(sum(w95) / 2, 0.5)
    assert wilson_interval(50, 100)[1] - wilson_interval(50, 100)[0] > w95[1] - w95[0]


@pytest.mark.parametrize("hits, n", [(-1, 10), (11, 10), (0, 0)])
def test_counts_out_of_range_are_refused(hits, n):
    with pytest.raises(ValueError, match="0 <= hits <= n"):
        wilson_interval(hits, n)


@pytest.mark.parametrize("hits, n", [(0.5, 10), (True, 10), (3, 10.5)])
def test_fractions_are_refused(hits, n):
    with pytest.raises(TypeError, match="whole counts"):
        wilson_interval(hits, n)


def test_bad_level_is_refused():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        wilson_interval(3, 10, level=95)


def test_sign_test_matches_the_binomial_by_hand() -> None:
    from helpers.evaluation.proportions import sign_test

    assert sign_test(0, 0) == 1.0
    assert sign_test(5, 0) == pytest.approx(2 / 32)  # both tails of 5 fair coins all one way
    assert sign_test(7, 3) == pytest.approx(2 * (1 + 10 + 45 + 120) / 1024)
    assert sign_test(3, 7) == sign_test(7, 3)


def test_sign_test_works_beyond_a_thousand_pairs() -> None:
    from helpers.evaluation.proportions import sign_test

    assert sign_test(600, 600) == 1.0  # a float 2.0**1200 overflowed here
    assert 0 < sign_test(1100, 1000) < 0.05  # about 2.2 standard errors of a fair coin
    assert sign_test(3000, 0) == 0.0  # underflows to zero instead of raising
    with pytest.raises(ValueError, match="whole, non-negative"):
        sign_test(-1, 2)
