"""Delivery settings: documented in the README, checked at start-up, bad values named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tracker import config, create_app
from tracker.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_has_a_row_in_the_readme_configuration_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `TRACKER_([A-Z_]+)` \|", readme, re.M))
    assert sorted(set(config.DEFAULTS) - rows) == []


def test_delivery_defaults():
    assert config.DEFAULTS["OUTBOX_MAX_ATTEMPTS"] == 8
    assert config.DEFAULTS["SMTP_URL"] is None  # .eml files under instance/mail
    assert config.DEFAULTS["WEBHOOK_ALLOW_PRIVATE"] is False


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "TRACKER_SMTP_URL",
            "smtp:/mail.example.com",
            "TRACKER_SMTP_URL names no mail server host",
        ),
        ("TRACKER_SMTP_URL", "imap://u:topsecret@mail.example.com", "TRACKER_SMTP_URL must start"),
        ("TRACKER_MAIL_FROM", "tracker at example", "TRACKER_MAIL_FROM must be one address"),
        ("TRACKER_WEBHOOK_ALLOW_PRIVATE", "maybe", "TRACKER_WEBHOOK_ALLOW_PRIVATE must be 0 or 1"),
        ("TRACKER_OUTBOX_MAX_ATTEMPTS", "0", "TRACKER_OUTBOX_MAX_ATTEMPTS must be at least 1"),
        ("TRACKER_REMINDER_MIN_HOURS", "lots", "TRACKER_REMINDER_MIN_HOURS must be a whole number"),
    ],
)
def test_a_bad_delivery_setting_stops_the_start_naming_it(
    monkeypatch, tmp_path, database_url, name, value, message
):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        create_app({"DATABASE_URL": database_url, "SECRET_KEY": "k" * 40})
    assert str(refused.value).startswith(message)
    assert "topsecret" not in str(refused.value)


def test_the_real_command_line_refuses_to_start_with_a_malformed_smtp_url(tmp_path, database_url):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_SECRET_KEY": "k" * 40,
        "TRACKER_SMTP_URL": "smtp+starttls://relay:hunter2@",
    }
    done = subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "--app", "tracker", "outbox", "work"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "TRACKER_SMTP_URL names no mail server host" in done.stderr
    assert "hunter2" not in done.stderr
