"""Oracle: what the real pacote (inside this machine's npm) installs from a tarball.

:func:`pacote_install` writes the bytes to a temp file, runs ``pacote_extract.js`` (which calls
``pacote.extract('file:<tgz>', dest, {cache, umask: 0o022})`` with the process umask also set
to 0o022), then walks ``dest`` without following symlinks, with bytes paths.

Keys of :attr:`OracleResult.files` (and ``dirs``/``others``) are package-relative paths
(pacote strips the first component), ``/``-separated, decoded from the on-disk bytes as UTF-8
with ``errors="surrogateescape"``: an invalid byte ``0xNN`` shows up as the lone surrogate
``U+DCNN``, and ``key.encode("utf-8", "surrogateescape")`` gives the exact on-disk name back.

Everything is created under one temporary directory that is removed afterwards:
``in/<tgz>``, ``cache/`` and ``jail/a/b/dest``.  After the run, anything in ``jail`` other
than the ``a/b/dest`` chain is reported in :attr:`OracleResult.escaped` (it should always be
empty: it would mean an entry was written outside the package directory).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fixtures.hostile import Installed

JS = Path(__file__).with_name("pacote_extract.js")
TIMEOUT_S = 60.0


@dataclass(frozen=True)
class OracleResult:
    """The outcome of one ``pacote.extract``.

    ``ok``: pacote's promise resolved.  ``error``/``code``: its rejection message / code (or
    ``"timeout"``, or the oracle's own failure).  ``files``: regular files (even on failure:
    pacote may leave a partial extraction behind).  ``dirs``: directories (path -> mode),
    ``others``: anything else found (path -> ``"symlink"``/``"fifo"``/...; always expected
    empty).  ``warnings``: proc-log warn/error events, each a tuple of its string arguments
    (pacote logs node-tar's warnings as ``("tar", code, message)``).  ``via``: how a failure
    surfaced -- ``"rejection"`` (pacote.extract rejected: npm reports an install error) or
    ``"uncaughtException"``/``"unhandledRejection"`` (thrown outside pacote's promise).
    ``refused``: (op, path) of chmod/chown calls outside ``dest`` that the oracle's guard
    blocked (pacote's FileFetcher chmods package.json ``bin`` targets after extraction).
    In ``error``, ``warnings`` and ``refused`` the temp paths are replaced by ``<dest>``, ``<tgz>``,
    ``<cache>`` and ``<tmp>`` so results are comparable across runs.
    """

    ok: bool
    error: str | None
    files: dict[str, Installed]
    dirs: dict[str, int] = field(default_factory=dict)
    others: dict[str, str] = field(default_factory=dict)
    code: str | None = None
    warnings: tuple[tuple[str, ...], ...] = ()
    timed_out: bool = False
    escaped: tuple[str, ...] = ()
    via: str | None = None
    refused: tuple[tuple[str, str], ...] = ()

    def listing(self) -> dict[str, str]:
        """``{path: "0644"}`` for files, handy for compact assertions."""
        return {p: f"{f.mode:04o}" for p, f in sorted(self.files.items())}

    def tar_warnings(self) -> list[tuple[str, ...]]:
        """Only node-tar's warnings, as ``(code, message)``."""
        return [w[1:3] for w in self.warnings if w[:1] == ("tar",) and len(w) >= 3]


@functools.cache
def _node() -> str | None:
    return shutil.which("node")


@functools.cache
def npm_root() -> str | None:
    """``npm root -g`` (cached), or ``None`` when npm is unavailable."""
    npm = shutil.which("npm")
    if npm is None or _node() is None:
        return None
    try:
        out = subprocess.run(
            [npm, "root", "-g"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def node_available() -> bool:
    """Node and npm's bundled pacote are both here."""
    root = npm_root()
    return root is not None and (Path(root) / "npm" / "node_modules" / "pacote").is_dir()


#: Marker for tests that need the oracle: ``@skip_without_node``.
skip_without_node = pytest.mark.skipif(
    not node_available(), reason="node/npm (with its bundled pacote) is not available"
)


def require_node() -> None:
    """Skip the calling test when the oracle cannot run."""
    if not node_available():
        pytest.skip("node/npm (with its bundled pacote) is not available")


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISLNK, "symlink"),
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISCHR, "chardev"),
        (stat.S_ISBLK, "blockdev"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "unknown"


def _sha256(path: bytes) -> str:
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _walk(
    root: bytes,
) -> tuple[dict[str, Installed], dict[str, int], dict[str, str]]:
    files: dict[str, Installed] = {}
    dirs: dict[str, int] = {}
    others: dict[str, str] = {}
    if not os.path.lexists(root):
        return files, dirs, others
    stack: list[bytes] = [b""]
    while stack:
        rel_dir = stack.pop()
        abs_dir = os.path.join(root, rel_dir) if rel_dir else root
        for name in sorted(os.listdir(abs_dir)):
            rel = os.path.join(rel_dir, name) if rel_dir else name
            st = os.lstat(os.path.join(root, rel))
            key = rel.decode("utf-8", "surrogateescape")
            if stat.S_ISDIR(st.st_mode):
                dirs[key] = st.st_mode & 0o7777
                stack.append(rel)
            elif stat.S_ISREG(st.st_mode):
                files[key] = Installed(
                    size=st.st_size,
                    sha256=_sha256(os.path.join(root, rel)),
                    mode=st.st_mode & 0o7777,
                )
            else:
                others[key] = _kind(st.st_mode)
    return dict(sorted(files.items())), dict(sorted(dirs.items())), dict(sorted(others.items()))


def _escaped(jail: bytes) -> tuple[str, ...]:
    """Everything under ``jail`` except the ``a/b/dest`` chain itself (dest is not entered)."""
    chain = (b"a", b"a/b")
    found: list[str] = []
    stack: list[bytes] = [b""]
    while stack:
        rel_dir = stack.pop()
        for name in os.listdir(os.path.join(jail, rel_dir) if rel_dir else jail):
            rel = os.path.join(rel_dir, name) if rel_dir else name
            if rel in chain:
                stack.append(rel)
            elif rel != b"a/b/dest":
                found.append(rel.decode("utf-8", "surrogateescape"))
    return tuple(sorted(found))


def _rmtree(root: str) -> None:
    """Remove ``root`` without recursion (a hostile package can be 1024+ levels deep, past
    Python's recursion limit for ``shutil.rmtree``/``os.walk``) and whatever modes it has."""
    top = os.fsencode(root)
    if not os.path.lexists(top):
        return
    stack: list[tuple[bytes, bool]] = [(top, False)]
    while stack:
        path, visited = stack.pop()
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode):
            with contextlib.suppress(OSError):
                os.unlink(path)
            continue
        if visited:
            with contextlib.suppress(OSError):
                os.rmdir(path)
            continue
        with contextlib.suppress(OSError):
            os.chmod(path, 0o700)
        stack.append((path, True))
        try:
            names = os.listdir(path)
        except OSError:
            continue
        stack.extend((os.path.join(path, n), False) for n in names)


def pacote_install(
    tgz_bytes: bytes, *, timeout: float = TIMEOUT_S, filename: str = "package.tgz"
) -> OracleResult:
    """Install ``tgz_bytes`` with the real pacote and report what landed on disk.

    ``filename`` is the temp file's name (node-tar sniffs ``.tar.zst``/``.tbr`` extensions;
    npm's cache always hands it a plain name, so keep the default unless testing that).
    Raises ``RuntimeError`` when node/npm are unavailable (use :data:`skip_without_node`).
    """
    root_dir = npm_root()
    node = _node()
    if root_dir is None or node is None:
        raise RuntimeError("node/npm are not available")
    tmp = tempfile.mkdtemp(prefix="tarlens-oracle-")
    try:
        tmpb = os.fsencode(tmp)
        os.makedirs(os.path.join(tmp, "in"))
        tgz = os.path.join(tmp, "in", filename)
        with open(tgz, "wb") as fh:
            fh.write(tgz_bytes)
        cache = os.path.join(tmp, "cache")
        dest = os.path.join(tmp, "jail", "a", "b", "dest")
        os.makedirs(os.path.dirname(dest))
        env = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_config_")}
        env["NODE_OPTIONS"] = ""
        proc = subprocess.Popen(
            [node, str(JS), tgz, dest, cache, root_dir],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            cwd=tmp,
            env=env,
            start_new_session=True,
        )
        timed_out = False
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        files, dirs, others = _walk(os.fsencode(dest))
        escaped = _escaped(os.path.join(tmpb, b"jail"))
        if timed_out:
            return OracleResult(
                ok=False, error="timeout", files=files, dirs=dirs, others=others,
                code="timeout", timed_out=True, escaped=escaped,
            )  # fmt: skip
        lines = [ln for ln in out.decode("utf-8", "replace").splitlines() if ln.startswith("{")]
        if not lines:
            msg = f"oracle printed no result (exit {proc.returncode}): "
            msg += err.decode("utf-8", "replace")[-2000:]
            return OracleResult(
                ok=False, error=msg, files=files, dirs=dirs, others=others,
                code="oracle", escaped=escaped,
            )  # fmt: skip
        data = json.loads(lines[-1])

        def scrub(text: str) -> str:
            for real, alias in (
                (dest, "<dest>"),
                (tgz, "<tgz>"),
                (cache, "<cache>"),
                (tmp, "<tmp>"),
            ):
                text = text.replace(real, alias)
            return text

        warnings = tuple(
            tuple(scrub(str(a)) for a in w.get("args", [])) for w in data.get("warnings", [])
        )
        error = data.get("error")
        return OracleResult(
            ok=bool(data.get("ok")),
            error=scrub(str(error)) if error is not None else None,
            files=files,
            dirs=dirs,
            others=others,
            code=data.get("code"),
            warnings=warnings,
            escaped=escaped,
            via=data.get("via"),
            refused=tuple((r["op"], scrub(r["path"])) for r in data.get("refused", [])),
        )
    finally:
        _rmtree(tmp)
