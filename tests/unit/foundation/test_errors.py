"""The error catalogue: stable, unique codes; documented in ARCHITECTURE.md."""

from __future__ import annotations

from support import REPO

from gateway.errors import GatewayError, all_error_classes


def test_codes_are_unique() -> None:
    codes = [cls.code for cls in all_error_classes()]
    duplicated = {code for code in codes if codes.count(code) > 1}
    # GatewayError and InternalError share internal_error by design: the base is never raised.
    assert duplicated <= {"internal_error"}
    assert codes.count("internal_error") == 2


def test_every_code_has_a_client_error_or_server_status() -> None:
    for cls in all_error_classes():
        assert 400 <= cls.status <= 599, cls


def test_every_code_is_listed_in_architecture_md() -> None:
    text = (REPO / "ARCHITECTURE.md").read_text()
    missing = [cls.code for cls in all_error_classes() if f"`{cls.code}`" not in text]
    assert missing == []


def test_detail_defaults_to_title() -> None:
    error = GatewayError()
    assert error.detail == "Internal error"
