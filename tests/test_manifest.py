"""The typed manifest: scripts, bin, dependencies, bundled packages, shrinkwrap."""

from __future__ import annotations

import json

import pytest

import tarlens
from fixtures import tarcraft as tc
from tarlens import AnomalyKind, ScriptWhen, SourceType, SpecType
from tests.conftest import pack, pj


def load(tree: dict[str, bytes | tuple[bytes, int]]) -> tarlens.Manifest:
    return tarlens.load(pack(tree))


def kinds(m: tarlens.Manifest) -> set[AnomalyKind]:
    return {a.kind for a in m.anomalies}


def rule_ids(m: tarlens.Manifest) -> set[str]:
    return {f.rule_id for f in tarlens.check(m).findings}


def test_install_scripts_and_their_classes() -> None:
    m = load(
        {
            "package.json": pj(
                scripts={
                    "preinstall": "a",
                    "postinstall": "b",
                    "prepare": "c",
                    "test": "d",
                    "prepublishOnly": "e",
                }
            )
        }
    )
    when = {s.event: s.when for s in m.scripts}
    assert when == {
        "preinstall": ScriptWhen.INSTALL,
        "postinstall": ScriptWhen.INSTALL,
        "prepare": ScriptWhen.GIT_INSTALL,
        "test": ScriptWhen.NEVER,
        "prepublishOnly": ScriptWhen.NEVER,
    }
    assert [s.event for s in m.install_scripts] == ["preinstall", "postinstall"]
    assert {"SCR001", "SCR004"} <= rule_ids(m)


@pytest.mark.parametrize(
    ("fields", "implicit"),
    [
        ({}, True),
        ({"gypfile": False}, False),
        ({"scripts": {"install": "make"}}, False),
        ({"scripts": {"preinstall": "x"}}, False),
        ({"scripts": {"postinstall": "x"}}, True),
    ],
)
def test_binding_gyp_adds_node_gyp_rebuild(fields: dict[str, object], implicit: bool) -> None:
    m = load({"package.json": pj(**fields), "binding.gyp": b"{}"})
    gyp = [s for s in m.scripts if s.implicit and s.event == "install"]
    assert bool(gyp) is implicit
    if implicit:
        assert gyp[0].command == "node-gyp rebuild"
        assert "SCR002" in rule_ids(m)


def test_binding_gyp_below_the_root_does_not_count() -> None:
    m = load({"src/binding.gyp": b"{}"})
    assert not m.install_scripts


def test_non_string_scripts_are_dropped_like_npm() -> None:
    m = load({"package.json": pj(scripts={"postinstall": ["node", "x.js"], "test": "t"})})
    assert [s.event for s in m.scripts] == ["test"]
    assert AnomalyKind.INVALID_FIELD in kinds(m)


def test_script_that_runs_a_missing_file() -> None:
    m = load({"package.json": pj(scripts={"postinstall": "node ./dist/setup.js --quiet"})})
    assert "SCR005" in rule_ids(m)
    m = load(
        {"package.json": pj(scripts={"postinstall": "node ./dist/setup.js"}), "dist/setup.js": b""}
    )
    assert "SCR005" not in rule_ids(m)


@pytest.mark.parametrize(
    ("bin_field", "expected"),
    [
        ("cli.js", {"fixture-pkg": "cli.js"}),
        ({"a": "./cli.js"}, {"a": "cli.js"}),
        (["./cli.js"], {"cli.js": "cli.js"}),
        ({"../../usr/bin/node": "cli.js"}, {"node": "cli.js"}),
        ({"x": "../../etc/passwd"}, {"x": "etc/passwd"}),
        ({"x": 5}, {}),
    ],
)
def test_bin_is_normalised_like_npm(bin_field: object, expected: dict[str, str]) -> None:
    m = load({"package.json": pj(bin=bin_field), "cli.js": b"#!/usr/bin/env node\n"})
    assert {b.name: b.target for b in m.bin} == expected


def test_bin_targets_are_executable_and_missing_ones_reported() -> None:
    m = load({"package.json": pj(bin={"a": "lib/a.js", "gone": "lib/gone.js"}), "lib/a.js": b""})
    assert m.file("lib/a.js").mode == 0o755  # type: ignore[union-attr]
    assert "PKG005" in rule_ids(m)


def test_escaping_bin_is_reported() -> None:
    m = load({"package.json": pj(bin={"../../usr/bin/node": "cli.js"}), "cli.js": b""})
    assert "PKG006" in rule_ids(m)


