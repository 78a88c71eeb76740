"""Configuration: selection, severity overrides, allowlists, policy, suppression baseline."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import tarlens
from tarlens import Allow, Baseline, Config, Policy
from tarlens._cli import main
from tarlens._config import config_from_mapping
from tests.conftest import pack, pj

STAGED = (
    Path(__file__).resolve().parent.parent / "fixtures" / "examples" / "greeter-1.4.1-staged.tgz"
)


def ids(report: tarlens.Report) -> set[str]:
    return {f.rule_id for f in report.findings}


def test_pyproject_and_tarlens_toml_are_found_upwards(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.tarlens]\nignore = ["SCR"]\nfail-on = "medium"\n'
    )
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    config = tarlens.load_config(start=sub)
    assert config.ignore == ("SCR",) and config.fail_on == "medium"
    (sub / "tarlens.toml").write_text('select = ["ARC"]\n')
    assert tarlens.load_config(start=sub).select == ("ARC",)


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"selekt": ["ARC"]}, "selekt"),
        ({"ignore": "ARC"}, "ignore"),
        ({"severity": {"SCR001": "urgent"}}, "severity.SCR001"),
        ({"policy": {"allow-git": "maybe"}}, "policy.allow-git"),
        ({"policy": {"allow-ftp": "none"}}, "policy.allow-ftp"),
        ({"fail-on": "bad"}, "fail-on"),
        ({"allow": {"ARC001": "dist/**"}}, "allow.ARC001"),
    ],
)
def test_bad_configuration_names_the_key(table: dict[str, object], key: str) -> None:
    with pytest.raises(tarlens.ConfigError) as info:
        config_from_mapping(table)
    assert info.value.key == key


def test_severity_override_and_path_allowlist() -> None:
    m = tarlens.load(STAGED)
    config = Config(severity={"lone-zero-block": "low"}, allow={"DEP001": ["package.json"]})
    report = tarlens.check(m, config=config)
    by_id = {f.rule_id: f for f in report.findings}
    assert by_id["ARC014"].severity is tarlens.Severity.LOW
    assert "DEP001" not in by_id
    assert [(f.rule_id, why) for f, why in report.suppressed] == [
        ("DEP001", "path allowed by the configuration")
    ]


def test_policy_presets_and_root_semantics() -> None:
    m = tarlens.load(
        pack(
            {
                "package.json": pj(
                    dependencies={"a": "github:o/a"},
                    optionalDependencies={"b": "https://x.example/b.tgz"},
                    devDependencies={"c": "github:o/c"},
                )
            }
        )
    )
    assert "POL001" not in ids(tarlens.check(m))
    npm12 = tarlens.check(m, config=Config(policy=Policy.npm12()))
    messages = [f.message for f in npm12.findings if f.rule_id == "POL001"]
    assert len(messages) == 2  # devDependencies are not installed by consumers
    assert any("refuses to install" in msg for msg in messages)
    assert any("drops it silently" in msg for msg in messages)
    root = tarlens.check(m, config=Config(policy=Policy(allow_git=Allow.ROOT)))
    assert [f.message.split(" = ")[0] for f in root.findings if f.rule_id == "POL001"] == [
        "dependencies.a"
    ]


def test_baseline_suppresses_until_the_file_changes_or_it_expires() -> None:
    meta = pj(scripts={"postinstall": "node i.js"})
    first = tarlens.load(pack({"package.json": meta, "i.js": b""}))
    (finding,) = [f for f in tarlens.check(first).findings if f.rule_id == "SCR001"]
    baseline = Baseline.from_json(
        json.dumps(
            {
                "tarlens_baseline": 1,
                "suppressions": [
                    {
                        "rule": "SCR001",
                        "path": "package.json",
                        "fingerprint": finding.fingerprint,
                        "reason": "esbuild-style binary download, reviewed",
                        "expires": "2030-01-01",
                    }
                ],
            }
        )
    )
    config = Config(baseline=baseline)
    report = tarlens.check(first, config=config, today=dt.date(2029, 1, 1))
    assert "SCR001" not in ids(report)
    assert report.suppressed[0][1] == "baseline: esbuild-style binary download, reviewed"
    assert "SCR001" in ids(tarlens.check(first, config=config, today=dt.date(2030, 1, 2)))
    changed = tarlens.load(
        pack(
            {"package.json": pj(scripts={"postinstall": "node i.js"}, description="x"), "i.js": b""}
        )
    )
    assert "SCR001" in ids(tarlens.check(changed, config=config, today=dt.date(2029, 1, 1)))


def test_baseline_file_errors_name_the_key() -> None:
    with pytest.raises(tarlens.ConfigError, match="expires"):
        Baseline.from_json(
            '{"tarlens_baseline": 1, "suppressions": [{"rule": "A", '
            '"fingerprint": "f", "reason": "r", "expires": "soon"}]}'
        )
    with pytest.raises(tarlens.ConfigError, match="not a tarlens baseline"):
        Baseline.from_json("{}")


def test_cli_baseline_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline", str(STAGED), "--reason", "accepted in review #12"]) == 0
    path = tmp_path / "baseline.json"
    path.write_text(capsys.readouterr().out)
    accepted = len(json.loads(path.read_text())["suppressions"])
    assert accepted >= 3
    assert main(["inspect", str(STAGED), "--baseline", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{accepted} suppressed" in out


def test_cli_policy_and_severity_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(STAGED), "--policy", "npm12", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert "POL001" in {f["rule_id"] for f in doc["findings"]}
    flags = ["--severity", "ARC014=low", "--severity", "DEP001=medium"]
    flags += ["--severity", "install-script-runs-suspicious-code=medium"]
    assert main(["inspect", str(STAGED), *flags]) == 0
    capsys.readouterr()
    assert main(["inspect", str(STAGED), "--severity", "ARC014"]) == 2


def test_cli_reads_the_project_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tarlens.toml").write_text('ignore = ["ARC014", "DEP001", "SCR015"]\n')
    monkeypatch.chdir(tmp_path)
    assert main(["inspect", str(STAGED)]) == 0
    (tmp_path / "tarlens.toml").write_text('ignore = "ARC014"\n')
    assert main(["inspect", str(STAGED)]) == 2
    assert "ignore" in capsys.readouterr().err
