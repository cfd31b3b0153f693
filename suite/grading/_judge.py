"""Optional LLM judge: re-checks answers Math-Verify marked wrong, through an OpenAI-compatible endpoint.

The examiner reads the student's whole answer region (the text after the thinking,
its last ``JUDGE_REGION_CHARS`` characters), so an answer the extraction missed or
misread is still seen; it compares the final answer there with the gold answer
without re-solving and ends with ``<judge>CORRECT</judge>`` or ``<judge>WRONG</judge>``.
Verdicts are cached on disk by (judge model, prompt hash, problem, gold, region),
so a resumed or repeated run asks nothing twice.

For guidability's "answer in steer" the judge also lists every candidate final answer a guide
steer states (``STEER_CANDIDATES_PROMPT``, one per line in ``<candidates>...</candidates>``);
the suite's own grader then compares each candidate with the gold (``suite.grading._steer``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from suite._errors import SuiteError
from suite._http import post_json
from suite.grading._grade import Grade

Verdict = Literal["CORRECT", "WRONG", "UNPARSEABLE"]

JUDGE_REGION_CHARS = 4_000
"""The judge sees at most this many characters: the end of the answer region, where the final answer is."""

JUDGE_PROMPT = """You are an examiner checking a student's final answer to a math problem.
Do not solve the problem yourself. Below is the end of the student's response, written after their
reasoning (it may start mid-sentence). Find the final answer the student commits to there (usually
the last one stated, often in \\boxed{{}}), and compare only that answer with the reference answer:
they are equivalent if they denote the same mathematical object (value, expression, set, interval,
tuple, or text), allowing for different but equivalent notation, simplification, ordering of set
elements, and units the problem did not ask for. No final answer, a partial answer, several
conflicting final answers, an answer with extra wrong parts, or an approximation that the problem
did not allow is WRONG.

Problem:
{problem}

Reference answer:
{gold}

End of the student's response:
{region}

Briefly state why, then end your reply with exactly one verdict tag:
<judge>CORRECT</judge> or <judge>WRONG</judge>"""

_VERDICT = re.compile(r"<judge>\s*(CORRECT|WRONG)\s*</judge>", re.IGNORECASE)

STEER_CANDIDATES_PROMPT = """You are reading the first part of another solver's reasoning about a math problem; it may
stop mid-sentence. Do not solve the problem yourself. List every candidate final answer to the
problem that this reasoning states anywhere: every value or expression the solver proposes,
concludes, boxes or calls the answer, even in passing, even if it later doubts or rejects it.
Leave out intermediate results that are never offered as the answer to the question asked.

Problem:
{problem}

Reasoning:
{steer}

Write each candidate as the reasoning states it (LaTeX allowed), one per line, without numbering,
bullets or comments; an answer made of several values goes on one line, separated by commas.
End your reply with the list inside one candidates block, for example
<candidates>
12
\\frac{{1}}{{2}}
</candidates>
or, when the reasoning states no candidate answer,
<candidates>
NONE
</candidates>"""

MAX_STEER_CANDIDATES = 64
"""A candidates block with more lines than this is unparseable (the steer falls back to the judge-free method)."""
MAX_CANDIDATE_CHARS = 300
"""A candidate line longer than this makes the block unparseable."""

_CANDIDATES = re.compile(r"<candidates>(.*?)</candidates>", re.IGNORECASE | re.DOTALL)


def judge_region(region: str) -> str:
    """What the judge reads of an answer region: its last ``JUDGE_REGION_CHARS`` characters, stripped."""
    return region.strip()[-JUDGE_REGION_CHARS:]


def parse_verdict(text: str) -> Verdict:
    """The last verdict tag in the judge's reply; anything else is UNPARSEABLE (and counts as wrong)."""
    found = _VERDICT.findall(text or "")
    return "CORRECT" if found and found[-1].upper() == "CORRECT" else "WRONG" if found else "UNPARSEABLE"


def parse_candidates(text: str) -> list[str] | None:
    """The candidates in the judge's last ``<candidates>`` block, one per line, repeats dropped; None if unparseable.

    A candidate in bold (``**12**``) is read without the stars. ``NONE`` (alone in the block,
    or as the whole reply) and an empty block are no candidates.
    No block, more than ``MAX_STEER_CANDIDATES`` lines or a line longer than ``MAX_CANDIDATE_CHARS``
    is unparseable.
    """
    blocks = _CANDIDATES.findall(text or "")
    if not blocks:
        return [] if (text or "").strip().upper() == "NONE" else None
    lines = [_unbold(line.strip()) for line in blocks[-1].splitlines()]
    lines = [line for line in lines if line and line.upper() != "NONE"]
    if len(lines) > MAX_STEER_CANDIDATES or any(len(line) > MAX_CANDIDATE_CHARS for line in lines):
        return None
    return list(dict.fromkeys(lines))


def _unbold(line: str) -> str:
    return line[2:-2].strip() if len(line) > 4 and line.startswith("**") and line.endswith("**") else line


