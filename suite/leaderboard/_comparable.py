"""Comparable runs (PROTOCOL.md): is a run the standard measurement, and if not, what differs (pure).

A run is *standard* when it used the default protocol (``paper``) on the whole release (no ``--limit``,
every benchmark, all three tests) with every knob that changes a number at its default: positions,
guide fractions, distractor fraction and length rule, transition, samples, continuations, temperature,
top-p, top-k, max tokens, thinking format, chat template variables and the grading configuration, and
an engine context length no shorter than the model's own (``model.context_length``, from config.json). The
standard values are ``EvalConfig``'s and ``GradingConfig``'s defaults, read from those classes, never
written twice. Only standard runs are ranked; every other run is shown as a variant beside its model,
with the list this module returns ("max tokens 4 (standard 32768)", "--limit 1").

The seed is recorded but free: another seed is the same measurement drawn again. So are the sizes of
the individual subset, the distractor pool and the control set: they set how many items the same rule
draws, not how each is measured (every score carries its ``n`` and interval; a small release cannot
hold the paper's 200 items and their distractors).

A test the release itself cannot run (no guide steers, no shared subset) is shown as not run with its
reason, and the run still ranks among the runs of that release: every run of it lacks the same test
(``suite validate`` checks that every generation the release implies is present).

``result.json`` is untrusted here: any shape is read without raising, and a knob that is not recorded
is a difference ("max tokens not recorded"), never assumed standard.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from suite.evaluation._config import EvalConfig
from suite.grading._grade import GradingConfig

STANDARD_CONFIG: dict[str, Any] = EvalConfig(model="").to_json()
"""Every knob of ``suite eval`` at its default: the standard protocol."""
STANDARD_GRADING: dict[str, Any] = GradingConfig().to_json()
"""The default grading configuration (the Math-Verify version is not a knob: runs of different versions are
never ranked together, see ``suite.leaderboard._database.grading_key``)."""

CONFIG_KNOBS = (
    ("protocol", "protocol"),
    ("samples", "solo samples"),
    ("positions", "positions"),
    ("guide_fractions", "guide fractions"),
    ("distractor_fraction", "distractor fraction"),
    ("distractor_percentiles", "distractor length rule"),
    ("transition", "transition"),
    ("recoverability_continuations", "recoverability continuations"),
    ("guidability_continuations", "guidability continuations"),
    ("thinking_format", "thinking format"),
    ("chat_template_kwargs", "chat template variables"),
)
"""``result.json``'s ``config`` keys that change a number, with the words a reader sees."""
SAMPLING_KNOBS = (("temperature", "temperature"), ("top_p", "top-p"), ("top_k", "top-k"), ("max_tokens", "max tokens"))
"""``result.json``'s ``sampling`` keys (what the engine was given), standard: the config defaults, top-k off."""
STANDARD_SAMPLING: dict[str, Any] = {
    "temperature": STANDARD_CONFIG["temperature"],
    "top_p": STANDARD_CONFIG["top_p"],
    "top_k": None,
    "max_tokens": STANDARD_CONFIG["max_tokens"],
}
GRADING_KNOBS = (
    ("grader", "grader"),
    ("float_rounding", "grading float rounding"),
    ("timeout_s", "grading timeout s"),
    ("retry_timeout_s", "grading retry timeout s"),
)
SHOWN_CHARACTERS = 60
"""A recorded value is shown up to this many characters (it comes from the bundle)."""


def differences_from_standard(result: Mapping[str, Any]) -> list[str]:
    """What makes a run not the standard measurement, in the reader's words; empty for a standard run."""
    config = _mapping(result.get("config"))
    found: list[str] = []
    for key, flag in (("limit", "--limit"), ("benchmarks", "--benchmarks")):
        if config.get(key, _ABSENT) is not None:
            found.append(_flag(flag, config.get(key, _ABSENT)))
    tests = config.get("tests", _ABSENT)
    if not (isinstance(tests, list) and len(tests) == len(set(map(str, tests))) and _same_set(tests)):
        found.append(_flag("--tests", tests))
    for key, label in CONFIG_KNOBS:
        found.extend(_knob(label, config.get(key, _ABSENT), STANDARD_CONFIG[key]))
    sampling = _mapping(result.get("sampling"))
    for key, label in SAMPLING_KNOBS:
        difference = _knob(label, sampling.get(key, _ABSENT), STANDARD_SAMPLING[key])
        if not difference and key in config and key != "top_k":  # the config must say the same (it is what ran)
            difference = _knob(label, config[key], STANDARD_SAMPLING[key])
        found.extend(difference)
    if config.get("distractors_from", []) not in ([], None):
        found.append(_flag("--distractors-from", config["distractors_from"]))
    if config.get("keep_opening", False) is not False:
        found.append(_flag("--keep-opening", config["keep_opening"]))
    grading = _mapping(result.get("grading"))
    for key, label in GRADING_KNOBS:
        found.extend(_knob(label, grading.get(key, _ABSENT), STANDARD_GRADING[key]))
    found.extend(_context(_mapping(result.get("backend")), _mapping(result.get("model"))))
    return found


