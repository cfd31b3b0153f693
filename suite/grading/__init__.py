"""The answer grader: extraction for reasoning models, Math-Verify in killable workers.

- ``grade(response, gold, multiple=False, config=None, closer="</think>")``: one answer, in this process.
- ``GraderPool(workers, config)``: streaming, killable workers with a per-answer timeout and one retry.
- ``Grade``: the serialisable record stored with every sample.
- ``Judge(JudgeConfig(url, model))``: optional LLM re-check of answers marked wrong.
- ``steer_states_answer(steer, gold)``: whether a guide steer already states the gold answer (no judge).
- ``SteerAnswers(judge, executor)``: the same for a run, from the judge's candidate list when a judge is set.
"""

from suite.grading._extract import THINK_END, Extraction, answer_region, extract
from suite.grading._grade import Grade, GradingConfig, grade, quick_grade
from suite.grading._judge import (
    JUDGE_PROMPT,
    JUDGE_REGION_CHARS,
    STEER_CANDIDATES_PROMPT,
    Judge,
    JudgeConfig,
    judge_region,
    parse_candidates,
    parse_verdict,
)
from suite.grading._normalise import normalise
from suite.grading._pool import GraderPool
from suite.grading._steer import (
    JUDGE_STEER_ANSWER_METHOD,
    STEER_ANSWER_METHOD,
    SteerAnswers,
    candidates_state_answer,
    steer_answer_candidates,
    steer_states_answer,
)

__all__ = [
    "JUDGE_PROMPT",
    "JUDGE_REGION_CHARS",
    "JUDGE_STEER_ANSWER_METHOD",
    "STEER_ANSWER_METHOD",
    "STEER_CANDIDATES_PROMPT",
    "THINK_END",
    "Extraction",
    "Grade",
    "GraderPool",
    "GradingConfig",
    "Judge",
    "JudgeConfig",
    "SteerAnswers",
    "answer_region",
    "candidates_state_answer",
    "extract",
    "grade",
    "judge_region",
    "normalise",
    "parse_candidates",
    "parse_verdict",
    "quick_grade",
    "steer_answer_candidates",
    "steer_states_answer",
]
