"""What the Hugging Face Hub says about a submitted model: its commit, history, visibility, files, size and config.

``fetch`` is the only function here that talks to the Hub (``huggingface_hub``); ``hub_model``
turns the library's ``ModelInfo``, the commits of the model's main branch and its config files into
a plain ``HubModel``, so the checks can be tested on recorded metadata without a network.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suite._errors import SuiteError

MAX_CONFIG_BYTES = 1_000_000
"""A config file larger than this is refused before it is parsed."""


class Unavailable(Exception):
    """The Hub answered, and the model cannot be run: missing, private, gated, or no such revision."""


@dataclass(frozen=True)
class HubModel:
    """The facts the submission checks read."""

    model_id: str
    commit: str | None
    """The commit sha the asked revision resolved to."""
    on_main: bool
    """Whether that commit is on the history of the model's main branch (``HfApi.list_repo_commits``).

    A Hub pull request (``refs/pr/N``, which anyone can open on any model) or a side branch holds weights
    that were never merged into main; only commits on main are run under the model's name.
    """
    private: bool
    gated: bool
    disabled: bool
    files: tuple[str, ...]
    parameters: int | None
    """Total parameters, from the safetensors metadata."""
    config: dict[str, Any] | None
    """``config.json``; None when the repository has none."""
    tokenizer_config: dict[str, Any] | None


def hub_model(
    info: Any,
    config: dict[str, Any] | None,
    tokenizer_config: dict[str, Any] | None,
    main_history: Iterable[str],
) -> HubModel:
    """A ``HubModel`` from ``huggingface_hub``'s ``ModelInfo``, the two config files and main's commit shas."""
    safetensors = getattr(info, "safetensors", None)
    return HubModel(
        model_id=str(info.id),
        commit=info.sha,
        on_main=info.sha is not None and info.sha in set(main_history),
        private=bool(info.private),
        gated=bool(info.gated),
        disabled=bool(info.disabled),
        files=tuple(s.rfilename for s in info.siblings or ()),
        parameters=int(safetensors.total) if safetensors is not None and safetensors.total else None,
        config=config,
        tokenizer_config=tokenizer_config,
    )


def fetch(model_id: str, revision: str | None, endpoint: str | None = None) -> HubModel:
    """Ask the Hub (with ``HF_TOKEN`` if set) about ``model_id`` at ``revision`` (default: the main branch).

    Four kinds of call: ``model_info`` (commit, files, size), ``list_repo_commits`` of main (every page) and
    ``hf_hub_download`` of the two config files at the resolved commit, all at ``endpoint`` (default
    ``HF_ENDPOINT``, else huggingface.co).
    """
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import (
        DisabledRepoError,
        GatedRepoError,
        HfHubHTTPError,
        HTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        api = HfApi(endpoint=endpoint)
        info = api.model_info(model_id, revision=revision, files_metadata=True)
        files = {s.rfilename: s.size for s in info.siblings or ()}

        def config_file(name: str) -> dict[str, Any] | None:
            if name not in files:
                return None
            if (files[name] or 0) > MAX_CONFIG_BYTES:
                raise Unavailable(f"its {name} is over {MAX_CONFIG_BYTES} bytes")
            path = Path(hf_hub_download(model_id, name, revision=info.sha, endpoint=endpoint))
            try:
                value = json.loads(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise Unavailable(f"its {name} is not JSON") from None
            return value if isinstance(value, dict) else None

        main_history = (c.commit_id for c in api.list_repo_commits(model_id))  # main, newest first, every page
        return hub_model(info, config_file("config.json"), config_file("tokenizer_config.json"), main_history)
    except DisabledRepoError:
        raise Unavailable("the Hub has disabled it") from None
    except GatedRepoError:
        raise Unavailable("it is gated: running it needs accepting its terms") from None
    except RevisionNotFoundError:
        raise Unavailable("the Hub has no such revision") from None
    except RepositoryNotFoundError:
        raise Unavailable("it does not exist on the Hub or is not public") from None
    except OfflineModeIsEnabled:
        raise SuiteError("HF_HUB_OFFLINE is set, so the Hub cannot be asked; unset it to check a submission.") from None
    except (HfHubHTTPError, HTTPError, OSError) as e:
        raise SuiteError(f"the Hugging Face Hub could not be reached ({type(e).__name__}); try again later.") from None
