"""`gateway policy ...` through `gateway.cli.main`."""

from __future__ import annotations

from pathlib import Path

import cedarpy
import pytest

from gateway.cli import main

CONFIG = Path(__file__).resolve().parents[3] / "config"


def test_check_reports_ok_with_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "check", str(CONFIG)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: ")
    assert "version sha256:" in out


def test_check_lists_every_problem_and_exits_1(
    config_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_copy / "policies" / "gi.toml"
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace('categories = ["health"]', 'categories = ["helth"]')
        .replace('legal_basis = "public_task"', 'legal_basis = "whim"', 1),
        encoding="utf-8",
    )
    assert main(["policy", "check", str(config_copy)]) == 1
    err = capsys.readouterr().err
    assert "2 problem(s)" in err
    assert "policies/gi.toml: rule 'gi-measure-execution-health': unknown category 'helth'" in err
    assert "policies/gi.toml: rule 'gi-measure-execution': unknown legal basis 'whim'" in err


def test_check_uses_the_environment_config_dir(
    config_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (config_copy / "policies" / "monitoring.toml").write_text("oops", encoding="utf-8")
    monkeypatch.setenv("GATEWAY_CONFIG_DIR", str(config_copy))
    assert main(["policy", "check"]) == 1
    assert "policies/monitoring.toml: invalid TOML" in capsys.readouterr().err


def test_explain_prints_decision_rule_basis_and_texts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        [
            "policy", "explain", "--config-dir", str(CONFIG),
            "--requester-type", "wijkteam", "--purpose", "support_planning",
            "--source-type", "gi", "--category", "school", "--age", "9",
            "--at", "2026-03-15T10:00:00+01:00",
        ]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("Decision: PERMIT (permitted)")
    assert "Rules: wijkteam-support-planning-school" in out
    assert "Consent: required, from subject" in out
    assert "NL: Toegestaan door regel wijkteam-support-planning-school." in out
    assert "EN: Permitted by rule" in out


def test_explain_shows_why_a_request_is_denied(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "policy", "explain", "--config-dir", str(CONFIG),
            "--requester-type", "rvt", "--purpose", "safety_assessment",
            "--source-type", "gi", "--category", "health", "--region", "utrecht",
            "--case-reference", "--at", "2026-03-15T10:00:00+01:00",
        ]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("Decision: DENY (outside_region)")
    assert "geldt alleen in utrecht-proeftuin" in out


def test_explain_rejects_unknown_terms_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "policy", "explain", "--config-dir", str(CONFIG), "--requester-type", "bakker",
            "--purpose", "support_planning", "--source-type", "gi", "--category", "school",
        ]
    )  # fmt: skip
    assert code == 2
    assert "unknown requester type 'bakker'" in capsys.readouterr().err


def test_register_prints_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "register", "--config-dir", str(CONFIG), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Register of processing activities (GDPR art. 30)")
    assert "| `acute-safety-break-the-glass` |" in out


def test_export_writes_cedar_files_that_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "cedar"
    assert main(["policy", "export", "--cedar", "--config-dir", str(CONFIG),
                 "--output", str(out_dir)]) == 0  # fmt: skip
    policies = (out_dir / "policies.cedar").read_text(encoding="utf-8")
    schema = (out_dir / "schema.cedarschema").read_text(encoding="utf-8")
    assert cedarpy.validate_policies(policies, schema).validation_passed
    assert (out_dir / "entities.json").is_file()
    assert "wrote policies.cedar" in capsys.readouterr().out
    assert main(["policy", "export", "--cedar", "--config-dir", str(CONFIG)]) == 0
    stdout = capsys.readouterr().out
    assert "// ---- schema (schema.cedarschema) ----" in stdout
    assert '@id("vt-reporter-identity-stays-in-vt")' in stdout
