"""Pinned sources: each benchmark's public GitHub files at a fixed commit, with sha256, and their normalisation.

``release build --source pinned`` downloads exactly these files (raw.githubusercontent.com serves a
commit's blob at ``/<repository>/<commit>/<path>``), refuses any whose sha256 differs, and turns
their rows into the normalised rows of ``shared/data/upstream`` (that folder's README states the
origin of each file and the rules applied here). A release built this way has the same questions
as one built from that folder, and does not depend on a Hub dataset whose revision moves.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from suite._errors import SuiteError
from suite._latex import last_boxed
from suite.release._normalise import aime_id_from_url, integer_string, olympiad_answer, strip_leading_zeros

Row = dict[str, Any]
"""A normalised row: ``id``, ``problem``, ``answer``, ``source`` and the benchmark's extra fields."""

GITHUB_RAW = "https://raw.githubusercontent.com"
"""Where the pinned files are downloaded from; ``SUITE_PINNED_SOURCES_URL`` replaces it (tests, mirrors)."""


@dataclass(frozen=True)
class PinnedFile:
    """One file of a repository at the pinned commit."""

    path: str
    """Path in the repository."""
    sha256: str
    """sha256 of the file's bytes; any other content is refused."""
    size: int
    """Bytes; a download that grows past this is cut off and refused."""


@dataclass(frozen=True)
class PinnedSource:
    """A benchmark's files in a public GitHub repository at a full commit sha."""

    benchmark: str
    """Benchmark name (``BENCHMARKS`` key)."""
    repository: str
    """``owner/name`` on GitHub."""
    commit: str
    """Full 40-hex commit sha."""
    files: tuple[PinnedFile, ...]
    """Every file read, in the order given to ``normalise``."""
    rows_sha256: str
    """sha256 of the normalised rows as JSON Lines (``rows_jsonl``): that of ``shared/data/upstream/<name>.jsonl``."""
    normalise: Callable[[PinnedSource, Mapping[str, bytes]], list[Row]]
    """(this source, {path: bytes}) -> normalised rows, in benchmark order."""

    def url(self, file: PinnedFile, base: str = GITHUB_RAW) -> str:
        """Where ``file`` is served: ``<base>/<repository>/<commit>/<path>``."""
        return f"{base.rstrip('/')}/{self.repository}/{self.commit}/{file.path}"

    def origin(self, path: str) -> str:
        """The ``source`` of a row, as ``shared/data/upstream`` writes it."""
        return f"github.com/{self.repository}@{self.commit}:{path}"


def rows_jsonl(rows: list[Row]) -> bytes:
    """Normalised rows as ``shared/data/upstream`` writes them: one ``json.dumps`` (UTF-8, key order kept) a line."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def _jsonl(source: PinnedSource, path: str, data: Mapping[str, bytes]) -> list[Row]:
    rows = []
    for number, line in enumerate(_text(source, path, data).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            row = None
        if not isinstance(row, dict):
            raise SuiteError(f"{source.origin(path)} line {number} is not a JSON object; the pin is wrong.")
        rows.append(row)
    return rows


def _text(source: PinnedSource, path: str, data: Mapping[str, bytes]) -> str:
    try:
        return data[path].decode("utf-8")
    except UnicodeDecodeError:
        raise SuiteError(f"{source.origin(path)} is not UTF-8 text; the pin is wrong.") from None


def _columns(source: PinnedSource, path: str, index: int, row: Row, *names: str) -> None:
    missing = [n for n in names if n not in row]
    if missing:
        raise SuiteError(
            f"{source.origin(path)} row {index} lacks {', '.join(missing)}; "
            f"the {source.benchmark} normalisation expects the columns of the pinned commit."
        )


def _single(source: PinnedSource) -> str:
    return source.files[0].path


def normalise_aime24(source: PinnedSource, data: Mapping[str, bytes]) -> list[Row]:
    """Ids ``2024-I-1`` from the AoPS url; answers without leading zeros; the origin's id kept as ``orig_id``."""
    path = _single(source)
    rows = []
    for index, row in enumerate(_jsonl(source, path, data)):
        _columns(source, path, index, row, "id", "problem", "answer", "url")
        native = aime_id_from_url(str(row["url"]))
        if native is None:
            raise SuiteError(f"{source.origin(path)} row {index} has no AoPS problem url to take the id from.")
        rows.append(
            {
                "id": native,
                "problem": row["problem"],
                "answer": strip_leading_zeros(str(row["answer"])),
                "source": source.origin(path),
                "orig_id": row["id"],
                "url": row["url"],
            }
        )
    return rows


