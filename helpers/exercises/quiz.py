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
        lines = [self.question] + [
            f"  ({letter}) {text}" for letter, text in zip(_letters(len(self.options)), self.options)
        ]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        items = "\n".join(f"- **({letter})** {text}" for letter, text in zip(_letters(len(self.options)), self.options))
        return f"{self.question}\n\n{items}"

    def check(self, response: object) -> CheckResult:
        """Grade a letter ('a', 'B', ' c '): a wrong one gets its misconception, then the explanation."""
        letters = _letters(len(self.options))
        if not isinstance(response, str) or response.strip().lower() not in letters:
            return failed(
                f'answer with one letter out of {", ".join(letters)} (as a string, e.g. "{letters[0]}"); got {response!r}.'
            )
        letter = response.strip().lower()
        if letter == self.answer.strip().lower():
            return passed(self.explanation)
        chosen = self.options[letters.index(letter)]
        misconception = self.why_wrong.get(letter, "")
        return failed(
            f"({letter}) \u201c{chosen}\u201d is not right. {misconception + ' ' if misconception else ''}{self.explanation}"
        )


MINUS_SIGNS = (
    "\u2212\u2012\u2013\u2014\ufe63\uff0d"  # Unicode minus, figure/en/em dash, small and full-width hyphen-minus
)


def parse_number(response: object) -> float | None:
    """A float from a number, numpy scalar, 0-d tensor or a string such as "0.33", "-0.2", "\u22120.2" or "1/3"; else None.

    A Unicode minus or dash counts as "-" (text copied from a page often has one). Booleans are not numbers
    here: True would silently read as 1.
    """
    if isinstance(response, bool):
        return None
    if isinstance(response, str):
        text = "".join(response.split())
        for sign in MINUS_SIGNS:
            text = text.replace(sign, "-")
        try:
            return float(Fraction(text))
        except (ValueError, ZeroDivisionError):
            return None
    try:
        return float(response)  # type: ignore[arg-type]
    except (TypeError, ValueError, RuntimeError):  # RuntimeError: a tensor with more than one element
        return None


def parse_percentage(response: object) -> float | None:
    """The number before a trailing % in a string ("-20%", " 12.8 % ") as a percentage; None when it is not one."""
    if not isinstance(response, str) or not response.strip().endswith("%"):
        return None
    return parse_number(response.strip()[:-1])


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
        """Grade a number (or a string like "1/3", "\u22120.2"); a percentage such as "12.8%" counts as 0.128 where the
        answer is a fraction, and anything else gets a message that says what format is expected."""
        percent = parse_percentage(response)
        if percent is not None and not self._is_fraction():
            return failed(
                f"this question asks for a plain number, not a percentage: answer e.g. {_example(self.answer)} "
                f"(you wrote {response!r}, which reads as {percent / 100:g})."
            )
        value = percent / 100 if percent is not None else parse_number(response)
        if value is None:
            also = ' (or a percentage, "25%")' if self._is_fraction() else ""
            return failed(
                f'answer with a number, e.g. {_example(self.answer)}, "1/4" or "-0.5"{also}; got {response!r}.'
            )
        if not math.isfinite(value):
            return failed(f"answer with a finite number; got {value}.")
        if abs(value - self.answer) <= self.tolerance:
            return passed(self.explanation)
        if percent is None and self._is_fraction() and value > 1 and abs(value / 100 - self.answer) <= self.tolerance:
            return failed(
                f"give a fraction, not a percentage: {value:g}% is {value / 100:g}. Answer with a number between 0 "
                "and 1 (or write the % sign)."
            )
        for wrong, misconception in self.mistakes:
            if abs(value - wrong) <= self.tolerance:
                return failed(f"{value:g} is not right: {misconception} {self.explanation}")
        direction = "too high" if value > self.answer else "too low"
        return failed(f"{value:g} is {direction}. {self.explanation}")


def _example(answer: float) -> str:
    """A sample answer in the question's format, not the answer itself: a fraction, a signed or a large number."""
    if 0.0 < answer <= 1.0:
        return "0.25"
    return "-1.5" if answer < 0 else "12"
