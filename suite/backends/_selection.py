"""Which generation engine ``--backend auto`` means on this machine: vLLM where it can run, else transformers."""

from __future__ import annotations

from suite._errors import SuiteError

BACKENDS = ("auto", "hf", "vllm", "openai")
"""What ``--backend`` takes; ``auto`` (the default) is resolved once, at start-up, to ``vllm`` or ``hf``."""


def choose_backend(requested: str, vllm_importable: bool, gpu_visible: bool) -> str:
    """The concrete backend for ``requested``: an explicit choice as is; ``auto``: vllm with vLLM and a GPU, else hf."""
    if requested not in BACKENDS:
        raise SuiteError(f"--backend {requested} is unknown; use {', '.join(BACKENDS)}.")
    if requested != "auto":
        return requested
    return "vllm" if vllm_importable and gpu_visible else "hf"


def gpu_visible() -> bool:
    """At least one CUDA GPU is visible (NVML's count: it does not initialise CUDA, so vLLM may still fork)."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.device_count() > 0)


def vllm_importable() -> bool:
    """``import vllm`` works (an install that fails to import counts as absent)."""
    try:
        import vllm  # noqa: F401
    except Exception:  # a broken install raises more than ImportError; auto then falls back to hf
        return False
    return True


def resolve_backend(requested: str) -> str:
    """``requested`` made concrete here (checks only for ``auto``; vLLM is imported only where a GPU is visible)."""
    if requested != "auto":
        return choose_backend(requested, vllm_importable=False, gpu_visible=False)
    gpu = gpu_visible()
    return choose_backend(requested, vllm_importable=gpu and vllm_importable(), gpu_visible=gpu)
