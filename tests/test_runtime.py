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


# ---- parallel_map: GrabCut over cores ----------------------------------------------------------

import numpy as np
import pytest

from helpers.runtime import check_workers, default_workers, parallel_map


def test_parallel_map_keeps_order_and_runs_closures():
    offset = 7
    items = list(range(60))
    assert parallel_map(lambda i: i * i + offset, items, workers=2) == [i * i + offset for i in items]


def test_parallel_map_raises_a_childs_error_here():
    def fail_on_five(i):
        if i == 5:
            raise ValueError("five is not allowed")
        return i

    with pytest.raises(ValueError, match="five is not allowed"):
        parallel_map(fail_on_five, range(10), workers=2)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "2"])
def test_workers_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="positive whole number"):
        check_workers(bad)


def test_default_workers_stay_in_process_for_short_lists():
    assert default_workers(3) == 1


def test_localize_boxes_do_not_depend_on_the_number_of_workers(toy):
    import torch

    from helpers import localization as loc
    from helpers import toyworld
    from helpers.saliency import saliency_map

    data = toyworld.generate(40, seed=20_000)
    images = data.images
    x = toy.normalize(torch.from_numpy(images).permute(0, 3, 1, 2).float().div(255))
    sal = saliency_map(toy, x, torch.from_numpy(data.labels)).numpy()
    serial = loc.localize_boxes(images, sal, on_error="full_image", workers=1)
    assert np.array_equal(loc.localize_boxes(images, sal, on_error="full_image", workers=2), serial)
