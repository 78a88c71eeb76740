"""tarlens._npa against the real npm-package-arg / semver / WHATWG URL of this machine's npm.

The ``npm``-marked tests run ``tests/oracle/npa_oracle.js`` once per batch (skipped, with the
reason, when node or npm's npm-package-arg cannot be found).  Every disagreement is a port bug;
the only accepted differences are listed in ``EXPECTED_DEVIATIONS`` (currently none).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tarlens import _npa
from tarlens._npa import SourceType, Spec, SpecType, classify

ORACLE_JS = Path(__file__).parent / "oracle" / "npa_oracle.js"
WHERE = "/tmp/where"  # the oracle's `where`; never touched
TIMEOUT_S = 120.0

# (name, spec) pairs where npa and the port are known to disagree, with the reason.
# For these only the type is compared (both INVALID); the error message differs.
EXPECTED_DEVIATIONS: dict[tuple[str, str], str] = {
    ("foo", "npm:" * 3000 + "foo"): "V8 overflows its stack (RangeError); the port says why",
    ("foo", "npm:" + "a@npm:" * 3000 + "a"): "same, through name@npm: levels",
}
# Deliberate, general deviation: inputs over _npa.MAX_SPEC_LENGTH are INVALID in the port (npa
# classifies them); checked separately in `mismatches`.


def _short(x: object, limit: int = 300) -> str:
    r = repr(x)
    return r if len(r) <= limit else f"{r[:limit]}...<{len(r)} chars>"


# --------------------------------------------------------------------------------------------
# oracle plumbing
# --------------------------------------------------------------------------------------------


@functools.cache
def _npa_dir() -> str | None:
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        return None
    try:
        root = subprocess.run(
            [npm, "root", "-g"], capture_output=True, text=True, timeout=60, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    d = Path(root) / "npm" / "node_modules" / "npm-package-arg"
    return str(d) if (d / "lib" / "npa.js").is_file() else None


def _skip_reason() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if shutil.which("npm") is None:
        return "npm is not installed"
    if _npa_dir() is None:
        return "npm-package-arg not found under `npm root -g`/npm/node_modules"
    return None


def run_oracle(items: Sequence[Any]) -> list[Any]:
    """One node process for the whole batch (see npa_oracle.js for the protocol)."""
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    node = shutil.which("node")
    assert node is not None
    proc = subprocess.run(
        [node, str(ORACLE_JS), str(_npa_dir())],
        input=json.dumps(list(items)),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
        cwd="/",
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert len(out) == len(items)
    return list(out)


def _home() -> str:
    return os.path.expanduser("~")


def port_view(name: str, spec: str) -> dict[str, Any]:
    """What the port says, in the oracle's vocabulary (file paths resolved like npa)."""
    r = classify(name, spec)
    if r.type is SpecType.INVALID:
        return {"type": "invalid", "error": r.error}
    fetch = r.fetch_spec
    if r.type in (SpecType.FILE, SpecType.DIRECTORY):
        fetch = _npa._file_fetch_spec(spec, WHERE, _home())
    sub = None
    if r.alias_spec is not None:
        sub = {
            "type": r.alias_spec.type.value,
            "name": r.alias_spec.name,
            "fetchSpec": r.alias_spec.fetch_spec,
        }
    return {
        "type": r.type.value,
        "fetchSpec": fetch,
        "gitCommittish": r.git_committish,
        "gitRange": r.git_range,
        "gitSubdir": r.git_subdir,
        "hosted": r.hosted,
        "subSpec": sub,
    }


def oracle_view(o: dict[str, Any]) -> dict[str, Any]:
    if o["type"] == "invalid":
        return {"type": "invalid", "error": o["error"]}
    return {k: o[k] for k in ("type", "fetchSpec", "gitCommittish", "gitRange", "gitSubdir",
                              "hosted", "subSpec")}  # fmt: skip


