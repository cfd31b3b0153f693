"""The one small interface every generation backend implements (hf, vllm, openai)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

FinishReason = Literal["stop", "length"]


@dataclass(frozen=True)
class SamplingConfig:
    """Sampling parameters shared by every request of a run (PROTOCOL.md: 0.6 / 0.95 / top-k off)."""

    temperature: float = 0.6
    top_p: float = 0.95
    max_tokens: int = 32768
    """Upper bound; each request also stops at the context length."""
    skip_special_tokens: bool = True
    """Decode without special tokens; False where M's thinking markers are special tokens (harmony, Mistral)."""


@dataclass(frozen=True)
class Request:
    """``n`` samples continuing one prompt, with one seed (the n samples share a prefill)."""

    key: str
    """Unique id of this prompt within the run."""
    prompt_ids: tuple[int, ...]
    n: int
    seed: int


@dataclass(frozen=True)
class Completion:
    """One generated continuation."""

    key: str
    index: int
    """Which of the request's ``n`` samples."""
    text: str
    """Decoded continuation (special tokens removed; ``<think>``/``</think>`` kept)."""
    prompt_tokens: int
    completion_tokens: int
    finish_reason: FinishReason


class Backend(Protocol):
    """A generation engine fed as a stream: ``submit`` requests whenever they are ready, ``collect`` finished ones.

    ``collect`` makes progress (runs a batch, an engine step, or waits briefly on a
    server) and returns the completions of requests that finished, all ``n`` of a
    request together. A group handed to one ``submit`` call is what a backend may
    batch together; the suite always forms the same groups, so batch-dependent
    backends (hf) give the same samples however a run is scheduled or resumed.
    """

    name: str
    context_length: int
    background: bool
    """True when the engine works between ``collect`` calls (a server); False when only inside them."""
    window: int
    """Requests worth keeping submitted: enough to keep the engine full, few enough to bound memory."""

    def submit(self, requests: Sequence[Request], sampling: SamplingConfig) -> None:
        """Queue one group of requests."""
        ...

    @property
    def busy(self) -> int:
        """Requests submitted and not yet collected."""
        ...

    def collect(self) -> list[Completion]:
        """Advance the engine; completions of requests that finished (possibly none)."""
        ...

    def generate(self, requests: Sequence[Request], sampling: SamplingConfig) -> list[Completion]:
        """Submit one group and collect until it is done: the blocking form."""
        ...

    def versions(self) -> dict[str, str]:
        """Package versions that decide outputs (recorded in results)."""
        ...

    def close(self) -> None:
        """Release the engine."""
        ...


class Blocking:
    """``generate`` for any streaming backend (mixed into each backend class)."""

    def generate(self: Backend, requests: Sequence[Request], sampling: SamplingConfig) -> list[Completion]:
        """Submit ``requests`` as one group and collect until nothing is in flight."""
        self.submit(requests, sampling)
        out: list[Completion] = []
        while self.busy:
            out.extend(self.collect())
        return out


def max_new_tokens(sampling: SamplingConfig, context_length: int, prompt_length: int) -> int:
    """min(--max-tokens, context length - prompt length - 1), at least 1."""
    return max(1, min(sampling.max_tokens, context_length - prompt_length - 1))


def package_versions(*names: str) -> dict[str, str]:
    """Installed versions of ``names`` (missing ones omitted)."""
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, Any] = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found
