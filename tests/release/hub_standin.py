"""A stand-in for the Hugging Face Hub on loopback: the HTTP routes ``huggingface_hub`` calls to publish and pull.

The Hub cannot be reached from the test machines, so ``suite release publish`` and ``pull`` run their real
``huggingface_hub`` code (``HfApi.create_repo``, ``create_commit``, ``snapshot_download``, ...) against this
server through its ``endpoint`` parameter or ``HF_ENDPOINT``. It keeps dataset repositories in memory as a
list of commits on ``main`` and answers the routes those calls use (read from huggingface_hub's source):

    POST /api/repos/create                                   create a repository (409 if it exists)
    GET  /api/datasets/{repo}[/revision/{rev}]               repository info: head sha, files
    GET  /api/datasets/{repo}/tree/{rev}[/{path}]            file listing (snapshot_download)
    POST /api/datasets/{repo}/paths-info/{rev}               which of some paths exist
    POST /api/datasets/{repo}/preupload/{rev}                regular or LFS upload, per file
    POST /datasets/{repo}.git/info/lfs/objects/batch         LFS upload actions (basic transfer)
    PUT  /lfs-upload/{sha256}                                LFS object body (where the batch points)
    POST /api/datasets/{repo}/commit/{rev}                   ndjson commit; honours parentCommit (412)
    HEAD/GET /datasets/{repo}/resolve/{rev}/{path}           file metadata and bytes at a revision
    GET  /api/models/{repo}[/revision/{rev}], .../tree/...   the same for a model repository (``add_model``)
    HEAD/GET /{repo}/resolve/{rev}/{path}                    a model's file (what ``suite eval MODEL`` fetches)

Writes need ``Authorization: Bearer <token>``; reads are public. Errors carry the Hub's ``X-Error-Code``
(RepoNotFound, RevisionNotFound, EntryNotFound) so huggingface_hub raises its own exception types. What
this does not model: Xet storage, pull requests, branches other than ``main``, pagination, private repos.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

_REPO = r"(?P<repo>[^/]+/[^/]+)"
_REV = r"(?P<rev>[^/]+)"


def git_blob_sha1(data: bytes) -> str:
    """Git's object id of a blob: what the Hub reports as a regular file's ``oid``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Commit:
    """A snapshot of a repository."""

    sha: str
    files: dict[str, bytes]
    lfs: frozenset[str] = frozenset()


@dataclass
class Repo:
    """A dataset repository: its commits on ``main``, oldest first."""

    commits: list[Commit] = field(default_factory=list)

    def at(self, rev: str) -> Commit | None:
        if rev == "main":
            return self.commits[-1]
        return next((c for c in self.commits if c.sha == rev), None)


class HubStandIn:
    """The server; use as a context manager. ``url`` is its endpoint, ``calls`` the routes it answered."""

    def __init__(self, token: str = "hf_standin_write_token", lfs_from_bytes: int = 10 * 1024 * 1024) -> None:
        self.token = token
        self.lfs_from_bytes = lfs_from_bytes
        """Files this large or larger are uploaded through LFS (the Hub's threshold is about 10 MB)."""
        self.repos: dict[str, Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}
        self.calls: list[str] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> HubStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_model(self, repo: str, files: dict[str, bytes], lfs: frozenset[str] = frozenset()) -> str:
        """Create a model repository holding ``files`` (those in ``lfs`` stored as LFS); return its commit sha."""
        with self.lock:
            self.repos[repo] = Repo([Commit(hashlib.sha1(f"initial {repo}".encode()).hexdigest(), {})])
        return self.commit(repo, files, lfs)

    def commit(self, repo: str, files: dict[str, bytes], lfs: frozenset[str] = frozenset()) -> str:
        """Add a commit to ``main`` with ``files`` changed (what another writer would do); return its sha."""
        with self.lock:
            head = self.repos[repo].commits[-1]
            merged = head.files | files
            sha = hashlib.sha1(
                json.dumps([head.sha, sorted((p, git_blob_sha1(d)) for p, d in merged.items())]).encode()
            )
            commit = Commit(sha.hexdigest(), merged, (head.lfs - set(files)) | lfs)
            self.repos[repo].commits.append(commit)
            return commit.sha