def mismatches(pairs: Sequence[tuple[str, str]]) -> list[str]:
    results = run_oracle([list(p) for p in pairs])
    bad = []
    for (name, spec), o in zip(pairs, results, strict=True):
        want = oracle_view(o)
        got = port_view(name, spec)
        if (name, spec) in EXPECTED_DEVIATIONS:
            if got["type"] != want["type"]:
                bad.append(f"{_short(spec)}: npa {want['type']}, port {got['type']}")
            continue
        if len(name) + len(spec) > _npa.MAX_SPEC_LENGTH:
            if got["type"] != "invalid" or "longer than" not in str(got["error"]):
                bad.append(f"{_short(spec)}: over the length bound but {_short(got)}")
            continue
        if got != want:
            bad.append(
                f"{_short(name)} {_short(spec)}:\n    npa:  {_short(want)}\n    port: {_short(got)}"
            )
    return bad


# --------------------------------------------------------------------------------------------
# hand-written corpus
# --------------------------------------------------------------------------------------------

REGISTRY = [
    "1.2.3", "v1.2.3", "=1.2.3", "= 1.2.3", "v 1.2.3", " 1.2.3 ", "1.2.3-beta.1", "1.2.3+build.5",
    "1.2.3-01", "01.02.03", "1.2.3beta", "1.2", "1", "^1.2.0", "^0.0.1", "^0.1.2", "^1.2.3-rc.1",
    "~1", "~1.2", "~1.2.3", "~>1.2", "~ 1.2", "^ 1.2", "1.x", "1.X", "1.*", "1.2.x", "x", "X", "*",
    "", " ", ">=1 <2", ">= 1 < 2", ">1", "<1", ">=1.2.3", "<=1.2", ">1.x", "<=1.x", "<1.2.x",
    "1 - 2", "1.2.3 - 2.3.4", "1.2 - 2.3.4-rc", "1 -2", "1- 2", "x - 2", "1 - x",
    "^1 || ^2", "1.2.3 || 2.x", "|| 1", "1 ||", "||", "1 || foo", "foo || 1", "foo *", "latest *",
    "latest", "next", "beta", "canary", "v1", "1.2.3.4", "1.2.3-", "1.2.3-+", ">=", "<", "=",
    "~", "^", ">=0.0.0", ">=0.0.0-0", "*.1", "x.1.2", "1.x.2", ">x", "<x", "<=x", "=x",
    "1.2.3 1.2.4", ">=1.2.3 <1.2.3", "<0.0.0-0", "^v1.2.3", "~v1", "a-b_c.d", "tag~1",
    "tag!", "tag'", "tag(1)", "tag with space", "tag/slash", "tag#hash", "tag?q", "tag%20",
    "ünïcode", "\u00a01.2.3\u00a0", "1.2.3\n", "\ufeff1.2.3", "\u20281.2.3", "1.2.3\u180e",
    "99999999999999999999.0.0", "9007199254740991.0.0", "9007199254740992.0.0",
    "~9007199254740991", "^9007199254740991", "1 - 1000000000000000000000",
    "1 - 100000000000000000000.x", ">1000000000000000000000.x", "1.2.3-" + "a" * 300,
    "1." * 130 + "1", "v" * 300 + "1.2.3", "=" * 50 + "1", "1.2.3 - " + "9" * 300,
    "^1.2.3+build", "1.2.3-alpha.beta+build.1", "1.0.0-0.3.7", "1.0.0-x.7.z.92",
    ">=1.2.3-alpha <1.2.3-beta", "<=1.2.3-0", "=v1.2.3", "v=1.2.3", "==1.2.3", "<>1",
    "1.2.3-alpha-1", "1.2.3--", "-1.2.3", "1.2.3-0a", "1.2.3-a.01", "1.2.03", "1.2.3 ||| 2",
]  # fmt: skip

ALIASES = [
    "npm:foo@^1", "npm:@s/p@1", "npm:foo", "npm:@s/p", "npm:", "npm:@", "npm:@s", "npm:foo@",
    "npm:Foo@1", "npm:foo@latest", "npm:foo@bad tag", "npm:npm:foo", "npm:foo@npm:bar",
    "npm:foo@github:o/r", "npm:o/r", "npm:./x", "npm:https://x.com/a.tgz", "NPM:foo@1",
    "npm:foo@1.2.3", "npm:foo@>=1 <2", "npm:@s/p@npm:q", "npm:git@github.com:o/r",
    "npm:a.tgz", "npm:@s/p.tgz", "npm:.x", "npm: foo", "npm:foo bar", "npm:npm:Foo bar",
    "npm:a@npm:.b@1", "npm:npm:o/r", "npm:npm:npm:", "npm:NPM:foo", "npm:a@npm:b@npm:c",
    "npm:" * 50 + "foo", "npm:" + "a@npm:" * 50 + "a", "npm:" + "a@npm:" * 20 + ".x@1",
    "npm:" * 3000 + "foo", "npm:" + "a@npm:" * 3000 + "a", "npm:foo@npm:", "npm:.a@npm:b",
]  # fmt: skip

