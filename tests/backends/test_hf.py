"""The hf backend on the tiny trained reasoner: real generation, seeds, left padding, finish reasons."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoModelForCausalLM, AutoTokenizer

from suite.backends._base import Request, SamplingConfig
from suite.backends._hf import HFBackend, load_hf_backend
from suite.steering import steered_prompt
from suite.tiny import make_problem


@pytest.fixture(scope="module")
def backend(tiny_reasoner: Path) -> HFBackend:
    tokenizer = AutoTokenizer.from_pretrained(tiny_reasoner)
    return HFBackend(AutoModelForCausalLM.from_pretrained(tiny_reasoner), tokenizer, batch_size=8)


def prompt(backend: HFBackend, a: int, b: int, thinking: str = "") -> tuple[int, ...]:
    return steered_prompt(backend.tokenizer, make_problem("add", a, b, "Ada", "pens").problem, thinking).token_ids


def test_samples_finish_their_thinking_and_seeds_reproduce(backend: HFBackend) -> None:
    sampling = SamplingConfig(max_tokens=400)
    request = Request("q", prompt(backend, 3, 4), n=4, seed=11)
    first = backend.generate([request], sampling)
    assert [c.index for c in first] == [0, 1, 2, 3]
    assert all(c.finish_reason == "stop" and "</think>" in c.text for c in first)
    assert all(c.prompt_tokens == len(request.prompt_ids) and c.completion_tokens > 20 for c in first)
    assert backend.generate([request], sampling) == first
    assert backend.generate([Request("q", request.prompt_ids, 4, seed=12)], sampling) != first


def test_left_padding_batched_greedy_equals_one_by_one(backend: HFBackend) -> None:
    greedy = SamplingConfig(temperature=0.0, max_tokens=60)
    steer = "Let me read the problem again carefully."
    requests = [
        Request("short", prompt(backend, 3, 4), 1, 0),
        Request("long", prompt(backend, 23, 45, steer), 1, 0),
        Request("mid", prompt(backend, 9, 9), 1, 0),
    ]
    together = {c.key: c.text for c in backend.generate(requests, greedy)}
    alone = {c.key: c.text for r in requests for c in backend.generate([r], greedy)}
    assert together == alone


def test_max_tokens_gives_finish_reason_length(backend: HFBackend) -> None:
    out = backend.generate([Request("q", prompt(backend, 3, 4), 2, 0)], SamplingConfig(max_tokens=5))
    assert all(c.finish_reason == "length" and c.completion_tokens == 5 for c in out)
    assert backend.versions()["torch"].startswith("2.")


def test_device_map_places_the_model_with_accelerate_and_generates_the_same(
    backend: HFBackend, tiny_reasoner: Path
) -> None:
    # On a GPU machine "auto" spreads layers over the GPUs; here every layer lands on the CPU, through the same path.
    placed, _ = load_hf_backend(tiny_reasoner, False, dtype="float32", device_map="auto", batch_size=8)
    assert placed.device == "cpu" and all(p.device.type == "cpu" for p in placed.model.parameters())
    greedy = SamplingConfig(temperature=0.0, max_tokens=40)
    request = Request("q", prompt(backend, 12, 30), 1, 0)
    assert [c.text for c in placed.generate([request], greedy)] == [c.text for c in backend.generate([request], greedy)]