def _context(backend: Mapping[str, Any], model: Mapping[str, Any]) -> list[str]:
    """The engine's context length when it is shorter than the model's own; not recorded is a difference too.

    Max new tokens, and which steered prompts fit, depend on it: ``min(32768, context - prompt - 1)``.
    """
    engine, own = backend.get("context_length", _ABSENT), model.get("context_length")
    if engine is _ABSENT:
        return ["engine context length not recorded"]
    if type(engine) is not int or engine < 1:
        return [f"engine context length {_shown(engine)}"]
    if type(own) is int and engine < own:
        return [f"engine context length {engine} (the model's {own})"]
    return []


def is_standard(result: Mapping[str, Any]) -> bool:
    """Whether the run is the standard measurement (ranked), not a variant."""
    return not differences_from_standard(result)


def display_name(model: Mapping[str, Any]) -> str:
    """The name a reader sees: ``--model-name``, else the Hub id, else a local folder's name and content hash.

    A local model's recorded id is the path it was run from; only its last part is ever shown.
    """
    name = model.get("name")
    if isinstance(name, str) and name:
        return _printable(name)
    ident = str(model.get("id", ""))
    if model.get("kind") == "hub":
        return _printable(ident)
    folder = ident.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or "local model"
    revision = str(model.get("revision", ""))
    return f"{_printable(folder)[:96]} ({_printable(revision)[:19]})"


_ABSENT = object()


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _same_set(tests: Any) -> bool:
    standard = STANDARD_CONFIG["tests"]
    return isinstance(tests, list) and all(isinstance(t, str) for t in tests) and sorted(set(tests)) == sorted(standard)


def _knob(label: str, value: Any, standard: Any) -> list[str]:
    if value is _ABSENT:
        return [f"{label} not recorded"]
    if _same(value, standard):
        return []
    return [f"{label} {_shown(value)} (standard {_shown(standard)})"]


def _flag(flag: str, value: Any) -> str:
    if value is _ABSENT:
        return f"{flag} not recorded"
    if value is True:
        return flag
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return f"{flag} {_printable(','.join(value))[:SHOWN_CHARACTERS]}"
    return f"{flag} {_shown(value)}"


def _same(value: Any, standard: Any) -> bool:
    """JSON equality where a boolean is never a number and 1 equals 1.0 (the standard's depth bounds the walk)."""
    if isinstance(value, bool) or isinstance(standard, bool):
        return type(value) is type(standard) and value == standard
    if isinstance(value, int | float) and isinstance(standard, int | float):
        return float(value) == float(standard)
    if isinstance(value, list) and isinstance(standard, list):
        return len(value) == len(standard) and all(_same(v, s) for v, s in zip(value, standard, strict=True))
    if isinstance(value, dict) and isinstance(standard, dict):
        return value.keys() == standard.keys() and all(_same(value[k], standard[k]) for k in standard)
    return type(value) is type(standard) and bool(value == standard)


def _shown(value: Any) -> str:
    """A recorded value as JSON, ASCII only, cut to ``SHOWN_CHARACTERS``."""
    try:
        text = json.dumps(value, ensure_ascii=True, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 3] + "..."


def _printable(text: str) -> str:
    """``text`` with anything outside printable ASCII escaped (look-alike letters, controls, lone surrogates)."""
    return "".join(
        c if " " <= c <= "~" else c.encode("unicode_escape", "backslashreplace").decode("ascii") for c in text
    )