GIT = [
    "git+ssh://git@github.com/o/r.git#v1", "git+ssh://git@github.com/o/r.git",
    "git+ssh://git@github.com:o/r.git#v1", "git://github.com/o/r.git#v1",
    "git+https://github.com/o/r.git", "git+https://user:pw@github.com/o/r.git#semver:^1",
    "git+http://github.com/o/r.git", "github:o/r", "github:o/r#v1", "github:o", "github:/r",
    "o/r", "o/r#v1", "o/r#semver:^2", "o/r#path:sub", "o/r#semver:^2::path:sub",
    "o/r#v1::path:sub", "o/r#v1::v2", "o/r#semver:1::semver:2", "o/r#path:a::path:b",
    "o/r#v1::semver:2", "o/r#semver:1::v2", "o/r#semver:%5E1", "o/r#semver:%zz",
    "o/r#foo:bar", "o/r#", "o/r/", "o/r/x", ".o/r", "o /r", "o/r #x", "@o/r", "o:x/r",
    "gitlab:o/r", "gitlab:g/s/r", "gitlab:o/r#v1", "bitbucket:o/r", "bitbucket:o/r#v1",
    "gist:abc123", "gist:o/abc123", "gist:abc123#v1", "sourcehut:~o/r", "sourcehut:o/r",
    "https://github.com/o/r", "https://github.com/o/r.git", "https://github.com/o/r#v1",
    "https://www.github.com/o/r", "https://github.com/o/r/tree/main", "https://github.com/o/r/tree",
    "https://github.com/o/r/blob/main/x", "http://github.com/o/r", "https://GITHUB.COM/o/r",
    "https://user:pw@github.com/o/r", "https://gitlab.com/g/s/r", "https://gitlab.com/o/r/-/x",
    "https://bitbucket.org/o/r", "https://gist.github.com/abc", "https://gist.github.com/o/abc",
    "https://git.sr.ht/~o/r", "git@github.com:o/r.git", "git@github.com:o/r",
    "git@github.com:o/r.git#semver:^1", "git@gitlab.com:g/r.git", "git@example.com:o/r.git",
    "ssh://git@github.com/o/r.git", "ssh://git@github.com:o/r.git", "ssh://git@example.com/o/r",
    "git+ssh://git@example.com:o/r.git#v1", "git+ssh://git@example.com:22/o/r.git",
    "git+ssh://git@example.com:o/r.git#a\nb", "git+ssh://example.com/o/r.git",
    "git://example.com/o/r", "git+https://example.com/o/r.git#v1", "git+file:///tmp/r",
    "git+file://c:/r", "git+file://C:12/r#x", "git+rsync://example.com/r", "git+ftp://h/r",
    "GIT+SSH://git@example.com/o/r", "git:o/r", "git:foo #x", "git://h/ a #b",
    "git+ssh://git@constructor/o/r", "git+ssh://git@www.__proto__/o/r", "https://constructor/x",
    "git+ssh://git@hasOwnProperty/o/r", "github:constructor/r", "https://github.com/o/r#%zz",
    "github:o/r#%E0%A4%A", "github:o%zz/r", "https://github.com/%zz/r", "git://github.com/o/r",
    "git://gitlab.com/o/r", "git+ssh://git@gist.github.com/abc.git", "git://gist.github.com/abc",
    "https://github.com/o/r.git#semver:>=1 <2", "github:o/r#semver:>=1 <2",
    "git+ssh://git@github.com/o/r.git#semver:^1.2::path:/x",
]  # fmt: skip

