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


def test_multiple_choice_explains_the_misconception_of_the_chosen_option():
    q = MultipleChoice(
        "2 + 2?",
        ["3", "4", "5"],
        "b",
        "Because 2 + 2 = 4.",
        why_wrong={"a": "One short: MISC-A.", "c": "Added one: MISC-C."},
    )
    a, c = q.check("a"), q.check("c")
    assert "MISC-A" in a.message and "MISC-C" not in a.message and "Because" in a.message
    assert "MISC-C" in c.message and "MISC-A" not in c.message
    with pytest.raises(ValueError, match="wrong options only"):
        MultipleChoice("?", ["x", "y"], "a", "", why_wrong={"a": "the right one"})


def test_numeric_answer_accepts_fractions_as_strings_and_refuses_booleans():
    q = NumericAnswer("IoU?", 1 / 3, 0.01, "One third.")
    for right in ("1/3", " 1 / 3 ", "0.333", 0.333):
        assert q.check(right), right
    assert "a number" in q.check(True).message and "a number" in q.check("1/0").message
    assert "a number" in q.check(torch.ones(2)).message


def test_numeric_answer_tells_a_percentage_from_a_fraction():
    q = NumericAnswer("Share?", 0.128, 0.005, "Area.")
    for percent in (12.8, "12.8"):
        verdict = q.check(percent)
        assert not verdict and "give a fraction, not a percentage" in verdict.message, percent
    for written in ("12.8%", " 12.8 % "):  # with the % sign the meaning is plain: accepted
        assert q.check(written), written
    assert "too high" in q.check("50%").message
    assert "too high" in q.check(0.5).message  # a wrong fraction is not mistaken for a percentage
    big = NumericAnswer("How many?", 42.0, 0.5, "Forty-two.")
    assert "too low" in big.check(0.42).message and "percentage" not in big.check(4200).message


def test_numeric_answer_reads_a_unicode_minus_and_says_the_format():
    """Text copied from a page often has a Unicode minus or a dash; a % where a plain number is asked is told so."""
    q = NumericAnswer("Change?", -0.2, 1e-6, "EXPLAINED.")
    for right in (-0.2, "-0.2", "\u22120.2", "\u2013 0.2", "-1/5", "\u22121/5"):
        assert q.check(right), right
    verdict = q.check("-20%")
    assert not verdict and "plain number, not a percentage" in verdict.message and "-0.2" in verdict.message
    verdict = q.check("minus a fifth")
    assert not verdict and "answer with a number, e.g." in verdict.message and "percentage" not in verdict.message
    signed = NumericAnswer("Relative change?", 0.2, 1e-6, "E.")
    assert signed.check("20%") and not signed.check("-20%") and "too low" in signed.check("\u221220%").message


def test_numeric_answer_names_known_mistakes():
    q = NumericAnswer("Factor?", 0.99, 0.002, "EXPLAINED.", mistakes=[(0.995, "the 2 is missing.")])
    verdict = q.check(0.995)
    assert not verdict and "the 2 is missing." in verdict.message and "EXPLAINED." in verdict.message
    with pytest.raises(ValueError, match="within the tolerance"):
        NumericAnswer("?", 1.0, 0.1, "", mistakes=[(1.05, "too close")])


def _course_questions():
    from helpers.exercises import (
        attribution,
        classvis,
        linear,
        localization,
        logits,
        saliency,
    )

    return [
        (f"{m.__name__.rsplit('.', 1)[-1]}.Q{i + 1}", q)
        for m in (linear, saliency, classvis, logits, localization, attribution)
        for i, q in enumerate(m.QUIZ)
    ]


@pytest.mark.parametrize(("name", "question"), _course_questions(), ids=[n for n, _ in _course_questions()])
def test_every_course_question_explains_each_wrong_option(name, question):
    """Every wrong option of every multiple-choice question has its own feedback, shown when it is picked."""
    if not isinstance(question, MultipleChoice):
        assert question.check(question.answer) and question.check(f"{question.answer!r}")
        return
    letters = [chr(ord("a") + i) for i in range(len(question.options))]
    wrong = [letter for letter in letters if letter != question.answer]
    assert set(question.why_wrong) == set(wrong), name
    for letter in wrong:
        verdict = question.check(letter)
        assert not verdict and question.why_wrong[letter] in verdict.message
    assert len({question.why_wrong[letter] for letter in wrong}) == len(wrong)  # not one text for all
