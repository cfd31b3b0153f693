"""``suite eval``'s options, written once: flag, group, help and the ``EvalConfig`` knob each one sets (pure).

One small table instead of a library (``tyro``, ``simple-parsing``): the flags are not a mechanical
image of :class:`EvalConfig` (``--batch-size`` sets ``hf_batch_size``; ``--positions`` and
``--transition`` default to the protocol's values; comma lists and ``KEY=VALUE`` pairs become
tuples and dicts; ``--release``, ``--out`` and ``--config`` are not knobs at all), help text is
written for people, and the suite keeps its own argument types whose errors are one sentence.
Defaults are not written here: they are :class:`EvalConfig`'s. The parser (``suite.cli``), the
``--config`` file reader and the conversion into an :class:`EvalConfig` all read this table.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from suite._errors import SuiteError
from suite.backends._hf import DTYPES
from suite.backends._selection import BACKENDS
from suite.evaluation._config import PROTOCOLS, EvalConfig, protocol_defaults

GROUPS = {
    "model": "model: what is evaluated",
    "protocol": "protocol: the release, the tests and how they are measured",
    "sampling": "sampling: every generation",
    "engine": "engine: where and how generations and grades are computed",
    "output": "output",
}
"""Option groups of ``suite eval --help``, in order, with their titles."""

Kind = Literal["text", "whole", "count", "real", "positive", "fraction", "switch", "repeat", "several", "choice"]
"""How a value is read: text; whole >= 0 or count >= 1; real >= 0, positive > 0 or fraction in (0, 1]; a
switch; a flag given again for each value (repeat); several values after one flag; one of ``choices``."""


FROM_KNOB: Any = type("FromKnob", (), {"__repr__": lambda self: "FROM_KNOB"})()
"""An option's default is its knob's (``EvalConfig``'s)."""


@dataclass(frozen=True)
class Option:
    """One ``suite eval`` option."""

    name: str
    """The flag without its dashes; also the key of a ``--config`` file (``max-tokens`` or ``max_tokens``)."""
    group: str
    """One of ``GROUPS``."""
    help: str
    kind: Kind = "text"
    knob: str | None = None
    """The ``EvalConfig`` field it sets (None: the flag's name with ``_``; "" for an option that is no knob)."""
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    default: Any = FROM_KNOB
    """The default where it is not the knob's (the protocol's, or an option that is no knob)."""

    @property
    def flag(self) -> str:
        """``--max-tokens``."""
        return f"--{self.name}"

    @property
    def dest(self) -> str:
        """The attribute argparse stores it in: ``max_tokens``."""
        return self.name.replace("-", "_")

    @property
    def field(self) -> str | None:
        """The ``EvalConfig`` field it sets, or None."""
        return (self.knob if self.knob is not None else self.dest) or None

    def cli_default(self) -> Any:
        """The default as the command line would spell it (shown in ``--help``)."""
        if self.default is not FROM_KNOB:
            return self.default
        assert self.field is not None, self.name
        value = KNOB_DEFAULTS[self.field]
        if isinstance(value, dict) or self.kind in ("repeat", "several"):
            return None
        if isinstance(value, tuple):
            return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
        return value


KNOB_DEFAULTS = {
    f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[operator]
    for f in dataclasses.fields(EvalConfig)
    if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
}
"""Every knob's default, read from :class:`EvalConfig` (the one place defaults are written)."""

OPTIONS = (
    Option(
        "model-name",
        "model",
        "name a local model folder is shown under on the leaderboard (recorded; default: "
        "the folder's name and content hash)",
        metavar="OWNER/NAME",
    ),
    Option(
        "revision",
        "model",
        "branch, tag or commit of a Hub model (resolved to a commit sha and recorded); "
        "refused for a local folder, which is recorded by the sha256 of its files",
    ),
    Option("trust-remote-code", "model", "run the model repository's own code (review it first)", "switch"),
    Option(
        "thinking-format",
        "model",
        "think, mistral, harmony or none (default: chosen from the model's chat template and tokenizer)",
    ),
    Option(
        "chat-template-kwargs",
        "model",
        "variables for the chat template as a JSON object, e.g. '{\"enable_thinking\": true}' (recorded)",
        metavar="JSON",
    ),
    Option(
        "release",
        "protocol",
        "release folder ($SUITE_RELEASE if set, else ./release; the GPU image sets it)",
        knob="",
        default="release",
    ),
    Option("tests", "protocol", "comma-separated: solo, recoverability, guidability (solo is always needed)"),
    Option("benchmarks", "protocol", "comma-separated benchmarks of the release (default: all)"),
    Option("limit", "protocol", "first N questions of each benchmark (default: all)", "count"),
    Option("samples", "protocol", "solo samples per question", "count"),
    Option("seed", "protocol", "seed of every draw and every sample (recorded)", "whole"),
    Option(
        "protocol",
        "protocol",
        "paper: the authors' scripts (unit cuts, '\\nLet me think.', distractor length "
        "rule); paper-text: the paper's prose (token cuts at sentence ends, 'Wait. Let me think')",
        "choice",
        choices=PROTOCOLS,
    ),
    Option(
        "distractor-fraction",
        "protocol",
        "length of the distractor as a fraction of it: 0.2, or the 0.4 ablation",
        "fraction",
    ),
    Option(
        "distractors-from",
        "protocol",
        "cross-model ablation: other models' result bundles (same release) give the distractors",
        "several",
        metavar="BUNDLE",
    ),
    Option(
        "positions",
        "protocol",
        "recoverability insertion positions (default: the protocol's, 0,0.2,0.4,0.6,0.8; 0-0.6 with fraction 0.4)",
        default=None,
    ),
    Option("guide-fractions", "protocol", "guidability: fractions of the guide's trajectory put in M's thinking"),
    Option("recoverability-continuations", "protocol", "continuations per (item, position); the authors' 1", "count"),
    Option(
        "guidability-continuations",
        "protocol",
        "continuations per (item, guide, fraction); the paper's 8 (fewer: a variant, recorded)",
        "count",
    ),
    Option("individual-subset-size", "protocol", "recoverability items drawn from M's solved questions", "count"),
    Option("keep-opening", "protocol", "ablation: keep M's opening paragraph before the distractor", "switch"),
    Option(
        "transition",
        "protocol",
        "transition phrase after the distractor, backslash escapes allowed (default: the protocol's)",
        default=None,
    ),
    Option(
        "require-complete",
        "protocol",
        "refuse to start when a test of Table 1 cannot run with this release (leaderboard runs use it)",
        "switch",
        knob="",
        default=False,
    ),
    Option(
        "judge-url",
        "protocol",
        "OpenAI-compatible endpoint of an LLM judge that re-checks answers the "
        "extraction marks wrong (with --judge-model)",
    ),
    Option("judge-model", "protocol", "the judge's model name at --judge-url"),
    Option(
        "grading-timeout-s",
        "protocol",
        "Math-Verify's deadline per answer, seconds; a timed-out answer is retried once",
        "positive",
    ),
    Option("temperature", "sampling", "0 is greedy decoding", "real"),
    Option("top-p", "sampling", "nucleus sampling; top-k is always off", "fraction"),
    Option("max-tokens", "sampling", "new tokens per generation at most (also capped by M's context)", "count"),
    Option(
        "backend",
        "engine",
        "generation engine; auto: vllm where vLLM and a GPU are present, else hf",
        "choice",
        choices=BACKENDS,
    ),
    Option(
        "base-url",
        "engine",
        "openai backend: OpenAI-compatible server(s); repeat the flag or give a comma list "
        "to spread the run over several (an item's requests stay on one server; a failed server's go to the "
        "others)",
        "repeat",
        metavar="URL",
    ),
    Option(
        "dtype",
        "engine",
        "hf backend: dtype of the weights; auto: bfloat16 on a GPU, float32 on CPU",
        "choice",
        choices=DTYPES,
    ),
    Option(
        "batch-size",
        "engine",
        "hf backend: rows per generate batch (samples depend on it: recorded)",
        "count",
        knob="hf_batch_size",
    ),
    Option(
        "device-map",
        "engine",
        "hf backend: transformers' device_map, e.g. auto to spread M over every GPU "
        "(needs accelerate; default: the whole model on one device)",
    ),
    Option("tensor-parallel-size", "engine", "vllm backend: GPUs per model replica (tensor parallelism)", "count"),
    Option("pipeline-parallel-size", "engine", "vllm backend: pipeline stages", "count"),
    Option(
        "engine-arg",
        "engine",
        "vllm backend: one more engine argument; repeat for several",
        "repeat",
        knob="engine_args",
        metavar="KEY=VALUE",
    ),
    Option("grading-workers", "engine", "grader processes", "count"),
    Option(
        "out",
        "output",
        "bundle folder to write (required; the same command resumes a stopped run)",
        knob="",
        default=None,
    ),
    Option(
        "verbosity",
        "output",
        "console messages: error, warning, info or debug (third-party libraries' "
        "warnings show from info; run.log in --out always has them)",
        "choice",
        knob="",
        choices=("error", "warning", "info", "debug"),
        default="warning",
    ),
)
"""Every ``suite eval`` option but MODEL and ``--config``, by group."""

BY_KEY = {o.name: o for o in OPTIONS} | {o.dest: o for o in OPTIONS}
"""An option by its config-file key, ``max-tokens`` or ``max_tokens``."""


def config_tokens(values: Mapping[str, Any], where: str) -> tuple[str | None, list[str]]:
    """A ``--config`` file's keys and values as command-line words: (MODEL or None, the flags and their values).

    Values are typed (TOML or YAML): numbers, true/false, text; a list for comma lists and repeated flags;
    a table for ``chat-template-kwargs`` and ``engine-arg``. ``where`` names the file in errors.
    """
    model: str | None = None
    words: list[str] = []
    for key, value in values.items():
        if key == "model":
            if not isinstance(value, str) or not value:
                raise SuiteError(f"{where}: model must be a model id or folder in quotes; fix the file.")
            model = value
            continue
        option = BY_KEY.get(key) if isinstance(key, str) else None
        if option is None:
            raise SuiteError(
                f"{where}: {key!r} is not an option of suite eval; keys are the flags without dashes, "
                "e.g. max-tokens (see suite eval --help)."
            )
        words += _words(option, value, where)
    return model, words


def _words(option: Option, value: Any, where: str) -> list[str]:
    if option.kind == "switch":
        if not isinstance(value, bool):
            raise SuiteError(f"{where}: {option.name} must be true or false; fix the file.")
        return [option.flag] if value else []
    if option.name == "chat-template-kwargs" and isinstance(value, dict):
        return [option.flag, json.dumps(value)]
    if option.name == "engine-arg" and isinstance(value, dict):
        value = [f"{k}={_scalar(option, v, where)}" for k, v in value.items()]
    if isinstance(value, list):
        items = [_scalar(option, v, where) for v in value]
        if option.kind == "repeat":
            return [w for item in items for w in (option.flag, item)]
        if option.kind == "several":
            return [option.flag, *items] if items else []
        return [option.flag, ",".join(items)]
    return [option.flag, _scalar(option, value, where)]


def _scalar(option: Option, value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SuiteError(f"{where}: {option.name} = {value!r} is not a number or text; fix the file.")
    return value if isinstance(value, str) else repr(value)


def eval_config(model: str, values: Mapping[str, Any], config_file: dict[str, Any] | None = None) -> EvalConfig:
    """The run's :class:`EvalConfig` from the parsed options (``values``: argparse's, by ``dest``)."""
    from suite.backends._openai import server_urls
    from suite.backends._selection import resolve_backend

    knobs: dict[str, Any] = {}
    for o in OPTIONS:
        if o.field is not None:
            knobs[o.field] = values[o.dest]
    defaults = protocol_defaults(knobs["protocol"], knobs["distractor_fraction"])
    knobs |= {
        "backend": resolve_backend(knobs["backend"]),  # once, before the plan: the plan and result.json name it
        "base_url": server_urls(knobs["base_url"] or ()),
        "tests": _names(knobs["tests"]),
        "benchmarks": _names(knobs["benchmarks"]) or None,
        "distractors_from": tuple(knobs["distractors_from"] or ()),
        "distractor_percentiles": defaults["distractor_percentiles"],
        "positions": _fractions(knobs["positions"], "--positions") if knobs["positions"] else defaults["positions"],
        "guide_fractions": _fractions(knobs["guide_fractions"], "--guide-fractions"),
        "transition": (
            knobs["transition"].encode().decode("unicode_escape") if knobs["transition"] else defaults["transition"]
        ),
        "chat_template_kwargs": _json_object(knobs["chat_template_kwargs"]),
        "engine_args": _pairs(knobs["engine_args"]),
    }
    return EvalConfig(model=model, config_file=config_file, **knobs)


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(t.strip() for t in (text or "").split(",") if t.strip())


def _fractions(text: str, flag: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise SuiteError(f"{flag} {text!r} must be comma-separated numbers, e.g. 0,0.2,0.4.") from None


def _json_object(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise SuiteError(
            f"--chat-template-kwargs {text!r} must be a JSON object, e.g. '{{\"enable_thinking\": true}}'."
        )
    return value


def _pairs(values: Sequence[str] | None) -> dict[str, str]:
    pairs = {}
    for pair in values or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SuiteError(f"--engine-arg {pair!r} is not KEY=VALUE.")
        pairs[key] = value
    return pairs
