"""Configuration: the three layers, production safety checks, private files, clear errors."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tracker import config, create_app
from tracker.config import ConfigError

LONG_KEY = "k" * 40


@pytest.fixture
def clean_env(monkeypatch):
    """No TRACKER_* or FLASK_DEBUG variables from the outside world."""
    import os

    for name in list(os.environ):
        if name.startswith("TRACKER_") or name == "FLASK_DEBUG":
            monkeypatch.delenv(name)
    return monkeypatch


def _load(instance: Path, test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask("tracker_config_test", instance_path=str(instance))
    config.load_config(app, test_config)
    return app


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_defaults_apply_without_other_layers(tmp_path, clean_env):
    app = _load(tmp_path)
    assert app.config["BACKDATING_DAYS"] == 14
    assert app.config["RECENT_LOGIN_MINUTES"] == 15
    assert app.config["SESSION_IDLE_HOURS"] == 8
    assert app.config["SESSION_ABSOLUTE_DAYS"] == 7
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'tracker.db'}"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_instance_config_overrides_defaults_and_environment_overrides_both(tmp_path, clean_env):
    (tmp_path / "config.py").write_text("BACKDATING_DAYS = 30\nRECENT_LOGIN_MINUTES = 5\n")
    clean_env.setenv("TRACKER_BACKDATING_DAYS", "21")
    clean_env.setenv("TRACKER_REQUIRE_MFA", "yes")
    app = _load(tmp_path)
    assert app.config["BACKDATING_DAYS"] == 21
    assert app.config["RECENT_LOGIN_MINUTES"] == 5
    assert app.config["REQUIRE_MFA"] is True


def test_the_generated_secret_key_is_private_and_kept(tmp_path, clean_env):
    first = _load(tmp_path).config["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert _mode(key_file) == 0o600
    assert len(first) >= 32
    assert _load(tmp_path).config["SECRET_KEY"] == first


def test_a_key_file_readable_by_others_is_made_private(tmp_path, clean_env):
    key_file = tmp_path / "secret_key"
    key_file.write_text(LONG_KEY + "\n")
    key_file.chmod(0o644)
    assert _load(tmp_path).config["SECRET_KEY"] == LONG_KEY
    assert _mode(key_file) == 0o600


def test_the_environment_secret_key_is_used_and_no_file_is_written(tmp_path, clean_env):
    clean_env.setenv("TRACKER_SECRET_KEY", LONG_KEY)
    assert _load(tmp_path).config["SECRET_KEY"] == LONG_KEY
    assert not (tmp_path / "secret_key").exists()


def test_the_embedded_database_file_is_private(tmp_path, clean_env):
    clean_env.setattr("tracker.PACKAGE_DIR", tmp_path / "pkg" / "tracker")
    (tmp_path / "pkg" / "pyproject.toml").parent.mkdir(parents=True)
    (tmp_path / "pkg" / "pyproject.toml").write_text("")
    clean_env.setenv("TRACKER_SECRET_KEY", LONG_KEY)
    app = create_app()
    try:
        database = tmp_path / "pkg" / "instance" / "tracker.db"
        assert app.config["DATABASE_URL"] == f"sqlite:///{database}"
        assert _mode(database) == 0o600
    finally:
        app.extensions["tracker.engine"].dispose()


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("TRACKER_BACKDATING_DAYS", "two weeks", "TRACKER_BACKDATING_DAYS must be a whole number"),
        ("TRACKER_DB_POOL_SIZE", "-3", "TRACKER_DB_POOL_SIZE cannot be negative"),
        ("TRACKER_REQUIRE_MFA", "maybe", "TRACKER_REQUIRE_MFA must be 0 or 1"),
        ("TRACKER_ENV", "prod", "TRACKER_ENV must be one of development, production"),
    ],
)
def test_bad_environment_values_stop_the_start_with_a_clear_message(
    tmp_path, clean_env, name, value, says
):
    clean_env.setenv(name, value)
    with pytest.raises(ConfigError, match=says):
        _load(tmp_path)


def test_production_refuses_a_missing_secret_key(tmp_path, clean_env):
    clean_env.setenv("TRACKER_ENV", "production")
    with pytest.raises(ConfigError, match="TRACKER_SECRET_KEY is not set"):
        _load(tmp_path)
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_a_short_secret_key(tmp_path, clean_env):
    clean_env.setenv("TRACKER_ENV", "production")
    clean_env.setenv("TRACKER_SECRET_KEY", "short-key")
    with pytest.raises(ConfigError, match="TRACKER_SECRET_KEY is shorter than 32 characters"):
        _load(tmp_path)


def test_production_refuses_debug_mode(tmp_path, clean_env):
    clean_env.setenv("TRACKER_ENV", "production")
    clean_env.setenv("TRACKER_SECRET_KEY", LONG_KEY)
    clean_env.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigError, match="debug mode is on"):
        _load(tmp_path)


def test_production_refuses_debug_set_in_instance_config(tmp_path, clean_env):
    (tmp_path / "config.py").write_text("DEBUG = True\n")
    clean_env.setenv("TRACKER_ENV", "production")
    clean_env.setenv("TRACKER_SECRET_KEY", LONG_KEY)
    with pytest.raises(ConfigError, match="debug mode is on"):
        _load(tmp_path)


def test_production_starts_with_a_good_key_and_secure_cookies(tmp_path, clean_env):
    clean_env.setenv("TRACKER_ENV", "production")
    clean_env.setenv("TRACKER_SECRET_KEY", LONG_KEY)
    app = _load(tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.debug is False


def test_password_hashing_defaults_meet_owasp():
    assert config.DEFAULTS["PASSWORD_MEMORY_KIB"] >= 19456
    assert config.DEFAULTS["PASSWORD_TIME_COST"] >= 2
    assert config.DEFAULTS["PASSWORD_PARALLELISM"] == 1


def test_the_request_body_limit_is_set_by_default():
    assert 0 < config.DEFAULTS["MAX_CONTENT_LENGTH"] <= 10 * 1024 * 1024
