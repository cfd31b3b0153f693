"""The paper's benchmarks: where they live on the Hub and how their rows become questions.

Each benchmark converts two row shapes into the same question fields: the Hub
dataset's own columns (``from_hub``) and the offline mirror's normalised rows
(``from_mirror``, the layout of ``shared/data/upstream``). Both give the same ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from suite._latex import last_boxed
from suite.release._normalise import aime_id_from_url, integer_string, olympiad_answer, strip_leading_zeros

Fields = dict[str, Any]
"""Question fields without ``benchmark`` and ``source``: id (native), problem, answer, metadata..."""

_CORE = ("id", "problem", "answer", "source")
_ANSWER_META = ("answer_type", "is_multiple_answer", "unit")


@dataclass(frozen=True)
class HubSource:
    """A benchmark's Hugging Face dataset, pinned."""

    repo: str
    """Dataset id on the Hub."""
    configs: tuple[str, ...]
    """Dataset configs read in order (AIME 2025 has two)."""
    split: str
    """The split that holds the benchmark."""
    revision: str | None
    """Full commit sha pinned here; None means not pinned yet (``main`` is resolved and recorded)."""
    data_files: tuple[str, ...]
    """Glob patterns, with ``{config}`` and ``{split}``, for the data files in a snapshot; first match wins."""


@dataclass(frozen=True)
class Benchmark:
    """One benchmark of the pool."""

    name: str
    """Short name used in ids, file names and results."""
    title: str
    """Human name."""
    count: int
    """Number of questions; a build with another count is refused."""
    in_paper_pool: bool
    """Part of the paper's 1,507-question math pool."""
    hub: HubSource
    """Where ``--source hf`` reads it."""
    from_hub: Callable[[dict[str, Any], int, str], Fields]
    """(row, index within config, config) -> question fields."""
    normalise_answer: Callable[[str], str] = str.strip
    """Applied to the mirror's answer too, so both sources agree."""

    @property
    def mirror_file(self) -> str:
        """File name in a local mirror (``--source DIR``)."""
        return f"{self.name}.jsonl"


def from_mirror(benchmark: Benchmark | None, row: dict[str, Any]) -> Fields:
    """Mirror row -> question fields; ``benchmark`` None for a custom question file."""
    native = str(row["id"])
    fields: Fields = {
        "id": native,
        "problem": row["problem"],
        "answer": integer_string(row["answer"]),
        "metadata": {k: v for k, v in row.items() if k not in _CORE and k not in _ANSWER_META},
    }
    fields.update({k: row[k] for k in _ANSWER_META if k in row})
    if benchmark is not None:
        fields["answer"] = benchmark.normalise_answer(fields["answer"])
    return fields


_STANDARD_FILES = (
    "{config}/{split}-*.parquet",
    "{config}/*.parquet",
    "data/{split}-*.parquet",
    "data/{split}.jsonl",
    "{split}.jsonl",
    "{split}-*.parquet",
)


def _aime24(row: dict[str, Any], index: int, config: str) -> Fields:
    return {
        "id": aime_id_from_url(str(row.get("url", ""))) or str(row["id"]),
        "problem": row["problem"],
        "answer": strip_leading_zeros(str(row["answer"])),
        "metadata": {"orig_id": row.get("id"), "url": row.get("url")},
    }


def _aime25(row: dict[str, Any], index: int, config: str) -> Fields:
    part = config.rsplit("-", 1)[-1]
    return {
        "id": f"2025-{part}-{index + 1}",
        "problem": row["question"].strip(),
        "answer": strip_leading_zeros(str(row["answer"])),
        "metadata": {},
    }


def _math500(row: dict[str, Any], index: int, config: str) -> Fields:
    return {
        "id": row["unique_id"],
        "problem": row["problem"],
        "answer": row["answer"],
        "metadata": {"subject": row.get("subject"), "level": row.get("level")},
    }


def _minerva(row: dict[str, Any], index: int, config: str) -> Fields:
    solution = row.get("solution")
    answer = last_boxed(solution) if solution else None
    if answer is None:
        answer = last_boxed(str(row.get("answer", ""))) or str(row.get("answer", ""))
    return {
        "id": f"minerva-{index}",
        "problem": row.get("question", row.get("problem")),
        "answer": answer,
        "metadata": {"type": row.get("type")} if row.get("type") else {},
    }


def _olympiadbench(row: dict[str, Any], index: int, config: str) -> Fields:
    final = row["final_answer"]
    first = final[0] if isinstance(final, list | tuple) and final else final
    return {
        "id": f"olympiadbench-{row['id']}",
        "problem": row["question"],
        "answer": olympiad_answer(str(first or "")),
        "answer_type": row.get("answer_type"),
        "is_multiple_answer": bool(row.get("is_multiple_answer")),
        "unit": row.get("unit") or None,
        "metadata": {"subfield": row.get("subfield"), "error": row.get("error")},
    }


def _amc23(row: dict[str, Any], index: int, config: str) -> Fields:
    return {
        "id": f"amc23-{row.get('id', index)}",
        "problem": row.get("question", row.get("problem")),
        "answer": integer_string(row["answer"]),
        "metadata": {"url": row.get("url")} if row.get("url") else {},
    }


BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark(
            "aime24",
            "AIME 2024",
            30,
            True,
            HubSource(
                "HuggingFaceH4/aime_2024",
                ("default",),
                "train",
                "2fe88a2f1091d5048c0f36abc874fb997b3dd99a",
                _STANDARD_FILES,
            ),
            _aime24,
            strip_leading_zeros,
        ),
        Benchmark(
            "aime25",
            "AIME 2025",
            30,
            True,
            HubSource(
                "opencompass/AIME2025",
                ("AIME2025-I", "AIME2025-II"),
                "test",
                None,
                ("{config}.jsonl", *_STANDARD_FILES),
            ),
            _aime25,
            strip_leading_zeros,
        ),
        Benchmark(
            "math500",
            "MATH-500",
            500,
            True,
            HubSource(
                "HuggingFaceH4/MATH-500",
                ("default",),
                "test",
                "6e4ed1a2a79af7d8630a6b768ec859cb5af4d3be",
                _STANDARD_FILES,
            ),
            _math500,
        ),
        Benchmark(
            "minerva",
            "Minerva Math",
            272,
            True,
            HubSource("math-ai/minervamath", ("default",), "test", None, _STANDARD_FILES),
            _minerva,
        ),
        Benchmark(
            "olympiadbench",
            "OlympiadBench (OE_TO_maths_en_COMP)",
            675,
            True,
            HubSource("Hothan/OlympiadBench", ("OE_TO_maths_en_COMP",), "train", None, _STANDARD_FILES),
            _olympiadbench,
        ),
        Benchmark(
            "amc23",
            "AMC 2023",
            40,
            False,
            HubSource("math-ai/amc23", ("default",), "test", None, _STANDARD_FILES),
            _amc23,
            strip_leading_zeros,
        ),
    )
}
"""Every benchmark the suite knows, by name."""

PAPER_POOL = tuple(name for name, b in BENCHMARKS.items() if b.in_paper_pool)
"""The paper's math pool: 30 + 30 + 500 + 272 + 675 = 1,507 questions."""
