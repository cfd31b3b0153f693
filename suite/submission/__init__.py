"""Submissions of Hugging Face model ids: checked before any GPU runs them, bound to what maintainers reviewed."""

from suite.submission._binding import (
    ISSUE_QUERY,
    RUN_LABEL,
    IssueState,
    VerdictComment,
    binding_markdown,
    binding_problems,
    read_issue_state,
)
from suite.submission._check import VERDICT_MARKER, Limits, Verdict, check_submission
from suite.submission._hub import HubModel, Unavailable, fetch, hub_model
from suite.submission._issue import CONSENTS, Submission, read_issue
from suite.submission._names import model_id_problem, revision_problem
from suite.submission._place import listing_problems, place_bundle, result_problems, verified_folder
from suite.submission._quote import code_span

__all__ = [
    "CONSENTS",
    "ISSUE_QUERY",
    "RUN_LABEL",
    "VERDICT_MARKER",
    "HubModel",
    "IssueState",
    "Limits",
    "Submission",
    "Unavailable",
    "Verdict",
    "VerdictComment",
    "binding_markdown",
    "binding_problems",
    "check_submission",
    "code_span",
    "fetch",
    "hub_model",
    "listing_problems",
    "model_id_problem",
    "place_bundle",
    "read_issue",
    "read_issue_state",
    "result_problems",
    "revision_problem",
    "verified_folder",
]
