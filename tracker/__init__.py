"""tracker: contractor hours with incident holds, reassignment and exact payroll export."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

PACKAGE_DIR = Path(__file__).resolve().parent


def _template_folder() -> str:
    """The top-level templates/ of a checkout, or the copy an installed wheel carries."""
    checkout = PACKAGE_DIR.parent / "templates"
    return str(checkout if checkout.is_dir() else PACKAGE_DIR / "templates")


def _instance_path() -> str | None:
    """instance/ beside the package in a checkout; Flask's default location otherwise."""
    checkout = PACKAGE_DIR.parent / "instance"
    return str(checkout) if (PACKAGE_DIR.parent / "pyproject.toml").exists() else None


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, database, sign-in, security headers, pages, API and CLI."""
    app = Flask(
        __name__,
        template_folder=_template_folder(),
        instance_path=_instance_path(),
        instance_relative_config=True,
    )
    from tracker import config, db, i18n, ratelimit, readiness, routing, security
    from tracker.services import mail, passwords

    config.load_config(app, test_config)
    mail.init_app(app)  # a malformed TRACKER_SMTP_URL or TRACKER_MAIL_FROM stops the start here
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    logging.getLogger("alembic").setLevel(logging.WARNING)
    passwords.configure(
        app.config["PASSWORD_TIME_COST"],
        app.config["PASSWORD_MEMORY_KIB"],
        app.config["PASSWORD_PARALLELISM"],
    )
    db.init_app(app)
    routing.init_app(app)
    readiness.init_app(app)
    security.init_app(app)
    ratelimit.init_app(app)
    i18n.init_app(app)

    from tracker import api, cli, web

    web.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    return app


def main() -> None:
    """The ``tracker`` console script: the same commands as ``flask --app tracker``."""
    from flask.cli import FlaskGroup

    FlaskGroup(create_app=create_app)(prog_name="tracker")
