"""Put this folder on PYTHONPATH to run Python as on a core install: the extras' packages cannot be imported.

``import torch`` (and duckdb, matplotlib, docker, vllm) then fails as if absent, so a test proves that a
command needs only the core dependencies of ``pyproject.toml``.
"""

import sys

EXTRAS_ONLY = ("torch", "vllm", "duckdb", "matplotlib", "docker")
for name in EXTRAS_ONLY:
    sys.modules[name] = None  # type: ignore[assignment]
