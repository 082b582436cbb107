"""helpers.evaluation.competitors: where a class's margin came from, and the median's order-statistic interval."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from helpers.evaluation.competitors import (
    MIN_MARGIN_FRACTION,
    SUMMARIES,
    competitor_score,
    margin_change,
    margin_decomposition,
    median_interval,
)


def test_competitor_scores_by_hand() -> None:
    """Mean, log-sum-exp and maximum of the classes other than each row's target."""
    logits = np.array([[5.0, 1.0, 3.0], [0.0, 2.0, 4.0]])
    targets = [0, 2]
    assert np.allclose(competitor_score(logits, targets, "mean"), [2.0, 1.0])
    assert np.allclose(competitor_score(logits, targets, "runner_up"), [3.0, 2.0])
    assert np.allclose(competitor_score(logits, targets, "logsumexp"), [np.log(np.e + np.e**3), np.log(1 + np.e**2)])


def test_logsumexp_margin_is_the_log_odds_of_p_c() -> None:
    """S_c minus the others' log-sum-exp is log(P_c / (1 - P_c)): the summary P_c depends on."""
    logits = torch.randn(5, 10, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3
    targets = torch.tensor([0, 3, 9, 4, 4])
    p = logits.softmax(1)[torch.arange(5), targets]
    margin = logits[torch.arange(5), targets].numpy() - competitor_score(logits, targets, "logsumexp")
    assert np.allclose(margin, torch.log(p / (1 - p)).numpy())


def test_logsumexp_is_stable_for_large_logits() -> None:
    """Logits of hundreds (the toy's logit objective) neither overflow nor warn."""
    logits = np.array([[1500.0, 800.0, 799.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = competitor_score(logits, [0], "logsumexp")
    assert np.allclose(value, 800 + np.log1p(np.exp(-1.0)))


def test_shares_of_pure_cases() -> None:
    """Only S_c rose: share 0; only the others fell: share 1; the others rose: negative."""
    start = np.zeros((1, 4))
    only_target = margin_decomposition(start, np.array([[2.0, 0, 0, 0]]), [0])
    only_others = margin_decomposition(start, np.array([[0.0, -1, -1, -1]]), [0])
    others_rose = margin_decomposition(start, np.array([[3.0, 1, 1, 1]]), [0])
    for summary in SUMMARIES:
        assert np.allclose(only_target[summary].share_from_others, 0)
        assert np.allclose(only_others[summary].share_from_others, 1)
        assert np.allclose(others_rose[summary].share_from_others, -0.5)  # margin +2, of which -1 from the others


def test_the_summaries_can_disagree() -> None:
    """The runner-up rises while the mean falls: the case the notebook's two metrics tell apart."""
    change = margin_decomposition(np.zeros((1, 4)), np.array([[4.0, 2.0, -3.0, -3.0]]), [0])
    assert change["mean"].share_from_others[0] == pytest.approx(0.25)  # mean -4/3 of a margin of 16/3
    assert change["runner_up"].share_from_others[0] == pytest.approx(-1.0)  # margin +2: S_c +4, runner-up +2
    assert change["logsumexp"].share_from_others[0] < 0


def test_margin_change_keeps_its_inputs_and_takes_tensors() -> None:
    start = torch.zeros(2, 3, requires_grad=True)
    end = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    kept = end.clone()
    change = margin_change(start, end, torch.tensor([0, 2]), "mean")
    assert torch.equal(end, kept) and start.grad is None
    assert np.allclose(change.target_change, [1.0, 2.0]) and np.allclose(change.margin_change, [1.0, 2.0])


def test_share_is_nan_where_the_margin_shrank_or_barely_grew() -> None:
    """A margin that shrank, did not move, or grew by a sliver of two large changes has no share (NaN), not +7."""
    start = np.zeros((4, 2))
    end = np.array(
        [
            [1.0, 2.0],  # margin -1: the others rose more than S_c
            [0.0, 0.0],  # nothing moved
            [8.0, 7.0],  # margin +1 of a movement of 15: 6.7%, defined
            [8.0, 7.95],
        ]
    )  # margin +0.05 of 15.95: 0.3%, a ratio of near-cancelling changes
    change = margin_change(start, end, [0, 0, 0, 0], "mean")
    assert change.share_defined.tolist() == [False, False, True, False]
    share = change.share_from_others
    assert np.isnan(share[[0, 1, 3]]).all() and share[2] == pytest.approx(-7.0)
    assert np.nanmax(np.abs(share)) <= 1 / MIN_MARGIN_FRACTION
    with pytest.raises(ValueError, match="finite values"):
        median_interval(np.concatenate([share, share]))  # NaN shares cannot silently enter a median


@pytest.mark.parametrize(
    ("start", "end", "targets", "summary", "message"),
    [
        (np.zeros((2, 3)), np.zeros((3, 3)), [0, 1], "mean", "same shape"),
        (np.zeros(3), np.zeros(3), [0], "mean", r"\(N, K\)"),
        (np.zeros((2, 1)), np.zeros((2, 1)), [0, 0], "mean", "K >= 2"),
        (np.zeros((2, 3)), np.ones((2, 3)), [0, 3], "mean", r"in \[0, 3\)"),
        (np.zeros((2, 3)), np.ones((2, 3)), [0.0, 1.0], "mean", "integer class indices"),
        (np.zeros((2, 3)), np.ones((2, 3)), [0], "mean", "2 integer class indices"),
        (np.zeros((1, 3)), np.array([[np.nan, 0, 0]]), [0], "mean", "inf or NaN"),
        (np.zeros((1, 3)), np.array([[1.0, 0, 0]]), [0], "median", "summary must be one of"),
    ],
)
def test_bad_input_says_what_was_expected(start, end, targets, summary, message) -> None:
    with pytest.raises(ValueError, match=message):
        margin_change(start, end, targets, summary)


def test_median_interval_of_six_is_the_range() -> None:
    """n = 6: min to max covers the median with probability 1 - 2/64."""
    low, high, coverage = median_interval([3.0, -1.0, 2.0, 0.5, 7.0, 1.0])
    assert (low, high) == (-1.0, 7.0) and coverage == pytest.approx(62 / 64)


def test_median_interval_narrows_with_n() -> None:
    """n = 20 at 95%: (x_(6), x_(15)), coverage 1 - 2 P(Bin(20, 1/2) <= 5)."""
    low, high, coverage = median_interval(np.arange(20.0))
    assert (low, high) == (5.0, 14.0)
    assert coverage == pytest.approx(1 - 2 * sum(math.comb(20, i) for i in range(6)) / 2**20)
    assert coverage >= 0.95


def test_median_interval_covers_the_median_as_often_as_it_says() -> None:
    rng = np.random.default_rng(0)
    hits = [lo <= 0 <= hi for lo, hi, _ in (median_interval(rng.standard_normal(10)) for _ in range(2000))]
    assert np.mean(hits) > 0.95 - 3 * np.sqrt(0.95 * 0.05 / 2000)


@pytest.mark.parametrize(
    ("values", "level", "message"),
    [
        ([1.0, 2.0, 3.0, 4.0, 5.0], 0.95, "at least 6"),
        ([], 0.95, "got 0"),
        ([1.0] * 6, 1.5, "strictly between"),
        ([1.0, 2.0, np.nan, 4.0, 5.0, 6.0], 0.95, "finite"),
    ],
)
def test_median_interval_bad_input(values, level, message) -> None:
    with pytest.raises(ValueError, match=message):
        median_interval(values, level)
