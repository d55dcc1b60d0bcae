"""One typed, frozen settings object, read once at start-up.

Precedence: environment (`GATEWAY_*`) → `config/gateway.toml` → safe defaults.
No default weakens security; a bad value stops start-up with a `SettingsError`
naming the setting (the CLI turns it into one line and exit code 2).

Longer than most modules because every setting, its parser and its check are here:
one place to read what can be configured.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from gateway.errors import SettingsError

__all__ = ["Settings"]

T = TypeVar("T")

_SUPPORTED_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    config_dir: Path
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8080
    audience: str = "jeugd-gateway"
    public_url: str = ""
    body_limit: int = 1024 * 1024
    behind_tls: bool = False
    log_format: str = "auto"  # auto | json | console
    log_level: str = "info"
    demo_mode: bool = False
    token_leeway_seconds: int = 10
    token_max_lifetime_seconds: int = 300
    source_timeout_seconds: float = 2.0
    exchange_deadline_seconds: float = 5.0
    max_categories: int = 50
    audit_checkpoint_every: int = 1000
    audit_checkpoint_seconds: float = 60.0
    db_pool_size: int = 20
    event_loop: str = "auto"  # auto (uvloop if installed) | uvloop | asyncio
    # The custody register (BRP gezag API; the demo's reference register by default) and
    # how long a confirmed custody relation counts before it is re-read at decision time.
    custody_register_url: str = "http://127.0.0.1:8106"
    custody_register_timeout_seconds: float = 2.0
    custody_freshness_seconds: int = 900
    # A request head (request line and headers) must arrive whole within this many
    # seconds of its first byte, or the connection is closed (slowloris).
    header_timeout_seconds: float = 10.0
    # A JSON body must arrive whole within this many seconds once its head has (slow POST).
    body_timeout_seconds: float = 30.0
    # TLS served by the gateway itself (else a TLS proxy in front, see `behind_tls`).
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # Mutual TLS: client certificates must chain to this CA bundle, and each request's
    # certificate must be one its token's issuer pinned (`client_cert_sha256`).
    tls_client_ca_file: Path | None = None
    # The household portal's login: an OpenID provider (in practice a broker in front of
    # DigiD) that returns the BSN as a claim. No issuer: no login (`/login/start` says so).
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret_file: Path | None = None  # the secret itself never in env or config
    oidc_redirect_url: str = ""  # default: <base_url>/oidc/callback
    oidc_bsn_claim: str = "bsn"
    oidc_timeout_seconds: float = 5.0
    # Portal sessions: closed after this long without a request, and this long after login.
    session_idle_seconds: int = 900
    session_absolute_seconds: int = 43_200
    # The privacy-officer console (/fg): its OIDC callback, its sessions, and how often
    # the whole chain may be re-verified (per officer, and by all of them together).
    officer_oidc_redirect_url: str = ""  # default: <base_url>/fg/oidc/callback
    officer_session_idle_seconds: int = 900
    officer_session_absolute_seconds: int = 28_800
    officer_verify_per_minute: int = 3
    verify_per_minute: int = 20
    # A break-the-glass use not reviewed this many days after it is overdue (it stands out).
    break_glass_review_days: int = 7
    # Who answers integrators' questions: `info.contact` of the OpenAPI document.
    api_contact_email: str = ""
    api_contact_url: str = ""  # default: the gateway's base URL
    # Prometheus metrics (`GET /metrics`) on their own port; 0 turns them off. Bound to
    # 127.0.0.1 unless a host is set, and then only with a bearer token (read from a file).
    # With `--workers N`, worker i listens on metrics_port + i.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9464
    metrics_token_file: Path | None = None
    # Organisations' `jwks_uri`: refreshed after Cache-Control max-age within these
    # bounds; a key from it counts at most this long after the last good fetch; an
    # unknown `kid` refetches at most once per interval per organisation.
    jwks_refresh_min_seconds: float = 60.0
    jwks_refresh_max_seconds: float = 3600.0
    jwks_max_staleness_seconds: float = 86_400.0
    jwks_timeout_seconds: float = 3.0
    jwks_unknown_kid_interval_seconds: float = 60.0

    @property
    def mutual_tls(self) -> bool:
        return self.tls_client_ca_file is not None

    @property
    def https(self) -> bool:
        """Clients reach the gateway over TLS (a proxy in front, or served here)."""
        return self.behind_tls or self.tls_cert_file is not None

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def base_url(self) -> str:
        """Where clients reach this gateway (issuer of its own tokens, JWKS location)."""
        scheme = "https" if self.tls_cert_file is not None else "http"
        return self.public_url or f"{scheme}://{self.host}:{self.port}"

    @property
    def oidc_callback_url(self) -> str:
        return self.oidc_redirect_url or f"{self.base_url}/oidc/callback"

    @property
    def officer_oidc_callback_url(self) -> str:
        return self.officer_oidc_redirect_url or f"{self.base_url}/fg/oidc/callback"

    def oidc_client_secret(self) -> str:
        """The client secret, read from its file (raises SettingsError if unreadable)."""
        if self.oidc_client_secret_file is None:
            raise SettingsError("GATEWAY_OIDC_CLIENT_SECRET_FILE", "is not set")
        try:
            secret = self.oidc_client_secret_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError("GATEWAY_OIDC_CLIENT_SECRET_FILE", "cannot be read") from exc
        if not secret:
            raise SettingsError("GATEWAY_OIDC_CLIENT_SECRET_FILE", "is empty")
        return secret

    @classmethod
    def load(cls, environ: Mapping[str, str], config_dir: Path | None = None) -> Settings:
        """Read settings from `environ` and the config file; raise on the first bad value."""
        cfg_dir = Path(environ.get("GATEWAY_CONFIG_DIR") or config_dir or Path.cwd() / "config")
        file_values = _read_config_file(cfg_dir / "gateway.toml")

        def raw(name: str) -> Any:
            env_name = f"GATEWAY_{name.upper()}"
            if env_name in environ and environ[env_name] != "":
                return environ[env_name]
            return file_values.get(name)

        data_dir = Path(raw("data_dir") or Path.cwd() / "var").absolute()
        values: dict[str, Any] = {"data_dir": data_dir, "config_dir": cfg_dir.absolute()}
        values["database_url"] = _database_url(
            raw("database_url") or f"sqlite+aiosqlite:///{data_dir / 'gateway.db'}"
        )
        parsers: dict[str, Callable[[str, Any], Any]] = {
            "host": _str,
            "port": _ranged_int(1, 65535),
            "audience": _nonempty,
            "public_url": _url_or_empty,
            "body_limit": _ranged_int(1024, 64 * 1024 * 1024),
            "behind_tls": _bool,
            "log_format": _choice("auto", "json", "console"),
            "log_level": _choice("debug", "info", "warning", "error"),
            "demo_mode": _bool,
            "token_leeway_seconds": _ranged_int(0, 60),
            "token_max_lifetime_seconds": _ranged_int(30, 300),
            "source_timeout_seconds": _ranged_float(0.05, 60.0),
            "exchange_deadline_seconds": _ranged_float(0.1, 120.0),
            "max_categories": _ranged_int(1, 50),
            "audit_checkpoint_every": _ranged_int(1, 10_000_000),
            "audit_checkpoint_seconds": _ranged_float(0.1, 86_400.0),
            "db_pool_size": _ranged_int(1, 200),
            "event_loop": _choice("auto", "uvloop", "asyncio"),
            "custody_register_url": _http_url,
            "custody_register_timeout_seconds": _ranged_float(0.05, 60.0),
            "custody_freshness_seconds": _ranged_int(0, 86_400),
            "header_timeout_seconds": _ranged_float(0.5, 300.0),
            "body_timeout_seconds": _ranged_float(0.5, 600.0),
            "tls_cert_file": _existing_file,
            "tls_key_file": _existing_file,
            "tls_client_ca_file": _existing_file,
            "oidc_issuer": _url_or_empty,
            "oidc_client_id": _str,
            "oidc_client_secret_file": _existing_file,
            "oidc_redirect_url": _url_or_empty,
            "oidc_bsn_claim": _nonempty,
            "oidc_timeout_seconds": _ranged_float(0.1, 60.0),
            "session_idle_seconds": _ranged_int(60, 86_400),
            "session_absolute_seconds": _ranged_int(300, 7 * 86_400),
            "officer_oidc_redirect_url": _url_or_empty,
            "officer_session_idle_seconds": _ranged_int(60, 86_400),
            "officer_session_absolute_seconds": _ranged_int(300, 86_400),
            "officer_verify_per_minute": _ranged_int(1, 600),
            "verify_per_minute": _ranged_int(1, 6000),
            "break_glass_review_days": _ranged_int(1, 365),
            "api_contact_email": _email_or_empty,
            "api_contact_url": _url_or_empty,
            "metrics_host": _nonempty,
            "metrics_port": _ranged_int(0, 65535),
            "metrics_token_file": _existing_file,
            "jwks_refresh_min_seconds": _ranged_float(0.1, 86_400.0),
            "jwks_refresh_max_seconds": _ranged_float(0.1, 86_400.0),
            "jwks_max_staleness_seconds": _ranged_float(1.0, 30 * 86_400.0),
            "jwks_timeout_seconds": _ranged_float(0.1, 30.0),
            "jwks_unknown_kid_interval_seconds": _ranged_float(0.0, 3600.0),
        }
        known = {f.name for f in fields(cls)}
        for key in file_values:
            if key not in known:
                raise SettingsError(f"config/gateway.toml:{key}", "unknown setting")
        for name, parse in parsers.items():
            value = raw(name)
            if value is not None:
                values[name] = parse(f"GATEWAY_{name.upper()}", value)
        settings = cls(**values)
        if (settings.tls_cert_file is None) != (settings.tls_key_file is None):
            raise SettingsError("GATEWAY_TLS_CERT_FILE", "needs GATEWAY_TLS_KEY_FILE, and back")
        if settings.mutual_tls and settings.tls_cert_file is None:
            raise SettingsError(
                "GATEWAY_TLS_CLIENT_CA_FILE", "mutual TLS needs the gateway to serve TLS itself"
            )
        if settings.oidc_issuer and not settings.oidc_client_id:
            raise SettingsError("GATEWAY_OIDC_CLIENT_ID", "is needed with GATEWAY_OIDC_ISSUER")
        if settings.oidc_issuer and settings.oidc_client_secret_file is None:
            raise SettingsError(
                "GATEWAY_OIDC_CLIENT_SECRET_FILE", "is needed with GATEWAY_OIDC_ISSUER"
            )
        if settings.session_idle_seconds > settings.session_absolute_seconds:
            raise SettingsError(
                "GATEWAY_SESSION_IDLE_SECONDS", "must not exceed GATEWAY_SESSION_ABSOLUTE_SECONDS"
            )
        if settings.source_timeout_seconds > settings.exchange_deadline_seconds:
            raise SettingsError(
                "GATEWAY_SOURCE_TIMEOUT_SECONDS",
                "must not exceed GATEWAY_EXCHANGE_DEADLINE_SECONDS",
            )
        if settings.jwks_refresh_min_seconds > settings.jwks_refresh_max_seconds:
            raise SettingsError(
                "GATEWAY_JWKS_REFRESH_MIN_SECONDS",
                "must not exceed GATEWAY_JWKS_REFRESH_MAX_SECONDS",
            )
        if (
            settings.metrics_port
            and settings.metrics_host not in ("127.0.0.1", "::1", "localhost")
            and settings.metrics_token_file is None
        ):
            raise SettingsError(
                "GATEWAY_METRICS_HOST",
                "metrics on an address other than 127.0.0.1 need GATEWAY_METRICS_TOKEN_FILE",
            )
        return settings


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(str(path), f"cannot be read: {exc}") from exc
    section = data.get("gateway", {})
    if not isinstance(section, dict):
        raise SettingsError(str(path), "[gateway] must be a table")
    return section


def _database_url(value: Any) -> str:
    text = str(value)
    scheme = urlsplit(text).scheme
    if scheme not in _SUPPORTED_SCHEMES:
        raise SettingsError(
            "GATEWAY_DATABASE_URL",
            f"scheme must be one of {', '.join(_SUPPORTED_SCHEMES)} (got {scheme or 'none'!r})",
        )
    return text


def _existing_file(name: str, value: Any) -> Path:
    path = Path(str(value)).expanduser().absolute()
    if not path.is_file():
        raise SettingsError(name, f"no such file: {path}")
    return path


def _str(name: str, value: Any) -> str:
    return str(value)


def _nonempty(name: str, value: Any) -> str:
    text = str(value).strip()
    if not text:
        raise SettingsError(name, "must not be empty")
    return text


def _url_or_empty(name: str, value: Any) -> str:
    text = str(value).strip().rstrip("/")
    if text and urlsplit(text).scheme not in ("http", "https"):
        raise SettingsError(name, "must be an http(s) URL")
    return text


def _email_or_empty(name: str, value: Any) -> str:
    text = str(value).strip()
    local, at, domain = text.partition("@")
    if text and (not at or not local or "." not in domain or any(c.isspace() for c in text)):
        raise SettingsError(name, "must be an e-mail address")
    if len(text) > 254:
        raise SettingsError(name, "must be at most 254 characters")
    return text


def _http_url(name: str, value: Any) -> str:
    text = str(value).strip().rstrip("/")
    if urlsplit(text).scheme not in ("http", "https") or not urlsplit(text).netloc:
        raise SettingsError(name, "must be an http(s) URL")
    return text


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise SettingsError(name, f"must be true or false (got {value!r})")


def _ranged_int(low: int, high: int) -> Callable[[str, Any], int]:
    def parse(name: str, value: Any) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise SettingsError(name, f"must be a whole number (got {value!r})") from None
        if not low <= number <= high:
            raise SettingsError(name, f"must be between {low} and {high} (got {number})")
        return number

    return parse


def _ranged_float(low: float, high: float) -> Callable[[str, Any], float]:
    def parse(name: str, value: Any) -> float:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise SettingsError(name, f"must be a number (got {value!r})") from None
        if not low <= number <= high:
            raise SettingsError(name, f"must be between {low} and {high} (got {number})")
        return number

    return parse


def _choice(*options: str) -> Callable[[str, Any], str]:
    def parse(name: str, value: Any) -> str:
        text = str(value).strip().lower()
        if text not in options:
            raise SettingsError(name, f"must be one of {', '.join(options)} (got {value!r})")
        return text

    return parse