REMOTE = [
    "https://host/x.tgz", "http://host/x.tar.gz", "https://host/x", "HTTPS://HOST/X.TGZ",
    "https://codeload.github.com/o/r/tar.gz/main", "https://github.com/o/r/archive/main.tar.gz",
    "https://github.com/o/r/archive/v1.tar.gz", "https://gitlab.com/o/r/-/archive/v1/r.tar.gz",
    "https://bitbucket.org/o/r/get/v1.tar.gz", "https://git.sr.ht/~o/r/archive/v1.tar.gz",
    "https://user:pw@host/x.tgz", "https://host:8080/x.tgz", "http://127.0.0.1/x.tgz",
    "http://[::1]/x.tgz", "http://1.2/x.tgz", "http://a.1/x.tgz", "https://xn--a/x.tgz",
    "https://xn--ls8h/x.tgz", "http://", "https:x.tgz", "https:/host/x.tgz", "http://host:99999/",
    "https://ｇｉｔｈｕｂ.com/o/r", "https://gi\u00adthub.com/o/r", "http://a b/x.tgz",
    "http://host/x.tgz#frag", "http://host/a b.tgz",
]  # fmt: skip

FILES = [
    "file:../x.tgz", "./x.tgz", "x.tgz", "x.tar", "x.tar.gz", "X.TGZ", "file:x.tgz",
    "file:../dir", "../dir", "./dir", "/abs/dir", "~/dir", "~", "~x", "file:~/dir",
    "file:/abs", "file://abs/x", "file:///abs", "file:////abs", "file:/../x", "file://../x",
    "file:./a b#c?d%e", "FILE:../x", "file:", "c:foo", "C:/x", ".", "..", "./", "dir/",
    "a/b/c", "@s/p/x", "./x.tgz#frag", "./%2e%2e/x", "./a\\b", "/tmp/../etc", "file:~",
    "./dir\x01", "~/a/../../b", "./ä", "file:///a/./b/../c", "x.tgz\n", "@x.tgz",
]  # fmt: skip

INVALID = [
    "link:../x", "workspace:*", "workspace:^1.0.0", "foo:bar", "javascript:alert(1)",
    "data:text/plain,x", "git+foo://x", "catalog:", "portal:../x", "patch:x@1",
    "mailto:a@b.c", "ftp://host/x.tgz", "x" * 70000, "1" * 300, "\ud800",
    "a\ud800b", "latest\x00", "tag\u2028", "spaces in tag", "日本語",
]  # fmt: skip

NAMED = [
    ("foo", "1.2.3"), ("", "1.2.3"), ("Foo", "1"), ("@s/p", "1"), ("@s/P", "1"),
    (".x", "1"), ("_x", "1"), ("-x", "1"), (" x", "1"), ("x ", "1"), ("a b", "1"),
    ("node_modules", "1"), ("favicon.ico", "1"), ("@s/.p", "1"), ("@s/", "1"), ("@/p", "1"),
    ("@s/p/q", "1"), ("http", "1"), ("a" * 300, "1"), ("ünï", "1"), ("a~b", "1"),
    ("a!b", "1"), ("x\ud800", "1"), ("@s/p", "github:o/r"), ("Foo", "link:x"),
    ("Foo", "npm:bar"), ("NODE_MODULES", "1"), ("a@b", "1"), ("@s@x/p", "1"),
]  # fmt: skip

CORPUS: list[tuple[str, str]] = [
    ("foo", s) for s in REGISTRY + ALIASES + GIT + REMOTE + FILES + INVALID
] + NAMED


def test_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 250


@pytest.mark.npm
def test_corpus_matches_npa() -> None:
    bad = mismatches(CORPUS)
    assert not bad, f"{len(bad)} of {len(CORPUS)} differ:\n" + "\n".join(bad)


# --------------------------------------------------------------------------------------------
# property test: many generated specs, one oracle call
# --------------------------------------------------------------------------------------------

ALPHABET = "@/:#.~^<>=|-x*+ v0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
SEMVERISH = "0123456789.xX*^~<>=|- v+ab"
PREFIXES = [
    "", "", "", "", "npm:", "github:", "gitlab:", "bitbucket:", "gist:", "sourcehut:",
    "git+ssh://", "git+ssh://git@", "git+https://", "git://", "https://", "http://", "ssh://",
    "file:", "git+file://", "link:", "workspace:", "git@github.com:", "git@", "~/", "./",
    "../", "/", "https://github.com/", "git+ssh://git@github.com:", "@s/", "v", "=", "^", "~",
    ">=", "1.", "x.", "npm:@s/", "github.com/",
]  # fmt: skip
SUFFIXES = ["", "", "", ".tgz", ".git", "#semver:^1", "#path:sub", "#v1", " || 2", ".x"]
NAMES = ["foo", "foo", "foo", "foo", "foo", "@s/p", "", "Foo", "@s/.p", "a b"]
BODY = st.one_of(st.text(alphabet=ALPHABET, max_size=24), st.text(alphabet=SEMVERISH, max_size=24))

