"""Writes a folder of hostile result bundles, each one an attack or a crash the leaderboard build must survive.

Every bundle here is self-consistent: its ``samples.sha256``, ``count`` and ``metrics`` are recomputed
from its (tampered) samples by Python's own lenient parser, the way the suite validated bundles before
it parsed strictly, so only the build's own checks can tell. ``write_hostile`` returns, for each bundle
folder, the words its rejection must contain (or None for a bundle that is harmless and must go in).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from suite.evaluation._metrics import compute_metrics
from suite.evaluation._samples import Sample
from suite.release import Release
from tests.leaderboard.bundles import FakeRun, write_fake_bundle

Rows = list[dict[str, Any]]


def retampered(
    bundle: Path, rows: Callable[[Rows], None] | None = None, text: Callable[[str], str] | None = None
) -> Path:
    """The bundle with its samples changed (as rows, then as text) and sha256, count and metrics made to match."""
    with gzip.open(bundle / "samples.jsonl.gz", "rt", encoding="utf-8") as f:
        parsed = [json.loads(line) for line in f]
    if rows:
        rows(parsed)
    body = "".join(json.dumps(r) + "\n" for r in parsed)
    if text:
        body = text(body)
    data = gzip.compress(body.encode("utf-8", "surrogatepass"), mtime=0)
    (bundle / "samples.jsonl.gz").write_bytes(data)
    result = json.loads((bundle / "result.json").read_text(encoding="utf-8"))
    lenient = [Sample.from_json(json.loads(line)) for line in body.split("\n") if line.strip()]
    result["samples"] |= {"sha256": hashlib.sha256(data).hexdigest(), "count": len(lenient)}
    result["metrics"] = compute_metrics(lenient, result["config"]["seed"], result["items"]["shared_recoverability"])
    (bundle / "result.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return bundle


def edited_result(bundle: Path, edit: Callable[[str], str]) -> Path:
    """The bundle with ``result.json``'s text changed by ``edit``."""
    path = bundle / "result.json"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return bundle


def _first(test: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Rows], None]:
    def apply(rows: Rows) -> None:
        change(next(r for r in rows if r["test"] == test))

    return apply


def write_hostile(
    root: Path, release_version: str, manifest_sha256: str, verified: Path, release: Release | None = None
) -> dict[Path, str | None]:
    """Hostile bundles under ``root`` (one folder each); ``verified`` is a verified bundle some of them copy.

    Made on ``release`` (when given), the bundles are re-derivable but for what each one tampers with.
    """
    root.mkdir(parents=True, exist_ok=True)
    expected: dict[Path, str | None] = {}

    def make(name: str, model: str = "", **knobs: Any) -> Path:
        settings: dict[str, Any] = {"questions": 6, "words": 8} | knobs
        run = FakeRun(
            model or f"evil/{name}",
            0.5,
            release_version=release_version,
            manifest_sha256=manifest_sha256,
            release=release,
            **settings,
        )
        return write_fake_bundle(root / name, run)

    # Samples that Python's json reads but no number should be.
    for name, value in (("nan", "NaN"), ("infinity", "Infinity"), ("overflow", "1e999")):
        bundle = make(f"position-{name}")
        retampered(bundle, _first("recoverability", lambda r: r.update(position=0.123456789)))
        expected[edited_samples(bundle, "0.123456789", value)] = "is not strict JSON"
    expected[retampered(make("position-out-of-range"), _first("recoverability", lambda r: r.update(position=1.5)))] = (
        "has position 1.5, not a number from 0 to 1"
    )
    expected[retampered(make("huge-integer"), _first("solo", lambda r: r.update(prompt_tokens=10**30)))] = (
        "the integer 1000000000000000000000000000000 is out of range"
    )
    # Text that is not Unicode, and JSON that is not strict.
    expected[retampered(make("surrogate-completion"), _first("solo", lambda r: r.update(completion="x\ud800y")))] = (
        "a string holds a lone surrogate"
    )
    expected[edited_result(make("surrogate-notes"), lambda t: t.replace('"notes": []', '"notes": ["\\udfff"]'))] = (
        "a string holds a lone surrogate"
    )
    expected[
        edited_result(make("duplicate-key"), lambda t: t.replace('"notes": []', '"notes": [], "notes": ["x"]'))
    ] = "the key 'notes' appears twice in one object"
    expected[
        edited_result(
            make("deep-nesting"), lambda t: t.replace('"notes": []', '"notes": [' + "[" * 100_000 + "]" * 100_000 + "]")
        )
    ] = "is nested too deeply"
    expected[retampered(make("wrong-type"), _first("solo", lambda r: r.update(completion_tokens="12")))] = (
        "completion_tokens is missing or of the wrong type"
    )

    # Steers that claim to be the run's own words but are not.
    def borrowed_words(rows: Rows) -> None:
        next(r for r in rows if r["test"] == "recoverability" and r["steer_own"]).update(
            steer_own="Words I never wrote."
        )

    expected[retampered(make("own-part-forged"), borrowed_words)] = "own part is not a prefix of solo sample 0 of"

    def missing_own(rows: Rows) -> None:
        next(r for r in rows if r["test"] == "recoverability" and r["steer_own"]).update(own_sample=99)

    expected[retampered(make("own-sample-missing"), missing_own)] = "names solo sample 99 of"
    # One line of 9 MiB packs into a few KB of gzip.
    expected[retampered(make("long-line"), _first("solo", lambda r: r.update(completion="a" * 9 * 2**20)))] = (
        "is over 8,388,608 bytes, the limit for one sample"
    )
    # Nothing to rank: no samples, no metrics (used to fail in executemany on an empty list).
    expected[make("empty", questions=0)] = "holds no samples"
    # Names: markup, direction overrides, look-alike letters; the revision too.
    expected[make("markup", "evil/[/]x[bold]")] = "the model id `evil/[/]x[bold]` must be exactly owner/name"
    expected[make("rtl", "evil/model\u202egpj")] = "has non-ASCII characters"
    expected[make("cyrillic", "evil/\u0440hi-2")] = "has non-ASCII characters"
    expected[
        edited_result(
            make("local-rtl"),
            lambda t: t.replace('"kind": "hub"', '"kind": "local"').replace(
                '"id": "evil/local-rtl"', '"id": "/models/x\\u202egpj"'
            ),
        )
    ] = "is not 1-300 printable ASCII characters"
    expected[make("formula-revision", revision="=HYPERLINK(1)")] = "is not a full 40-character commit sha"
    # Times that would sort first.
    expected[make("created-9999", created="9999")] = "created '9999' is not an ISO 8601 UTC time"
    expected[make("created-future", created="2999-01-01T00:00:00Z")] = "is in the future"
    expected[make("created-local-time", created="2026-01-01T00:00:00+02:00")] = "is not an ISO 8601 UTC time"
    # Files that are not what they seem.
    linked = make("symlink")
    (linked / "samples.jsonl.gz").unlink()
    os.symlink(verified / "samples.jsonl.gz", linked / "samples.jsonl.gz")
    edited_result(linked, lambda t: _with_samples_of(t, verified))
    expected[linked] = "holds a symbolic link (samples.jsonl.gz)"
    good_twin = make("good")
    globbed = shutil.copytree(good_twin, root / "[g]ood")
    expected[good_twin] = None
    expected[globbed] = "a bundle path may not hold any of *?[]{}"
    # Provenance: the verified run's samples under another name, or its revision.
    for name, model, revision in (("borrowed-id", "evil/borrowed", None), ("borrowed-revision", None, "1" * 40)):
        copy = shutil.copytree(verified, root / name)

        def owner(text: str, model: str | None = model, revision: str | None = revision) -> str:
            result = json.loads(text)
            result["model"]["id"] = model or result["model"]["id"]
            result["model"]["revision"] = revision or result["model"]["revision"]
            return json.dumps(result)

        expected[edited_result(copy, owner)] = "its samples file is already held by"
    if release is not None:
        _rederivation_cases(make, expected)
    if release is None:  # on a release, guide names come from it: the chart test covers mathtext labels
        # Harmless though it looks hostile: mathtext in a guide name is drawn as plain text.
        expected[make("mathtext-guide", guide="$\\undefinedmacro{x}$" + "\\frac{" * 40)] = None
    return expected


