"""Coverage-guided fuzzing of `tarlens.load`, `tarlens.diff`, `tarlens.check` and the
renderers (atheris).

Property: for any input, `load` returns a manifest or raises a `TarlensError`; then `check`
reports no crashing rule and every renderer returns a string. Anything else is a bug.

Structure-aware: the fuzzer's bytes choose a seed archive (the hostile catalog and the
example releases, uncompressed), a sequence of tar-aware mutations (flip/set bytes inside a
header field, duplicate/drop/zero a 512-byte block, splice bytes, rewrite a header with a
valid checksum) and a container (plain, gzip, multi-member gzip, zstd).

    .venv/bin/python fuzz/fuzz_load.py -max_total_time=3600 fuzz/corpus   # the long run
    .venv/bin/python fuzz/fuzz_load.py -runs=3000                          # what CI runs

A crash found this way becomes a case in fixtures/hostile.py (or a test) before it is fixed.
"""

from __future__ import annotations

import gzip as _gzip
import sys
import zlib
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports():
    import tarlens
    from tarlens._markdown import approval_note
    from tarlens._render import diff_text, diff_to_dict, inspect_text, manifest_to_dict, to_json
    from tarlens._sarif import report_to_sarif

from fixtures import hostile  # noqa: E402
from fixtures import tarcraft as tc  # noqa: E402


def _plain(data: bytes) -> bytes:
    if data[:2] == b"\x1f\x8b":
        try:
            return _gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return data
    return data


SEEDS = [_plain(c.build()) for c in hostile.CASES if not c.heavy] + [
    _plain((ROOT / "fixtures" / "examples" / n).read_bytes())
    for n in ("greeter-1.4.0.tgz", "greeter-1.4.1-staged.tgz")
]
BASELINE = tarlens.load(ROOT / "fixtures" / "examples" / "greeter-1.4.0.tgz")
FIELDS = [
    (0, 100),
    (100, 8),
    (108, 8),
    (124, 12),
    (136, 12),
    (148, 8),
    (156, 1),
    (157, 100),
    (257, 8),
    (345, 155),
]


def mutate(fdp: atheris.FuzzedDataProvider) -> bytes:
    data = bytearray(SEEDS[fdp.ConsumeIntInRange(0, len(SEEDS) - 1)])
    for _ in range(fdp.ConsumeIntInRange(0, 6)):
        if not data:
            break
        blocks = max(1, len(data) // 512)
        block = fdp.ConsumeIntInRange(0, blocks - 1) * 512
        op = fdp.ConsumeIntInRange(0, 7)
        if op == 0:  # overwrite part of a header field
            off, size = FIELDS[fdp.ConsumeIntInRange(0, len(FIELDS) - 1)]
            new = fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, size))
            data[block + off : block + off + len(new)] = new
        elif op == 1:  # and fix the checksum so node-tar accepts the header
            blk = data[block : block + 512]
            if len(blk) == 512:
                data[block + 148 : block + 156] = tc.octal(tc.checksum(bytes(blk)), 8)
        elif op == 2:
            data[block:block] = data[block : block + 512]
        elif op == 3:
            del data[block : block + 512]
        elif op == 4:
            data[block : block + 512] = bytes(min(512, len(data) - block))
        elif op == 5:
            pos = fdp.ConsumeIntInRange(0, len(data))
            data[pos:pos] = fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 700))
        elif op == 6:
            pos = fdp.ConsumeIntInRange(0, len(data) - 1)
            data[pos] = fdp.ConsumeInt(1) & 0xFF
        else:
            del data[fdp.ConsumeIntInRange(0, len(data)) :]
    raw = bytes(data)
    container = fdp.ConsumeIntInRange(0, 3)
    if container == 1:
        return tc.gzip(raw, level=1)
    if container == 2:
        return tc.gzip(raw, level=1, members=3) if len(raw) >= 3 else raw
    if container == 3 and tc.zstd_available():
        return tc.zstd(raw, level=1)
    return raw


def TestOneInput(buf: bytes) -> None:  # noqa: N802 - atheris's name
    fdp = atheris.FuzzedDataProvider(buf)
    data = mutate(fdp)
    try:
        m = tarlens.load(data)
    except tarlens.TarlensError:
        return
    report = tarlens.check(m)
    if report.errors:
        raise AssertionError(f"a rule crashed: {report.errors}")
    to_json(manifest_to_dict(m, report))
    inspect_text(m, report)
    report_to_sarif(report, manifest=m)
    approval_note(report, manifest=m)
    # the mutated release against the example it most likely came from: diff, rules, renderers
    changes = tarlens.diff(BASELINE, data)
    report = tarlens.check(changes.new, diff=changes)
    if report.errors:
        raise AssertionError(f"a rule crashed on a diff: {report.errors}")
    to_json(diff_to_dict(changes, report))
    diff_text(changes, report)
    report_to_sarif(report, manifest=changes.new, diff=changes)
    approval_note(report, manifest=changes.new, diff=changes)
    changes._repr_html_()
    for path in changes.modified[:2]:
        changes.unified(path, max_lines=200)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
