"""The answer grader: extraction for reasoning models, Math-Verify in killable workers.

- ``grade(response, gold, multiple=False, config=None, closer="</think>")``: one answer, in this process.
- ``GraderPool(workers, config)``: streaming, killable workers with a per-answer timeout and one retry.
- ``Grade``: the serialisable record stored with every sample.
- ``Judge(JudgeConfig(url, model))``: optional LLM re-check of answers marked wrong.
- ``steer_states_answer(steer, gold)``: whether a guide steer already states the gold answer.
"""

from suite.grading._extract import THINK_END, Extraction, answer_region, extract
from suite.grading._grade import Grade, GradingConfig, grade, quick_grade
from suite.grading._judge import JUDGE_PROMPT, JUDGE_REGION_CHARS, Judge, JudgeConfig, judge_region, parse_verdict
from suite.grading._normalise import normalise
from suite.grading._pool import GraderPool
from suite.grading._steer import STEER_ANSWER_METHOD, steer_answer_candidates, steer_states_answer

__all__ = [
    "JUDGE_PROMPT",
    "JUDGE_REGION_CHARS",
    "STEER_ANSWER_METHOD",
    "THINK_END",
    "Extraction",
    "Grade",
    "GraderPool",
    "GradingConfig",
    "Judge",
    "JudgeConfig",
    "answer_region",
    "extract",
    "grade",
    "judge_region",
    "normalise",
    "parse_verdict",
    "quick_grade",
    "steer_answer_candidates",
    "steer_states_answer",
]
