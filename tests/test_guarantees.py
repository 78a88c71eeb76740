"""What tarlens promises about any input: no side effects, determinism, no stray exceptions."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tarlens
from fixtures import hostile
from fixtures import tarcraft as tc
from fixtures.examples import build as examples
from tarlens import _analysis
from tarlens._markdown import approval_note
from tarlens._render import diff_text, diff_to_dict, inspect_text, manifest_to_dict, to_json
from tarlens._sarif import report_to_sarif
from tests.conftest import pj

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_NETWORK_MODULES = ("socket", "ssl", "http.client", "urllib.request", "asyncio")


class _Guard:
    active = False
    events: list[tuple[str, str]] = []  # noqa: RUF012 - one process-wide recorder

    @classmethod
    def hook(cls, event: str, args: tuple[Any, ...]) -> None:
        if not cls.active:
            return
        if event == "open":
            mode = args[1] if len(args) > 1 else "r"
            flags = args[2] if len(args) > 2 else 0
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if writing:
                cls.events.append((event, str(args[0])))
        elif event in (
            "socket.connect",
            "socket.bind",
            "socket.__new__",
            "subprocess.Popen",
            "os.system",
            "os.exec",
            "os.posix_spawn",
            "os.fork",
            "os.startfile",
            "ctypes.dlopen",
            "compile",
            "exec",
        ):
            if event in ("compile", "exec") and cls._from_tests():
                return
            cls.events.append((event, repr(args)[:200]))
        elif event == "import" and args and str(args[0]).startswith(_NETWORK_MODULES):
            cls.events.append((event, str(args[0])))

    @staticmethod
    def _from_tests() -> bool:
        # compile/exec raised by hypothesis or pytest themselves are not tarlens's doing
        frame = sys._getframe(2)
        while frame is not None:
            if frame.f_code.co_filename.endswith(
                ("tarlens/_reader.py", "tarlens/_tar.py", "tarlens/_manifest.py")
            ):
                return False
            frame = frame.f_back  # type: ignore[assignment]
        return True


sys.addaudithook(_Guard.hook)


@pytest.fixture
def guard() -> Iterator[list[tuple[str, str]]]:
    # warm every import first: importing writes bytecode files, which is not tarlens's doing
    m = tarlens.load(examples.HERE / "greeter-1.4.1-staged.tgz")
    report = tarlens.check(m)
    to_json(manifest_to_dict(m, report))
    inspect_text(m, report)
    report_to_sarif(report, manifest=m)
    approval_note(report, manifest=m)
    m._repr_html_()
    changes = tarlens.diff(examples.HERE / "greeter-1.4.0.tgz", m)
    diff_text(changes, tarlens.check(changes.new, diff=changes))
    changes._repr_html_()
    # codecs are imported on first use; ASCII files never need this one
    "é".encode().decode("utf-8-sig")
    # libmagic is imported when the sniffer first cannot name some bytes
    _analysis.magic_available()
    _Guard.events = []
    _Guard.active = True
    try:
        yield _Guard.events
    finally:
        _Guard.active = False


SAMPLES = [c for c in hostile.CASES if not c.heavy]


def test_loading_checking_and_rendering_touch_nothing(guard: list[tuple[str, str]]) -> None:
    baseline = tarlens.load(examples.HERE / "greeter-1.4.0.tgz")
    for case in SAMPLES:
        data = case.build()
        try:
            m = tarlens.load(data)
        except tarlens.TarlensError:
            continue
        report = tarlens.check(m)
        to_json(manifest_to_dict(m, report))
        inspect_text(m, report)
        report_to_sarif(report, manifest=m)
        approval_note(report, manifest=m)
        m._repr_html_()
        changes = tarlens.diff(baseline, data)
        report = tarlens.check(changes.new, diff=changes)
        to_json(diff_to_dict(changes, report))
        diff_text(changes, report)
        report_to_sarif(report, manifest=changes.new, diff=changes)
        approval_note(report, manifest=changes.new, diff=changes)
        changes._repr_html_()
        for path in changes.modified:
            changes.unified(path)
    assert guard == []


@pytest.fixture
def hostile_files(tmp_path: Path) -> list[Path]:
    """The sample inputs as files, written (and a scan's imports warmed) before the guard."""
    paths = []
    for i, case in enumerate(SAMPLES):
        path = tmp_path / f"{i:03d}.tgz"
        path.write_bytes(case.build())
        paths.append(path)
    list(tarlens.scan_many(paths[:1], workers=1))
    return paths


def test_an_in_process_scan_touches_nothing(
    hostile_files: list[Path], guard: list[tuple[str, str]]
) -> None:
    results = list(tarlens.scan_many(hostile_files, workers=1))
    assert len(results) == len(hostile_files)
    assert any(r.ok for r in results)
    assert not any(r.error and r.error.kind != "input" for r in results)
    assert guard == []


def test_the_guard_itself_sees_writes_and_sockets(guard: list[tuple[str, str]]) -> None:
    import socket
    import tempfile

    with tempfile.TemporaryFile():
        pass
    socket.socket().close()
    assert {e for e, _ in guard} >= {"open", "socket.__new__"}
    guard.clear()


def test_json_output_is_byte_identical_across_runs() -> None:
    data = (examples.HERE / "greeter-1.4.1-staged.tgz").read_bytes()
    outputs = set()
    for _ in range(3):
        m = tarlens.load(data)
        outputs.add(to_json(manifest_to_dict(m, tarlens.check(m))))
    assert len(outputs) == 1


# -- property: any mutation of a valid tarball gives a manifest or a TarlensError ----------

BASE_TAR = (
    tc.file(
        "package/package.json",
        pj(scripts={"postinstall": "node i.js"}, dependencies={"a": "^1", "b": "github:o/b"}),
    )
    + tc.pax({"path": "package/long/" + "x" * 120 + ".js"})
    + tc.file("package/p", b"pax body")
    + tc.gnu_longname("package/gnu/" + "y" * 120)
    + tc.file("package/g", b"gnu body")
    + tc.file("package/i.js", b"console.log(1)\n" * 40)
    + tc.symlink("package/link", "../../etc/passwd")
    + tc.end()
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(BASE_TAR)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "cut", "dup", "insert", "zero"]))
        pos = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[pos : pos + draw(st.integers(1, 1024))]
        elif op == "dup":
            block = (pos // 512) * 512
            data[block:block] = data[block : block + 512]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=600))
        else:
            block = (pos // 512) * 512
            data[block : block + 512] = bytes(512)
        if not data:
            data = bytearray(b"\x00")
    raw = bytes(data)
    return tc.gzip(raw) if draw(st.booleans()) else raw


@settings(
    max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(mutated())
def test_any_mutation_gives_a_manifest_or_a_tarlens_error(data: bytes) -> None:
    try:
        m = tarlens.load(data)
    except tarlens.TarlensError as exc:
        message = str(exc)
    else:
        message = None
    if message is not None:
        assert message and "\n" not in message
        return
    report = tarlens.check(m)
    assert not report.errors, report.errors
    to_json(manifest_to_dict(m, report))
    inspect_text(m, report)
    changes = tarlens.diff(BASE_TAR, data)
    report = tarlens.check(changes.new, diff=changes)
    assert not report.errors, report.errors
    to_json(diff_to_dict(changes, report))
    diff_text(changes, report)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_give_a_manifest_or_a_tarlens_error(data: bytes) -> None:
    with contextlib.suppress(tarlens.TarlensError):
        tarlens.load(data)
