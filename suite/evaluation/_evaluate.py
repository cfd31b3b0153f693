"""Glue for ``suite eval``: load release and model, run the protocol, write and validate the bundle."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from suite import __version__
from suite._errors import SuiteError
from suite.backends._base import Backend
from suite.backends._selection import resolve_backend
from suite.evaluation._bundle import RESULT_FORMAT, RESULT_FORMAT_VERSION, validate_bundle, write_bundle
from suite.evaluation._config import PROTOCOLS, EvalConfig
from suite.evaluation._distractors import load_distractors
from suite.evaluation._metrics import compute_metrics
from suite.evaluation._model import ModelSource, resolve_model
from suite.evaluation._plan import PlannedTest, incomplete, plan_tests, recorded_tests
from suite.evaluation._run import Progress, RunOutcome, run_protocol, select_questions
from suite.evaluation._samples import Sample
from suite.evaluation._store import STORE, SampleStore, config_difference
from suite.grading import STEER_ANSWER_METHOD, GradingConfig, JudgeConfig
from suite.release import Question, Release, load_release
from suite.steering import positions_valid


def check_config(config: EvalConfig) -> None:
    """Refuse knobs that make no sense, with one sentence each."""
    if not positions_valid(config.positions):
        raise SuiteError(f"--positions {config.positions} must be distinct fractions within [0, 1].")
    if not positions_valid(config.guide_fractions) or 0 in config.guide_fractions:
        raise SuiteError(f"--guide-fractions {config.guide_fractions} must be distinct fractions within (0, 1].")
    if not 0 < config.distractor_fraction <= 1:
        raise SuiteError(f"--distractor-fraction {config.distractor_fraction} must be within (0, 1].")
    whole = {
        "--samples": config.samples,
        "--max-tokens": config.max_tokens,
        "--limit": 1 if config.limit is None else config.limit,
        "--recoverability-continuations": config.recoverability_continuations,
        "--individual-subset-size": config.individual_subset_size,
        "--tensor-parallel-size": config.tensor_parallel_size,
        "--pipeline-parallel-size": config.pipeline_parallel_size,
        "--grading-workers": config.grading_workers,
        "--batch-size": config.hf_batch_size,
    }
    for flag, value in whole.items():
        if value < 1:
            raise SuiteError(f"{flag} {value} must be a whole number of at least 1.")
    if config.seed < 0:
        raise SuiteError(f"--seed {config.seed} must be a whole number of at least 0.")
    if not (math.isfinite(config.temperature) and config.temperature >= 0):
        raise SuiteError(f"--temperature {config.temperature} must be at least 0 (0 is greedy).")
    if not 0 < config.top_p <= 1:
        raise SuiteError(f"--top-p {config.top_p} must be within (0, 1].")
    if not (math.isfinite(config.grading_timeout_s) and config.grading_timeout_s > 0):
        raise SuiteError(f"--grading-timeout-s {config.grading_timeout_s} must be a number of seconds above 0.")
    unknown = [t for t in config.tests if t not in ("solo", "recoverability", "guidability")]
    if unknown or "solo" not in config.tests:
        raise SuiteError(
            "--tests takes solo, recoverability, guidability; solo is always needed (the others start from it)."
        )
    if config.protocol not in PROTOCOLS:
        raise SuiteError(f"--protocol {config.protocol} is unknown; use {' or '.join(PROTOCOLS)}.")
    if config.distractors_from and "recoverability" not in config.tests:
        raise SuiteError("--distractors-from is for recoverability; add it to --tests or drop --distractors-from.")
    if bool(config.judge_url) != bool(config.judge_model):
        raise SuiteError("--judge-url and --judge-model go together; pass both or neither.")


def make_backend(config: EvalConfig, source: ModelSource) -> tuple[Backend, Any]:
    """The backend and M's tokenizer (``auto`` resolved here when the caller did not)."""
    name = resolve_backend(config.backend)
    if name == "vllm":
        from transformers import AutoTokenizer

        from suite.backends._vllm import VLLMBackend

        backend = VLLMBackend(
            source.path,
            config.seed,
            config.trust_remote_code,
            config.tensor_parallel_size,
            config.pipeline_parallel_size,
            config.engine_args,
        )
        return backend, AutoTokenizer.from_pretrained(source.path, trust_remote_code=config.trust_remote_code)
    if name == "openai":
        from transformers import AutoConfig, AutoTokenizer

        from suite.backends._openai import OpenAIBackend

        if not config.base_url:
            raise SuiteError("--backend openai needs --base-url, e.g. http://127.0.0.1:8000/v1.")
        tokenizer = AutoTokenizer.from_pretrained(source.path, trust_remote_code=config.trust_remote_code)
        model_config = AutoConfig.from_pretrained(source.path, trust_remote_code=config.trust_remote_code)
        context = int(getattr(model_config, "max_position_embeddings", 32768))
        return OpenAIBackend(config.base_url, config.model, tokenizer, context), tokenizer
    from suite.backends._hf import load_hf_backend

    return load_hf_backend(source.path, config.trust_remote_code, config.dtype, config.device_map, config.hf_batch_size)


