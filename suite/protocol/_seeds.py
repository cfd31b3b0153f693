"""Every random choice of a run comes from its one recorded seed."""

from __future__ import annotations

import hashlib
import json
import random


def derive_seed(seed: int, *parts: object) -> int:
    """A 31-bit seed for one purpose (``"distractors"``, a question id, a sample index...).

    The same run seed and parts always give the same seed, whatever else the run does.
    """
    digest = hashlib.sha256(json.dumps([seed, *parts], sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def rng_for(seed: int, *parts: object) -> random.Random:
    """A private random generator for one purpose."""
    return random.Random(derive_seed(seed, *parts))
