"""'Check your understanding' questions: multiple choice or a number, with feedback that explains.

A notebook defines its questions as constants in its exercise module (e.g.
`helpers.exercises.saliency.QUIZ`), and a student answers in a cell:

    Q1.check("b")          # -> ✅ Correct: ... / ❌ Not yet: ..., then the explanation
    Q2.check(0.25)

Wrong answers get the explanation too, so the feedback teaches rather than only grades.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from . import CheckResult, failed, passed


def _letters(n: int) -> list[str]:
    """'a', 'b', ... for n options."""
    return [chr(ord("a") + i) for i in range(n)]


@dataclass(frozen=True, repr=False)  # the repr shows the question, never the answer
class MultipleChoice:
    """A question with lettered options; `answer` is the letter of the right one."""

    question: str
    options: Sequence[str]
    answer: str
    explanation: str

    def __post_init__(self) -> None:
        if len(self.options) < 2:
            raise ValueError("A multiple-choice question needs at least two options.")
        if self.answer.strip().lower() not in _letters(len(self.options)):
            raise ValueError(f"answer must be one of {_letters(len(self.options))}; got {self.answer!r}.")

    def __str__(self) -> str:
        lines = [self.question] + [f"  ({letter}) {text}" for letter, text in zip(_letters(len(self.options)), self.options)]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        items = "\n".join(f"- **({letter})** {text}" for letter, text in zip(_letters(len(self.options)), self.options))
        return f"{self.question}\n\n{items}"

    def check(self, response: object) -> CheckResult:
        """Grade a letter ('a', 'B', ' c ') and explain; anything else says what is expected."""
        letters = _letters(len(self.options))
        if not isinstance(response, str) or response.strip().lower() not in letters:
            return failed(f"answer with one letter out of {', '.join(letters)} (as a string, e.g. \"{letters[0]}\"); got {response!r}.")
        if response.strip().lower() == self.answer.strip().lower():
            return passed(self.explanation)
        chosen = self.options[letters.index(response.strip().lower())]
        return failed(f"({response.strip().lower()}) \u201c{chosen}\u201d is not right. {self.explanation}")


@dataclass(frozen=True, repr=False)
class NumericAnswer:
    """A question whose answer is a number, accepted within an absolute `tolerance`."""

    question: str
    answer: float
    tolerance: float
    explanation: str

    def __post_init__(self) -> None:
        if not (math.isfinite(self.answer) and self.tolerance >= 0):
            raise ValueError("A numeric question needs a finite answer and a non-negative tolerance.")

    def __str__(self) -> str:
        return self.question

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        return self.question

    def check(self, response: object) -> CheckResult:
        """Grade a number (int, float, numpy or 0-d tensor) and explain; anything else says what is expected."""
        try:
            value = float(response)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return failed(f"answer with a number; got {response!r}.")
        if not math.isfinite(value):
            return failed(f"answer with a finite number; got {value}.")
        if abs(value - self.answer) <= self.tolerance:
            return passed(self.explanation)
        direction = "too high" if value > self.answer else "too low"
        return failed(f"{value:g} is {direction}. {self.explanation}")
