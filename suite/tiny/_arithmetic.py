"""Arithmetic word problems with step-by-step reasoning trajectories.

The tiny reasoner is trained on these. Each trajectory is a few paragraphs of
30-60 words, so the protocol's unit splitting yields several cut points.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_NAMES = ("Ada", "Ben", "Cara", "Dan", "Eva", "Finn", "Gina", "Hugo", "Iris", "Jack", "Kim", "Leo")
_ITEMS = ("apples", "books", "coins", "marbles", "pens", "shells", "stamps", "stickers", "cards", "beads")
OPERATIONS = ("add", "subtract", "multiply")


@dataclass(frozen=True)
class ArithmeticProblem:
    """One generated word problem with its gold reasoning."""

    id: str
    """Stable id, e.g. ``add-23-45-ada-apples``."""
    problem: str
    """The question as the user asks it."""
    thinking: str
    """A correct step-by-step trajectory (the text inside ``<think>``)."""
    answer: int
    """The gold final answer."""

    @property
    def response(self) -> str:
        """The full assistant turn: thinking, closing tag and boxed answer."""
        return f"<think>\n{self.thinking}\n</think>\n\n{final_answer_text(self.answer)}"


def final_answer_text(answer: int) -> str:
    """The answer sentence that follows ``</think>``."""
    return f"The answer is \\boxed{{{answer}}}."


def _places(n: int) -> str:
    """Spell out the digits first: a copy step a tiny model learns far more easily than digit extraction."""
    return f"{n} has {n // 10} tens and {n % 10} ones"


def _digits_steps_add(a: int, b: int) -> str:
    ones = a % 10 + b % 10
    carry = ones // 10
    text = f"In the ones place, {a % 10} plus {b % 10} is {ones}"
    text += f", so I write {ones % 10} and carry {carry}." if carry else ", so I write it with no carry."
    tens = a // 10 + b // 10 + carry
    text += f" In the tens place, {a // 10} plus {b // 10}"
    text += f" plus the carry {carry} is {tens}." if carry else f" is {tens}."
    return text + f" Putting the places together, the sum is {a + b}."


def _digits_steps_subtract(a: int, b: int) -> str:
    borrow = int(a % 10 < b % 10)
    top = a % 10 + 10 * borrow
    text = f"In the ones place, {a % 10} minus {b % 10} "
    if borrow:
        text += f"needs a borrow, so I use {top} minus {b % 10}, which is {top - b % 10}."
    else:
        text += f"is {top - b % 10}, with no borrow needed."
    tens_top = a // 10 - borrow
    text += f" In the tens place, {tens_top} minus {b // 10} is {tens_top - b // 10}."
    return text + f" Putting the places together, the difference is {a - b}."


def _digits_steps_multiply(a: int, b: int) -> str:
    ones = a * (b % 10)
    tens = a * (b // 10)
    text = f"First, {a} times the ones digit {b % 10} is {ones}."
    text += f" Next, {a} times the tens digit {b // 10} is {tens}, which is worth {tens * 10}."
    return text + f" Adding the parts, {tens * 10} plus {ones} is {a * b}, so the product is {a * b}."


def make_problem(operation: str, a: int, b: int, name: str, item: str) -> ArithmeticProblem:
    """Write the word problem and its trajectory for ``a <operation> b``."""
    if operation == "add":
        answer = a + b
        problem = f"{name} has {a} {item}. {name} gets {b} more {item}. How many {item} does {name} have now?"
        plan = (
            f"Getting more {item} means the amount goes up, so this is an addition problem. "
            f"I will add {b} to {a} digit by digit, starting with the ones place. {_places(a)}, and {_places(b)}."
        )
        steps = _digits_steps_add(a, b)
        check = f"If I take {b} away from {answer}, I should get back to {a}, and {answer} minus {b} is {a}."
    elif operation == "subtract":
        answer = a - b
        problem = f"{name} has {a} {item}. {name} gives away {b} {item}. How many {item} does {name} have left?"
        plan = (
            f"Giving {item} away means the amount goes down, so this is a subtraction problem. "
            f"I will take {b} away from {a} digit by digit, starting with the ones place. "
            f"{_places(a)}, and {_places(b)}."
        )
        steps = _digits_steps_subtract(a, b)
        check = f"If I add {b} back to {answer}, I should get back to {a}, and {answer} plus {b} is {a}."
    elif operation == "multiply":
        answer = a * b
        problem = f"{name} buys {a} bags with {b} {item} in each bag. How many {item} does {name} buy?"
        plan = (
            f"There are {a} equal bags of {b} {item}, so this is a multiplication problem. "
            f"I will multiply {b} by {a}, splitting {b} into its tens and its ones and "
            f"multiplying each part separately. {_places(b)}."
        )
        steps = _digits_steps_multiply(a, b)
        check = f"Splitting it another way, {a} groups of {b} is {answer}, which agrees with what I found."
    else:
        raise ValueError(f"unknown operation {operation!r}; expected one of {OPERATIONS}")
    restate = (
        f"Let me read the problem again carefully. {problem.split('. ')[0]}. "
        f"The question asks for a single number of {item}, so I need to work out one total "
        "from the two numbers given in the problem."
    )
    verify = (
        f"Let me check the result another way before I answer. {check} "
        f"So I am confident that the answer is {answer} {item}."
    )
    thinking = "\n\n".join((restate, plan, steps, verify))
    return ArithmeticProblem(
        id=f"{operation}-{a}-{b}-{name.lower()}-{item}",
        problem=problem,
        thinking=thinking,
        answer=answer,
    )


def random_problem(rng: random.Random) -> ArithmeticProblem:
    """Draw one problem: single- and two-digit operands, all three operations."""
    operation = rng.choice(OPERATIONS)
    name, item = rng.choice(_NAMES), rng.choice(_ITEMS)

    # Half the operands are single-digit, so easy and hard questions mix.
    def operand(low: int) -> int:
        return rng.randint(low, 9) if rng.random() < 0.5 else rng.randint(10, 99)

    if operation == "multiply":
        return make_problem(operation, rng.randint(2, 9), operand(2), name, item)
    a, b = operand(1), operand(1)
    if operation == "subtract" and a < b:
        a, b = b, a
    return make_problem(operation, a, b, name, item)


def arithmetic_problems(count: int, seed: int) -> list[ArithmeticProblem]:
    """``count`` distinct problems drawn with ``seed`` (same seed, same list)."""
    rng = random.Random(seed)
    problems: dict[str, ArithmeticProblem] = {}
    while len(problems) < count:
        p = random_problem(rng)
        problems.setdefault(p.id, p)
    return list(problems.values())
