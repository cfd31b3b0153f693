"""Guide trajectories from any OpenAI-compatible chat endpoint that returns the reasoning apart from the answer.

- ``generate_guides(ChatEndpoint(base_url, model), release, out)``: every sample of the chosen questions,
  graded with the suite's grader, saved durably to ``out`` (``generation.json``, ``samples.jsonl``); resumable.
- ``Generation``, ``GuideSample``: the two saved records, which ``suite release add-guide`` reads.
"""

from suite.guides._endpoint import ChatEndpoint, Reply, read_reply, reasoning_of
from suite.guides._generate import Summary, generate_guides, select_questions
from suite.guides._records import (
    GENERATION,
    REASONING_FIELDS,
    SAMPLES,
    TEMPERATURE,
    TOP_P,
    Generation,
    GuideSample,
    Plan,
    Sampling,
)

__all__ = [
    "GENERATION",
    "REASONING_FIELDS",
    "SAMPLES",
    "TEMPERATURE",
    "TOP_P",
    "ChatEndpoint",
    "Generation",
    "GuideSample",
    "Plan",
    "Reply",
    "Sampling",
    "Summary",
    "generate_guides",
    "read_reply",
    "reasoning_of",
    "select_questions",
]