def normalise_aime25(source: PinnedSource, data: Mapping[str, bytes]) -> list[Row]:
    """One ``problems/<n>.tex`` per problem (stripped) and ``answers.csv``; ids ``2025-I-1`` ... ``2025-II-15``."""
    rows = []
    for answers_path in (f.path for f in source.files if f.path.endswith("/answers.csv")):
        folder = answers_path.rsplit("/", 1)[0]
        part = folder.rsplit("_", 1)[-1]
        answers = list(csv.DictReader(io.StringIO(_text(source, answers_path, data))))
        for entry in sorted(answers, key=lambda e: int(e.get("id") or 0)):
            number, answer = entry.get("id"), entry.get("answer")
            tex = f"{folder}/problems/{number}.tex"
            if not number or not answer or tex not in data:
                raise SuiteError(f"{source.origin(answers_path)} row {entry} has no problem file {tex} or no answer.")
            rows.append(
                {
                    "id": f"2025-{part}-{number}",
                    "problem": _text(source, tex, data).strip(),
                    "answer": strip_leading_zeros(answer),
                    "source": f"{source.origin(tex)} (+answers.csv)",
                }
            )
    return rows


def normalise_amc23(source: PinnedSource, data: Mapping[str, bytes]) -> list[Row]:
    """Ids ``amc23-<origin id>``; float answers (``27.0``) as integer strings."""
    path = _single(source)
    rows = []
    for index, row in enumerate(_jsonl(source, path, data)):
        _columns(source, path, index, row, "id", "question", "answer")
        rows.append(
            {
                "id": f"amc23-{row['id']}",
                "problem": row["question"],
                "answer": integer_string(row["answer"]),
                "source": source.origin(path),
                "url": row.get("url"),
            }
        )
    return rows


def normalise_math500(source: PinnedSource, data: Mapping[str, bytes]) -> list[Row]:
    """Ids are MATH's ``unique_id``; the answer as given."""
    path = _single(source)
    rows = []
    for index, row in enumerate(_jsonl(source, path, data)):
        _columns(source, path, index, row, "unique_id", "problem", "answer", "subject", "level")
        rows.append(
            {
                "id": row["unique_id"],
                "problem": row["problem"],
                "answer": row["answer"],
                "source": source.origin(path),
                "subject": row["subject"],
                "level": row["level"],
            }
        )
    return rows


def normalise_minerva(source: PinnedSource, data: Mapping[str, bytes]) -> list[Row]:
    r"""Ids ``minerva-<row>``; the answer is the last ``\boxed{}`` of the solution (the origin has no answer)."""
    path = _single(source)
    rows = []
    for index, row in enumerate(_jsonl(source, path, data)):
        _columns(source, path, index, row, "problem", "solution", "type")
        answer = last_boxed(str(row["solution"]))
        if answer is None:
            raise SuiteError(f"{source.origin(path)} row {index} has no \\boxed{{}} answer in its solution.")
        rows.append(
            {
                "id": f"minerva-{index}",
                "problem": row["problem"],
                "answer": answer,
                "source": source.origin(path),
                "type": row["type"],
            }
        )
    return rows


def normalise_olympiadbench(source: PinnedSource, data: Mapping[str, bytes]) -> list[Row]:
    """OE_TO_maths_en_COMP with its answer metadata; ``numeric_single`` marks single unit-less numbers."""
    path = _single(source)
    rows = []
    for index, row in enumerate(_jsonl(source, path, data)):
        _columns(source, path, index, row, "id", "question", "final_answer", "answer_type", "is_multiple_answer")
        final = row["final_answer"]
        if not isinstance(final, list) or not final or not isinstance(final[0], str):
            raise SuiteError(f"{source.origin(path)} row {index} has no final_answer string; the pin is wrong.")
        numeric_single = row["answer_type"] == "Numerical" and not row["is_multiple_answer"] and not row.get("unit")
        rows.append(
            {
                "id": f"olympiadbench-{row['id']}",
                "problem": row["question"],
                "answer": olympiad_answer(final[0]),
                "source": source.origin(path),
                "answer_type": row["answer_type"],
                "is_multiple_answer": row["is_multiple_answer"],
                "unit": row.get("unit"),
                "error": row.get("error"),
                "subfield": row.get("subfield"),
                "numeric_single": numeric_single,
            }
        )
    return rows