def test_directories_bin_expands_to_the_files_in_it() -> None:
    m = load(
        {
            "package.json": pj(directories={"bin": "./tools"}),
            "tools/a.js": b"",
            "tools/sub/b.js": b"",
            "tools/.hidden": b"",
        }
    )
    assert {b.name: b.target for b in m.bin} == {
        "a.js": "tools/a.js",
        "sub": "tools/sub",
        "b.js": "tools/sub/b.js",
    }


def test_dependencies_are_classified_by_field() -> None:
    m = load(
        {
            "package.json": pj(
                dependencies={"a": "^1.0.0", "b": "github:o/r#v1", "c": "https://x.example/c.tgz"},
                optionalDependencies={"d": "file:../d"},
                peerDependencies={"e": "*", "f": "2.x"},
                peerDependenciesMeta={"f": {"optional": True}},
                devDependencies={"g": "git+ssh://git@github.com/o/g.git"},
                bundleDependencies=["a"],
            ),
            "node_modules/a/package.json": json.dumps({"name": "a", "version": "1.0.1"}).encode(),
        }
    )
    by_name = {d.name: d for d in m.dependencies}
    assert by_name["a"].spec.type is SpecType.RANGE and by_name["a"].bundled
    assert by_name["b"].spec.source is SourceType.GIT
    assert by_name["c"].spec.source is SourceType.REMOTE
    assert by_name["d"].spec.source is SourceType.DIRECTORY and by_name["d"].optional
    assert not by_name["e"].optional and by_name["f"].optional
    assert not by_name["g"].installed_by_consumers
    findings = {
        (f.rule_id, f.severity, f.message.split(" = ")[0])
        for f in tarlens.check(m).findings
        if f.rule_id == "DEP001"
    }
    assert findings == {
        ("DEP001", tarlens.Severity.MEDIUM, "dependencies.b"),
        ("DEP001", tarlens.Severity.MEDIUM, "dependencies.c"),
        ("DEP001", tarlens.Severity.HIGH, "optionalDependencies.d"),
    }


def test_invalid_specs_are_reported() -> None:
    m = load({"package.json": pj(dependencies={"x": "workspace:*", "y": "link:../y", "z": 3})})
    invalid = {d.name for d in m.dependencies if d.spec.type is SpecType.INVALID}
    assert invalid == {"x", "y", "z"}
    assert "DEP002" in rule_ids(m)


def test_overrides_are_listed_but_not_installed_by_consumers() -> None:
    m = load({"package.json": pj(overrides={"foo": "1.0.0", "bar@^2": {"baz": "github:o/b"}})})
    overrides = {d.name: d for d in m.dependencies if d.field == "overrides"}
    assert set(overrides) == {"foo", "bar@^2>baz"}
    assert overrides["bar@^2>baz"].spec.source is SourceType.GIT
    assert not any(d.installed_by_consumers for d in overrides.values())


DEEP = "node_modules/helper/node_modules/deep"


def test_bundled_packages_with_scripts_and_undeclared_modules() -> None:
    m = load(
        {
            "package.json": pj(bundleDependencies=["helper", "missing"]),
            "node_modules/helper/package.json": json.dumps(
                {"name": "helper", "version": "2.0.0", "scripts": {"postinstall": "node p.js"}}
            ).encode(),
            f"{DEEP}/package.json": b'{"name": "deep", "version": "1"}',
            f"{DEEP}/binding.gyp": b"{}",
            "node_modules/sneaky/package.json": b'{"name": "sneaky", "version": "1.0.0"}',
            "node_modules/@s/broken/package.json": b"{",
        }
    )
    by_path = {b.path: b for b in m.bundled}
    assert by_path["node_modules/helper"].declared
    assert [s.event for s in by_path["node_modules/helper"].scripts] == ["postinstall"]
    deep = by_path["node_modules/helper/node_modules/deep"]
    assert deep.declared and [s.command for s in deep.scripts] == ["node-gyp rebuild"]
    assert not by_path["node_modules/sneaky"].declared
    assert by_path["node_modules/@s/broken"].error
    assert {
        AnomalyKind.BUNDLED_MISSING,
        AnomalyKind.UNDECLARED_NODE_MODULES,
        AnomalyKind.NESTED_MANIFEST_UNREADABLE,
    } <= kinds(m)
    assert {"SCR003", "PKG007", "PKG008", "PKG009"} <= rule_ids(m)


