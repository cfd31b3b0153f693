"""``suite submit check``: may the suite's GPU job run this model id? Pure, given the Hub's answer.

Refused, each with a reason: an id or revision outside the Hub's grammar (checked before any network
call; ``refs/...`` paths such as Hub pull requests included), a model that is missing, private, gated or
disabled, a revision that does not resolve to a commit sha on the model's main branch, weights not in
safetensors, a model or tokenizer that needs remote code (``auto_map``),
an unknown or too large parameter count, an unknown or too short context. The submission path never
enables ``trust_remote_code`` and always runs the resolved commit.

Every comment carries a hidden marker (``VERDICT_MARKER``) with the accepted model id and commit, so the
GPU job can later check that the ``run-eval`` label applies to exactly what the maintainers reviewed
(``suite.submission._binding``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from suite.submission._hub import HubModel, Unavailable
from suite.submission._names import COMMIT, model_id_problem, revision_problem
from suite.submission._quote import code_span, shown

CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length")
VERDICT_MARKER = "<!-- suite-verdict"
"""How a verdict comment's hidden last line starts: ``<!-- suite-verdict accepted OWNER/NAME SHA -->`` or
``<!-- suite-verdict refused -->`` (refused input is never put in it: it could close the HTML comment)."""


@dataclass(frozen=True)
class Limits:
    """What the maintainers' GPU runner accepts."""

    max_parameters: int = 80_000_000_000
    min_context: int = 32_768
    """The protocol's generation budget (32,768 tokens) must fit."""


@dataclass(frozen=True)
class Verdict:
    """The checker's answer: accepted when ``problems`` is empty."""

    model_id: str
    revision: str | None
    commit: str | None = None
    parameters: int | None = None
    context: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """The verdict as JSON, with the input quoted safely."""
        return asdict(self) | {
            "model_id": self._quoted(self.model_id),
            "revision": self._quoted(self.revision) if self.revision else None,
            "accepted": self.accepted,
        }

    def _quoted(self, text: str) -> str:
        """Accepted input passed the Hub's grammar and stays whole (the GPU job runs it); refused input is inert."""
        return text if self.accepted else shown(text)

    def markdown(self) -> str:
        """A comment for the submission issue (input only inside code spans: never a link, mention or reference)."""
        name = code_span(self.model_id)
        if not self.accepted:
            reasons = "\n".join(f"- {p}" for p in self.problems)
            return (
                f"**Submission refused**: {name} cannot be run by this leaderboard.\n\n{reasons}\n\n"
                f"{VERDICT_MARKER} refused -->\n"
            )
        size = f"{self.parameters / 1e9:.1f}B parameters" if self.parameters else "size unknown"
        return (
            f"**Submission accepted** for {name} at commit `{self.commit}` ({size}, context {self.context:,} "
            "tokens). A maintainer adds the `run-eval` label to start the GPU run on that exact commit; the run "
            "starts only if the issue is not edited after this comment and the revision still resolves to this "
            f"commit.\n\n{VERDICT_MARKER} accepted {self.model_id} {self.commit} -->\n"
        )


def check_submission(
    model_id: str, revision: str | None, hub: Callable[[str, str | None], HubModel], limits: Limits = Limits()
) -> Verdict:
    """The verdict on one submission; ``hub`` answers for a syntactically valid id only."""
    problems = [p for p in (model_id_problem(model_id), revision_problem(revision) if revision else None) if p]
    if problems:
        return Verdict(model_id, revision, problems=problems)
    try:
        model = hub(model_id, revision)
    except Unavailable as e:
        return Verdict(model_id, revision, problems=[f"{code_span(model_id)} cannot be run: {e}"])
    context = _context(model.config)
    verdict = Verdict(model_id, revision, model.commit, model.parameters, context)
    verdict.problems.extend(_problems(model_id, revision, model, context, limits))
    return verdict


def _problems(model_id: str, revision: str | None, model: HubModel, context: int | None, limits: Limits) -> list[str]:
    out = []
    if model.private or model.gated or model.disabled:
        state = "private" if model.private else "gated (needs accepting its terms)" if model.gated else "disabled"
        out.append(f"{code_span(model_id)} is {state}; only public models can be submitted")
    if not model.commit or not COMMIT.fullmatch(model.commit):
        out.append(f"the revision {code_span(revision or 'main')} did not resolve to a commit sha")
    elif revision and COMMIT.fullmatch(revision) and revision != model.commit:
        out.append(f"the Hub resolved commit `{revision}` to `{model.commit}`")
    elif not model.on_main:
        out.append(
            f"the revision {code_span(revision or 'main')} resolves to commit `{model.commit}`, which is not on the "
            "history of the model's main branch (a Hub pull request or an unmerged branch); submit a commit on main"
        )
    if not any(f.endswith(".safetensors") for f in model.files):
        out.append("it has no safetensors weights (.safetensors files); pickled weights are not run")
    if model.config is None:
        out.append("it has no config.json")
    configs = {"config.json": model.config, "tokenizer_config.json": model.tokenizer_config}
    needs_code = [name for name, config in configs.items() if config and "auto_map" in config]
    if needs_code:
        out.append(
            f"it needs custom code (auto_map in {', '.join(needs_code)}); the submission path never runs remote code"
        )
    if model.parameters is None:
        out.append("its parameter count is unknown (no safetensors metadata on the Hub)")
    elif model.parameters > limits.max_parameters:
        out.append(
            f"it has {model.parameters / 1e9:.1f}B parameters, over the limit of {limits.max_parameters / 1e9:g}B"
        )
    if context is None and model.config is not None:
        out.append(f"its context length is unknown (none of {', '.join(CONTEXT_KEYS)} in config.json)")
    elif context is not None and context < limits.min_context:
        out.append(f"its context is {context:,} tokens, under the {limits.min_context:,} the protocol needs")
    return out


def _context(config: dict[str, Any] | None) -> int | None:
    """The context length a config states (a multimodal model's text config counts)."""
    for source in (config or {}, (config or {}).get("text_config") or {}):
        for key in CONTEXT_KEYS:
            value = source.get(key) if isinstance(source, dict) else None
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return None