_QWEN_MATH = ("QwenLM/Qwen2.5-Math", "a45202bd16f1ec06f433442dc1152d0074773465")
_MATHARENA = ("eth-sri/matharena", "81f103e38b1df076afa65ee0a3ffbe148d42e6d2")

# sha256 and size of each problem file of MathArena's AIME 2025 I and II, problems 1..15 in order.
_AIME25_TEX = {
    "I": (
        ("26a263ad81138dbfb41647a1e55af77c0b8ab02d4b051fc23722a7f0c403535d", 80),
        ("3f55fba10d99fd167d58e8b8497cfc04d69f37aa54ca942276608ea69ff7e5cc", 1563),
        ("58fe37dacfbee8e6f8e9e090778365b2f4acdf05c8d74c6373b727ea90cf766e", 518),
        ("348fa6beaf77fee3986117dbe82bd4d0a45560898f056da72bf166dcbf6364c5", 143),
        ("20a4b9569c0c5a6f21720f0ee4c84dd26e2d146c11200eb3ea0274b1cc70264d", 224),
        ("f862f0368b2ad1a8459a02663dad9474cb8d907be3263542ca5b39b0154eba39", 251),
        ("e5391454ee1ae2dba04ebe27493b09e17d0681305dea39eab9ef7da22434c818", 492),
        ("0412b80ad1a49c53292d0612113f1d9310762a39159d3e1a87c8722b0e4ef0bf", 309),
        ("066aabf25bd4fb22cb62dcb9c8193e15d89d2319125cf50dd08fdf7b7057190d", 338),
        ("7e76250549ad86d0db64a501d47ddd85df4274833e2241ab875bfad847d292ad", 747),
        ("5218a0e717b22dddeef8cce9d3d1d1051a5030902d52ab4ca9f2cc79037ec444", 1306),
        ("9df369a8ad5157c8960a7aeae493810098269864c996d06a3c5854cb1d0bdabf", 409),
        ("c4257795097d17aed1521c5eb5353f09981a5f92549338c6358f33d8c49fae22", 393),
        ("a3bcb4f0a11d25cf3f9d7d052647274a553a9052a49c83ab013e5c8617bb96e5", 357),
        ("e41ea154b2eaaa8b272e4bf4207608466807527a9d707886121ad98a9ce3a90f", 202),
    ),
    "II": (
        ("c9f868cddbefd2798885d302901cb8344676642840c391ed9635224c73376e57", 240),
        ("5456f4190495febfb1f94a7d2d888184560c0d311d09f9ba8df0213172a769b7", 94),
        ("4e99fa9b8c42a5b73d3b86e10e8cca6ab929fc054cefa02a1c78f18417172064", 757),
        ("9dc773c6ff4f68277eb1864c30d88758ad472718747033bed75a284a1a8f76a9", 397),
        ("f61e610fb78079a93cc0b1b91feded563ba8e445e6933acf74d20945af951986", 1561),
        ("968c36665d072e238b091a67bd67b91fd5e581219feffd1da56ee7fff4ff43b5", 1895),
        ("cf1d5f761ce5942a44355ce05b1e490f24b35819a1402366dae26f95c1c8474f", 312),
        ("459c0b9eb4ccdcbf64baa1a70cba19869d652a1999966f43284c9c97c0d04b6b", 1025),
        ("3e8f6b46d3c48cf5d4b407d971e725608a18f835cb96e96156299f5096abaf8a", 217),
        ("a2999ecfa8f9a767855b7b43e2968173df904b4759e6510f5093ec701e028674", 259),
        ("1d6318c3bffdd04aff2f9503b43f64eb63367f40b8c2117575ac7890f3ed4c8e", 195),
        ("d3e05e3bf85696649fe4030478871ffa8e8b8805b6d47421f2bffecd7a085e4e", 633),
        ("de56c94a8e485ecafd89d9dc1b40a677a3fc4999d9a36101a661e03a71214572", 342),
        ("3b18835d3533ad5dedfe647d97bc40f92ad93ab28148c37bd8fc787c33d35df6", 285),
        ("f0eb22e114cdf88937bb21794102e0e980cbcf54fb332df22c402b06307f26c2", 276),
    ),
}
_AIME25_ANSWERS = {
    "I": ("d25db8d3050ab6aa5437fdc77e243d5efcfff4add23b55f44f3942e93d59fd31", 100),
    "II": ("d4ae1f788fff90fe89d8d433e08045f865ab2c3f61200f1e8a418e29a1054caf", 103),
}