def _rederivation_cases(make: Callable[[str], Path], expected: dict[Path, str | None]) -> None:
    """Bundles whose numbers follow from their samples, but whose samples do not follow from the protocol.

    Each passes the checks that recompute metrics from the stored grades; only re-deriving the bundle
    from its release (re-grading, completeness, item selection) refuses it.
    """

    def flipped(rows: Rows) -> None:  # every solo grade of one question turned right, consistently
        first = next(r for r in rows if r["test"] == "solo" and not r["grade"]["correct"])
        for r in rows:
            if r["test"] == "solo" and r["question_id"] == first["question_id"]:
                r["grade"] = {**r["grade"], "correct": True}

    expected[retampered(make("grades-flipped"), flipped)] = "is graded correct but re-grading its completion gives"

    def dropped(rows: Rows) -> None:
        rows.remove(next(r for r in reversed(rows) if r["test"] == "guidability"))

    expected[retampered(make("sample-dropped"), dropped)] = "which the protocol implies for this run, is missing"

    def extra(rows: Rows) -> None:
        rows.append({**next(r for r in rows if r["test"] == "recoverability"), "sample": 1})

    expected[retampered(make("sample-extra"), extra)] = "is not a generation the protocol implies for this run"

    def other_items(rows: Rows) -> None:  # a shared guidability item passed off as an individual one
        guided = [r for r in rows if r["test"] == "guidability"]
        individual = {r["question_id"] for r in guided if r["subset"] == "individual"}
        chosen = next(r["question_id"] for r in guided if r["question_id"] not in individual)
        for r in guided:
            if r["question_id"] == chosen:
                r["subset"] = "individual"

    expected[retampered(make("items-chosen"), other_items)] = "is not a generation the protocol implies for this run"


def edited_samples(bundle: Path, old: str, new: str) -> Path:
    """Replace text in the samples file, keeping sha256 and count true (the metrics stay those of the old text)."""
    return retampered(bundle, text=lambda body: body.replace(old, new))


def _with_samples_of(text: str, other: Path) -> str:
    result = json.loads(text)
    theirs = json.loads((other / "result.json").read_text(encoding="utf-8"))
    result["samples"] = theirs["samples"]
    result["metrics"] = theirs["metrics"]
    return json.dumps(result)
