"""``load_settings``: every WARDHUB_* variable, its default, and a clear error naming a bad one."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from core.settings import Settings, SettingsError, load_settings

SECRET = "s" * 32
PG = "postgresql+asyncpg"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """The default SQLite file is relative (var/wardhub.db): create its folder under a temp dir."""
    monkeypatch.chdir(tmp_path)


def test_defaults(tmp_path):
    settings = load_settings({})
    assert settings.database_url == "sqlite+aiosqlite:///var/wardhub.db"
    assert (tmp_path / "var").is_dir()  # the SQLite file's folder is created
    assert settings.admin_database_url is None and settings.migration_url == settings.database_url
    assert not settings.is_postgres
    assert settings.environment == "development"
    assert settings.log_format == "console" and settings.log_level == "INFO"
    assert settings.plugins is None  # WardHub's own plugins only
    assert settings.redis_url is None
    assert settings.tenant_scheme == "current"
    assert settings.allow_privileged_db_role is False
    assert len(settings.secret_key) >= 32
    assert load_settings({}).secret_key != settings.secret_key  # a fresh random key in development
    assert settings.secret_key not in repr(settings)


def test_reads_the_process_environment_when_given_none(monkeypatch):
    monkeypatch.setenv("WARDHUB_LOG_LEVEL", "error")
    monkeypatch.setenv("WARDHUB_PLUGINS", "hello")
    for name in ("WARDHUB_DATABASE_URL", "WARDHUB_ENV", "WARDHUB_SECRET_KEY", "WARDHUB_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.log_level == "ERROR" and settings.plugins == ("hello",)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://app:s3cr%40t@db.example:5433/wardhub", f"{PG}://app:s3cr%40t@db.example:5433/wardhub"),
        ("postgres://app@db.example/wardhub", f"{PG}://app@db.example/wardhub"),
        (f"{PG}://app@db.example/wardhub", f"{PG}://app@db.example/wardhub"),
        ("  postgresql://app@db.example/wardhub  ", f"{PG}://app@db.example/wardhub"),
        ("sqlite+aiosqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ],
)
def test_database_url_is_normalised_to_the_async_driver(given, expected):
    settings = load_settings({"WARDHUB_DATABASE_URL": given})
    assert make_url(settings.database_url) == make_url(expected)
    assert "***" not in settings.database_url  # the password is kept, not masked
    assert settings.is_postgres == expected.startswith("postgresql")


@pytest.mark.parametrize("folder", ["data/deep", "odd:name #1"])
def test_sqlite_url_gets_its_folder_created(tmp_path, folder):
    target = tmp_path / folder / "w.db"
    settings = load_settings({"WARDHUB_DATABASE_URL": f"sqlite:///{target}"})
    url = make_url(settings.database_url)
    assert url.drivername == "sqlite+aiosqlite" and url.database == str(target)
    assert target.parent.is_dir() and not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == [folder.split("/")[0]]  # that folder, no quoted twin


def test_admin_database_url_is_used_for_migrations():
    settings = load_settings({
        "WARDHUB_DATABASE_URL": "postgresql://wardhub_app:pw@db/wardhub",
        "WARDHUB_ADMIN_DATABASE_URL": "postgresql://postgres@db/wardhub",
    })
    assert settings.admin_database_url == f"{PG}://postgres@db/wardhub"
    assert settings.migration_url == settings.admin_database_url
    assert settings.database_url == f"{PG}://wardhub_app:pw@db/wardhub"


def test_secret_key():
    assert load_settings({"WARDHUB_SECRET_KEY": SECRET}).secret_key == SECRET
    production = load_settings({"WARDHUB_ENV": "production", "WARDHUB_SECRET_KEY": SECRET})
    assert production.secret_key == SECRET and production.environment == "production"


def test_production_logs_json_by_default_and_may_choose_console():
    assert load_settings({"WARDHUB_ENV": "production", "WARDHUB_SECRET_KEY": SECRET}).log_format == "json"
    explicit = {"WARDHUB_ENV": "production", "WARDHUB_SECRET_KEY": SECRET, "WARDHUB_LOG_FORMAT": "console"}
    assert load_settings(explicit).log_format == "console"
    assert load_settings({"WARDHUB_LOG_FORMAT": "json"}).log_format == "json"
    assert load_settings({"WARDHUB_ENV": "test"}).environment == "test"


@pytest.mark.parametrize(
    ("variable", "given", "attribute", "expected"),
    [
        ("WARDHUB_LOG_FORMAT", "JSON", "log_format", "json"),
        ("WARDHUB_LOG_FORMAT", " console ", "log_format", "console"),
        ("WARDHUB_LOG_LEVEL", "debug", "log_level", "DEBUG"),
        ("WARDHUB_LOG_LEVEL", "Warning", "log_level", "WARNING"),
        ("WARDHUB_LOG_LEVEL", "ERROR", "log_level", "ERROR"),
        ("WARDHUB_ENV", "Production ", "environment", "production"),
        ("WARDHUB_TENANT_SCHEME", "legacy", "tenant_scheme", "legacy"),
        ("WARDHUB_TENANT_SCHEME", "CURRENT", "tenant_scheme", "current"),
        # a variable set to nothing (``WARDHUB_LOG_FORMAT=`` in an env file) means its default
        ("WARDHUB_ENV", "", "environment", "development"),
        ("WARDHUB_LOG_FORMAT", "", "log_format", "console"),
        ("WARDHUB_LOG_LEVEL", "  ", "log_level", "INFO"),
        ("WARDHUB_TENANT_SCHEME", "", "tenant_scheme", "current"),
        ("WARDHUB_DATABASE_URL", "", "database_url", "sqlite+aiosqlite:///var/wardhub.db"),
        ("WARDHUB_ADMIN_DATABASE_URL", "", "admin_database_url", None),
        ("WARDHUB_REDIS_URL", "", "redis_url", None),
    ],
)
def test_choices_ignore_case_and_blanks_mean_the_default(variable, given, attribute, expected):
    env = {variable: given}
    if variable == "WARDHUB_ENV" and expected == "production":
        env["WARDHUB_SECRET_KEY"] = SECRET
    assert getattr(load_settings(env), attribute) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("", ()),  # set but empty: no plugins at all (unset means WardHub's own)
        ("hello", ("hello",)),
        (" hello , residents ,, ", ("hello", "residents")),
        ("hello,residents,hello", ("hello", "residents")),
        ("military_service", ("military_service",)),
    ],
)
def test_plugin_allowlist(given, expected):
    assert load_settings({"WARDHUB_PLUGINS": given}).plugins == expected


@pytest.mark.parametrize(
    "given",
    ["redis://localhost:6379/0", "rediss://:pw@cache.example:6380/1", "redis://cache", "unix:///run/redis.sock"],
)
def test_redis_url(given):
    assert load_settings({"WARDHUB_REDIS_URL": given}).redis_url == given


@pytest.mark.parametrize(
    ("given", "expected"),
    [("1", True), ("true", True), ("TRUE", True), ("yes", True), ("on", True), (" True ", True),
     ("0", False), ("false", False), ("no", False), ("off", False), ("", False)],
)
def test_boolean_parsing(given, expected):
    assert load_settings({"WARDHUB_ALLOW_PRIVILEGED_DB_ROLE": given}).allow_privileged_db_role is expected


def test_with_returns_a_changed_copy():
    settings = load_settings({})
    changed = settings.with_(log_level="DEBUG")
    assert changed.log_level == "DEBUG" and settings.log_level == "INFO"
    assert changed.secret_key == settings.secret_key
    assert isinstance(changed, Settings)


@pytest.mark.parametrize(
    ("env", "variable", "detail"),
    [
        ({"WARDHUB_DATABASE_URL": "mysql://u@db/wardhub"}, "WARDHUB_DATABASE_URL", "not mysql"),
        ({"WARDHUB_DATABASE_URL": "postgresql+psycopg2://db/w"}, "WARDHUB_DATABASE_URL", "postgresql+psycopg2"),
        ({"WARDHUB_DATABASE_URL": "not a url"}, "WARDHUB_DATABASE_URL", "not a database URL"),
        ({"WARDHUB_DATABASE_URL": "postgresql://db:port/w"}, "WARDHUB_DATABASE_URL", "not a database URL"),
        ({"WARDHUB_ADMIN_DATABASE_URL": "oracle://db/w"}, "WARDHUB_ADMIN_DATABASE_URL", "not oracle"),
        ({"WARDHUB_DATABASE_URL": "postgresql://db/w", "WARDHUB_ADMIN_DATABASE_URL": "sqlite:///x.db"},
         "WARDHUB_ADMIN_DATABASE_URL", "same kind of database"),
        ({"WARDHUB_SECRET_KEY": "s" * 31}, "WARDHUB_SECRET_KEY", "at least 32 characters"),
        ({"WARDHUB_ENV": "production"}, "WARDHUB_SECRET_KEY", "required in production"),
        ({"WARDHUB_ENV": "production", "WARDHUB_SECRET_KEY": ""}, "WARDHUB_SECRET_KEY", "required in production"),
        ({"WARDHUB_ENV": "staging"}, "WARDHUB_ENV", "'staging' is not one of development, production, test"),
        ({"WARDHUB_LOG_FORMAT": "xml"}, "WARDHUB_LOG_FORMAT", "'xml' is not one of console, json"),
        ({"WARDHUB_LOG_LEVEL": "TRACE"}, "WARDHUB_LOG_LEVEL", "'TRACE' is not one of DEBUG, INFO, WARNING, ERROR"),
        ({"WARDHUB_PLUGINS": "hello,Residents"}, "WARDHUB_PLUGINS", "'Residents' is not a plugin name"),
        ({"WARDHUB_PLUGINS": "hello;residents"}, "WARDHUB_PLUGINS", "'hello;residents' is not a plugin name"),
        ({"WARDHUB_REDIS_URL": "http://cache:6379"}, "WARDHUB_REDIS_URL", "use a redis://, rediss:// or unix://"),
        ({"WARDHUB_REDIS_URL": "localhost:6379"}, "WARDHUB_REDIS_URL", "use a redis://"),
        ({"WARDHUB_REDIS_URL": "redis://"}, "WARDHUB_REDIS_URL", "names no host"),
        ({"WARDHUB_REDIS_URL": "redis://cache:port/0"}, "WARDHUB_REDIS_URL", "port that is not a number"),
        ({"WARDHUB_REDIS_URL": "unix://"}, "WARDHUB_REDIS_URL", "names no socket path"),
        ({"WARDHUB_TENANT_SCHEME": "local"}, "WARDHUB_TENANT_SCHEME", "'local' is not one of current, legacy"),
        ({"WARDHUB_ALLOW_PRIVILEGED_DB_ROLE": "maybe"}, "WARDHUB_ALLOW_PRIVILEGED_DB_ROLE", "not a boolean"),
    ],
)
def test_a_bad_value_is_a_settings_error_naming_the_variable(env, variable, detail):
    with pytest.raises(SettingsError) as excinfo:
        load_settings(env)
    message = str(excinfo.value)
    assert message.startswith(f"{variable}: ")
    assert detail in message


def test_a_sqlite_folder_that_cannot_be_created_is_a_settings_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SettingsError, match=r"^WARDHUB_DATABASE_URL: cannot create the folder"):
        load_settings({"WARDHUB_DATABASE_URL": f"sqlite:///{blocker}/w.db"})


def test_settings_error_is_a_value_error():
    assert issubclass(SettingsError, ValueError)