def check_output(out: Path, config: EvalConfig) -> None:
    """Refuse an output folder that holds something else, or a bundle made with a different configuration.

    A folder with a sample store is checked when the store is opened (knob by knob, too).
    """
    if out.is_file():
        raise SuiteError(f"--out {out} is a file; pass a folder for the result bundle.")
    _check_writable(out)
    if not out.exists():
        return
    if not any(out.iterdir()) or (out / STORE).exists():
        return
    previous = out / "result.json"
    if not previous.is_file():
        raise SuiteError(f"--out {out} is not empty and holds no result bundle; choose another folder.")
    try:
        recorded = json.loads(previous.read_text(encoding="utf-8"))["config"]
    except (ValueError, KeyError, TypeError):
        raise SuiteError(f"{previous} is unreadable; remove {out} or choose another --out.") from None
    differing = config_difference({"config": recorded}, {"config": config.to_json()})
    if differing:
        raise SuiteError(f"--out {out} holds a run with {differing}; use another --out or the same configuration.")


def _check_writable(out: Path) -> None:
    """Refuse an ``out`` that cannot be created or written, before any work.

    A real folder is made and removed: permission bits alone mislead as root and in /proc.
    """
    try:
        existing = next(p for p in (out.absolute(), *out.absolute().parents) if p.exists())
    except OSError as e:
        raise SuiteError(f"--out {out} cannot be reached ({e.strerror}); pass a folder you can write to.") from None
    if not existing.is_dir():
        raise SuiteError(f"--out {out} cannot be created: {existing} is a file; pass a folder path.")
    try:
        probe = tempfile.mkdtemp(prefix=".suite-write-check-", dir=existing)
    except OSError as e:
        raise SuiteError(
            f"--out {out} cannot be written: making a folder in {existing} fails ({e.strerror}); "
            "pass a folder you can write to."
        ) from None
    os.rmdir(probe)


BackendFactory = Callable[[EvalConfig, ModelSource], tuple[Backend, Any]]