@dataclass(frozen=True)
class JudgeConfig:
    """Where the judge lives and how hard to try; recorded (without the key) in results."""

    url: str
    """Base URL of an OpenAI-compatible API, e.g. ``http://127.0.0.1:8000/v1``."""
    model: str
    """Model name the server knows the judge by."""
    api_key_env: str = "OPENAI_API_KEY"
    """Environment variable holding the API key (optional for local servers)."""
    concurrency: int = 8
    """Requests in flight at once."""
    max_retries: int = 5
    """Retries on 429, 5xx and connection errors, with exponential backoff."""
    request_timeout_s: float = 300.0
    max_tokens: int = 1024
    cache_dir: Path | None = None
    """Where verdicts are cached; None: no cache."""
    backoff_s: float = 1.0
    """First retry delay; doubles each retry (with jitter), or follows Retry-After."""

    @property
    def prompt_sha256(self) -> str:
        """sha256 of the examiner prompt template."""
        return hashlib.sha256(JUDGE_PROMPT.encode()).hexdigest()

    @property
    def steer_candidates_prompt_sha256(self) -> str:
        """sha256 of the candidate-extraction prompt template (answer in steer)."""
        return hashlib.sha256(STEER_CANDIDATES_PROMPT.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """What results record about the judge."""
        return {
            "judge_model": self.model,
            "judge_url": self.url,
            "judge_prompt_sha256": self.prompt_sha256,
            "steer_candidates_prompt_sha256": self.steer_candidates_prompt_sha256,
        }


class Judge:
    """Re-checks wrong, non-truncated grades with an LLM examiner."""

    def __init__(self, config: JudgeConfig) -> None:
        self.config = config
        self._endpoint = config.url.rstrip("/") + "/chat/completions"

    def verdict(self, problem: str, gold: str, region: str) -> tuple[Verdict, str]:
        """(verdict, raw reply) for one answer region (cut to its end); cached on disk when a cache folder is set."""
        region = judge_region(region)
        key = hashlib.sha256(
            json.dumps([self.config.model, self.config.prompt_sha256, problem, gold, region]).encode()
        ).hexdigest()
        cached = self._cache_get(key)
        if cached is not None:
            return parse_verdict(cached), cached
        reply = self._ask(JUDGE_PROMPT.format(problem=problem, gold=gold, region=region))
        self._cache_put(key, reply)
        return parse_verdict(reply), reply

    def steer_candidates(self, problem: str, steer: str) -> tuple[list[str] | None, str]:
        """(candidates, raw reply): every candidate final answer ``steer`` states, None when unparseable.

        The judge reads the whole steer; cached on disk like verdicts. Raises SuiteError when
        the judge cannot be reached or refuses.
        """
        key = hashlib.sha256(
            json.dumps([self.config.model, self.config.steer_candidates_prompt_sha256, problem, steer]).encode()
        ).hexdigest()
        reply = self._cache_get(key)
        if reply is None:
            reply = self._ask(STEER_CANDIDATES_PROMPT.format(problem=problem, steer=steer))
            self._cache_put(key, reply)
        return parse_candidates(reply), reply

    def recheck(self, problem: str, gold: str, grade: Grade, region: str | None = None) -> Grade:
        """The grade after the judge, which reads ``region`` (the text after the thinking).

        Only wrong, non-truncated grades are re-checked, and only when there is something to
        read: a non-blank region, or (``region`` None, for callers that kept no region) the
        extracted answer, which the judge then reads instead.
        """
        text = (grade.answer or "") if region is None else region
        if grade.correct or grade.truncated or not text.strip():
            return grade
        try:
            verdict, _ = self.verdict(problem, gold, text)
        except SuiteError as e:
            return dataclasses.replace(grade, error=f"judge unavailable: {e}"[:300])
        if verdict == "CORRECT":
            return dataclasses.replace(grade, correct=True, method="judge", judge_verdict=verdict)
        return dataclasses.replace(grade, judge_verdict=verdict)

    def recheck_all(self, items: Sequence[tuple[str, str, Grade, str | None]]) -> list[Grade]:
        """``recheck`` for many (problem, gold, grade, region) items, ``concurrency`` at a time, in order."""
        with ThreadPoolExecutor(max_workers=self.config.concurrency) as pool:
            return list(pool.map(lambda item: self.recheck(*item), items))

    def _ask(self, prompt: str) -> str:
        body = {
            "model": self.config.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0.0,
            "max_tokens": self.config.max_tokens,
        }
        reply = post_json(
            self._endpoint,
            body,
            self.config.api_key_env,
            self.config.max_retries,
            self.config.backoff_s,
            self.config.request_timeout_s,
            what="judge",
        )
        try:
            return str(reply["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError):
            raise SuiteError(
                f"judge {self._endpoint} answered without choices; is it a chat completions API?"
            ) from None

    def _cache_get(self, key: str) -> str | None:
        if self.config.cache_dir is None:
            return None
        path = self.config.cache_dir / f"{key}.json"
        try:
            return str(json.loads(path.read_text(encoding="utf-8"))["reply"])
        except (OSError, ValueError, KeyError):
            return None

    def _cache_put(self, key: str, reply: str) -> None:
        if self.config.cache_dir is None:
            return
        self.config.cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.config.cache_dir, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"model": self.config.model, "reply": reply}, f)
        os.replace(tmp, self.config.cache_dir / f"{key}.json")
