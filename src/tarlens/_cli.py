"""The ``tarlens`` command. Exit status: 0 no finding at or above ``--fail-on``, 1 there are,
2 the input could not be read (one line on stderr starting ``tarlens:``). ``scan`` exits 2
when any tarball could not be read, after writing every tarball's line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from tarlens import __version__

if TYPE_CHECKING:
    from tarlens._config import Config
    from tarlens._engine import Report
    from tarlens._limits import Limits

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

_SEVERITIES = ["info", "low", "medium", "high", "critical", "none"]
_LIMIT_FLAGS = {
    "max_input_bytes": "compressed bytes read",
    "max_tar_bytes": "uncompressed tar bytes",
    "max_file_bytes": "bytes of any one installed file",
    "max_entries": "tar headers",
    "max_path_bytes": "bytes of paths and link targets the tar headers name",
    "max_directories": "directories the installed paths create",
    "max_pax_records": "records of the extended (PAX) headers",
    "max_package_json_bytes": "bytes of a package.json or npm-shrinkwrap.json",
    "max_json_depth": "nesting depth of those JSON files",
    "max_json_values": "values in one of those JSON files",
    "max_bundled_manifests": "bundled package.json files parsed",
    "max_kept_bytes": "bytes of bundled package.json and secret-looking files kept",
    "max_scanned_bytes": "bytes of code the signal scan reads in one tarball",
    "max_signals": "code signals kept for one tarball",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_ERROR, f"tarlens: error: {message}\n")


def _common(
    p: argparse.ArgumentParser, formats: Sequence[str] = ("text", "json", "sarif", "markdown")
) -> None:
    p.add_argument("--format", choices=formats, default="text")
    p.add_argument(
        "--fail-on",
        choices=_SEVERITIES,
        default=None,
        help="exit 1 when a finding is at least this severe (default: high, or the "
        "configuration's fail-on)",
    )
    p.add_argument(
        "--select",
        action="append",
        default=None,
        metavar="RULE",
        help="run only these rules (id, id prefix or name; repeatable)",
    )
    p.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="RULE",
        help="skip these rules (id, id prefix or name; repeatable)",
    )
    p.add_argument(
        "--signals",
        choices=["attention", "all"],
        default="attention",
        help="which code files to scan for signals: the entry points, install-time files and "
        "(in a diff) changed files, or every one (slower on big packages)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="explain errors in detail")
    cfg = p.add_argument_group("configuration (flags add to the project's configuration)")
    cfg.add_argument(
        "--config",
        metavar="FILE",
        help="tarlens.toml or pyproject.toml to read (default: look in the current "
        "directory and its parents)",
    )
    cfg.add_argument(
        "--severity",
        action="append",
        default=[],
        metavar="RULE=LEVEL",
        help="override a rule's severity (repeatable)",
    )
    cfg.add_argument("--baseline", metavar="FILE", help="suppress the findings it accepts")
    cfg.add_argument(
        "--policy",
        choices=["npm11", "npm12"],
        help="install-source policy preset (npm12: allow-git=none, allow-remote=none)",
    )
    for source in ("git", "remote", "file", "directory"):
        cfg.add_argument(
            f"--allow-{source}",
            choices=["all", "none", "root"],
            help=f"like npm's --allow-{source}",
        )
    limits = p.add_argument_group("limits (the input is refused beyond them)")
    for name, what in _LIMIT_FLAGS.items():
        limits.add_argument(
            "--" + name.replace("_", "-"),
            type=int,
            default=None,
            metavar="N",
            help=f"maximum {what}",
        )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="tarlens",
        description="See what is in an npm release tarball, as npm "
        "would install it, before you approve a staged publish.",
    )
    p.add_argument("--version", action="version", version=f"tarlens {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ins = sub.add_parser("inspect", help="describe one tarball and report its findings")
    ins.add_argument("tarball", help="path to the .tgz (use - for standard input)")
    _common(ins)

    dif = sub.add_parser(
        "diff", help="what changed between two releases (the published one and the staged one)"
    )
    dif.add_argument("old", help="the previous release's .tgz")
    dif.add_argument("new", help="the release under review (e.g. from `npm stage download`)")
    _common(dif)

    rev = sub.add_parser(
        "review",
        help="review a staged tarball against the published release: verify it, download "
        "and verify the release to compare with, diff, check (the one network command)",
    )
    rev.add_argument("staged", help="the staged .tgz (from `npm stage download`)")
    rev.add_argument(
        "--against",
        default="latest",
        metavar="latest|previous|VERSION|TAG|OLD.tgz",
        help="what to compare with: a dist-tag (default: latest), `previous` (the highest "
        "published version below the staged one), a version, or a local tarball (offline)",
    )
    expect = rev.add_mutually_exclusive_group()
    expect.add_argument(
        "--expect-shasum",
        metavar="SHA1",
        help="the shasum `npm stage view` printed; any other bytes are refused (exit 2)",
    )
    expect.add_argument(
        "--expect-integrity",
        metavar="SRI",
        help="the integrity `npm stage download` printed; any other bytes are refused",
    )
    net = rev.add_argument_group("registry (default: npm's configuration)")
    net.add_argument("--registry", metavar="URL", help="the registry, like npm's --registry")
    net.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="verified tarballs are kept here (default: $TARLENS_CACHE_DIR, "
        "$XDG_CACHE_HOME/tarlens or ~/.cache/tarlens)",
    )
    net.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    net.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="per request (default 30)"
    )
    net.add_argument(
        "--max-dependency-lookups",
        type=int,
        default=20,
        metavar="N",
        help="read the packuments of at most N new dependencies (default 20)",
    )
    _common(rev)

    base = sub.add_parser(
        "baseline",
        help="accept the current findings: write a suppression baseline (JSON) to stdout",
    )
    base.add_argument("tarballs", nargs="+", metavar="TGZ", help="NEW, or OLD NEW to diff")
    base.add_argument("--reason", required=True, help="why these findings are accepted")
    base.add_argument("--expires", metavar="YYYY-MM-DD", help="when the acceptance lapses")
    base.add_argument(
        "--min-severity",
        choices=_SEVERITIES[:-1],
        default="info",
        help="accept only findings at least this severe",
    )
    _common(base)

    scan = sub.add_parser(
        "scan",
        help="scan many tarballs on every core: one line (or JSON object) per tarball and a "
        "summary",
    )
    scan.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a tarball, or a directory to walk for *.tgz, *.tar.gz and *.tar (recursively, "
        "sorted, symbolic links not followed)",
    )
    scan.add_argument(
        "--workers",
        "-j",
        type=_positive,
        default=None,
        metavar="N",
        help="worker processes (default: the CPUs available); 1 reads every tarball in this "
        "process",
    )
    scan.add_argument(
        "--no-progress",
        action="store_true",
        help="never draw the progress bar (drawn on stderr only when it is a terminal)",
    )
    _common(scan, formats=("text", "jsonl"))

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=["text", "json"], default="text")

    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("rule", help="rule id or name")
    return p


def _color() -> bool:
    import os  # noqa: PLC0415

    from tarlens._render import use_color  # noqa: PLC0415

    return use_color(sys.stdout, os.environ)


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _limits(args: argparse.Namespace) -> Limits:
    from tarlens._limits import Limits  # noqa: PLC0415 - keep start-up fast

    overrides = {n: getattr(args, n) for n in _LIMIT_FLAGS if getattr(args, n) is not None}
    return Limits(**overrides)


def _config(args: argparse.Namespace) -> Config:
    from tarlens._config import Allow, Baseline, load_config, parse_policy  # noqa: PLC0415
    from tarlens._errors import ConfigError  # noqa: PLC0415

    config = load_config(args.config)
    severity = dict(config.severity)
    for item in args.severity:
        key, sep, level = item.partition("=")
        if not sep or level not in ("info", "low", "medium", "high", "critical"):
            raise ConfigError("--severity", f"{item!r} is not RULE=info|low|medium|high|critical")
        severity[key] = level
    policy = parse_policy(args.policy, "--policy") if args.policy else config.policy
    changes = {
        f"allow_{s}": Allow(getattr(args, f"allow_{s}"))
        for s in ("git", "remote", "file", "directory")
        if getattr(args, f"allow_{s}") is not None
    }
    policy = attrs.evolve(policy, **changes)
    baseline = Baseline.from_file(args.baseline) if args.baseline else config.baseline
    fail_on = args.fail_on if args.fail_on is not None else config.fail_on
    args.fail_on = fail_on
    return attrs.evolve(
        config, severity=severity, policy=policy, baseline=baseline, fail_on=fail_on
    )


def _verdict(args: argparse.Namespace, report: Report) -> int:
    from tarlens._analysis import magic_notice  # noqa: PLC0415
    from tarlens._engine import Severity  # noqa: PLC0415

    notice = magic_notice()
    if notice:
        print(f"tarlens: notice: {notice}", file=sys.stderr)
    for e in report.errors:
        print(f"tarlens: warning: rule {e.rule_id} crashed: {e.message}", file=sys.stderr)
    if args.fail_on == "none":
        return EXIT_OK
    failed = bool(report.at_least(Severity.parse(args.fail_on))) or bool(report.errors)
    return EXIT_FINDINGS if failed else EXIT_OK


def _inspect(args: argparse.Namespace) -> int:
    from tarlens._engine import check  # noqa: PLC0415
    from tarlens._reader import load  # noqa: PLC0415
    from tarlens._render import inspect_text, manifest_to_dict, to_json  # noqa: PLC0415

    source = sys.stdin.buffer if args.tarball == "-" else args.tarball
    config = _config(args)
    manifest = load(source, limits=_limits(args), signals=args.signals)
    report = check(manifest, select=args.select, ignore=args.ignore, config=config)
    if args.format == "json":
        _write(to_json(manifest_to_dict(manifest, report)))
    elif args.format == "sarif":
        from tarlens._sarif import report_to_sarif  # noqa: PLC0415

        _write(report_to_sarif(report, manifest=manifest))
    elif args.format == "markdown":
        from tarlens._markdown import approval_note  # noqa: PLC0415

        _write(approval_note(report, manifest=manifest, fail_on=args.fail_on))
    else:
        _write(inspect_text(manifest, report, color=_color()))
    return _verdict(args, report)


def _diff(args: argparse.Namespace) -> int:
    from tarlens._diff import diff  # noqa: PLC0415
    from tarlens._engine import check  # noqa: PLC0415
    from tarlens._render import diff_text, diff_to_dict, to_json  # noqa: PLC0415

    config = _config(args)
    changes = diff(args.old, args.new, limits=_limits(args), signals=args.signals)
    report = check(changes.new, diff=changes, select=args.select, ignore=args.ignore, config=config)
    if args.format == "json":
        _write(to_json(diff_to_dict(changes, report)))
    elif args.format == "sarif":
        from tarlens._sarif import report_to_sarif  # noqa: PLC0415

        _write(report_to_sarif(report, manifest=changes.new, diff=changes))
    elif args.format == "markdown":
        from tarlens._markdown import approval_note  # noqa: PLC0415

        _write(approval_note(report, manifest=changes.new, diff=changes, fail_on=args.fail_on))
    else:
        _write(diff_text(changes, report, color=_color()))
    return _verdict(args, report)


def _review(args: argparse.Namespace) -> int:
    import re  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    from tarlens._engine import check  # noqa: PLC0415
    from tarlens._errors import ConfigError  # noqa: PLC0415
    from tarlens._render import to_json  # noqa: PLC0415
    from tarlens._review import is_path, review, review_lines, review_to_dict  # noqa: PLC0415

    if args.expect_shasum is not None and not re.fullmatch(r"[0-9a-fA-F]{40}", args.expect_shasum):
        raise ConfigError(
            "--expect-shasum", "is not 40 hex digits (the shasum npm stage view prints)"
        )
    config = _config(args)
    registry = None
    if not is_path(args.against):
        from tarlens.registry import Registry, RegistryConfig, default_cache_dir  # noqa: PLC0415

        cache = None if args.no_cache else Path(args.cache_dir or default_cache_dir())
        registry = Registry(
            RegistryConfig.from_environment(
                registry=args.registry, timeout=args.timeout, cache_dir=cache
            )
        )
    r = review(
        args.staged,
        against=args.against,
        expect_shasum=args.expect_shasum,
        expect_integrity=args.expect_integrity,
        registry=registry,
        limits=_limits(args),
        signals=args.signals,
        max_dependency_lookups=args.max_dependency_lookups,
    )
    report = check(
        r.manifest,
        diff=r.diff,
        select=args.select,
        ignore=args.ignore,
        config=config,
        registry=r.registry,
    )
    lines = review_lines(r)
    if args.format == "json":
        from tarlens._render import diff_to_dict, manifest_to_dict  # noqa: PLC0415

        if r.diff is not None and r.against is not None:
            doc = diff_to_dict(r.diff, report)
            doc["old"]["from"] = r.against.location
        else:
            doc = manifest_to_dict(r.manifest, report)
        doc["review"] = review_to_dict(r)
        _write(to_json(doc))
    elif args.format == "sarif":
        from tarlens._sarif import report_to_sarif  # noqa: PLC0415

        _write(report_to_sarif(report, manifest=r.manifest, diff=r.diff))
    elif args.format == "markdown":
        from tarlens._markdown import approval_note  # noqa: PLC0415

        _write(
            approval_note(
                report, manifest=r.manifest, diff=r.diff, fail_on=args.fail_on, notes=lines
            )
        )
    else:
        from tarlens._render import diff_text, inspect_text, safe  # noqa: PLC0415

        head = "".join(f"review  {safe(line)}\n" for line in lines) + "\n"
        body = (
            diff_text(r.diff, report, color=_color())
            if r.diff is not None
            else inspect_text(r.manifest, report, color=_color())
        )
        _write(head + body)
    return _verdict(args, report)


def _baseline(args: argparse.Namespace) -> int:
    import datetime as dt  # noqa: PLC0415

    from tarlens._config import Baseline, Suppression  # noqa: PLC0415
    from tarlens._diff import diff  # noqa: PLC0415
    from tarlens._engine import Severity, check  # noqa: PLC0415
    from tarlens._errors import ConfigError  # noqa: PLC0415
    from tarlens._reader import load  # noqa: PLC0415

    if len(args.tarballs) > 2:
        raise ConfigError("baseline", "give NEW, or OLD NEW")
    expires = None
    if args.expires:
        try:
            expires = dt.date.fromisoformat(args.expires)
        except ValueError:
            raise ConfigError("--expires", f"{args.expires!r} is not a date") from None
    config = attrs.evolve(_config(args), baseline=None)
    if len(args.tarballs) == 2:
        changes = diff(*args.tarballs, limits=_limits(args), signals=args.signals)
        report = check(changes.new, diff=changes, config=config)
    else:
        manifest = load(args.tarballs[0], limits=_limits(args), signals=args.signals)
        report = check(manifest, config=config)
    floor = Severity.parse(args.min_severity)
    accepted = tuple(
        Suppression(f.rule_id, f.path, f.fingerprint, args.reason, expires)
        for f in report.findings
        if f.severity >= floor
    )
    _write(Baseline(accepted).to_json())
    return EXIT_OK


class _Progress:
    """A one-line progress bar on stderr, redrawn at most ten times a second; a no-op unless
    it is switched on (the CLI does so only when stderr is a terminal)."""

    def __init__(self, total: int, *, on: bool) -> None:
        import time  # noqa: PLC0415

        self.total, self.on, self.done = total, on, 0
        self.clock = time.monotonic
        self.start = self.last = self.clock()

    def step(self, _result: object) -> None:
        self.done += 1
        if self.on and (self.done == self.total or self.clock() - self.last >= 0.1):
            self.draw()

    def draw(self) -> None:
        if not self.on:
            return
        self.last = self.clock()
        width = 30
        filled = width * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(
            f"\r\x1b[Kscanning [{bar}] {self.done}/{self.total} {self.last - self.start:.1f} s"
        )
        sys.stderr.flush()

    def clear(self) -> None:
        if self.on:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _scan(args: argparse.Namespace) -> int:
    import time  # noqa: PLC0415

    from tarlens._analysis import magic_notice  # noqa: PLC0415
    from tarlens._engine import Severity  # noqa: PLC0415
    from tarlens._errors import InputError  # noqa: PLC0415
    from tarlens._render import (  # noqa: PLC0415
        safe,
        scan_line_text,
        scan_result_to_dict,
        scan_summary_text,
        to_json_line,
    )
    from tarlens._scan import ScanSummary, effective_workers, find_tarballs, start  # noqa: PLC0415

    began = time.monotonic()
    config = _config(args)
    tarballs = find_tarballs(args.paths)
    if not tarballs:
        raise InputError(" ".join(args.paths), "no *.tgz, *.tar.gz or *.tar files there")
    fail_on = None if args.fail_on == "none" else Severity.parse(args.fail_on)
    workers = effective_workers(args.workers, len(tarballs))
    progress = _Progress(len(tarballs), on=sys.stderr.isatty() and not args.no_progress)
    color = _color() and args.format == "text"
    summary = ScanSummary(fail_on=fail_on)
    results = start(
        tarballs,
        workers=workers,
        limits=_limits(args),
        config=config,
        select=args.select,
        ignore=args.ignore,
        signals=args.signals,
        on_result=progress.step,
    )
    for result in results:
        summary = summary.add(result)
        progress.clear()
        if args.format == "jsonl":
            _write(to_json_line(scan_result_to_dict(result)))
        else:
            _write(scan_line_text(result, fail_on, color=color))
        for e in result.rule_errors:
            print(
                f"tarlens: warning: {safe(result.path)}: rule {e.rule_id} crashed: "
                f"{safe(e.message)}",
                file=sys.stderr,
            )
        progress.draw()
    progress.clear()
    notice = magic_notice()
    if notice:
        print(f"tarlens: notice: {notice}", file=sys.stderr)
    text = scan_summary_text(summary, seconds=time.monotonic() - began, workers=workers)
    if args.format == "jsonl":  # stdout stays exactly one JSON object per tarball
        sys.stderr.write("".join(f"tarlens: {line}\n" for line in text.splitlines()))
    else:
        _write(text)
    if summary.unreadable:
        return EXIT_ERROR
    return EXIT_FINDINGS if summary.failed else EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    from tarlens._engine import all_rules  # noqa: PLC0415
    from tarlens._render import rules_json, rules_text  # noqa: PLC0415

    _write(rules_json(all_rules()) if args.format == "json" else rules_text(all_rules()))
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    from tarlens._engine import get_rule  # noqa: PLC0415
    from tarlens._render import explain_text  # noqa: PLC0415

    _write(explain_text(get_rule(args.rule)))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tarlens`` command."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    args = _parser().parse_args(argv)
    from tarlens._errors import TarlensError  # noqa: PLC0415

    try:
        if args.command == "inspect":
            return _inspect(args)
        if args.command == "diff":
            return _diff(args)
        if args.command == "review":
            return _review(args)
        if args.command == "baseline":
            return _baseline(args)
        if args.command == "scan":
            return _scan(args)
        if args.command == "rules":
            return _rules(args)
        return _explain(args)
    except TarlensError as exc:
        print(f"tarlens: error: {exc}", file=sys.stderr)
        if getattr(args, "verbose", False):
            print(exc.diagnostics(), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("tarlens: error: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - never a traceback on hostile input
        print(
            f"tarlens: error: internal error ({type(exc).__name__}: {exc}); this is a bug "
            "in tarlens, please report it with the input",
            file=sys.stderr,
        )
        if getattr(args, "verbose", False):
            import traceback  # noqa: PLC0415

            traceback.print_exc()
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
