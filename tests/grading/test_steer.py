"""Whether a guide steer already states the gold answer (PROTOCOL.md "Guidability", no judge)."""

from __future__ import annotations

import pytest

from suite.grading import STEER_ANSWER_METHOD, GradingConfig, steer_answer_candidates, steer_states_answer
from tests.grading.traces import Trace, load_labels


@pytest.mark.parametrize(
    ("steer", "candidates"),
    [
        ("So the answer is 12. Let me double-check.", ["12"]),
        ("Therefore, the answer is 3.5.", ["3.5"]),
        ("the answer should be $\\frac{1}{2}$, I think", ["\\frac{1}{2}"]),
        ("Final Answer: **7**", ["7"]),
        ("So the answer would be x = 3, hmm", ["x = 3"]),
        ("Wait, maybe the answer is 6 - 5i? Let me check.", ["6 - 5i"]),
        ("Answer = \\(2\\sqrt{3}\\).", ["2\\sqrt{3}"]),
        ("I get \\boxed{9}, then \\boxed{\\frac{3}{4}}; the answer is \\boxed{9}.", ["9", "\\frac{3}{4}"]),
        ("So the answer is 4, or the answer is 5.", ["4", "5"]),
        # Not stated answers: intermediate equalities, plural lists, "answered", an unclosed box.
        ("So 3 + 4 = 7. Then x = 5.", []),
        ("The answers are 3 and 4.", []),
        ("She answered quickly, \\boxed{5", []),
    ],
)
def test_candidates(steer: str, candidates: list[str]) -> None:
    assert steer_answer_candidates(steer) == candidates


def test_states_answer() -> None:
    assert STEER_ANSWER_METHOD == "boxed-and-stated"
    steer = "Let me think. 2+2 = 4, so 8 / 2 = 4. Hmm, maybe the answer should be $\\frac{1}{2}$. Or \\boxed{9}."
    assert steer_states_answer(steer, "0.5") and steer_states_answer(steer, "9")
    assert not steer_states_answer(steer, "4")  # "= 4" is an intermediate result, not a stated answer
    assert not steer_states_answer("", "4") and not steer_states_answer("No answer yet.", "4")
    assert not steer_states_answer("The answer is \\Delta.", "\\delta")


def test_states_several_values() -> None:
    steer = "One root is \\boxed{3}. The other root is \\boxed{4}."
    assert steer_states_answer(steer, "3, 4") and steer_states_answer(steer, "$3$,$4$", multiple=True)
    assert steer_states_answer("So the answer is $4, 3$.", "$3$,$4$", multiple=True)
    assert not steer_states_answer("\\boxed{3}, and \\boxed{5}.", "3, 4")


def test_states_answer_with_a_timeout_config() -> None:
    assert steer_states_answer("the answer is $\\sqrt{18}$", "3\\sqrt{2}", config=GradingConfig(timeout_s=2))


def _thinking(t: Trace) -> str:
    return t.response.split("</think>")[0]


def test_real_guide_thinking_states_its_answer(traces: list[Trace]) -> None:
    labels = load_labels()
    solved = [t for t in traces if labels[(t.source, t.index)]]
    stated = [t for t in solved if steer_states_answer(_thinking(t), t.gold)]
    # Real guides say "the answer is X" or box it while thinking; the misses state it only as a result
    # ("... resulting in 6 Trinkets"), which the method deliberately does not read.
    assert len(stated) >= len(solved) - 5, [(t.source, t.index) for t in solved if t not in stated]


def test_real_steer_prefixes(traces: list[Trace]) -> None:
    by_key = {(t.source, t.index): t for t in traces}
    # DeepSeek-R1 on a remainder question says "Therefore, the answer is 2." in the first half of its thinking.
    r1 = _thinking(by_key[("deepseek-r1", 13)])
    assert steer_states_answer(r1[: len(r1) // 2], by_key[("deepseek-r1", 13)].gold)
    # Its first fifth on the angle between two lines states no answer yet.
    angle = by_key[("deepseek-r1", 0)]
    assert not steer_states_answer(_thinking(angle)[: len(_thinking(angle)) // 5], angle.gold)
    # QwQ-32B states the right value in passing, then settles on a wrong one: the steer still contains it.
    qwq = by_key[("qwq-32b", 26)]
    assert steer_states_answer(_thinking(qwq), qwq.gold) and "115" in steer_answer_candidates(_thinking(qwq))
