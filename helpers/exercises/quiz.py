"""'Check your understanding' questions: multiple choice or a number, with feedback that explains.

A notebook defines its questions as constants in its exercise module (e.g.
`helpers.exercises.saliency.QUIZ`), and a student answers in a cell:

    Q1.check("b")          # -> ✅ Correct: ... / ❌ Not yet: ..., then the explanation
    Q2.check(0.25)         # numbers, numpy scalars, 0-d tensors and strings such as "1/3" are accepted

A wrong option first gets the misconception it reflects (`why_wrong`), then the explanation, so the
feedback teaches rather than only grades.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from . import CheckResult, failed, passed


def _letters(n: int) -> list[str]:
    """'a', 'b', ... for n options."""
    return [chr(ord("a") + i) for i in range(n)]


@dataclass(frozen=True, repr=False)  # the repr shows the question, never the answer
class MultipleChoice:
    """A question with lettered options; `answer` is the letter of the right one.

    `why_wrong` maps each wrong option's letter to the misconception that picking it reflects.
    """

    question: str
    options: Sequence[str]
    answer: str
    explanation: str
    why_wrong: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        letters = _letters(len(self.options))
        if len(self.options) < 2:
            raise ValueError("A multiple-choice question needs at least two options.")
        if self.answer.strip().lower() not in letters:
            raise ValueError(f"answer must be one of {letters}; got {self.answer!r}.")
        wrong = set(letters) - {self.answer.strip().lower()}
        if not set(self.why_wrong) <= wrong:
            raise ValueError(f"why_wrong explains wrong options only ({sorted(wrong)}); got {sorted(self.why_wrong)}.")

    def __str__(self) -> str:
        lines = [self.question] + [f"  ({letter}) {text}" for letter, text in zip(_letters(len(self.options)), self.options)]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        items = "\n".join(f"- **({letter})** {text}" for letter, text in zip(_letters(len(self.options)), self.options))
        return f"{self.question}\n\n{items}"

    def check(self, response: object) -> CheckResult:
        """Grade a letter ('a', 'B', ' c '): a wrong one gets its misconception, then the explanation."""
        letters = _letters(len(self.options))
        if not isinstance(response, str) or response.strip().lower() not in letters:
            return failed(f"answer with one letter out of {', '.join(letters)} (as a string, e.g. \"{letters[0]}\"); got {response!r}.")
        letter = response.strip().lower()
        if letter == self.answer.strip().lower():
            return passed(self.explanation)
        chosen = self.options[letters.index(letter)]
        misconception = self.why_wrong.get(letter, "")
        return failed(f"({letter}) \u201c{chosen}\u201d is not right. {misconception + ' ' if misconception else ''}{self.explanation}")


def parse_number(response: object) -> float | None:
    """A float from a number, numpy scalar, 0-d tensor or a string such as "0.33", "1/3" or " 1 / 3 "; else None.

    Booleans are not numbers here: True would silently read as 1.
    """
    if isinstance(response, bool):
        return None
    if isinstance(response, str):
        try:
            return float(Fraction("".join(response.split())))
        except (ValueError, ZeroDivisionError):
            return None
    try:
        return float(response)  # type: ignore[arg-type]
    except (TypeError, ValueError, RuntimeError):  # RuntimeError: a tensor with more than one element
        return None


@dataclass(frozen=True, repr=False)
class NumericAnswer:
    """A question whose answer is a number, accepted within an absolute `tolerance`.

    `mistakes` lists (value, misconception) pairs of known wrong answers. When the answer is a fraction
    (between 0 and 1), the same value given as a percentage (12.8 for 0.128) is told so.
    """

    question: str
    answer: float
    tolerance: float
    explanation: str
    mistakes: Sequence[tuple[float, str]] = ()

    def __post_init__(self) -> None:
        if not (math.isfinite(self.answer) and self.tolerance >= 0):
            raise ValueError("A numeric question needs a finite answer and a non-negative tolerance.")
        if any(abs(value - self.answer) <= self.tolerance for value, _ in self.mistakes):
            raise ValueError("A listed mistake lies within the tolerance of the right answer.")

    def __str__(self) -> str:
        return self.question

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        return self.question

    def _is_fraction(self) -> bool:
        return 0.0 < self.answer <= 1.0

    def check(self, response: object) -> CheckResult:
        """Grade a number (or a string like "1/3") and explain; a percentage for a fraction, or anything else, says what is expected."""
        if isinstance(response, str) and response.strip().endswith("%"):
            percent = parse_number(response.strip()[:-1])
            if percent is not None and self._is_fraction():
                return failed(f"give a fraction, not a percentage: {percent:g}% is {percent / 100:g}. Answer with a number between 0 and 1.")
        value = parse_number(response)
        if value is None:
            return failed(f"answer with a number (e.g. 0.25 or \"1/4\"); got {response!r}.")
        if not math.isfinite(value):
            return failed(f"answer with a finite number; got {value}.")
        if abs(value - self.answer) <= self.tolerance:
            return passed(self.explanation)
        if self._is_fraction() and value > 1 and abs(value / 100 - self.answer) <= self.tolerance:
            return failed(f"give a fraction, not a percentage: {value:g}% is {value / 100:g}. Answer with a number between 0 and 1.")
        for wrong, misconception in self.mistakes:
            if abs(value - wrong) <= self.tolerance:
                return failed(f"{value:g} is not right: {misconception} {self.explanation}")
        direction = "too high" if value > self.answer else "too low"
        return failed(f"{value:g} is {direction}. {self.explanation}")