_PART = st.sampled_from(["0", "1", "2", "01", "10", "x", "X", "*", "99999999999999999999"])
_VERSIONISH = st.builds(
    lambda v, parts, pre, build: v + ".".join(parts) + pre + build,
    st.sampled_from(["", "", "v", "=", "v=", " "]),
    st.lists(_PART, min_size=1, max_size=4),
    st.sampled_from(["", "", "-0", "-rc.1", "-01", "beta", "-a-b"]),
    st.sampled_from(["", "", "+b.1", "+"]),
)
_COMPARATOR = st.builds(
    lambda op, sp, v: op + sp + v,
    st.sampled_from(["", "", "^", "~", "~>", ">", ">=", "<", "<=", "=", "<>"]),
    st.sampled_from(["", "", " "]),
    _VERSIONISH,
)
RANGES = st.lists(
    st.tuples(_COMPARATOR, st.sampled_from([" ", " ", " || ", " - ", "||", "  ", "\t"])),
    min_size=1,
    max_size=4,
).map(lambda items: "".join(c + sep for c, sep in items[:-1]) + items[-1][0])

SPECS = st.one_of(
    st.builds(
        lambda pre, body, frag, suf: pre + body + frag + suf,
        st.sampled_from(PREFIXES),
        BODY,
        st.one_of(st.just(""), st.just(""), BODY.map(lambda b: "#" + b)),
        st.sampled_from(SUFFIXES),
    ),
    RANGES,
    st.builds(lambda pre, r: pre + r, st.sampled_from(["npm:foo@", "o/r#semver:"]), RANGES),
)


