import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


def run_suite(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``suite ARGS...``; ``timeout`` only guards against a hang (speed is measured by benchmarks, not here)."""
    return subprocess.run(
        [sys.executable, "-m", "suite.cli", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def run_eval(
    model: Path, release: Path, out: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``suite eval MODEL --release RELEASE --out OUT ARGS...``."""
    return run_suite("eval", str(model), "--release", str(release), "--out", str(out), *args, env=env)


def test_version() -> None:
    result = run_suite("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("suite ")


def test_user_error_is_one_sentence_without_traceback(tmp_path: Path) -> None:
    result = run_suite("release", "verify", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) <= 2  # rich may wrap a long sentence
    assert "does not exist" in result.stderr and "suite release build" in result.stderr


def test_bad_pair_flag(tmp_path: Path, upstream: Path) -> None:
    result = run_suite("release", "build", "--source", str(upstream), "--out", str(tmp_path / "r"), "--subset", "x")
    assert result.returncode == 2
    assert "NAME=FILE" in result.stderr
    assert not (tmp_path / "r").exists()


# -- suite eval's options: help, groups, --config, suite list ------------------------------------------------------

EVAL_GROUPS = ("model: what is evaluated", "protocol:", "sampling:", "engine:", "output:")


def _parsed(*words: str) -> object:
    from suite.cli import build_parser

    return build_parser().parse_args(["eval", *words])


def _config_of(*words: str) -> dict[str, object]:
    """The ``EvalConfig`` (as JSON) ``suite eval WORDS`` would run, without ``config_file``."""
    from suite._eval_options import eval_config

    args = _parsed(*words)
    config = eval_config(args.model, vars(args), args.config_file).to_json()  # type: ignore[attr-defined]
    config.pop("config_file")
    return config


def test_eval_help_shows_every_option_with_its_default_in_groups() -> None:
    from suite._eval_options import OPTIONS

    result = run_suite("eval", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())  # argparse wraps help to the terminal width
    starts = [text.index(g) for g in EVAL_GROUPS]
    assert starts == sorted(starts), starts
    for o in OPTIONS:
        group = EVAL_GROUPS[["model", "protocol", "sampling", "engine", "output"].index(o.group)]
        at = text.index(f" {o.flag} ")
        assert text.rfind(group, 0, at) > max(text.rfind(g, 0, at) for g in EVAL_GROUPS if g != group), o.flag
        assert " ".join(o.help.split())[:40] in text, o.flag
    for shown in (
        "--max-tokens MAX_TOKENS new tokens per generation at most (also capped by M's context) (default: 32768)",
        "(default: solo,recoverability,guidability)",
        "(default: 0.6)",
        "--batch-size BATCH_SIZE hf backend: rows per generate batch (samples depend on it: recorded) (default: 32)",
        "--dtype {auto,float32,bfloat16,float16}",
        "(default: auto)",
        "--config FILE",
    ):
        assert shown in text, shown
    assert "(default: None)" not in text and "(default: False)" not in text and "(default: )" not in text


def test_demo_help_shows_defaults() -> None:
    result = run_suite("demo", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "questions to evaluate (default: 24)" in text and "(default: demo)" in text


def test_config_file_gives_the_same_run_as_the_same_flags(tmp_path: Path) -> None:
    flags = [
        "M",
        "--out",
        "o",
        "--max-tokens",
        "320",
        "--tests",
        "solo,recoverability",
        "--temperature",
        "0",
        "--positions",
        "0,0.5",
        "--engine-arg",
        "max_model_len=4096",
        "--engine-arg",
        "enforce_eager=1",
        "--chat-template-kwargs",
        '{"enable_thinking": true}',
        "--keep-opening",
        "--batch-size",
        "4",
        "--dtype",
        "bfloat16",
        "--limit",
        "3",
        "--distractors-from",
        "a",
        "b",
        "--backend",
        "hf",
    ]
    toml = tmp_path / "run.toml"
    toml.write_text(
        'model = "M"\nout = "o"\nmax-tokens = 320\ntests = ["solo", "recoverability"]\ntemperature = 0\n'
        "positions = [0, 0.5]\nengine-arg = { max_model_len = 4096, enforce_eager = 1 }\nkeep_opening = true\n"
        'batch-size = 4\ndtype = "bfloat16"\nlimit = 3\ndistractors-from = ["a", "b"]\nbackend = "hf"\n'
        "[chat-template-kwargs]\nenable_thinking = true\n"
    )
    yaml = tmp_path / "run.yaml"
    yaml.write_text(
        "model: M\nout: o\nmax-tokens: 320\ntests: solo,recoverability\ntemperature: 0.0\npositions: '0,0.5'\n"
        "engine-arg: [max_model_len=4096, enforce_eager=1]\nkeep-opening: true\nbatch_size: 4\ndtype: bfloat16\n"
        "limit: 3\ndistractors-from: [a, b]\nbackend: hf\nchat-template-kwargs: {enable_thinking: true}\n"
    )
    expected = _config_of(*flags)
    assert expected["max_tokens"] == 320 and expected["hf_batch_size"] == 4 and expected["dtype"] == "bfloat16"
    assert expected["engine_args"] == {"max_model_len": "4096", "enforce_eager": "1"}
    assert _config_of("--config", str(toml)) == expected
    assert _config_of("--config", str(yaml)) == expected
    # The command line wins over the file, wherever --config stands; the file is recorded as read.
    assert _config_of("--max-tokens", "64", "--config", str(toml), "N")["max_tokens"] == 64
    assert _config_of("--config", str(toml), "N")["model"] == "N"
    args = _parsed("--config", str(toml))
    import hashlib

    record = args.config_file  # type: ignore[attr-defined]
    assert record["sha256"] == hashlib.sha256(toml.read_bytes()).hexdigest() and record["path"] == str(toml)
    assert record["values"]["max-tokens"] == 320 and record["values"]["chat-template-kwargs"] == {
        "enable_thinking": True
    }


def test_config_is_recorded_in_result_json(tmp_path: Path, tiny_model: Callable[[str], Path]) -> None:
    import hashlib
    import json

    from suite.tiny import build_arithmetic_release

    release = build_arithmetic_release(tmp_path, questions=2)
    config = tmp_path / "tiny.toml"
    config.write_text(
        f'model = "{tiny_model("qwen3")}"\ntests = ["solo"]\nsamples = 1\nmax-tokens = 8\nbackend = "hf"\n'
    )
    out = tmp_path / "run"
    result = run_suite("eval", "--config", str(config), "--release", str(release), "--out", str(out), "--seed", "3")
    assert result.returncode == 0, result.stderr[-3000:]
    recorded = json.loads((out / "result.json").read_text())["config"]
    assert recorded["max_tokens"] == 8 and recorded["samples"] == 1 and recorded["seed"] == 3
    assert recorded["tests"] == ["solo"] and recorded["model"] == str(tiny_model("qwen3"))
    assert recorded["config_file"] == {
        "path": str(config),
        "sha256": hashlib.sha256(config.read_bytes()).hexdigest(),
        "values": {
            "model": str(tiny_model("qwen3")),
            "tests": ["solo"],
            "samples": 1,
            "max-tokens": 8,
            "backend": "hf",
        },
    }
    assert "plan: solo runs: 2 questions, 2 generations" in (out / "run.log").read_text()


def test_list_names_the_tests_protocols_and_the_release_contents(arith_release: Path) -> None:
    from suite.evaluation._plan import TESTS
    from suite.release import load_release

    result = run_suite("list", "--release", str(arith_release))
    assert result.returncode == 0, result.stderr
    release = load_release(arith_release)
    for name in (*TESTS, "paper", "paper-text", "auto", "hf", "vllm", "openai", "math500", "aime24", "olympiadbench"):
        assert f"│ {name} " in result.stdout, name
    benchmarks = {q.benchmark for q in release.questions}
    for name in (*benchmarks, *release.subsets, *release.guides):
        assert f"│ {name} " in result.stdout, name
    assert f"release {release.version} at" in result.stdout
    missing = run_suite("list", "--release", str(arith_release / "nope"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
