"""Charts drawn once: a rebuild reuses the SVG of a chart whose data, code and matplotlib are unchanged.

Drawing a model page's three charts is most of a rebuild's time (matplotlib, about 0.1 s each), and a
run's charts only change when its data do (a run is keyed by its samples' sha256) or the drawing code
does. So each chart is stored under the sha256 of (chart function, its arguments, the source of
``_charts.py``, matplotlib's version) in a folder beside the database; written atomically, so worker
processes may share it. A key never names a chart it does not draw: any change draws it again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib

_folder: Path | None = None
_CODE = hashlib.sha256(
    (resources.files("suite.leaderboard") / "_charts.py").read_bytes() + matplotlib.__version__.encode()
).hexdigest()
"""What else decides a chart's SVG: the drawing code and matplotlib."""


def use_chart_cache(folder: Path | None) -> None:
    """Keep charts in ``folder`` (created when first written); None: draw every chart."""
    global _folder
    _folder = folder


def chart_cache_folder(db: Path) -> Path:
    """The charts kept for the database ``db``: ``.<db name>.charts/`` beside it."""
    return db.parent / f".{db.name}.charts"


def cached_chart(draw: Callable[..., str], *args: Any) -> str:
    """``draw(*args)``, or the SVG it gave before for the same arguments, code and matplotlib."""
    if _folder is None:
        return draw(*args)
    key = hashlib.sha256(json.dumps([draw.__name__, _CODE, args], sort_keys=True, default=repr).encode()).hexdigest()
    path = _folder / f"{key}.svg"
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    svg = draw(*args)
    try:
        _folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=_folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(svg)
        os.replace(temporary, path)
    except OSError:
        pass  # a cache that cannot be written only costs time
    return svg