@pytest.mark.npm
def test_generated_specs_match_npa() -> None:
    if _skip_reason() is not None:
        pytest.skip(_skip_reason())
    seen: list[tuple[str, str]] = []

    @settings(
        max_examples=600,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(name=st.sampled_from(NAMES), spec=SPECS)
    def collect(name: str, spec: str) -> None:
        classify(name, spec)  # must never raise
        seen.append((name, spec))

    collect()
    pairs = list(dict.fromkeys(seen))
    assert len(pairs) >= 300
    bad = mismatches(pairs)
    assert not bad, f"{len(bad)} of {len(pairs)} differ:\n" + "\n".join(bad[:40])


# --------------------------------------------------------------------------------------------
# semver and URL sub-ports against the real thing
# --------------------------------------------------------------------------------------------

SEMVER_CORPUS = sorted({s for _, s in CORPUS if len(s) < 2000} | {
    "1.2.3", "v1.2.3", "1.2.3-pre", "1.2.3-pre.01", "1.2.3+b", "=1.2.3", "1.2", ">=1.2.3",
    "1.2.3 - 2", "1.x || >=2.5.0 || 5.0.0 - 7.2.3", "~1.2.1 >=1.2.3", ">1 <1", "<=0.0.0-0",
    "^0.0.0", "^0.0", "^0", "~0", "0.x", "1.2.3-alpha.1 - 1.2.4", ">= 1.2", "< 1.2.3 || >= 2",
    "1.2.3 - 1.2", ">=*", "<=*", ">*", "<*", "=*", "~*", "^*", "~x.1", "^1.x.3", "1.2.3-x.X.*",
    "v1.2.3 - v2.3.4", "  v1.2.3  ", "1.2.3   -   2.3.4", "1.2.3\t-\t2", ">=01.2.3", "^01.02",
})  # fmt: skip


@pytest.mark.npm
def test_semver_valid_and_valid_range_match_semver() -> None:
    items: list[dict[str, Any]] = []
    for s in SEMVER_CORPUS:
        for loose in (False, True):
            items.append({"op": "valid", "v": s, "loose": loose})
            items.append({"op": "validRange", "v": s, "loose": loose})
    results = run_oracle(items)
    bad = []
    for item, want in zip(items, results, strict=True):
        fn = _npa.semver_valid if item["op"] == "valid" else _npa.semver_valid_range
        got = fn(item["v"], item["loose"])
        if got != want:
            bad.append(f"{item}: semver {want!r}, port {got!r}")
    assert not bad, "\n".join(bad)


URL_CORPUS = [
    "http://a/^{}`|", "git:a b?c#d", "git://a%zz/x", "http://a%41/x", "http://xn--a/x",
    "http://xn--ls8h/", "http://xn--55a/x", "http://xn--aa-/x", "git://A*B=C~D/x",
    "http://A*b/x", "http://1.2/x", "http://a.1/x", "http://a.0x/x", "http://0x7f.1/",
    "http://[::1]/", "http://[1:2::3:4]:8080/p?q#f", "http://[::ffff:1.2.3.4]/",
    "http://[1:2:3:4:5:6:7:8:9]/", "http://[::1.2.3]/", "git+ssh://git@github.com:o/r.git",
    "ssh://a@b:c/d", "git:github.com:o/r", "http://u:p@h:80/a/../b/./c?x y#z w",
    "https://h:443", "ftp://h:21/", "ws://h:81", "http://h:65536/", "http://@h/", "http://:@h/",
    "http://a@b@c/", "http://a:b:c@d/", "foo://", "foo:/", "foo:/.//x", "foo:////x",
    "file:../x", "file:///C|/x", "file://localhost/x", "file://host/x", "file:c:/x",
    "HTTP://EXAMPLE.COM/%7e", "http://ex ample.com/", "http://ex\tample.com/", "http://h/a\\b",
    "git://h/a\\b", "http://h/%2e%2E/x", "http://h/a/%2e/b", "http://999999999999/",
    "http://4294967295/", "http://4294967296/", "http://1.2.3.4.5/", "http://1.2.3.256/",
    "http://0300.0250.1.1/", "http://h/\u00e9?\u00e9#\u00e9", "javascript:alert(1)",
    "git+https://user:pw@github.com/o/r.git#x", "git:foo #x", "http://a.b./", "http://./",
    "http://../", "http://\u3002/", "http://faß.de/", "http://xn--/", "http://a..b/",
    "foo:/..", "foo:/a/../..", "foo://h/..", "foo:/a/b/../..", "foo:/..//x", "http://h/..",
    "http://%bb/", "http://a%9b/", "git://h/..#x", "http://h:0000000000000000000000080/",
    "http://0x000000000000000000000000000000000000000000007f.1/", "http://" + "1" * 5000 + "/",
    "http://h:" + "9" * 5000 + "/", "http://0" + "0" * 5000 + "1.1/",
]  # fmt: skip


@pytest.mark.npm
def test_url_parser_matches_node() -> None:
    items: list[dict[str, Any]] = [{"op": "url", "v": u, "base": None} for u in URL_CORPUS]
    items += [
        {"op": "url", "v": u, "base": "file:///tmp/where/"}
        for u in ("file:../x", "file:x", "file:C:/x", "file:/x", "file:?q", "file:#f", "file:")
    ]
    results = run_oracle(items)
    bad = []
    for item, want in zip(items, results, strict=True):
        base = _npa._safe_url(item["base"]) if item["base"] else None
        u = _npa._safe_url(item["v"], base)
        if u is None:
            got: dict[str, Any] = {"error": "Invalid URL"}
        else:
            href = u.href()
            hash_ = u.hash
            u.clear_hash()
            got = {
                "href": href,
                "hrefNoHash": u.href(),
                "protocol": u.protocol,
                "username": u.username,
                "password": u.password,
                "hostname": u.hostname,
                "port": "" if u.port is None else str(u.port),
                "pathname": u.pathname,
                "search": f"?{u.query}" if u.query else "",
                "hash": hash_,
            }
        if got != want:
            bad.append(f"{item['v']!r}:\n    node: {want}\n    port: {got}")
    assert not bad, "\n".join(bad)


# --------------------------------------------------------------------------------------------
# always-run unit tests (no node)
# --------------------------------------------------------------------------------------------

EXPECTED_TYPES = [
    ("1.2.3", SpecType.VERSION), ("v1.2.3", SpecType.VERSION), ("=1.2.3", SpecType.VERSION),
    ("^1.2.0", SpecType.RANGE), ("~1", SpecType.RANGE), ("1.x", SpecType.RANGE),
    (">=1 <2", SpecType.RANGE), ("1 - 2", SpecType.RANGE), ("^1 || ^2", SpecType.RANGE),
    ("*", SpecType.RANGE), ("", SpecType.RANGE), ("x", SpecType.RANGE),
    ("latest *", SpecType.RANGE), ("latest", SpecType.TAG), ("next", SpecType.TAG),
    ("bad tag", SpecType.INVALID), ("npm:foo@^1", SpecType.ALIAS),
    ("npm:@s/p@1", SpecType.ALIAS), ("npm:foo", SpecType.ALIAS), ("npm:", SpecType.INVALID),
    ("npm:npm:foo", SpecType.INVALID), ("npm:foo@github:o/r", SpecType.INVALID),
    ("git+ssh://git@github.com/o/r.git#v1", SpecType.GIT), ("git://example.com/r", SpecType.GIT),
    ("github:o/r", SpecType.GIT), ("o/r", SpecType.GIT), ("o/r#semver:^2", SpecType.GIT),
    ("gitlab:o/r", SpecType.GIT), ("bitbucket:o/r", SpecType.GIT), ("gist:abc", SpecType.GIT),
    ("https://github.com/o/r", SpecType.GIT), ("git@github.com:o/r.git", SpecType.GIT),
    ("git@example.com:o/r.git", SpecType.DIRECTORY), ("https://host/x.tgz", SpecType.REMOTE),
    ("http://host/x.tar.gz", SpecType.REMOTE), ("file:../x.tgz", SpecType.FILE),
    ("./x.tgz", SpecType.FILE), ("x.tgz", SpecType.FILE), ("x.tar", SpecType.FILE),
    ("file:../dir", SpecType.DIRECTORY), ("../dir", SpecType.DIRECTORY),
    ("/abs/dir", SpecType.DIRECTORY), ("~/dir", SpecType.DIRECTORY),
    ("c:foo", SpecType.DIRECTORY), ("link:../x", SpecType.INVALID),
    ("workspace:*", SpecType.INVALID), ("foo:bar", SpecType.INVALID),
    ("javascript:alert(1)", SpecType.INVALID), ("http://", SpecType.INVALID),
    ("git+ssh://git@constructor/o/r", SpecType.INVALID),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "expected"), EXPECTED_TYPES)
