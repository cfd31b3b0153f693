"""Find the model under test: a Hub id (resolved to a commit sha) or a local folder (content-hashed)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from suite._errors import SuiteError
from suite._files import sha256_file


@dataclass(frozen=True)
class ModelSource:
    """Where the weights are and which exact version they are."""

    model: str
    """As the user named it."""
    path: Path
    """Local folder holding config, tokenizer and weights."""
    revision: str
    """Full commit sha (Hub) or ``sha256:<hash of the folder's files>`` (local)."""
    kind: str
    """``hub`` or ``local``."""


TOKENIZER_FILES = ("*.json", "*.model", "*.txt", "*.jinja", "*.tiktoken")
"""What a Hub download always fetches: config, generation config, tokenizer and chat template files."""
WEIGHT_FILES = ("*.safetensors",)
CODE_FILES = ("*.py",)
"""Fetched only with ``--trust-remote-code``: the repository's own modelling and tokenizer code."""


def download_patterns(weights: bool, trust_remote_code: bool) -> list[str]:
    """The Hub files ``resolve_model`` fetches: weights only for a local engine, code only when it may run."""
    return [*TOKENIZER_FILES, *(WEIGHT_FILES if weights else ()), *(CODE_FILES if trust_remote_code else ())]


def resolve_model(model: str, revision: str | None, trust_remote_code: bool, weights: bool = True) -> ModelSource:
    """Locate ``model``; refuse one that needs remote code unless ``trust_remote_code``.

    ``weights=False`` (the openai backend: the server has them) fetches tokenizer and config files only.
    """
    folder = Path(model)
    if folder.is_dir():
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        digest = hashlib.sha256()
        for p in files:
            digest.update(f"{p.relative_to(folder).as_posix()}\0{sha256_file(p)}\n".encode())
        source = ModelSource(model, folder, f"sha256:{digest.hexdigest()}", "local")
    else:
        source = _from_hub(model, revision, download_patterns(weights, trust_remote_code))
    config = source.path / "config.json"
    if not config.is_file():
        raise SuiteError(f"{model} has no config.json; pass a Hugging Face model id or a saved model folder.")
    if "auto_map" in json.loads(config.read_text(encoding="utf-8")) and not trust_remote_code:
        raise SuiteError(
            f"{model} needs custom code from its repository (auto_map in config.json); "
            "review it and pass --trust-remote-code to run it."
        )
    return source


def _from_hub(model: str, revision: str | None, patterns: list[str]) -> ModelSource:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HFValidationError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        path = Path(snapshot_download(model, revision=revision, allow_patterns=patterns))
    except (RepositoryNotFoundError, HFValidationError):
        raise SuiteError(
            f"model {model!r} is not a local folder nor a public Hugging Face model id; check the name."
        ) from None
    except RevisionNotFoundError:
        raise SuiteError(
            f"model {model} has no revision {revision!r}; pass an existing branch, tag or commit."
        ) from None
    except GatedRepoError:
        raise SuiteError(f"model {model} is gated; accept its terms on the Hub and set HF_TOKEN.") from None
    except (LocalEntryNotFoundError, OSError):
        raise SuiteError(
            f"cannot download {model}: no network and no copy in the Hugging Face cache (HF_HOME); "
            "connect, or run once with network to fill the cache."
        ) from None
    return ModelSource(model, path, path.name, "hub")
