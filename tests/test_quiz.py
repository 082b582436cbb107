"""The 'check your understanding' questions grade, explain, and refuse malformed answers clearly."""

import numpy as np
import pytest
import torch

from helpers.exercises.quiz import MultipleChoice, NumericAnswer


def test_multiple_choice_right_wrong_and_malformed():
    q = MultipleChoice("2 + 2?", ["3", "4", "5"], "b", "Because 2 + 2 = 4.")
    assert q.check("b") and q.check(" B ")
    wrong = q.check("a")
    assert not wrong and "Because 2 + 2 = 4." in wrong.message and "3" in wrong.message
    malformed = q.check(2)
    assert not malformed and "a, b, c" in malformed.message
    assert "(c) 5" in str(q)


def test_multiple_choice_rejects_bad_definition():
    with pytest.raises(ValueError, match="one of"):
        MultipleChoice("?", ["x", "y"], "c", "")
    with pytest.raises(ValueError, match="two options"):
        MultipleChoice("?", ["x"], "a", "")


def test_numeric_answer_tolerance_and_types():
    q = NumericAnswer("What fraction?", 0.25, 0.01, "One in four.")
    assert q.check(0.255) and q.check(np.float32(0.25)) and q.check(torch.tensor(0.25))
    high = q.check(0.3)
    assert not high and "too high" in high.message and "One in four." in high.message
    assert "too low" in q.check(0.1).message
    assert "a number" in q.check("a quarter").message
    assert "finite" in q.check(float("nan")).message


def test_repr_shows_the_question_but_never_the_answer():
    q = MultipleChoice("Which?", ["left", "right"], "b", "SECRET because right.")
    n = NumericAnswer("How many?", 42.0, 0.5, "SECRET forty-two.")
    for text in (repr(q), repr(n), q._repr_markdown_(), n._repr_markdown_()):
        assert "SECRET" not in text and "answer=" not in text
    assert "Which?" in repr(q) and "(b) right" in repr(q) and "How many?" in repr(n)
