"""The leaderboard: validated bundles merged into DuckDB, rendered as a static site."""

from suite.leaderboard._build import Verdict, build_database, bundle_folders
from suite.leaderboard._database import ingest, metric_rows, open_database

__all__ = ["Verdict", "build_database", "bundle_folders", "ingest", "metric_rows", "open_database"]
