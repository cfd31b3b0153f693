"""Where the published leaderboard's data lives: the top-level ``leaderboard/`` folder of the repository.

    leaderboard/results/verified/<owner--name>/<commit12>/   the maintainers' runs (``suite submit place``)
    leaderboard/results/self-reported/<anything>/            runs submitted by pull request
    leaderboard/paper/table1-math.csv                        the paper's reported rows (cited in paper/README.md)
    leaderboard/site.toml                                    site settings: title, samples base URL

The code stays in ``suite/leaderboard/``. Paths are relative to the folder the build runs in (the
repository root in CI). An installed wheel carries its own copy of the paper's rows (pyproject.toml).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from suite._errors import SuiteError

LEADERBOARD = Path("leaderboard")
RESULTS = LEADERBOARD / "results"
VERIFIED = RESULTS / "verified"
"""The maintainers' runs (``suite leaderboard build``'s default ``--verified``, ``suite submit place --into``)."""
SELF_REPORTED = RESULTS / "self-reported"
"""Runs submitted by pull request (``suite leaderboard build``'s default bundles)."""
SITE_SETTINGS = LEADERBOARD / "site.toml"
PAPER_ROWS = "table1-math.csv"
_CHECKOUT = Path(__file__).resolve().parents[2] / LEADERBOARD / "paper" / PAPER_ROWS
_PACKAGED = "paper_table1_math.csv"
"""The name the paper's rows have inside an installed wheel (``suite/leaderboard/``)."""


def paper_rows_file() -> Path:
    """The paper's Table 1 as reported: this checkout's ``leaderboard/paper/table1-math.csv``, else the wheel's."""
    if _CHECKOUT.is_file():
        return _CHECKOUT
    packaged = Path(str(resources.files("suite.leaderboard") / _PACKAGED))
    if packaged.is_file():
        return packaged
    raise SuiteError(
        f"the paper's rows ({_CHECKOUT}) are missing from this installation; reinstall the suite from its repository."
    )


@dataclass(frozen=True)
class SiteSettings:
    """``leaderboard/site.toml``: what the published site is called and where its full samples are hosted."""

    title: str = "Off-trajectory reasoning leaderboard"
    """The site's title."""
    samples_base_url: str = ""
    """Base URL of the full samples of each verified run (a dataset repository); empty: the site's own files."""


def site_settings(path: Path = SITE_SETTINGS) -> SiteSettings:
    """Read ``site.toml`` (a missing file gives the defaults); unknown keys and wrong types are refused."""
    if not path.is_file():
        return SiteSettings()
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise SuiteError(f"{path} is not valid TOML ({e}); fix the file.") from None
    known = set(SiteSettings.__dataclass_fields__)
    unknown = sorted(set(values) - known)
    if unknown:
        raise SuiteError(f"{path}: unknown setting {unknown[0]!r}; the settings are {', '.join(sorted(known))}.")
    for key, value in values.items():
        if not isinstance(value, str):
            raise SuiteError(f"{path}: {key} must be a string in quotes; fix the file.")
    url = values.get("samples_base_url", "")
    if url and not url.startswith(("https://", "http://")):
        raise SuiteError(f"{path}: samples_base_url {url[:80]!r} is not an http(s) URL; fix the file.")
    return SiteSettings(**values)
