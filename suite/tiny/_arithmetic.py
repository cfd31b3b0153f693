"""Arithmetic word problems with step-by-step reasoning trajectories.

The tiny reasoner is trained on these. Each trajectory is ten paragraphs of
30-45 words (restate; choose the operation; plan with the digits spelled out; the
ones; the tens; combine; a size check; the inverse operation; a care check; the
conclusion), so under the protocol's unit rule every paragraph is one unit and a
20% cut keeps two. The checks that carry no digit are nearly fixed text, cheap to
learn; the answer is copied from a paragraph or two back, never from far.
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


# Sentences with no number, name or item in them. Each is one token of the reasoner's tokenizer
# (``PHRASES``), so the long trajectory costs few tokens to train on and to generate.
_READ = "Let me read the problem again carefully."
_NOT_SUB_MUL = "Nothing is taken away here, and nothing comes in equal groups, so I should not subtract or multiply."
_NOT_ADD_MUL = "Nothing is added here, and nothing comes in equal groups, so I should not add or multiply."
_NOT_ADD_SUB = "Adding only two numbers would count just two bags, and nothing is taken away, so I should multiply."
_PLAN_ADD = (
    "I will add the two numbers digit by digit, first the ones place and then the tens place, "
    "and I will keep track of any carry."
)
_PLAN_SUB = (
    "I will subtract digit by digit, first the ones place and then the tens place, and I will keep track of any borrow."
)
_DIGITS_DONE = "That finishes the digit work for both places."
_COMPARE = "In the ones place I compare the two ones digits first."
_KEEP_ONES = "I keep that digit for the ones place of the difference."
_KEEP_PART = "I keep that number as the first part and then move on to the tens digit."
_SENSE_ADD = (
    "Does this make sense? When I add two numbers that are not zero, the total must be bigger than each of them, "
    "and the sum I found is bigger than both, so it passes this check."
)
_SENSE_SUB = (
    "Does this make sense? When I take a number away, what is left cannot be bigger than what there was at the "
    "start, and the difference I found is smaller, so it passes this check."
)
_SENSE_MUL = (
    "Does this make sense? When I multiply by a number bigger than one, the product must be bigger than the number "
    "I started with, and the product I found is bigger, so it passes this check."
)
_OTHER_WAY = "Let me check the result another way."
_CHECK_WORKS = "so the check works."
_CARE = "I also want to be sure that I did not mix up the two numbers or {slip} along the way."
_STEPWISE = "I went through the ones and the tens one at a time, so every step is easy to follow."
_CONFIDENT = "So I am confident in the result."
_BOX = "I will write the final answer below in a box and then stop here."

PHRASES = (
    _READ, _NOT_SUB_MUL, _NOT_ADD_MUL, _NOT_ADD_SUB, _PLAN_ADD, _PLAN_SUB, _DIGITS_DONE, _COMPARE, _KEEP_ONES,
    _KEEP_PART, _SENSE_ADD, _SENSE_SUB, _SENSE_MUL, _OTHER_WAY, _CHECK_WORKS,
    *(_CARE.format(slip=slip) for slip in ("lose a carry", "lose a borrow", "drop a part")),
    _STEPWISE, _CONFIDENT, _BOX,
    # fixed clauses between the numbers
    "The question asks how many", "so I need one total.", "so I need one number.", "means that the amount goes",
    "so this is an", "so this is a", "In the ones place,", "In the tens place,", "Putting the places together,",
    "Putting the two parts together,", "and this means that", "I should get back to", "the number at the start.",
    "there are",
    "That is ten or more, so I write", "That is less than ten, so I write", "and carry 1 to the tens place,",
    "which I add there next.", "and there is no carry to add to the tens place next.", "Adding the carry of 1 gives",
    "There is no carry to add this time,", "so the sum has", "so the answer is", "is smaller than",
    "is not smaller than", "so I borrow 1 from the tens place,", "so there is no borrow,",
    "the top tens digit", "So the difference has", "For the ones part I multiply by the ones digit, and",
    "For the tens part I multiply by the tens digit, and", "That part is in the tens place, so it is really worth",
    "I will split", "into its tens and its ones, multiply each part by",
    "and then add the two parts together to get the total.", "If I share", "equally into", "each bag should get",
)  # fmt: skip
"""Fixed sentences and clauses of the trajectories (single tokens of the tiny reasoner's tokenizer)."""


def _add(a: int, b: int, name: str, item: str) -> list[str]:
    n, ones, tens = a + b, a % 10 + b % 10, a // 10 + b // 10
    if ones >= 10:
        ones_step = (
            f"That is ten or more, so I write {ones - 10} and carry 1 to the tens place, which I add there next."
        )
        tens_step = f"Adding the carry of 1 gives {tens + 1}, so the sum has {tens + 1} tens and {ones - 10} ones."
    else:
        ones_step = f"That is less than ten, so I write {ones} and there is no carry to add to the tens place next."
        tens_step = f"There is no carry to add this time, so the sum has {tens} tens and {ones} ones."
    return [
        f"{_READ} {name} has {a} {item}, and then {name} gets {b} more {item}. "
        f"The question asks how many {item} there are in the end, so I need one total.",
        f"Getting more {item} means that the amount goes up, so this is an addition problem. {_NOT_SUB_MUL}",
        f"{_PLAN_ADD} {_places(a)}, and {_places(b)}.",
        f"In the ones place, {a % 10} plus {b % 10} is {ones}. {ones_step}",
        f"In the tens place, {a // 10} plus {b // 10} is {tens}. {tens_step} {_DIGITS_DONE}",
        f"Putting the places together, {n // 10} tens and {n % 10} ones make {n}. "
        f"So {a} plus {b} is {n}, and this means that there are {n} {item} now, after getting the new ones.",
        _SENSE_ADD,
        f"{_OTHER_WAY} If I take {b} away from {n}, I should get back to {a}, the number at the start. "
        f"{n} minus {b} is {a}, {_CHECK_WORKS}",
        f"{_CARE.format(slip='lose a carry')} {_STEPWISE}",
        f"{_CONFIDENT} {name} has {n} {item} now, so the answer is {n}. {_BOX}",
    ]


def _subtract(a: int, b: int, name: str, item: str) -> list[str]:
    n, borrow = a - b, int(a % 10 < b % 10)
    ones, top = a % 10 + 10 * borrow - b % 10, a // 10 - borrow
    if borrow:
        ones_step = (
            f"{a % 10} is smaller than {b % 10}, so I borrow 1 from the tens place, "
            f"and {a % 10 + 10} minus {b % 10} is {ones}."
        )
        tens_step = f"After the borrow the top tens digit is {top}, and {top} minus {b // 10} is {top - b // 10}."
    else:
        ones_step = (
            f"{a % 10} is not smaller than {b % 10}, so there is no borrow, and {a % 10} minus {b % 10} is {ones}."
        )
        tens_step = f"With no borrow the top tens digit stays {top}, and {top} minus {b // 10} is {top - b // 10}."
    return [
        f"{_READ} {name} has {a} {item}, and then {name} gives away {b} {item}. "
        f"The question asks how many {item} are left in the end, so I need one number.",
        f"Giving {item} away means that the amount goes down, so this is a subtraction problem. {_NOT_ADD_MUL}",
        f"{_PLAN_SUB} {_places(a)}, and {_places(b)}.",
        f"{_COMPARE} {ones_step} {_KEEP_ONES}",
        f"In the tens place, {tens_step[0].lower()}{tens_step[1:]} "
        f"So the difference has {n // 10} tens and {n % 10} ones. {_DIGITS_DONE}",
        f"Putting the places together, {n // 10} tens and {n % 10} ones make {n}. "
        f"So {a} minus {b} is {n}, and this means that there are {n} {item} left after giving some away.",
        _SENSE_SUB,
        f"{_OTHER_WAY} If I add {b} back to {n}, I should get back to {a}, the number at the start. "
        f"{n} plus {b} is {a}, {_CHECK_WORKS}",
        f"{_CARE.format(slip='lose a borrow')} {_STEPWISE}",
        f"{_CONFIDENT} {name} has {n} {item} left, so the answer is {n}. {_BOX}",
    ]


def _multiply(a: int, b: int, name: str, item: str) -> list[str]:
    n, ones, tens = a * b, a * (b % 10), a * (b // 10)
    return [
        f"{_READ} {name} buys {a} bags, and every bag has {b} {item} inside. "
        f"The question asks how many {item} there are in all, so I need one total.",
        f"There are {a} equal bags of {item}, so this is a multiplication problem. {_NOT_ADD_SUB}",
        f"I will split {b} into its tens and its ones, multiply each part by {a}, "
        f"and then add the two parts together to get the total. {_places(b)}.",
        f"For the ones part I multiply by the ones digit, and {a} times {b % 10} is {ones}. {_KEEP_PART}",
        f"For the tens part I multiply by the tens digit, and {a} times {b // 10} is {tens}. "
        f"That part is in the tens place, so it is really worth {tens * 10} in all.",
        f"Putting the two parts together, {tens * 10} plus {ones} is {n} in all. "
        f"So {a} times {b} is {n}, and this means that there are {n} {item} in all the bags together.",
        _SENSE_MUL,
        f"{_OTHER_WAY} If I share {n} equally into {a} bags, each bag should get {b}, the number in each bag. "
        f"{n} divided by {a} is {b}, {_CHECK_WORKS}",
        f"{_CARE.format(slip='drop a part')} {_STEPWISE}",
        f"{_CONFIDENT} {name} buys {n} {item} in all, so the answer is {n}. {_BOX}",
    ]


_PROBLEMS = {
    "add": "{name} has {a} {item}. {name} gets {b} more {item}. How many {item} does {name} have now?",
    "subtract": "{name} has {a} {item}. {name} gives away {b} {item}. How many {item} does {name} have left?",
    "multiply": "{name} buys {a} bags with {b} {item} in each bag. How many {item} does {name} buy?",
}
_STEPS = {"add": _add, "subtract": _subtract, "multiply": _multiply}
_ANSWERS = {"add": lambda a, b: a + b, "subtract": lambda a, b: a - b, "multiply": lambda a, b: a * b}


def make_problem(operation: str, a: int, b: int, name: str, item: str) -> ArithmeticProblem:
    """Write the word problem and its ten-paragraph trajectory for ``a <operation> b``."""
    if operation not in _STEPS:
        raise ValueError(f"unknown operation {operation!r}; expected one of {OPERATIONS}")
    return ArithmeticProblem(
        id=f"{operation}-{a}-{b}-{name.lower()}-{item}",
        problem=_PROBLEMS[operation].format(name=name, a=a, b=b, item=item),
        thinking="\n\n".join(_STEPS[operation](a, b, name, item)),
        answer=_ANSWERS[operation](a, b),
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
