"""Any OpenAI-compatible ``/v1/completions`` server (vLLM, SGLang): token-id prompts, bounded concurrency."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from suite._errors import SuiteError
from suite._http import get_json, post_json
from suite.backends._base import Blocking, Completion, Request, SamplingConfig, max_new_tokens, package_versions


class OpenAIBackend(Blocking):
    """Sends each request (token ids, ``n``, ``seed``) to ``POST {base_url}/completions``, ``concurrency`` at a time."""

    name = "openai"
    background = True
    window = 128
    """Four times the default concurrency."""

    def __init__(
        self,
        base_url: str,
        model: str,
        tokenizer: Any,
        context_length: int,
        concurrency: int = 32,
        max_retries: int = 5,
        api_key_env: str = "OPENAI_API_KEY",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        listed = get_json(self.base_url + "/models", what="server")
        cards = {m.get("id"): m for m in listed.get("data", []) if isinstance(m, dict)}
        if model in cards:
            self.served = model
        elif len(cards) == 1:
            self.served = str(next(iter(cards)))
        else:
            raise SuiteError(
                f"server {self.base_url} serves {sorted(map(str, cards))}, none named {model!r}; "
                "serve the model under that name (--served-model-name)."
            )
        self.context_length = int(cards[self.served].get("max_model_len") or context_length)
        self.tokenizer = tokenizer
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.api_key_env = api_key_env
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="openai-backend")
        self._futures: set[Future[list[Completion]]] = set()

    def submit(self, requests: Sequence[Request], sampling: SamplingConfig) -> None:
        """Queue each request; up to ``concurrency`` are in flight at the server."""
        for request in requests:
            self._futures.add(self._pool.submit(self._one, request, sampling))

    @property
    def busy(self) -> int:
        """Requests queued or in flight."""
        return len(self._futures)

    def collect(self) -> list[Completion]:
        """Completions of the requests that came back within the next 50 ms."""
        if not self._futures:
            return []
        done, _ = wait(self._futures, timeout=0.05, return_when=FIRST_COMPLETED)
        self._futures -= done
        return [c for future in done for c in future.result()]

    def _one(self, request: Request, sampling: SamplingConfig) -> list[Completion]:
        body = {
            "model": self.served,
            "prompt": list(request.prompt_ids),
            "n": request.n,
            "seed": request.seed,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "top_k": 0,
            "max_tokens": max_new_tokens(sampling, self.context_length, len(request.prompt_ids)),
        }
        if not sampling.skip_special_tokens:  # vLLM's extension: M's thinking markers are special tokens
            body["skip_special_tokens"] = False
        reply = post_json(self.base_url + "/completions", body, self.api_key_env, self.max_retries, what="server")
        try:
            choices = reply["choices"]
            return [
                Completion(
                    request.key,
                    int(c["index"]),
                    str(c["text"]),
                    len(request.prompt_ids),
                    len(self.tokenizer.encode(c["text"], add_special_tokens=False)) + (c["finish_reason"] == "stop"),
                    "length" if c["finish_reason"] == "length" else "stop",
                )
                for c in choices
            ]
        except (KeyError, TypeError, ValueError):
            raise SuiteError(
                f"server {self.base_url} answered a completion without choices; is it OpenAI-compatible?"
            ) from None

    def versions(self) -> dict[str, str]:
        """Local package versions (the server's own versions are not visible through the API)."""
        return package_versions("transformers", "tokenizers") | {"server": self.base_url}

    def close(self) -> None:
        """Drop queued requests and stop the senders."""
        self._pool.shutdown(wait=False, cancel_futures=True)