def evaluate(
    config: EvalConfig,
    release_dir: Path,
    out: Path,
    progress: Progress,
    backend_factory: BackendFactory = make_backend,
    on_plan: Callable[[Release, list[PlannedTest]], None] | None = None,
    require_complete: bool = False,
) -> dict[str, Any]:
    """Run (or resume) ``suite eval`` and return the validated ``result.json``.

    Every generation and grade is in ``out/store.jsonl`` the moment it exists; running
    the same command again on the same ``out`` continues where a crash left off.
    ``backend_factory`` builds the backend and tokenizer (benchmarks plug in their own).
    ``on_plan`` sees the plan before the model is fetched or loaded; ``require_complete``
    refuses to start when a test of Table 1 cannot run.
    """
    config = replace(config, backend=resolve_backend(config.backend))  # once: recorded and resumed as resolved
    check_config(config)
    check_output(out, config)
    started = time.monotonic()
    release = load_release(release_dir)
    questions = select_questions(release, config)
    plan = plan_tests(config, release, questions)
    if on_plan is not None:
        on_plan(release, plan)
    missing = incomplete(plan)
    if require_complete and missing:
        raise SuiteError(
            f"--require-complete: {len(missing)} test(s) of Table 1 cannot run ("
            + "; ".join(f"{t.name}: {t.reason}" for t in missing)
            + "); use a complete release or drop --require-complete."
        )
    # The openai backend's servers hold the weights: only M's tokenizer and config are fetched here.
    source = resolve_model(
        config.model,
        config.revision,
        config.trust_remote_code,
        weights=config.backend != "openai",
        name=config.model_name,
    )
    header = {
        "config": config.to_json(),
        "release": {"version": release.version, "manifest_sha256": release.manifest_sha256},
        "model_revision": source.revision,
    }
    golds = {q.id: q.answer for q in questions}
    distractors = load_distractors(config.distractors_from, release, config.model, golds, config.seed)
    with SampleStore.open(out, header) as store:
        backend, tokenizer = backend_factory(config, source)
        try:
            outcome = run_protocol(
                config, release, questions, tokenizer, backend, config.model, store, progress, distractors=distractors
            )
        finally:
            backend.close()
        result = _result(config, release, questions, source, backend, outcome, store, started)
        result["tests"] = recorded_tests(plan, result["items"])
        write_bundle(out, result, store.samples())
    return validate_bundle(out)


def _result(
    config: EvalConfig,
    release: Release,
    questions: list[Question],
    source: ModelSource,
    backend: Backend,
    outcome: RunOutcome,
    store: SampleStore,
    started: float,
) -> dict[str, Any]:
    # The shared subset as run: its questions among those evaluated (all of them unless --limit/--benchmarks).
    shared_size = outcome.counts.get("shared_recoverability", 0)
    judge = (
        JudgeConfig(config.judge_url, config.judge_model).to_json() if config.judge_url and config.judge_model else None
    )
    tokens = {"prompt_tokens": 0, "completion_tokens": 0}

    def counted() -> Iterator[Sample]:
        for s in store.samples():
            tokens["prompt_tokens"] += s.prompt_tokens
            tokens["completion_tokens"] += s.completion_tokens
            yield s

    metrics = compute_metrics(counted(), config.seed, shared_size)
    return {
        "format": RESULT_FORMAT,
        "format_version": RESULT_FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "suite": {"version": __version__, **_git_state()},
        "release": {"version": release.version, "manifest_sha256": release.manifest_sha256},
        "model": source.to_json(),
        "backend": {"name": backend.name, "versions": backend.versions(), "context_length": backend.context_length},
        "hardware": _hardware(),
        "config": config.to_json(),
        "thinking": outcome.thinking,
        "sampling": {
            "temperature": config.temperature,
            "top_p": config.top_p,
            "top_k": None,
            "max_tokens": config.max_tokens,
        },
        "grading": GradingConfig(timeout_s=config.grading_timeout_s).to_json()
        | {"steer_answer_method": STEER_ANSWER_METHOD, **outcome.steer_answers, "judge": judge},
        "timing": {
            "wall_s": round(time.monotonic() - started, 3),
            "generate_s": round(outcome.generate_seconds, 3),
            "resumed_samples": outcome.resumed,
            **tokens,
        },
        "timeline": outcome.timeline,
        "items": {"questions": len(questions), "shared_recoverability": shared_size, **outcome.counts},
        "notes": outcome.notes,
        "metrics": metrics,
    }


def _git_state() -> dict[str, Any]:
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return {"git_commit": None, "git_dirty": None}
    if commit.returncode != 0:
        return {"git_commit": None, "git_dirty": None}
    return {"git_commit": commit.stdout.strip(), "git_dirty": bool(status.stdout.strip())}


def _hardware() -> dict[str, Any]:
    gpus: list[str] = []
    try:
        import torch

        if torch.cuda.is_available():
            gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except ImportError:
        pass
    return {
        "gpus": gpus,
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count() or 0,
        "platform": platform.platform(),
    }