def test_expected_type(spec: str, expected: SpecType) -> None:
    assert classify("foo", spec).type is expected


def test_fields() -> None:
    r = classify("foo", "npm:@s/p@^1")
    assert (r.type, r.source, r.alias_name) == (SpecType.ALIAS, SourceType.REGISTRY, "@s/p")
    assert r.alias_spec == Spec(
        name="@s/p", raw="@s/p@^1", type=SpecType.RANGE, source=SourceType.REGISTRY,
        fetch_spec="^1",
    )  # fmt: skip
    g = classify("foo", "github:o/r#semver:^2::path:pkgs/a")
    assert (g.hosted, g.fetch_spec, g.git_range, g.git_subdir, g.git_committish) == (
        "github", None, "^2", "/pkgs/a", None,
    )  # fmt: skip
    h = classify("foo", "git+ssh://git@github.com/o/r.git#v1")
    assert (h.hosted, h.fetch_spec, h.git_committish) == (
        "github", "ssh://git@github.com/o/r.git", "v1",
    )  # fmt: skip
    s = classify("foo", "git+ssh://git@example.com:o/r.git#semver:1")
    assert (s.hosted, s.fetch_spec, s.git_range) == (None, "git@example.com:o/r.git", "1")
    f = classify("foo", "file:../x.tgz")
    assert (f.type, f.source, f.fetch_spec) == (SpecType.FILE, SourceType.FILE, "../x.tgz")
    assert _npa._file_fetch_spec("file:../x.tgz", "/tmp/where", "/h") == "/tmp/x.tgz"
    assert _npa._file_fetch_spec("~/d", "/tmp/where", "/h") == "/h/d"
    assert _npa._file_fetch_spec("file://host/d", "/tmp/where", "/h") == "/host/d"
    assert classify("Foo", "1").type is SpecType.RANGE  # capitals: only a warning
    bad = classify(".x", "1")
    assert (bad.type, bad.source) == (SpecType.INVALID, SourceType.INVALID)
    assert bad.error == (
        'Invalid package name ".x" of package ".x@1": name cannot start with a period.'
    )
    tag = classify("foo", "a b")
    assert tag.error == (
        'Invalid tag name "a b" of package "foo@a b": Tags may not have any characters that'
        " encodeURIComponent encodes."
    )


