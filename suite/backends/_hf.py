"""transformers ``generate`` backend: batched with left padding, for CPUs and small GPUs.

Sampling is the protocol's and nothing else: ``generate`` gets a :class:`GenerationConfig`
holding every value that shapes a token's choice, and the model's own defaults (its
``generation_config.json``: ``repetition_penalty``, ``top_k``, ``temperature``...) are
dropped when the backend takes the model, since ``generate`` fills every field left
unset from them.

Progress is reported per generated token step, not per batch: a stopping criterion that never
stops counts the rows still generating after each step and hands that count to ``on_step``.
"""

from __future__ import annotations

import importlib.util
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite.backends._base import Blocking, Completion, Request, SamplingConfig, max_new_tokens, package_versions

DTYPES = ("auto", "float32", "bfloat16", "float16")
"""What ``--dtype`` takes; ``auto``: bfloat16 on a GPU, float32 on CPU."""

StepReport = Callable[[int], None]
"""Called after each generated token step with the number of tokens that step produced (rows still generating)."""


def load_hf_backend(
    path: Path, trust_remote_code: bool, dtype: str = "auto", device_map: str | None = None, batch_size: int = 32
) -> tuple[HFBackend, Any]:
    """M's weights and tokenizer from a local folder as an hf backend.

    ``device_map`` None puts the whole model on one device (the GPU when there is one); any other value is
    transformers' ``device_map`` (``auto`` spreads the layers over every visible GPU, which needs accelerate).
    """
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        raise SuiteError(
            "the hf backend needs torch and transformers: pip install 'off-trajectory-suite[hf]'."
        ) from None
    if dtype not in DTYPES:
        raise SuiteError(f"--dtype {dtype} is unknown; use {', '.join(DTYPES)}.")
    if device_map is not None and importlib.util.find_spec("accelerate") is None:
        raise SuiteError(
            f"--device-map {device_map} needs accelerate, which is not installed: "
            "pip install 'off-trajectory-suite[hf]'."
        )
    cuda = torch.cuda.is_available()
    weights = (torch.bfloat16 if cuda else torch.float32) if dtype == "auto" else getattr(torch, dtype)
    tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    model = AutoModelForCausalLM.from_pretrained(
        path, trust_remote_code=trust_remote_code, dtype=weights, device_map=device_map
    )
    device = None if device_map is not None else ("cuda" if cuda else "cpu")
    return HFBackend(model, tokenizer, device, batch_size), tokenizer