def _handler(hub: HubStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        # ---- plumbing -------------------------------------------------------------------------------------------
        def _route(self, method: str) -> None:
            path = urlsplit(self.path).path
            for verb, pattern, name in ROUTES:
                m = re.fullmatch(pattern, path)
                if m and (verb == method or (verb == "GET" and method == "HEAD")):
                    with hub.lock:
                        hub.calls.append(f"{method} {name}")
                    groups = {k: unquote(v) if v is not None else None for k, v in m.groupdict().items()}
                    getattr(self, name)(**groups)
                    return
            self._error(404, "RouteNotFound", f"no route {method} {path}")

        def do_GET(self) -> None:
            self._route("GET")

        def do_HEAD(self) -> None:
            self._route("HEAD")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, value: Any, status: int = 200) -> None:
            self._send(status, json.dumps(value).encode(), {"Content-Type": "application/json"})

        def _error(self, status: int, code: str, message: str) -> None:
            headers = {"Content-Type": "application/json", "X-Error-Code": code, "X-Error-Message": message}
            self._send(status, json.dumps({"error": message}).encode(), headers)

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {hub.token}":
                return True
            self._body()
            self._error(401, "Unauthorized", "Invalid credentials in Authorization header")
            return False

        def _commit(self, repo: str, rev: str) -> Commit | None:
            if repo not in hub.repos:
                self._error(404, "RepoNotFound", f"Repository {repo} not found")
                return None
            commit = hub.repos[repo].at(rev)
            if commit is None:
                self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
            return commit

        @staticmethod
        def _entry(commit: Commit, path: str) -> dict[str, Any] | None:
            if path in commit.files:
                data = commit.files[path]
                entry: dict[str, Any] = {"type": "file", "path": path, "size": len(data), "oid": git_blob_sha1(data)}
                if path in commit.lfs:
                    entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
                return entry
            if any(f.startswith(path.rstrip("/") + "/") for f in commit.files):
                return {"type": "directory", "path": path, "oid": hashlib.sha1(path.encode()).hexdigest()}
            return None

        # ---- routes ---------------------------------------------------------------------------------------------
        def create_repo(self) -> None:
            if not self._authorised():
                return
            payload = json.loads(self._body())
            if payload.get("type") != "dataset":
                self._error(400, "BadRequest", "this stand-in keeps dataset repositories only")
                return
            repo = f"{payload['organization']}/{payload['name']}"
            with hub.lock:
                if repo in hub.repos:  # the Hub's 409 names the existing repository's url too
                    message = "You already created this dataset repo"
                    body = {"error": message, "url": f"{hub.url}/datasets/{repo}"}
                    self._send(
                        409, json.dumps(body).encode(), {"Content-Type": "application/json", "X-Error-Message": message}
                    )
                    return
                initial = {".gitattributes": b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"}
                sha = hashlib.sha1(f"initial {repo}".encode()).hexdigest()
                hub.repos[repo] = Repo([Commit(sha, initial)])
            self._json({"url": f"{hub.url}/datasets/{repo}", "name": repo, "id": repo})

        def repo_info(self, repo: str, rev: str | None = None) -> None:
            commit = self._commit(repo, rev or "main")
            if commit is not None:
                siblings = [{"rfilename": p} for p in sorted(commit.files)]
                self._json({"id": repo, "sha": commit.sha, "private": False, "siblings": siblings})

        def tree(self, repo: str, rev: str, path: str | None = None) -> None:
            commit = self._commit(repo, rev)
            if commit is None:
                return
            recursive = parse_qs(urlsplit(self.path).query).get("recursive", ["false"])[0].lower() == "true"
            prefix = f"{path.strip('/')}/" if path else ""
            if path and self._entry(commit, path.strip("/")) is None:
                self._error(404, "EntryNotFound", f"{path} does not exist on {rev}")
                return
            names: set[str] = set()
            for file in commit.files:
                if not file.startswith(prefix):
                    continue
                parts = file[len(prefix) :].split("/")
                depth = len(parts) if recursive else 1
                names.update(prefix + "/".join(parts[: i + 1]) for i in range(depth))
            self._json([self._entry(commit, name) for name in sorted(names)])

        def paths_info(self, repo: str, rev: str) -> None:
            form = parse_qs(self._body().decode())
            commit = self._commit(repo, rev)
            if commit is not None:
                entries = [self._entry(commit, p) for p in form.get("paths", [])]
                self._json([e for e in entries if e is not None])

        def preupload(self, repo: str, rev: str) -> None:
            if not self._authorised():
                return
            payload = json.loads(self._body())
            commit = self._commit(repo, rev)
            if commit is None:
                return
            answer = []
            for file in payload["files"]:
                lfs = file["size"] >= hub.lfs_from_bytes
                old = commit.files.get(file["path"])
                oid = None if old is None else hashlib.sha256(old).hexdigest() if lfs else git_blob_sha1(old)
                mode = "lfs" if lfs else "regular"
                answer.append({"path": file["path"], "uploadMode": mode, "shouldIgnore": False, "oid": oid})
            self._json({"files": answer})

        def lfs_batch(self, repo: str) -> None:
            if not self._authorised():
                return
            payload = json.loads(self._body())
            objects = []
            for obj in payload["objects"]:
                entry: dict[str, Any] = {"oid": obj["oid"], "size": obj["size"]}
                if obj["oid"] not in hub.lfs_objects:
                    entry["actions"] = {"upload": {"href": f"{hub.url}/lfs-upload/{obj['oid']}"}}
                objects.append(entry)
            self._send(200, json.dumps({"transfer": "basic", "objects": objects}).encode(), {})

        def lfs_upload(self, oid: str) -> None:
            data = self._body()
            if hashlib.sha256(data).hexdigest() != oid:
                self._error(400, "BadRequest", "the uploaded bytes do not have the announced sha256")
                return
            with hub.lock:
                hub.lfs_objects[oid] = data
            self._send(200, b"", {})

        def commit(self, repo: str, rev: str) -> None:
            if not self._authorised():
                return
            lines = [json.loads(line) for line in self._body().splitlines() if line.strip()]
            with hub.lock:
                head = self._commit(repo, rev)
                if head is None:
                    return
                header = next(line["value"] for line in lines if line["key"] == "header")
                parent = header.get("parentCommit")
                if parent is not None and parent != hub.repos[repo].commits[-1].sha:
                    self._error(412, "PreconditionFailed", "A commit has happened since. Please refresh and try again.")
                    return
                files = dict(head.files)
                lfs = set(head.lfs)
                for line in lines:
                    value = line["value"]
                    if line["key"] == "file":
                        files[value["path"]] = base64.b64decode(value["content"])
                        lfs.discard(value["path"])
                    elif line["key"] == "lfsFile":
                        if value["oid"] not in hub.lfs_objects:
                            self._error(422, "BadRequest", f"LFS object {value['oid']} was never uploaded")
                            return
                        files[value["path"]] = hub.lfs_objects[value["oid"]]
                        lfs.add(value["path"])
                    elif line["key"] == "deletedFile":
                        files.pop(value["path"], None)
                        lfs.discard(value["path"])
                summary = json.dumps(
                    [head.sha, header.get("summary"), sorted((p, git_blob_sha1(d)) for p, d in files.items())]
                )
                sha = hashlib.sha1(summary.encode()).hexdigest()
                hub.repos[repo].commits.append(Commit(sha, files, frozenset(lfs)))
            url = f"{hub.url}/datasets/{repo}/commit/{sha}"
            self._json({"commitUrl": url, "commitOid": sha, "pullRequestUrl": None})

        def resolve(self, repo: str, rev: str, path: str) -> None:
            commit = self._commit(repo, rev)
            if commit is None:
                return
            if path not in commit.files:
                self._error(404, "EntryNotFound", f"{path} does not exist on {rev}")
                return
            data = commit.files[path]
            # The Hub lets any origin read files (a static site's sample browser fetches them).
            headers = {"X-Repo-Commit": commit.sha, "ETag": f'"{git_blob_sha1(data)}"'}
            headers["Access-Control-Allow-Origin"] = "*"
            if path in commit.lfs:
                headers |= {"X-Linked-Etag": f'"{hashlib.sha256(data).hexdigest()}"', "X-Linked-Size": str(len(data))}
            self._send(200, data, headers)

    ROUTES = (
        ("POST", r"/api/repos/create", "create_repo"),
        ("GET", rf"/api/datasets/{_REPO}(?:/revision/{_REV})?", "repo_info"),
        ("GET", rf"/api/datasets/{_REPO}/tree/{_REV}(?:/(?P<path>.+))?", "tree"),
        ("POST", rf"/api/datasets/{_REPO}/paths-info/{_REV}", "paths_info"),
        ("POST", rf"/api/datasets/{_REPO}/preupload/{_REV}", "preupload"),
        ("POST", rf"/datasets/{_REPO}\.git/info/lfs/objects/batch", "lfs_batch"),
        ("PUT", r"/lfs-upload/(?P<oid>[0-9a-f]{64})", "lfs_upload"),
        ("POST", rf"/api/datasets/{_REPO}/commit/{_REV}", "commit"),
        ("GET", rf"/datasets/{_REPO}/resolve/{_REV}/(?P<path>.+)", "resolve"),
        # Model repositories (same store; a test names models and datasets apart).
        ("GET", rf"/api/models/{_REPO}(?:/revision/{_REV})?", "repo_info"),
        ("GET", rf"/api/models/{_REPO}/tree/{_REV}(?:/(?P<path>.+))?", "tree"),
        ("GET", rf"/{_REPO}/resolve/{_REV}/(?P<path>.+)", "resolve"),
    )
    return Handler
