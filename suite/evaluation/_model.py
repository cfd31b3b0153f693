"""Find the model under test: a Hub id (resolved to a commit sha) or a local folder (content-hashed)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from suite._errors import SuiteError
from suite._files import sha256_file
from suite.evaluation._weights import WeightFile, hub_weights, local_weights, parameter_count
from suite.submission._names import model_id_problem


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
    name: str | None = None
    """``--model-name``: what the leaderboard shows for a local folder (Hub grammar); None: not given."""
    weights: tuple[WeightFile, ...] = ()
    """Every weight file with its size and sha256 (``suite.evaluation._weights``)."""
    parameters: int | None = None
    """Parameter count from the safetensors headers; None when unknown."""
    context_length: int | None = None
    """The model's own context length (``own_context_length`` of config.json); None when it states none."""

    def to_json(self) -> dict[str, Any]:
        """``result.json``'s ``model``: id, revision, kind, name, weights, parameter count and own context length."""
        return {
            "id": self.model,
            "revision": self.revision,
            "kind": self.kind,
            **({"name": self.name} if self.name is not None else {}),
            "weights": [w.to_json() for w in self.weights],
            "parameters": self.parameters,
            "context_length": self.context_length,
        }


TOKENIZER_FILES = ("*.json", "*.model", "*.txt", "*.jinja", "*.tiktoken")
"""What a Hub download always fetches: config, generation config, tokenizer and chat template files."""
WEIGHT_FILES = ("*.safetensors",)
CODE_FILES = ("*.py",)
"""Fetched only with ``--trust-remote-code``: the repository's own modelling and tokenizer code."""


def download_patterns(weights: bool, trust_remote_code: bool) -> list[str]:
    """The Hub files ``resolve_model`` fetches: weights only for a local engine, code only when it may run."""
    return [*TOKENIZER_FILES, *(WEIGHT_FILES if weights else ()), *(CODE_FILES if trust_remote_code else ())]


def resolve_model(
    model: str, revision: str | None, trust_remote_code: bool, weights: bool = True, name: str | None = None
) -> ModelSource:
    """Locate ``model``; refuse one that needs remote code unless ``trust_remote_code``.

    ``weights=False`` (the openai backend: the server has them) fetches tokenizer and config files only.
    ``name`` (``--model-name``) is what the leaderboard shows; a Hub model is shown under its id.
    The weight files' sha256s and the parameter count are recorded (``suite.evaluation._weights``).
    """
    folder = Path(model)
    check_model_name(name, model, folder.is_dir())
    if folder.is_dir():
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        hashes = {p: sha256_file(p) for p in files}
        digest = hashlib.sha256()
        for p in files:
            digest.update(f"{p.relative_to(folder).as_posix()}\0{hashes[p]}\n".encode())
        revision = f"sha256:{digest.hexdigest()}"
        source = ModelSource(model, folder, revision, "local", name, local_weights(folder, hashes))
    else:
        source = _from_hub(model, revision, download_patterns(weights, trust_remote_code))
        source = replace(source, weights=hub_weights(model, source.revision, source.path, downloaded=weights))
    source = replace(source, parameters=parameter_count(source.path))
    config = source.path / "config.json"
    if not config.is_file():
        raise SuiteError(f"{model} has no config.json; pass a Hugging Face model id or a saved model folder.")
    try:
        settings = json.loads(config.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SuiteError(f"{config} is not valid JSON ({e}); fix or re-download the model's config.json.") from None
    if not isinstance(settings, dict):
        raise SuiteError(f"{config} is not a JSON object; fix or re-download the model's config.json.")
    if "auto_map" in settings and not trust_remote_code:
        raise SuiteError(
            f"{model} needs custom code from its repository (auto_map in config.json); "
            "review it and pass --trust-remote-code to run it."
        )
    return replace(source, context_length=own_context_length(settings))


CONTEXT_KEYS = (
    "max_position_embeddings",
    "n_positions",
    "max_seq_len",
    "seq_length",
    "model_max_length",
    "max_target_positions",
    "max_sequence_length",
    "max_seq_length",
    "seq_len",
)
"""config.json keys that state a context length, as vLLM reads them (it takes the smallest)."""


def own_context_length(settings: dict[str, Any]) -> int | None:
    """The model's own context length: the smallest ``CONTEXT_KEYS`` value of config.json (or of its ``text_config``).

    None when it states none. The protocol's max new tokens is ``min(32768, context length - prompt length - 1)``:
    an engine run with a shorter context than the model's own cuts generations the standard run would not.
    (Rope scaling only lengthens what an engine allows, so it never makes a standard run look short.)
    """
    for node in (settings.get("text_config"), settings):
        if isinstance(node, dict):
            found = [v for k in CONTEXT_KEYS if type(v := node.get(k)) is int and v > 0]
            if found:
                return min(found)
    return None


def check_model_name(name: str | None, model: str, local: bool) -> None:
    """Refuse a ``--model-name`` that is not a Hub-style ``owner/name`` (ASCII), or one given for a Hub model."""
    if name is None:
        return
    problem = model_id_problem(name)
    if problem:
        raise SuiteError(f"--model-name: {problem}; name the model as owner/name, e.g. my-lab/my-model-7b.")
    if not local and name != model:
        raise SuiteError(
            f"--model-name {name} is for a local model folder; {model} is a Hub model and is shown under its id, "
            "so drop --model-name."
        )


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