class HFBackend(Blocking):
    """Runs ``model.generate`` over batches of up to ``batch_size`` rows (one row per sample), left-padded.

    Each submitted group runs on its own, in submission order, one group per ``collect``;
    its rows are batched in request order and each batch seeds torch with the seed of
    its first request, so the same group, seed and batch size give the same samples.
    """

    name = "hf"
    background = False
    window = 64
    """A few groups: the next is ready when one finishes."""

    on_step: StepReport | None = None
    """Told the tokens of each generated token step (the live display's tokens/s); None: nobody listens."""

    def __init__(self, model: Any, tokenizer: Any, device: str | None = "cpu", batch_size: int = 32) -> None:
        """``device`` None: M is already placed (a ``device_map``); inputs go to its first device."""
        import torch

        self.model = model.eval() if device is None else model.eval().to(device)
        self.tokenizer = tokenizer
        self.device = str(self.model.device) if device is None else device
        self.batch_size = batch_size
        self.context_length = int(getattr(model.config, "max_position_embeddings", 32768))
        self._torch = torch
        eos = _as_list(model.generation_config.eos_token_id) + _as_list(tokenizer.eos_token_id)
        self._eos = sorted(set(eos))
        self._pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self._eos[0]
        # generate() fills every unset field from the model's defaults: leave it none to fill from.
        self.model.generation_config = neutral_generation_config(self._eos, self._pad)
        self._queue: deque[tuple[tuple[Request, ...], SamplingConfig]] = deque()

    def submit(self, requests: Sequence[Request], sampling: SamplingConfig) -> None:
        """Queue a group; it runs on the ``collect`` call that reaches it."""
        if requests:
            self._queue.append((tuple(requests), sampling))

    @property
    def busy(self) -> int:
        """Requests in queued groups."""
        return sum(len(group) for group, _ in self._queue)

    def collect(self) -> list[Completion]:
        """Run the oldest queued group to the end; every request's ``n`` samples."""
        if not self._queue:
            return []
        requests, sampling = self._queue[0]
        rows = [(request, index) for request in requests for index in range(request.n)]
        out: list[Completion] = []
        for start in range(0, len(rows), self.batch_size):
            out.extend(self._batch(rows[start : start + self.batch_size], sampling))
        self._queue.popleft()  # only now: an interrupted group stays queued
        return out

    def _batch(self, rows: list[tuple[Request, int]], sampling: SamplingConfig) -> list[Completion]:
        from transformers import StoppingCriteriaList

        torch = self._torch
        width = max(len(r.prompt_ids) for r, _ in rows)
        ids = torch.full((len(rows), width), self._pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, (request, _) in enumerate(rows):
            ids[i, width - len(request.prompt_ids) :] = torch.tensor(request.prompt_ids)
            mask[i, width - len(request.prompt_ids) :] = 1
        limits = [max_new_tokens(sampling, self.context_length, len(r.prompt_ids)) for r, _ in rows]
        first, index = rows[0]
        torch.manual_seed(first.seed + index)
        # Only the counter, which never stops a row, is added to what generate gets when someone listens.
        listening: dict[str, Any] = {}
        if self.on_step is not None:
            counter = step_counter(self.on_step, width, limits, self._eos)
            listening["stopping_criteria"] = StoppingCriteriaList([counter])
        with torch.no_grad():
            output = self.model.generate(
                input_ids=ids.to(self.device),
                attention_mask=mask.to(self.device),
                generation_config=protocol_generation_config(sampling, max(limits), self._eos, self._pad),
                **listening,
            )
        completions = []
        for i, (request, sample) in enumerate(rows):
            tokens = output[i, width:].tolist()[: limits[i]]
            stop = next((k for k, t in enumerate(tokens) if t in self._eos), None)
            kept = tokens if stop is None else tokens[:stop]
            completions.append(
                Completion(
                    request.key,
                    sample,
                    self.tokenizer.decode(kept, skip_special_tokens=sampling.skip_special_tokens),
                    len(request.prompt_ids),
                    len(kept) + (stop is not None),
                    "length" if stop is None else "stop",
                )
            )
        return completions

    def versions(self) -> dict[str, str]:
        """Versions of torch, transformers and tokenizers."""
        return package_versions("torch", "transformers", "tokenizers")

    def close(self) -> None:
        """Nothing to release beyond the model object."""


def neutral_generation_config(eos: list[int], pad: int) -> Any:
    """A model default with nothing but M's end and padding tokens (replaces the model's ``generation_config``)."""
    from transformers import GenerationConfig

    return GenerationConfig(eos_token_id=eos, pad_token_id=pad)


def protocol_generation_config(sampling: SamplingConfig, max_new: int, eos: list[int], pad: int) -> Any:
    """The protocol's sampling as a ``GenerationConfig``, every value that shapes a token's choice set.

    temperature and top-p as given, top-k off, no repetition penalty, no other filter;
    temperature 0 is greedy decoding.
    """
    from transformers import GenerationConfig

    sampled = sampling.temperature > 0
    return GenerationConfig(
        do_sample=sampled,
        temperature=sampling.temperature if sampled else 1.0,
        top_p=sampling.top_p if sampled else 1.0,
        top_k=0 if sampled else 50,  # 0: off; greedy ignores it (50 is transformers' neutral default)
        typical_p=1.0,
        epsilon_cutoff=0.0,
        eta_cutoff=0.0,
        repetition_penalty=1.0,
        encoder_repetition_penalty=1.0,
        no_repeat_ngram_size=0,
        length_penalty=1.0,
        min_length=0,
        num_beams=1,
        num_return_sequences=1,
        renormalize_logits=False,
        remove_invalid_values=False,
        max_new_tokens=max_new,
        eos_token_id=eos,
        pad_token_id=pad,
    )


def step_counter(report: StepReport, width: int, limits: Sequence[int], eos: Sequence[int]) -> Any:
    """A ``StoppingCriteria`` that never stops ``generate`` and reports each step's new tokens to ``report``.

    A row counts until it has produced its end token or reached its own token limit (``limits``),
    as the completions count their tokens.
    """
    import torch
    from transformers import StoppingCriteria

    ends = set(eos)

    class StepCounter(StoppingCriteria):
        def __init__(self) -> None:
            self.finished = [False] * len(limits)

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            step = input_ids.shape[1] - width
            count = 0
            for row, token in enumerate(input_ids[:, -1].tolist()):
                if not self.finished[row] and step <= limits[row]:
                    count += 1
                    self.finished[row] = token in ends
            report(count)
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    return StepCounter()


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    return [int(v) for v in value] if isinstance(value, list | tuple) else [int(value)]
