"""Outbox: what a freeze of 10,000 contractors costs, and how fast the worker sends.

    .venv/bin/python bench/outbox.py [--admin-url URL | --sqlite] [--contractors N] [--rounds N]

Creates a fresh database (PostgreSQL by default, dropped at the end whatever happens; ``--sqlite``
uses a file in a temporary folder), arranges a project with 10 and one with N contractors
(default 10,000) set-based, then:

1. freezes each through ``holds.freeze_project`` in a unit of work, counting the statements it
   ran and timing it (the notifications and the outbox rows are written in the same
   transaction; the statement count must not grow with the number of contractors);
2. lets the worker (``tracker.services.delivery.Worker``, batches of 100) send the N emails of
   the large freeze three ways — ``.eml`` files, SMTP to a local aiosmtpd server, and as many
   signed webhook deliveries to a local HTTP receiver — and reports messages per second.

Run it where nothing else is busy; the figures are for comparison within one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import live
from tests.receivers import smtp_server
from tracker import create_app, migrate
from tracker.db import get_engine, unit_of_work
from tracker.models import OutboxMessage, Project, WebhookEndpoint, utcnow
from tracker.services import delivery, holds, mail, projects

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _arrange(code: str, contractors: int, postgres: bool) -> int:
    """A project with that many contractors on it, inserted set-based; returns its id."""
    numbers = (
        "generate_series(1, :count) AS n"
        if postgres
        else "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :count)"
        " SELECT n FROM s)"
    )
    token = "md5(random()::text)" if postgres else "hex(randomblob(16))"
    now = "now()" if postgres else "CURRENT_TIMESTAMP"
    with unit_of_work() as session:
        project = projects.create_project(session, None, code=code, name=code, hourly_rate="40")
        session.flush()
        session.execute(
            text(
                "INSERT INTO users (email, name, role, active, timezone, skills, session_token,"
                " recovery_codes, created_at, reminders) "
                f"SELECT :code || '-' || n || '@bench.test', 'Bench ' || n, 'contractor', true,"
                f" 'UTC', '[]', {token}, '[]', {now}, true FROM {numbers}"
            ),
            {"code": code.lower(), "count": contractors},
        )
        session.execute(
            text(
                "INSERT INTO assignments (user_id, project_id, start_date, origin, created_at) "
                f"SELECT id, :project, :start, 'direct', {now} FROM users WHERE email LIKE :like"
            ),
            {
                "project": project.id,
                "start": dt.date.today() - dt.timedelta(days=60),
                "like": f"{code.lower()}-%@bench.test",
            },
        )
        return project.id


class StatementCounter:
    """Counts the SQL statements this thread sends while active."""

    def __init__(self) -> None:
        self.count = 0
        self._thread = threading.get_ident()

    def _before(self, *_args: Any) -> None:
        if threading.get_ident() == self._thread:
            self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(get_engine(), "before_cursor_execute", self._before)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(get_engine(), "before_cursor_execute", self._before)


def _freeze(project_id: int) -> tuple[float, int, int]:
    """Freeze once: (seconds to commit, contractors notified, statements)."""
    with StatementCounter() as counter:
        started = time.perf_counter()
        with unit_of_work() as session:
            project = session.get_one(Project, project_id)
            _hold, affected = holds.freeze_project(
                session, None, project, reason="bench", notice="Bench freeze: work is paused."
            )
        elapsed = time.perf_counter() - started
    return elapsed, affected, counter.count


def _unfreeze(project_id: int) -> None:
    with unit_of_work() as session:
        holds.unfreeze_project(session, None, session.get_one(Project, project_id))


def _clear_outbox() -> None:
    with unit_of_work() as session:
        session.execute(text("DELETE FROM outbox"))


def bench_freeze(small: int, large: int, contractors: int, rounds: int) -> None:
    """Freeze timings and statement counts, 10 against N contractors."""
    results: dict[int, tuple[list[float], int]] = {}
    for size, project_id in ((10, small), (contractors, large)):
        times, statements = [], 0
        for _ in range(rounds):
            _clear_outbox()
            elapsed, affected, statements = _freeze(project_id)
            if affected != size:
                raise SystemExit(f"freeze notified {affected}, expected {size}")
            times.append(elapsed)
            _unfreeze(project_id)
        with unit_of_work() as session:
            written = session.scalar(
                select(func.count()).where(OutboxMessage.topic == "hold_lifted")
            )
        if written != size:
            raise SystemExit(f"the lift wrote {written} emails, expected {size}")
        results[size] = (times, statements)
        print(
            f"{size:>6} contractors  freeze median {1000 * statistics.median(times):7.1f} ms "
            f"(min {1000 * min(times):.1f}, max {1000 * max(times):.1f}), "
            f"{statements} statements, {size} emails written in the same transaction"
        )
    few, many = results[10], results[contractors]
    print(
        f"statements: {few[1]} for 10 contractors, {many[1]} for {contractors:,} "
        f"({'fixed' if few[1] == many[1] else 'NOT FIXED'}); "
        f"time ratio {statistics.median(many[0]) / statistics.median(few[0]):.1f}x"
    )


def _rearm() -> int:
    """Every message pending and due again; returns how many."""
    with unit_of_work() as session:
        result: Any = session.execute(
            update(OutboxMessage).values(
                status="pending", attempts=0, next_attempt_at=utcnow(), sent_at=None
            )
        )
        return int(result.rowcount)


def _send(app: Any, label: str, expected: int) -> float:
    count = _rearm()
    started = time.perf_counter()
    tally = delivery.Worker(app, batch=100).run(once=True)
    elapsed = time.perf_counter() - started
    if tally.sent != expected or count != expected:
        raise SystemExit(f"{label}: sent {tally.sent} of {expected} ({tally})")
    rate = expected / elapsed
    print(f"worker, {label:<34} {expected:>6} in {elapsed:6.1f} s  = {rate:7.0f} messages/s")
    return rate


class _Quiet(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        """Quiet."""


def bench_worker(app: Any, large: int, contractors: int, folder: Path) -> None:
    """The worker's send rate for .eml files, SMTP and webhooks."""
    _clear_outbox()
    _freeze(large)
    _unfreeze(large)
    with unit_of_work() as session:  # keep one email per contractor: the hold_started ones
        session.execute(text("DELETE FROM outbox WHERE topic <> 'hold_started'"))
    app.config.update(SMTP_URL=None, MAIL_DIR=str(folder / "mail"))
    mail.init_app(app)
    files = _send(app, ".eml files", contractors)
    with smtp_server() as server:
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{server.port}"
        mail.init_app(app)
        smtp = _send(app, "SMTP (aiosmtpd on 127.0.0.1)", contractors)
        if len(set(server.message_ids())) != contractors:
            raise SystemExit("the SMTP server did not get every message once")
    receiver = ThreadingHTTPServer(("127.0.0.1", live.free_port()), _Quiet)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        app.config["WEBHOOK_ALLOW_PRIVATE"] = True
        with unit_of_work() as session:
            endpoint = WebhookEndpoint(
                url=f"http://127.0.0.1:{receiver.server_address[1]}/hook",
                events=["hold.started"],
                secret="whsec_" + secrets.token_urlsafe(24),
            )
            session.add(endpoint)
            session.flush()
            session.execute(
                update(OutboxMessage).values(
                    kind="webhook", endpoint_id=endpoint.id, recipient=endpoint.url, body="{}"
                )
            )
        hooks = _send(app, "signed webhooks (HTTP on 127.0.0.1)", contractors)
    finally:
        receiver.shutdown()
        receiver.server_close()
    print(f"ratios: SMTP {smtp / files:.2f}x and webhooks {hooks / files:.2f}x the .eml rate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url", default=os.environ.get("TRACKER_BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    parser.add_argument("--contractors", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.sqlite:
            name, url = "a temporary file", f"sqlite:///{folder / 'bench.db'}"
        else:
            name, url = live.create_postgres(args.admin_url, "tracker_bench")
        try:
            migrate.upgrade(url)
            app = create_app(
                {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "MAIL_DIR": tmp}
            )
            with app.app_context():
                load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
                print(
                    f"database {name} ({'SQLite' if args.sqlite else 'PostgreSQL'}), "
                    f"{args.rounds} rounds; {os.cpu_count()} CPUs, load average {load}"
                )
                small = _arrange("SMALL", 10, not args.sqlite)
                large = _arrange("LARGE", args.contractors, not args.sqlite)
                bench_freeze(small, large, args.contractors, args.rounds)
                bench_worker(app, large, args.contractors, folder)
            app.extensions["tracker.engine"].dispose()
        finally:
            if not args.sqlite:
                live.drop_postgres(args.admin_url, name)


if __name__ == "__main__":
    main()
