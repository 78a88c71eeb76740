"""A real HTTP registry on 127.0.0.1 for the registry and review tests.

It serves full packuments (``GET /<name>``, scoped names as ``@scope%2fname``) and
tarballs (``GET /<name>/-/<file>.tgz``) built from readable parts, records every request
with its headers, and can be told to fail: a status for the next N requests of a path, a
required bearer token, bytes that do not match the packument's integrity.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from fixtures import tarcraft as tc
from fixtures.examples import build as examples


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def pack(tree: Mapping[str, bytes | tuple[bytes, int]]) -> bytes:
    return tc.gzip(tc.npm_pack_style(dict(tree)))


def greeter(version: str = "1.4.0", **changes: Any) -> bytes:
    """The example package ``@example/greeter`` at ``version``, with package.json fields
    changed (``None`` removes one) and ``files`` added."""
    tree = examples.read_tree(examples.TREES / "greeter-1.4.0")
    files = changes.pop("files", {})
    raw = tree["package.json"]
    assert isinstance(raw, bytes)
    pj = json.loads(raw)
    pj["version"] = version
    for key, value in changes.items():
        if value is None:
            pj.pop(key, None)
        else:
            pj[key] = value
    tree["package.json"] = json.dumps(pj, indent=2).encode()
    tree.update(files)
    return pack(tree)


class FakeRegistry:
    def __init__(self) -> None:
        self.packuments: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        #: path -> statuses to answer before serving normally
        self.fail: dict[str, list[int]] = {}
        #: a bearer token every request must carry (None: no authentication)
        self.token: str | None = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def publish(
        self,
        name: str,
        version: str,
        data: bytes,
        *,
        time: str = "2024-01-01T00:00:00.000Z",
        tag: str | None = "latest",
        served: bytes | None = None,
        tarball_base: str | None = None,
        **doc: Any,
    ) -> dict[str, Any]:
        """Add a version; ``served`` are the bytes actually served (tampering), and ``doc``
        extra fields of the version document (``_npmUser``, ``maintainers``, ``scripts``)."""
        m = json.loads(
            tc_package_json(data)
        )  # the registry's manifest is the tarball's package.json unless doc says otherwise
        filename = f"{name.rpartition('/')[2]}-{version}.tgz"
        path = f"{name}/-/{filename}"
        self.files[path] = data if served is None else served
        p = self.packuments.setdefault(
            name,
            {"name": name, "dist-tags": {}, "versions": {}, "time": {"created": time}},
        )
        p["versions"][version] = {
            **m,
            "name": name,
            "version": version,
            "dist": {
                "integrity": integrity(data),
                "shasum": hashlib.sha1(data).hexdigest(),  # noqa: S324 - npm's dist.shasum
                "tarball": (tarball_base or self.url) + path,
            },
            **doc,
        }
        p["time"][version] = time
        if tag:
            p["dist-tags"][tag] = version
        return p["versions"][version]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = unquote(self.path.lstrip("/"))
                registry.requests.append((path, dict(self.headers.items())))
                pending = registry.fail.get(path)
                if pending:
                    self._send(pending.pop(0), b"{}")
                    return
                if registry.token is not None and (
                    self.headers.get("Authorization") != f"Bearer {registry.token}"
                ):
                    self._send(401, b'{"error": "authentication required"}')
                    return
                if path in registry.packuments:
                    self._send(200, json.dumps(registry.packuments[path]).encode())
                elif path in registry.files:
                    self._send(200, registry.files[path])
                else:
                    self._send(404, b'{"error": "not found"}')

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    @contextmanager
    def running(self) -> Iterator[FakeRegistry]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join()


def tc_package_json(data: bytes) -> bytes:
    """package.json of a tarball built here (read the way tarlens reads it)."""
    import tarlens

    m = tarlens.load(data)
    return json.dumps(dict(m.package_json)).encode()


def closed_port() -> str:
    """A loopback URL nothing listens on (bound, then closed)."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/"