def _aime25_files() -> tuple[PinnedFile, ...]:
    files = []
    for part, problems in _AIME25_TEX.items():
        folder = f"data/aime/aime_2025_{part}"
        files.append(PinnedFile(f"{folder}/answers.csv", *_AIME25_ANSWERS[part]))
        files.extend(PinnedFile(f"{folder}/problems/{n}.tex", *pin) for n, pin in enumerate(problems, start=1))
    return tuple(files)


PINNED_SOURCES: dict[str, PinnedSource] = {
    s.benchmark: s
    for s in (
        PinnedSource(
            "aime24",
            *_QWEN_MATH,
            (
                PinnedFile(
                    "evaluation/data/aime24/test.jsonl",
                    "af2b8bd2aa911b6333ad0df32f3ca05c7ae8ed10f1731f4372c8ae26990bf7ac",
                    156944,
                ),
            ),
            "ecdf712d36c44d07268102a0e01b4fe887cade320b2031c044480925ab2e0a59",
            normalise_aime24,
        ),
        PinnedSource(
            "aime25",
            *_MATHARENA,
            _aime25_files(),
            "c8f0d35cce45c0ae0f6b88d4eba01a1310d8f24666f90b36fcc8f47ca20adfb8",
            normalise_aime25,
        ),
        PinnedSource(
            "math500",
            "ZubinGou/math-evaluation-harness",
            "db77bc6bb2a17c90ed2d63e88ebd8c40a82858c5",
            (
                PinnedFile(
                    "data/math_oai/test.jsonl",
                    "35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132",
                    446564,
                ),
            ),
            "937d5d7ce960050b91219277fb00e6fb7e8b564c24f4af2b7b5491130f5d790b",
            normalise_math500,
        ),
        PinnedSource(
            "minerva",
            *_QWEN_MATH,
            (
                PinnedFile(
                    "evaluation/data/minerva_math/test.jsonl",
                    "0e656b430d3a0a1dab6aa853f453ba3805e28e2cabe4fc72486a897cc09d8ba2",
                    247267,
                ),
            ),
            "45b42246e442318b480dfa8291a360ff5fe6e82d1c4ebf02700f9b6e0e5480a3",
            normalise_minerva,
        ),
        PinnedSource(
            "olympiadbench",
            *_QWEN_MATH,
            (
                PinnedFile(
                    "evaluation/data/olympiadbench/test.jsonl",
                    "bb8c1e38a16ea9eacb77530315a674d883f267fbff79183effc53681b4fcc416",
                    1493870,
                ),
            ),
            "572cfbf9bb5e3acbe9c3967a55e15caa9a8e862bee76618d6dcd596bb14c5aff",
            normalise_olympiadbench,
        ),
        PinnedSource(
            "amc23",
            *_QWEN_MATH,
            (
                PinnedFile(
                    "evaluation/data/amc23/test.jsonl",
                    "43707e1ca784602d8479de24ee8ce36609dbebc46dd152b0b12a46611aa898a4",
                    27631,
                ),
            ),
            "cc1575b5aa6bfd7c3a80b1a4aaaa5dff1284fb1f65341b0e4061b4239487ab82",
            normalise_amc23,
        ),
    )
}
"""Every benchmark's pinned source, by benchmark name (the sha256s are of the files at these commits)."""
