"""helpers.runtime: a sensible thread count, and the user's choice respected."""

import pytest
import torch

from helpers import runtime


@pytest.mark.parametrize("cores, expected", [(1, 1), (2, 1), (4, 2), (8, 4), (64, 4)])
def test_default_is_half_the_cores_between_1_and_4(monkeypatch, cores, expected):
    monkeypatch.setattr(runtime, "available_cores", lambda: cores)
    threads, why = runtime.chosen_threads({})
    assert threads == expected and f"half of {cores} core(s)" in why


def test_user_settings_win_in_order_and_bad_values_are_ignored(monkeypatch):
    monkeypatch.setattr(runtime, "available_cores", lambda: 8)
    assert runtime.chosen_threads({"OMP_NUM_THREADS": "3"}) == (3, "OMP_NUM_THREADS=3")
    assert runtime.chosen_threads({"COURSE_THREADS": "2", "OMP_NUM_THREADS": "3"}) == (2, "COURSE_THREADS=2")
    assert runtime.chosen_threads({"COURSE_THREADS": "0", "OMP_NUM_THREADS": "many"})[0] == 4


def test_configure_threads_sets_torch_and_says_so():
    before = torch.get_num_threads()
    try:
        line = runtime.configure_threads({"COURSE_THREADS": "1"})
        assert torch.get_num_threads() == 1 and line == "torch threads: 1 (COURSE_THREADS=1)"
    finally:
        torch.set_num_threads(before)
