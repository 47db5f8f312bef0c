"""Serving under gunicorn: a start-up check of the database, and a worker that stops cleanly.

``python -m tracker.serving`` loads the configuration and connects to the database once; on
failure it prints one line (the database's host or file, never its password) and exits 1.
gunicorn.conf.py runs it before gunicorn listens, in a child process, so the master never imports
the app (which would pin old code across a ``HUP`` reload).
"""

from __future__ import annotations

import sys

from gunicorn.workers.gthread import ThreadWorker as _GunicornThreadWorker

from tracker import db_faults


class ThreadWorker(_GunicornThreadWorker):
    """gunicorn's gthread worker, which also closes its listening socket on SIGTERM at once.

    gunicorn's own worker stops accepting on SIGTERM but keeps the listening socket open until the
    requests in flight are done (up to the graceful timeout); meanwhile the kernel still completes
    new connections into the backlog, where they wait and are then reset. Closed at once (the
    master has closed its copy already), new connections are refused straight away, so a client
    or a load balancer goes elsewhere while the requests in flight finish.
    """

    def set_accept_enabled(self, enabled: bool) -> None:
        """Stop or resume accepting; stopping for good (SIGTERM) also closes the listeners."""
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive:
            for listener in self.sockets:
                listener.close()


def check_database() -> str | None:
    """Load the configuration and connect to the database once; the problem in one line, if any."""
    from tracker import create_app
    from tracker.config import ConfigError

    try:
        app = create_app()
    except ConfigError as exc:
        return str(exc)
    url = app.config["DATABASE_URL"]
    engine = app.extensions["tracker.engine"]
    try:
        # A read that takes no write lock: a busy or read-only SQLite file still starts.
        with engine.connect().execution_options(sqlite_read_only=True) as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as exc:
        fault = db_faults.classify(exc, url)
        if fault is None:
            raise
        return fault.operator_line(url)
    finally:
        engine.dispose()
    return None


def main() -> int:
    """Exit status 0 when the app can start; otherwise print why on stderr and return 1."""
    problem = check_database()
    if problem is None:
        return 0
    print(f"error: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
