"""Submissions of Hugging Face model ids: checked before any GPU runs them."""

from suite.submission._check import Limits, Verdict, check_submission
from suite.submission._hub import HubModel, Unavailable, fetch, hub_model
from suite.submission._issue import CONSENTS, Submission, read_issue

__all__ = [
    "CONSENTS",
    "HubModel",
    "Limits",
    "Submission",
    "Unavailable",
    "Verdict",
    "check_submission",
    "fetch",
    "hub_model",
    "read_issue",
]