def test_package_names() -> None:
    assert _npa.valid_package_name("foo")
    assert _npa.valid_package_name("@s/p")
    assert _npa.valid_package_name("Foo")  # valid for old packages
    assert _npa.valid_package_name("http")
    assert not _npa.valid_package_name("")
    assert not _npa.valid_package_name(".x")
    assert not _npa.valid_package_name("a b")
    assert not _npa.valid_package_name("node_modules")
    assert not _npa.valid_package_name("@s/.p")
    assert not _npa.valid_package_name("x\ud800")


def test_semver_examples() -> None:
    assert _npa.semver_valid("v1.2.3") == "1.2.3"
    assert _npa.semver_valid("=1.2.3") is None
    assert _npa.semver_valid("=1.2.3", loose=True) == "1.2.3"
    assert _npa.semver_valid("1.2.3-01", loose=True) == "1.2.3-1"
    assert _npa.semver_valid_range("1 - 2") == ">=1.0.0 <3.0.0-0"
    assert _npa.semver_valid_range("^0.0.1") == ">=0.0.1 <0.0.2-0"
    assert _npa.semver_valid_range("") == "*"
    assert _npa.semver_valid_range("foo *", loose=True) == "*"
    assert _npa.semver_valid_range("foo") is None
    assert _npa.semver_valid_range("1 - 1000000000000000000000", loose=True) == ">=1.0.0"
    assert _npa._js_number_to_string(1e21) == "1e+21"
    assert _npa._js_number_to_string(1e20) == "100000000000000000000"
    assert _npa._js_number_to_string(123456789012345678901.0) == "123456789012345680000"


HOSTILE = [
    "v" * 1_000_000, "=" * 60_000, "v " * 30_000, "1." * 30_000, "1" * 60_000,
    "1.2.3-" + "a." * 30_000, "<" * 60_000, "~" * 60_000, " " * 60_000 + "1",
    "a@" * 30_000, "o/r#" + ":" * 60_000, "git+ssh://" + "a" * 60_000 + ":" + "#" * 10,
    "https://" + "a." * 30_000, "https://[" + ":" * 60_000, "xn--" + "a" * 60_000,
    "https://xn--" + "a" * 60_000 + "/", "1 - " + "1." * 30_000, "=v" * 30_000 + "x",
    "|| " * 20_000, ">=" * 30_000 + "1.2.3", "github:" + "/" * 60_000, "@" * 65_000,
    "http://" + "1" * 5000 + "/x.tgz", "http://h:" + "9" * 5000 + "/x.tgz",
    "http://0x" + "f" * 5000 + "/", "http://[" + "1:" * 30_000 + "]/", "~1 " * 20_000,
    "npm:" * 16_000 + "foo", "npm:" + "a@npm:" * 10_000 + "a",
]  # fmt: skip


ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(name=st.one_of(ANY_TEXT, st.sampled_from(NAMES)), spec=st.one_of(ANY_TEXT, SPECS))
@example(name="x\ud800", spec="1")
@example(name="foo", spec="\udfff")
@example(name="foo", spec="npm:a@\ud800")
@example(name="foo", spec="https://h\ud800/x.tgz")
@example(name="foo", spec="o/r#semver:\ud800")
def test_never_raises(name: str, spec: str) -> None:
    """Any str (lone surrogates included) classifies without an exception."""
    r = classify(name, spec)
    assert (r.type is SpecType.INVALID) == (r.error is not None)
    assert (r.source is SourceType.INVALID) == (r.type is SpecType.INVALID)
    _npa.semver_valid(spec, loose=True)
    _npa.semver_valid_range(spec, loose=True)
    _npa.valid_package_name(name)


def test_hostile_inputs_are_fast() -> None:
    for spec in HOSTILE:
        t0 = time.monotonic()
        r = classify("foo", spec)
        dt = time.monotonic() - t0
        assert dt < 3.0, (spec[:40], len(spec), dt)
        if len(spec) > _npa.MAX_SPEC_LENGTH:
            assert r.type is SpecType.INVALID
            assert r.error is not None
            assert "longer than" in r.error
