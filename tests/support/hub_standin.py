"""A local stand-in for the Hugging Face hub, for tests that download models with the real client.

It serves the repositories found under a folder laid out like `.test-models/<org>/<name>/` over HTTP on
127.0.0.1, answering the requests huggingface_hub makes when `HF_ENDPOINT` points at it:

- `GET /api/models/<repo>` and `/api/models/<repo>/revision/<rev>`: repository info with the commit sha,
- `GET /api/models/<repo>/tree/<rev>`: the file listing snapshot_download walks,
- `HEAD|GET /<repo>/resolve/<rev>/<file>`: file metadata (X-Repo-Commit, ETag, Content-Length) and bytes,
- `GET /api/models?author=&search=`: the listing `HfApi.list_models` pages through.

Faults are switched at run time, per repository or for every request: `missing` (404 RepoNotFound),
`error` (500), `refuse` (the connection is closed without an answer), `truncated` (file bodies stop halfway),
`corrupt` (file bodies of the right length filled with other bytes) and `slow` (every answer waits first).
`stop()` closes the listening socket, so connections are refused like a hub that cannot be reached, and
`start()` opens it again on the same port.

    with hub_standin(Path(".test-models")) as hub:
        env = {"HF_ENDPOINT": hub.url}
        hub.fail("Helsinki-NLP/opus-mt-en-de", "missing")
        ...
        hub.clear()
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

FaultMode = Literal["missing", "error", "refuse", "truncated", "corrupt", "slow"]
FAULT_MODES: tuple[FaultMode, ...] = ("missing", "error", "refuse", "truncated", "corrupt", "slow")

# A fault set for this key applies to every request, the model listing included.
EVERY_REPO = "*"


@dataclass(frozen=True, slots=True)
class HubRequest:
    method: str
    path: str
    repo: str | None
    status: int


@dataclass(frozen=True, slots=True)
class _Fault:
    mode: FaultMode
    delay_s: float


@dataclass
class _Repo:
    repo_id: str
    folder: Path
    sha: str
    files: dict[str, Path] = field(default_factory=dict)


def _scan(root: Path) -> dict[str, _Repo]:
    """Every `<org>/<name>` folder under root holding a config.json."""
    repos: dict[str, _Repo] = {}
    for config in sorted(root.glob("*/*/config.json")):
        folder = config.parent
        repo_id = f"{folder.parent.name}/{folder.name}"
        repos[repo_id] = _scan_one(folder, repo_id)
    return repos


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class HubStandin:
    """The running stand-in: its `url`, a log of the `requests` it answered, and the fault switches."""

    def __init__(self, root: Path, port: int = 0) -> None:
        self.root = root
        self.requests: list[HubRequest] = []
        self._repos = _scan(root)
        self._faults: dict[str, _Fault] = {}
        self._lock = threading.Lock()
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def repo_ids(self) -> list[str]:
        return sorted(self._repos)

    def start(self) -> None:
        """Listen (again) on the same port; a no-op when already listening."""
        if self._server is not None:
            return
        server = ThreadingHTTPServer(("127.0.0.1", self._port), _handler_for(self))
        server.daemon_threads = True
        self._port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="hub-standin", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the listening socket and every open connection (clients keep connections alive between
        requests): from now on connections are refused, until `start()`."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def fail(self, repo: str, mode: FaultMode, *, delay_s: float = 2.0) -> None:
        """Answer requests for `repo` (or `EVERY_REPO`) with a fault; `delay_s` is the wait of `slow`."""
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {', '.join(FAULT_MODES)}")
        with self._lock:
            self._faults[repo] = _Fault(mode, delay_s)

    def clear(self, repo: str | None = None) -> None:
        """Remove the fault of one repository, or every fault."""
        with self._lock:
            if repo is None:
                self._faults.clear()
            else:
                self._faults.pop(repo, None)

    def requests_for(self, repo: str) -> list[HubRequest]:
        with self._lock:
            return [request for request in self.requests if request.repo == repo]

    def add_repo(self, repo_id: str, folder: Path) -> None:
        """Serve one more repository from `folder` (a model folder holding config.json)."""
        scanned = _scan_one(folder, repo_id)
        with self._lock:
            self._repos[repo_id] = scanned

    # Used by the request handler.

    def _fault_for(self, repo: str | None) -> _Fault | None:
        with self._lock:
            if repo is not None and repo in self._faults:
                return self._faults[repo]
            return self._faults.get(EVERY_REPO)

    def _repo(self, repo_id: str) -> _Repo | None:
        with self._lock:
            return self._repos.get(repo_id)

    def _all_repos(self) -> list[_Repo]:
        with self._lock:
            return list(self._repos.values())

    def _record(self, request: HubRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)


def _scan_one(folder: Path, repo_id: str) -> _Repo:
    """A repository of the files in folder, with a commit sha that changes when any of them does."""
    files = {path.name: path for path in sorted(folder.iterdir()) if path.is_file()}
    digest = hashlib.sha1(repo_id.encode())
    for name, path in files.items():
        digest.update(name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return _Repo(repo_id, folder, digest.hexdigest(), files)


def _handler_for(hub: HubStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(_HubHandler):
        standin = hub

    return Handler


class _HubHandler(BaseHTTPRequestHandler):
    standin: HubStandin
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.standin._opened(self.connection)

    def finish(self) -> None:
        self.standin._closed(self.connection)
        super().finish()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the request log is `standin.requests`."""

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, *, head: bool) -> None:
        url = urlsplit(self.path)
        parts = [unquote(part) for part in url.path.split("/") if part]
        repo_id, route = _route(parts)
        fault = self.standin._fault_for(repo_id)
        if fault is not None and fault.mode == "slow":
            time.sleep(fault.delay_s)
        if fault is not None and fault.mode == "refuse":
            self._record(repo_id, 0)
            self.close_connection = True
            self.connection.close()
            return
        if fault is not None and fault.mode == "error":
            self._json(repo_id, 500, {"error": "internal error (stand-in fault)"}, head=head)
            return
        if route == "list":
            self._list(parse_qs(url.query), head=head)
            return
        repo = self.standin._repo(repo_id) if repo_id is not None else None
        missing = fault is not None and fault.mode == "missing"
        if route is None or repo_id is None:
            self._json(repo_id, 404, {"error": "not found"}, head=head)
        elif repo is None or missing:
            self._json(repo_id, 404, {"error": "Repository not found"}, head=head, code="RepoNotFound")
        elif route == "info":
            self._info(repo, head=head)
        elif route == "tree":
            self._tree(repo, head=head)
        else:
            self._file(repo, "/".join(parts[parts.index("resolve") + 2 :]), fault, head=head)

    def _info(self, repo: _Repo, *, head: bool) -> None:
        body = {
            "id": repo.repo_id,
            "modelId": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "sha": repo.sha,
            "private": False,
            "disabled": False,
            "gated": False,
            "tags": [],
            "siblings": [{"rfilename": name} for name in repo.files],
        }
        self._json(repo.repo_id, 200, body, head=head)

    def _tree(self, repo: _Repo, *, head: bool) -> None:
        entries = []
        for name, path in repo.files.items():
            data = path.read_bytes()
            entries.append({"type": "file", "path": name, "size": len(data), "oid": _git_blob_id(data)})
        self._json(repo.repo_id, 200, entries, head=head)

    def _file(self, repo: _Repo, name: str, fault: _Fault | None, *, head: bool) -> None:
        path = repo.files.get(name)
        if path is None:
            self._json(repo.repo_id, 404, {"error": "Entry not found"}, head=head, code="EntryNotFound")
            return
        data = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
        self.send_header("X-Repo-Commit", repo.sha)
        self.send_header("Accept-Ranges", "none")
        mode = fault.mode if fault is not None else None
        if mode == "truncated":
            self.send_header("Connection", "close")
        self.end_headers()
        self._record(repo.repo_id, 200)
        if head:
            return
        if mode == "truncated":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "corrupt":
            data = bytes(byte ^ 0x5A for byte in data)
        self.wfile.write(data)

    def _list(self, query: dict[str, list[str]], *, head: bool) -> None:
        author = query.get("author", [""])[0]
        search = query.get("search", [""])[0].lower()
        limit = int(query.get("limit", ["1000"])[0])
        found = [
            {"id": repo.repo_id, "modelId": repo.repo_id, "author": repo.repo_id.split("/")[0]}
            for repo in sorted(self.standin._all_repos(), key=lambda item: item.repo_id)
            if (not author or repo.repo_id.split("/")[0] == author) and search in repo.repo_id.lower()
        ]
        self._json(None, 200, found[:limit], head=head)

    def _json(self, repo: str | None, status: int, body: object, *, head: bool, code: str = "") -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if code:
            self.send_header("X-Error-Code", code)
            self.send_header("X-Error-Message", str(body))
        self.end_headers()
        self._record(repo, status)
        if not head:
            self.wfile.write(data)

    def _record(self, repo: str | None, status: int) -> None:
        self.standin._record(HubRequest(self.command, self.path, repo, status))


def _route(parts: list[str]) -> tuple[str | None, str | None]:
    """(repo id, route) of a request path; route is None when the path is not one the stand-in serves."""
    if parts[:2] == ["api", "models"]:
        rest = parts[2:]
        if not rest:
            return None, "list"
        if len(rest) < 2:
            return None, None
        repo_id = f"{rest[0]}/{rest[1]}"
        tail = rest[2:]
        if not tail or tail[0] == "revision":
            return repo_id, "info"
        if tail[0] == "tree":
            return repo_id, "tree"
        return repo_id, None
    if len(parts) >= 5 and parts[2] == "resolve":
        return f"{parts[0]}/{parts[1]}", "file"
    if len(parts) >= 2 and parts[0] != "api":
        return f"{parts[0]}/{parts[1]}", None
    return None, None


@contextmanager
def hub_standin(root: Path, *, port: int = 0) -> Iterator[HubStandin]:
    """A started stand-in serving the repositories under `root`, stopped on exit."""
    hub = HubStandin(root, port)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()
