"""helpers.claims: conclusions printed as holding or not on this run; equality to float precision."""

import numpy as np
import pytest
import torch

from helpers.claims import Claim, claim, close, equal_to_float_precision


def test_claim_prints_holds_with_evidence(capsys):
    result = claim("A beats B", 3 > 2, "3 vs 2")
    assert result.holds and bool(result)
    assert capsys.readouterr().out == "holds on this run: A beats B (3 vs 2)\n"


def test_claim_that_fails_says_so_instead_of_contradicting(capsys):
    result = claim("A beats B", np.float64(1.0) > 2, "1 vs 2")
    assert not result.holds
    assert capsys.readouterr().out == "on this run this does NOT hold: A beats B (1 vs 2)\n"


def test_claim_accepts_a_one_element_tensor_and_can_stay_quiet(capsys):
    assert claim("x is positive", torch.tensor(True), show=False).holds
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("holds", [1, "yes", None, 0.5])
def test_claim_rejects_a_non_bool_check(holds):
    with pytest.raises(TypeError, match="must be a bool"):
        claim("something", holds)


def test_claim_rejects_many_truth_values_and_empty_statements():
    with pytest.raises(ValueError, match="one truth value"):
        claim("all positive", torch.tensor([True, False]))
    with pytest.raises(ValueError, match="non-empty"):
        claim("  ", True)


def test_close_is_float_precision_not_bitwise():
    a = torch.randn(3, 8, generator=torch.Generator().manual_seed(0))
    assert close(a, a * (1 + 1e-6))  # a reordered float32 sum differs in the last bits
    assert not close(a, a * (1 + 1e-2))  # a real difference
    assert not close(a, a[:2])  # another shape is never equal
    assert close(a.numpy(), a)  # numpy and torch compare alike


def test_equal_to_float_precision_states_the_tolerance(capsys):
    result = equal_to_float_precision("the two maps are the same", torch.ones(2), torch.ones(2))
    assert isinstance(result, Claim) and result.holds
    assert "rtol 0.0001" in capsys.readouterr().out


def test_a_claim_ending_a_cell_is_not_displayed_twice(capsys):
    """IPython shows a cell's last value; a claim has printed itself, so its display is empty (nbval sees no extra output)."""
    from IPython.core.formatters import DisplayFormatter

    result = claim("shown once", True)
    assert DisplayFormatter().format(result) == ({}, {})
    assert capsys.readouterr().out == "holds on this run: shown once\n"
