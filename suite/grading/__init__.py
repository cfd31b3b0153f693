"""The answer grader: extraction for reasoning models, Math-Verify in killable workers.

- ``grade(response, gold, multiple=False)``: one answer, in this process (main thread).
- ``GraderPool(workers, config)``: streaming, killable workers with a hard per-answer timeout.
- ``Grade``: the serialisable record stored with every sample.
- ``Judge(JudgeConfig(url, model))``: optional LLM re-check of answers marked wrong.
"""

from suite.grading._extract import Extraction, extract
from suite.grading._grade import Grade, GradingConfig, grade
from suite.grading._judge import JUDGE_PROMPT, Judge, JudgeConfig, parse_verdict
from suite.grading._normalise import normalise
from suite.grading._pool import GraderPool

__all__ = [
    "JUDGE_PROMPT",
    "Extraction",
    "Grade",
    "GraderPool",
    "GradingConfig",
    "Judge",
    "JudgeConfig",
    "extract",
    "grade",
    "normalise",
    "parse_verdict",
]
