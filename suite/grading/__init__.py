"""The answer grader: extraction for reasoning models, Math-Verify in killable workers.

- ``grade(response, gold, multiple=False)``: one answer, in this process (main thread).
- ``GraderPool(workers, config)``: streaming, killable workers with a hard per-answer timeout.
- ``Grade``: the serialisable record stored with every sample.
"""

from suite.grading._extract import Extraction, extract
from suite.grading._grade import Grade, GradingConfig, grade
from suite.grading._normalise import normalise
from suite.grading._pool import GraderPool

__all__ = ["Extraction", "Grade", "GraderPool", "GradingConfig", "extract", "grade", "normalise"]
