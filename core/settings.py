"""All configuration, read from ``WARDHUB_*`` environment variables and validated at start-up."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENVIRONMENTS = ("development", "production", "test")
LOG_FORMATS = ("console", "json")
SCHEMES = ("current", "legacy")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
REDIS_SCHEMES = ("redis", "rediss", "unix")


class SettingsError(ValueError):
    """A configuration value is missing or wrong; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///var/wardhub.db"
    # Owner connection used by migrations; the app itself connects with ``database_url``, which on
    # PostgreSQL must be a role that neither owns the tables nor bypasses row-level security.
    admin_database_url: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    environment: str = "development"
    log_format: str = "console"
    log_level: str = "INFO"
    # None: the plugins shipped with WardHub. A tuple: exactly these (third-party ones must be named).
    plugins: tuple[str, ...] | None = None
    redis_url: str | None = None
    tenant_scheme: str = "current"
    allow_privileged_db_role: bool = False
    # Per-tenant template overrides: a folder holding ``<tenant key>/<template name>`` (core/web/templating.py).
    template_overrides: Path | None = None
    # GraphQL requests a minute per API token or user (anonymous callers: per address); 0 switches it off
    graphql_rate_per_minute: int = 600

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def migration_url(self) -> str:
        return self.admin_database_url or self.database_url

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)


def _url(name: str, value: str) -> str:
    try:
        url = make_url(value.strip())
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise SettingsError(f"{name}: not a database URL ({value!r})") from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+asyncpg")
    elif url.drivername == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    if url.drivername not in ("postgresql+asyncpg", "sqlite+aiosqlite"):
        raise SettingsError(f"{name}: use a postgresql:// or sqlite:// URL, not {url.drivername}")
    return url.render_as_string(hide_password=False)


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    """``value`` as one of ``choices``, ignoring case and surrounding blanks."""
    folded = {c.lower(): c for c in choices}.get(value.strip().lower())
    if folded is None:
        raise SettingsError(f"{name}: {value!r} is not one of {', '.join(choices)}")
    return folded


def _redis_url(name: str, value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in REDIS_SCHEMES:
        raise SettingsError(f"{name}: use a redis://, rediss:// or unix:// URL, not {value!r}")
    try:
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError as exc:
        raise SettingsError(f"{name}: {value!r} has a port that is not a number") from exc
    if parts.scheme == "unix" and not parts.path:
        raise SettingsError(f"{name}: {value!r} names no socket path")
    if parts.scheme != "unix" and not parts.hostname:
        raise SettingsError(f"{name}: {value!r} names no host")
    return value.strip()


def _plugin_names(name: str, value: str) -> tuple[str, ...]:
    from core.plugins.manifest import NAME

    names: list[str] = []
    for item in (n.strip() for n in value.split(",")):
        if not item:
            continue
        if not NAME.match(item):
            raise SettingsError(f"{name}: {item!r} is not a plugin name (lower case letters, digits, '_')")
        if item not in names:
            names.append(item)
    return tuple(names)


def _bool(name: str, value: str) -> bool:
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name}: {value!r} is not a boolean (true/false)")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read and validate ``WARDHUB_*`` variables; raise :class:`SettingsError` naming the bad one."""
    env = dict(os.environ if env is None else env)

    def get(key: str, default: str | None = None) -> str | None:
        """The variable, or ``default`` when it is unset or blank (``WARDHUB_LOG_FORMAT=`` in a .env file)."""
        value = env.get(key)
        return default if value is None or not value.strip() else value

    environment = _choice("WARDHUB_ENV", get("WARDHUB_ENV", "development"), ENVIRONMENTS)
    values: dict[str, object] = {"environment": environment}
    values["database_url"] = _url(
        "WARDHUB_DATABASE_URL", get("WARDHUB_DATABASE_URL") or "sqlite:///var/wardhub.db"
    )
    if get("WARDHUB_ADMIN_DATABASE_URL"):
        admin = _url("WARDHUB_ADMIN_DATABASE_URL", get("WARDHUB_ADMIN_DATABASE_URL"))
        if admin.split("+", 1)[0] != str(values["database_url"]).split("+", 1)[0]:
            raise SettingsError(
                "WARDHUB_ADMIN_DATABASE_URL: must be the same kind of database as WARDHUB_DATABASE_URL"
            )
        values["admin_database_url"] = admin
    secret = env.get("WARDHUB_SECRET_KEY")
    if secret:
        if len(secret) < 32:
            raise SettingsError("WARDHUB_SECRET_KEY: use at least 32 characters")
        values["secret_key"] = secret
    elif environment == "production":
        raise SettingsError("WARDHUB_SECRET_KEY: required in production (at least 32 characters)")
    default_format = "json" if environment == "production" else "console"
    values["log_format"] = _choice(
        "WARDHUB_LOG_FORMAT", get("WARDHUB_LOG_FORMAT", default_format), LOG_FORMATS
    )
    values["log_level"] = _choice("WARDHUB_LOG_LEVEL", get("WARDHUB_LOG_LEVEL", "INFO"), LOG_LEVELS)
    if env.get("WARDHUB_PLUGINS") is not None:  # set but empty: no plugins at all
        values["plugins"] = _plugin_names("WARDHUB_PLUGINS", env["WARDHUB_PLUGINS"])
    redis_url = get("WARDHUB_REDIS_URL")
    values["redis_url"] = _redis_url("WARDHUB_REDIS_URL", redis_url) if redis_url else None
    values["tenant_scheme"] = _choice(
        "WARDHUB_TENANT_SCHEME", get("WARDHUB_TENANT_SCHEME", "current"), SCHEMES
    )
    values["allow_privileged_db_role"] = _bool(
        "WARDHUB_ALLOW_PRIVILEGED_DB_ROLE", get("WARDHUB_ALLOW_PRIVILEGED_DB_ROLE", "")
    )
    rate = get("WARDHUB_GRAPHQL_RATE_PER_MINUTE", "600")
    if not rate.isdigit() or int(rate) > 1_000_000:
        raise SettingsError("WARDHUB_GRAPHQL_RATE_PER_MINUTE: a whole number of requests a minute (0: no limit)")
    values["graphql_rate_per_minute"] = int(rate)
    overrides = env.get("WARDHUB_TEMPLATE_OVERRIDES", "").strip()
    if overrides:
        if not Path(overrides).is_dir():
            raise SettingsError(f"WARDHUB_TEMPLATE_OVERRIDES: {overrides!r} is not a folder")
        values["template_overrides"] = Path(overrides).resolve()
    settings = Settings(**values)  # type: ignore[arg-type]
    database = make_url(settings.database_url).database
    if settings.database_url.startswith("sqlite") and database and database != ":memory:":
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SettingsError(
                f"WARDHUB_DATABASE_URL: cannot create the folder of {database}: {exc}"
            ) from exc
    return settings
