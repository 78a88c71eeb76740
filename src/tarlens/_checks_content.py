"""Built-in rules about what the files are and what their code can do (content analysis).

They read ``File.content`` (kind, MIME type, signals); on a manifest loaded with
``analyze=False`` they find nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from tarlens._analysis import Content, Kind
from tarlens._diff import ChangeStatus, FileChange, ReleaseDiff, resolve_require
from tarlens._engine import Confidence, Evidence, Release, Severity, rule
from tarlens._manifest import File, Manifest, script_files

__all__: list[str] = []  # private module: rules register themselves on import

#: signals that only obfuscators produce (ordinary minifiers do not)
STRONG_OBFUSCATION = frozenset(
    {"obfuscator-identifiers", "string-array-rotation", "packer", "jsfuck", "hex-escapes"}
)
#: hidden payloads: large encoded blobs and high-entropy strings
PAYLOAD = frozenset({"base64-blob", "hex-blob", "high-entropy-string"})
#: capabilities that turn a library into a dropper or a stealer
DANGEROUS = frozenset(
    {
        "child-process",
        "eval",
        "new-function",
        "vm",
        "module-compile",
        "endless-loop",
        "env-serialize",
        "wallet-hook",
        "fs-delete",
    }
)
NETWORK = frozenset({"http", "net", "dns", "fetch", "xhr", "websocket"})
#: chmod +x and plain downloads are what legitimate binary installers do (esbuild)
SCRIPT_RED_FLAGS = frozenset({"curl-pipe-shell", "powershell-encoded", "rundll32"})
MINIFIED_LARGE = 512 * 1024
#: an added line this long, in an entry point that was readable source, with dense text
LONG_LINE = 2000
HIGH_ENTROPY = 5.0
#: ...among at most this many added lines (a rebuilt bundle changes hundreds)
INJECTED_LINES = 3


def _names(content: Content | None) -> frozenset[str]:
    return frozenset() if content is None else frozenset(s.name for s in content.signals)


def _values(content: Content | None, category: str) -> frozenset[tuple[str, str]]:
    if content is None:
        return frozenset()
    return frozenset((s.name, s.value) for s in content.signals if s.category == category)


def _line(content: Content | None, names: frozenset[str]) -> int | None:
    if content is None:
        return None
    lines = [s.line for s in content.signals if s.name in names]
    return min(lines) if lines else None


def _diff(release: Release) -> ReleaseDiff:
    assert release.diff is not None
    return release.diff


def _install_files(m: Manifest) -> set[str]:
    return {p for s in m.install_scripts for p in script_files(s.command)}


# -- payloads -------------------------------------------------------------------------------


@rule(id="PAY001", name="native-binary", severity=Severity.LOW, confidence=Confidence.HIGH)
def native_binary(release: Release) -> Iterator[Evidence]:
    """The package ships machine code.

    ## What it does
    Lists files whose bytes are ELF, PE, Mach-O (any byte order, fat) or WebAssembly, whatever
    their name.

    ## Why is this risky
    Native code cannot be reviewed like source. Prebuilt binaries are common (sharp, esbuild);
    the diff rules judge a *new* one.

    ## Example
    ``bin/esbuild`` (ELF) in ``@esbuild/linux-x64``.
    """
    for f in release.manifest.files:
        if f.content is not None and f.content.kind is Kind.BINARY:
            yield Evidence(f"{f.path}: {f.content.binary_format} ({f.size} bytes)", path=f.path)


@rule(
    id="PAY002",
    name="extension-mismatch",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=434,
)
def extension_mismatch(release: Release) -> Iterator[Evidence]:
    """A file's bytes are not what its name says; *high* for machine code under another name.

    ## What it does
    Reports files whose extension lies about their content: an executable named ``.js`` or
    ``.png``, JavaScript named ``.png``.

    ## Why is this risky
    Reviewers and tools skip images, fonts and data by name; a payload hides there and an
    install script renames or loads it (eslint-config-prettier's ``node-gyp.dll``).

    ## Example
    ``assets/logo.png`` whose bytes are a Windows PE.
    """
    for f in release.manifest.files:
        c = f.content
        if c is not None and c.extension_mismatch:
            sev = Severity.HIGH if c.kind is Kind.BINARY else None
            yield Evidence(f"{f.path}: {c.extension_mismatch}", path=f.path, severity=sev)


@rule(
    id="PAY010",
    name="native-binary-added",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=506,
    needs_previous=True,
)
def native_binary_added(release: Release) -> Iterator[Evidence]:
    """The release adds machine code, or turns a file into machine code.

    ## What it does
    Reports added files (any name, any extension) whose bytes are ELF, PE/DLL, Mach-O or
    WebAssembly, and files whose kind changed to binary.

    ## Why is this risky
    A new native binary runs with the user's rights and cannot be read; eslint-config-prettier
    8.10.1 shipped a Windows DLL that its install script ran with ``rundll32``.

    ## Example
    1.2.3 ships only JavaScript; 1.2.4 adds ``node-gyp.dll``.
    """
    for c in _diff(release).files:
        new = c.new.content if c.new else None
        old = c.old.content if c.old else None
        if new is None or new.kind is not Kind.BINARY:
            continue
        if c.status in (ChangeStatus.ADDED, ChangeStatus.RENAMED) or (
            old is not None and old.kind is not Kind.BINARY
        ):
            was = (
                f" (was {old.kind})"
                if old is not None and c.status is ChangeStatus.MODIFIED
                else ""
            )
            size = c.new.size if c.new else 0
            yield Evidence(
                f"{c.status} {c.path}: {new.binary_format}, {size} bytes{was}", path=c.path
            )


@rule(
    id="PAY011",
    name="opaque-code-added",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=506,
    needs_previous=True,
)
def opaque_code_added(release: Release) -> Iterator[Evidence]:
    """The release adds code nobody can read: obfuscated (*high*) or a large minified file.

    ## What it does
    Reports added files with obfuscator signals (``_0x`` identifier families, string-array
    rotation, escape-heavy text, JSFuck, packers), and added minified files over 512 KiB.

    ## Why is this risky
    Install-time droppers ship as obfuscated scripts or multi-megabyte bundles (nx,
    Shai-Hulud's ``bundle.js``, @rspack/core); legitimate builds rarely add either in a
    patch.

    ## Example
    A new ``setup.js`` whose code is ``var _0x3f1a=[...]; (function(_0x2d8f05, ...``.
    """
    for c in _diff(release).files:
        if c.status not in (ChangeStatus.ADDED, ChangeStatus.RENAMED) or c.new is None:
            continue
        content = c.new.content
        strong = _names(content) & STRONG_OBFUSCATION
        if strong:
            yield Evidence(
                f"new file {c.path} is obfuscated ({', '.join(sorted(strong))})",
                path=c.path,
                line=_line(content, STRONG_OBFUSCATION),
                severity=Severity.HIGH,
            )
        elif content is not None and content.kind is Kind.MINIFIED and c.new.size >= MINIFIED_LARGE:
            yield Evidence(f"new minified file {c.path} ({c.new.size} bytes)", path=c.path)


# -- code changes -----------------------------------------------------------------------------


def _changed_code(d: ReleaseDiff) -> Iterator[tuple[FileChange, File, File]]:
    for c in d.files:
        if c.status is ChangeStatus.MODIFIED and c.content_changed and c.old and c.new:
            yield c, c.old, c.new


@rule(
    id="COD010",
    name="obfuscation-gained",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=506,
    needs_previous=True,
)
def obfuscation_gained(release: Release) -> Iterator[Evidence]:
    """An existing file gains obfuscated code or a hidden payload.

    ## What it does
    Reports modified files that gain obfuscator signals, or gain a large encoded blob or
    high-entropy string next to a way to run it (``eval``, ``Function``, ``child_process``),
    and readable entry points that gain a few lines, one of them very long and dense (2,000
    bytes or more at 5 bits per byte or more: the shape of an appended or prepended
    payload). *Medium* for a payload without a way to run it outside entry points.

    ## Why is this risky
    Injected code hides in files that already ship (chalk/debug 5.6.1 and 4.4.2,
    @solana/web3.js 1.95.6, flatmap-stream): the file list does not change, only the bytes.

    ## Example
    ``index.js`` gains one 20 KB line of ``_0x``-named code appended at the end.
    """
    d = _diff(release)
    entries = set(d.new.entry_points)
    for c, old, new in _changed_code(d):
        gained = _names(new.content) - _names(old.content)
        strong = gained & STRONG_OBFUSCATION
        payload = gained & PAYLOAD
        runner = _names(new.content) & {"eval", "new-function", "child-process", "vm"}
        where = "entry point " if c.path in entries else ""
        if strong:
            yield Evidence(
                f"{where}{c.path} gains obfuscated code ({', '.join(sorted(strong))})",
                path=c.path,
                line=_line(new.content, strong),
            )
        elif (
            c.path in entries
            and c.text is not None
            and old.kind == "source"
            and c.text.longest_added_line >= LONG_LINE
            and c.text.added_entropy >= HIGH_ENTROPY
            and c.text.lines_added <= INJECTED_LINES
        ):
            # a readable entry point gains a few lines, one very long and dense: an injection
            yield Evidence(
                f"entry point {c.path} gains a {c.text.longest_added_line}-byte line "
                f"(added text at {c.text.added_entropy:.1f} bits per byte)",
                path=c.path,
                line=c.text.longest_added_at,
            )
        elif payload and (runner or c.path in entries):
            sev = None if runner else Severity.MEDIUM
            yield Evidence(
                f"{where}{c.path} gains {', '.join(sorted(payload))}"
                + (f" next to {', '.join(sorted(runner))}" if runner else ""),
                path=c.path,
                line=_line(new.content, payload),
                severity=sev,
            )


@rule(
    id="COD011",
    name="capability-gained",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=506,
    needs_previous=True,
)
def capability_gained(release: Release) -> Iterator[Evidence]:
    """An existing file gains a dangerous capability: running processes, evaluating code,
    serialising the environment, wallet hooks, deleting files (*high* in entry points), or
    network access (*medium*).

    ## What it does
    Compares the capability signals of each modified file with the previous release's.

    ## Why is this risky
    A library that never spawned processes or read ``process.env`` and now does is the shape
    of a stealer (ua-parser-js, node-ipc's wiper, the 2025 wallet-drainer injections).

    ## Example
    ``lib/index.js`` gains ``require('child_process').exec(...)``.
    """
    d = _diff(release)
    entries = set(d.new.entry_points) | {
        p for s in d.new.install_scripts for p in script_files(s.command)
    }
    for c, old, new in _changed_code(d):
        gained = _names(new.content) - _names(old.content)
        dangerous = gained & DANGEROUS
        network = gained & NETWORK
        if not dangerous and not network:
            continue
        in_entry = c.path in entries
        if in_entry:
            sev = Severity.HIGH if dangerous else Severity.MEDIUM
        elif dangerous & {"child-process", "env-serialize", "wallet-hook", "fs-delete"}:
            sev = Severity.MEDIUM
        else:
            sev = Severity.LOW  # build tools gain vm or eval in helper modules all the time
        yield Evidence(
            f"{'entry point ' if in_entry else ''}{c.path} gains "
            f"{', '.join(sorted(dangerous | network))}",
            path=c.path,
            line=_line(new.content, dangerous | network),
            severity=sev,
        )


@rule(
    id="COD012",
    name="network-literal-gained",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=506,
    needs_previous=True,
)
def network_literal_gained(release: Release) -> Iterator[Evidence]:
    """An entry point gains a URL, domain or IP address it did not mention before.

    ## What it does
    Compares the URL, domain and IP literals of modified entry points (``main``, ``exports``,
    ``bin`` and the files install scripts run) with the previous release's. *High* when the
    file also gains network access or environment reads; *low* when it has no network code
    (a documentation link in an error message).

    ## Why is this risky
    Exfiltration needs somewhere to send data: a new endpoint in a library's entry file is
    worth a look even when nothing else changed.

    ## Example
    ``dist/index.js`` gains ``https://collector.example.invalid/v``.
    """
    d = _diff(release)
    entries = set(d.new.entry_points) | {
        p for s in d.new.install_scripts for p in script_files(s.command)
    }
    for c, old, new in _changed_code(d):
        if c.path not in entries:
            continue
        gained = _values(new.content, "network-literal") - _values(old.content, "network-literal")
        urls = sorted({v for _, v in gained if v})[:5]
        if not urls:
            continue
        new_names, old_names = _names(new.content), _names(old.content)
        reach = (new_names - old_names) & (NETWORK | {"env-read", "env-serialize"})
        if reach:
            sev: Severity | None = Severity.HIGH
            why = f" and gains {', '.join(sorted(reach))}"
        elif new_names & NETWORK:
            sev, why = None, ""
        else:
            sev, why = Severity.LOW, " (no network code uses it)"
        yield Evidence(f"{c.path} gains {', '.join(urls)}{why}", path=c.path, severity=sev)


# -- install-time code ------------------------------------------------------------------------


@rule(
    id="SCR015",
    name="install-script-runs-suspicious-code",
    severity=Severity.CRITICAL,
    confidence=Confidence.MEDIUM,
    cwe=506,
)
def install_script_runs_suspicious_code(release: Release) -> Iterator[Evidence]:
    """A file that an install script runs is obfuscated, downloads and runs code, or sends
    the environment over the network.

    ## What it does
    Analyses the files named by install-time commands and reports obfuscator signals,
    download-and-execute patterns (``curl | sh``, ``powershell -enc``, ``rundll32``), and
    environment serialisation together with a network capability.

    ## Why is this risky
    That is what install-time stealers and droppers look like (Shai-Hulud, nx 21.5.0,
    eslint-scope 3.7.2), in a first release as much as in an update.

    ## Example
    ``"postinstall": "node setup.js"`` where ``setup.js`` does
    ``fetch(url, {body: JSON.stringify(process.env)})``.
    """
    m = release.manifest
    for path in sorted(_install_files(m)):
        f = m.file(path)
        if f is None or f.content is None:
            continue
        names = _names(f.content)
        reasons = []
        if names & STRONG_OBFUSCATION:
            reasons.append("is obfuscated (" + ", ".join(sorted(names & STRONG_OBFUSCATION)) + ")")
        if names & SCRIPT_RED_FLAGS:
            reasons.append(
                "downloads or runs hidden commands ("
                + ", ".join(sorted(names & SCRIPT_RED_FLAGS))
                + ")"
            )
        if "env-serialize" in names and names & NETWORK:
            reasons.append("serialises process.env next to network access")
        if reasons:
            sev = None
            if release.diff is not None:
                change = release.diff.file(path)
                script_changed = any(
                    path in sc.runs_changed_files or (sc.new and path in script_files(sc.new))
                    for sc in release.diff.scripts
                )
                if change is None and not script_changed:
                    sev = Severity.MEDIUM  # long-standing: neither the file nor its script changed
            yield Evidence(
                f"{path}, run at install, " + " and ".join(reasons),
                path=path,
                line=_line(f.content, STRONG_OBFUSCATION | SCRIPT_RED_FLAGS),
                severity=sev,
            )


@rule(
    id="COD013",
    name="new-code-required",
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=506,
    needs_previous=True,
)
def new_code_required(release: Release) -> Iterator[Evidence]:
    """An existing file starts requiring a file that this release adds (*low*); *high* when the
    new file can run processes, serialise the environment, delete files, hook wallets, evaluate
    or compile code, loops forever, or is obfuscated.

    ## What it does
    Reads the ``require``/``import`` specifiers in the lines each modified file gains and
    resolves the relative ones against the files this release adds.

    ## Why is this risky
    The classic way to slip code in: a harmless-looking line in the entry point loads a new
    file (colors 1.4.1's infinite loop, node-ipc's ``ssl-geospec.js`` wiper, flatmap-stream's
    payload).

    ## Example
    ``index.js`` gains ``require('./lib/american-flag')`` and ``lib/american-flag.js`` is new.
    """
    d = _diff(release)
    added = {c.path: c for c in d.files if c.status in (ChangeStatus.ADDED, ChangeStatus.RENAMED)}
    if not added:
        return
    paths = set(added)
    for c in d.files:
        if c.text is None or not c.text.added_requires:
            continue
        for spec in c.text.added_requires:
            target = resolve_require(c.path, spec, paths)
            if target is None:
                continue
            f = added[target].new
            names = _names(f.content if f else None)
            # vm is common in build tools' helpers; everything else dangerous counts
            risky = names & (STRONG_OBFUSCATION | (DANGEROUS - {"vm"}))
            yield Evidence(
                f"{c.path} now requires {spec!r}, a file new in this release"
                + (f" that has {', '.join(sorted(risky))}" if risky else ""),
                path=target,
                # ordinary releases add modules all the time: only risky ones are loud
                severity=Severity.HIGH if risky else None,
            )