@pytest.mark.parametrize("bundle_field", ["bundledDependencies", "bundleDependencies"])
def test_bundle_field_spellings_and_true(bundle_field: str) -> None:
    m = load(
        {
            "package.json": pj(dependencies={"a": "1"}, **{bundle_field: True}),
            "node_modules/a/package.json": b'{"name": "a", "version": "1.0.0"}',
        }
    )
    assert [b.declared for b in m.bundled] == [True]


def test_shrinkwrap_v3_and_v1_sources() -> None:
    v3 = {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "fixture-pkg"},
            "node_modules/ok": {
                "version": "1.0.0",
                "resolved": "https://registry.npmjs.org/ok/-/ok-1.0.0.tgz",
            },
            "node_modules/git": {
                "version": "1.0.0",
                "resolved": "git+ssh://git@github.com/o/git.git#abc",
            },
            "node_modules/remote": {
                "version": "1.0.0",
                "resolved": "https://evil.example/r.tgz",
                "hasInstallScript": True,
            },
            "node_modules/linked": {"link": True, "resolved": "../linked"},
        },
    }
    m = load({"npm-shrinkwrap.json": json.dumps(v3).encode()})
    assert m.shrinkwrap is not None and m.shrinkwrap.lockfile_version == 3
    sources = {e.path: e.source for e in m.shrinkwrap.entries}
    assert sources == {
        "node_modules/ok": SourceType.REGISTRY,
        "node_modules/git": SourceType.GIT,
        "node_modules/remote": SourceType.REMOTE,
        "node_modules/linked": SourceType.DIRECTORY,
    }
    assert "DEP003" in rule_ids(m)
    v1 = {
        "lockfileVersion": 1,
        "dependencies": {
            "a": {
                "version": "github:o/a#abc",
                "dependencies": {
                    "b": {
                        "version": "1.0.0",
                        "resolved": "https://registry.npmjs.org/b/-/b-1.0.0.tgz",
                    }
                },
            }
        },
    }
    m = load({"npm-shrinkwrap.json": json.dumps(v1).encode()})
    assert m.shrinkwrap is not None
    assert {e.path: e.source for e in m.shrinkwrap.entries} == {
        "node_modules/a": SourceType.GIT,
        "node_modules/a/node_modules/b": SourceType.REGISTRY,
    }


def test_unreadable_shrinkwrap_is_a_finding_not_an_error() -> None:
    m = load({"npm-shrinkwrap.json": b"{"})
    assert m.shrinkwrap is not None and not m.shrinkwrap.entries
    assert "PKG010" in rule_ids(m)


def test_missing_name_and_version_are_findings() -> None:
    m = tarlens.load(tc.gzip(tc.file("package/package.json", b"{}") + tc.end()))
    assert (m.name, m.version) == (None, None)
    assert "PKG004" in rule_ids(m)


def test_duplicate_keys_deep_in_package_json() -> None:
    body = b'{"name": "a", "version": "1.0.0", "dependencies": {"x": "1", "x": "github:o/x"}}'
    m = tarlens.load(tc.gzip(tc.file("package/package.json", body) + tc.end()))
    (dup,) = [f for f in tarlens.check(m).findings if f.rule_id == "PKG001"]
    assert dup.severity is tarlens.Severity.HIGH
    assert "/dependencies/x" in dup.message
    assert [d.spec.raw for d in m.dependencies] == ["github:o/x"]


def test_manifest_is_frozen() -> None:
    m = load({})
    with pytest.raises(AttributeError):
        m.name = "other"  # type: ignore[misc]


def test_hoisted_dependencies_of_bundled_packages_are_declared() -> None:
    m = load(
        {
            "package.json": pj(bundleDependencies=["a"]),
            "node_modules/a/package.json": b'{"name": "a", "version": "1.0.0",'
            b' "dependencies": {"b": "^1"}}',
            "node_modules/b/package.json": b'{"name": "b", "version": "1.0.0",'
            b' "optionalDependencies": {"c": "^1"}}',
            "node_modules/c/package.json": b'{"name": "c", "version": "1.0.0"}',
            "node_modules/d/package.json": b'{"name": "d", "version": "1.0.0"}',
        }
    )
    assert {b.name: b.declared for b in m.bundled} == {"a": True, "b": True, "c": True, "d": False}
    (undeclared,) = [a for a in m.anomalies if a.kind is AnomalyKind.UNDECLARED_NODE_MODULES]
    assert undeclared.path == "node_modules/d"
