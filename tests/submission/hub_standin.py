"""The Hugging Face Hub's model routes on loopback, answering from ``hub_metadata.json``.

The Hub cannot be reached from the test machines, so ``suite.submission.fetch`` runs its real
``huggingface_hub`` calls against this server (``HF_ENDPOINT``, or ``constants.ENDPOINT`` in-process):

    GET      /api/models/{id}[/revision/{rev}]     model_info (files_metadata: ``?blobs=true``)
    GET      /api/models/{id}/commits/{rev}        list_repo_commits, two commits a page (``Link: rel="next"``)
    HEAD/GET /{id}/resolve/{rev}/{file}            hf_hub_download of config.json and tokenizer_config.json

Errors carry the Hub's ``X-Error-Code`` (RepoNotFound, RevisionNotFound, GatedRepo, EntryNotFound), so
``huggingface_hub`` raises its own exception types. ``resolve`` is the one place that says which commit a
revision names; the pure tests (``recorded_hub``) use it too.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

FIXTURES: dict[str, Any] = json.loads((Path(__file__).parent / "hub_metadata.json").read_text())
PAGE = 2
"""Commits per page of ``/commits``: small, so every listing spans several pages."""
_ID = r"(?P<repo>[^/]+/[^/]+)"


def case_of(model_id: str) -> dict[str, Any]:
    """The fixture case for ``model_id`` (unknown ids are the ``missing`` case)."""
    return dict(FIXTURES["cases"][FIXTURES["index"].get(model_id, "missing")])


def resolve(case: dict[str, Any], revision: str | None) -> str | None:
    """The commit sha ``revision`` names in ``case``, or None when the Hub has no such revision."""
    head = str(case["model_info"]["sha"])
    known = {c["id"] for c in case["main_commits"]} | set(case["revisions"].values())
    if revision in (None, "main"):
        return head
    if revision in case["revisions"]:
        return str(case["revisions"][revision])
    return revision if revision in known else None


class ModelHubStandIn:
    """The server; use as a context manager. ``url`` is its endpoint, ``calls`` the routes it answered."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> ModelHubStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(hub: ModelHubStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            for pattern, name in ROUTES:
                m = re.fullmatch(pattern, path)
                if m:
                    hub.calls.append(f"{self.command} {name}")
                    getattr(self, name)(**{k: unquote(v) if v else None for k, v in m.groupdict().items()})
                    return
            self._error(404, "RouteNotFound", f"no route {path}")

        do_HEAD = do_GET

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _error(self, status: int, code: str, message: str) -> None:
            headers = {"Content-Type": "application/json", "X-Error-Code": code, "X-Error-Message": message}
            self._send(status, json.dumps({"error": message}).encode(), headers)

        def _case(self, repo: str, rev: str | None) -> tuple[dict[str, Any], str] | None:
            case = case_of(repo)
            if "unavailable" in case:
                if "gated" in case["unavailable"]:
                    self._error(403, "GatedRepo", f"Access to model {repo} is restricted.")
                else:
                    self._error(404, "RepoNotFound", f"Repository {repo} not found")
                return None
            sha = resolve(case, rev)
            if sha is None:
                self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
                return None
            return case, sha

        def model_info(self, repo: str, rev: str | None = None) -> None:
            found = self._case(repo, rev)
            if found is not None:
                case, sha = found
                body = json.dumps(case["model_info"] | {"sha": sha}).encode()
                self._send(200, body, {"Content-Type": "application/json"})

        def commits(self, repo: str, rev: str) -> None:
            found = self._case(repo, rev)
            if found is None:
                return
            case, sha = found
            ids = [c["id"] for c in case["main_commits"]]
            history = case["main_commits"][ids.index(sha) :] if sha in ids else []
            page = int(parse_qs(urlsplit(self.path).query).get("p", ["0"])[0])
            headers = {"Content-Type": "application/json"}
            if (page + 1) * PAGE < len(history):
                nxt = f"{hub.url}/api/models/{repo}/commits/{quote(rev, safe='')}?p={page + 1}"
                headers["Link"] = f'<{nxt}>; rel="next"'
            self._send(200, json.dumps(history[page * PAGE : (page + 1) * PAGE]).encode(), headers)

        def resolve_file(self, repo: str, rev: str, path: str) -> None:
            found = self._case(repo, rev)
            if found is None:
                return
            case, sha = found
            content = {"config.json": case["config"], "tokenizer_config.json": case["tokenizer_config"]}.get(path)
            if content is None:
                self._error(404, "EntryNotFound", f"{path} does not exist on {rev}")
                return
            data = json.dumps(content).encode()
            etag = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            self._send(200, data, {"X-Repo-Commit": sha, "ETag": f'"{etag}"'})

    ROUTES = (
        (rf"/api/models/{_ID}/commits/(?P<rev>[^/]+)", "commits"),
        (rf"/api/models/{_ID}(?:/revision/(?P<rev>[^/]+))?", "model_info"),
        (rf"/{_ID}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve_file"),
    )
    return Handler
