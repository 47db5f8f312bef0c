"""Outbox: what a freeze of 10,000 contractors costs, and how fast the worker sends.

    .venv/bin/python bench/outbox.py [--admin-url URL] [--contractors N] [--rounds N]

Creates a fresh PostgreSQL database (dropped at the end, whatever happens), arranges a project
with 10 and one with N contractors (default 10,000) set-based, then:

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
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.freeze import StatementCounter, _arrange
from tests import live
from tracker import create_app, migrate
from tracker.db import unit_of_work
from tracker.models import OutboxMessage, Project, WebhookEndpoint, utcnow
from tracker.services import delivery, holds, mail, webhooks

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


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
    port = live.free_port()
    # A server in its own process, as a real one would be (sharing this process's interpreter
    # would halve the rate); aiosmtpd's Sink handler accepts and drops every message.
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "aiosmtpd.handlers.Sink",
            "-l",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the SMTP server did not start") from None
                time.sleep(0.1)
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
        mail.init_app(app)
        smtp = _send(app, "SMTP (aiosmtpd, own process)", contractors)
    finally:
        server.terminate()
        server.wait(30)
    receiver = ThreadingHTTPServer(("127.0.0.1", live.free_port()), _Quiet)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        app.config["WEBHOOK_ALLOW_PRIVATE"] = True
        with unit_of_work() as session:
            endpoint = WebhookEndpoint(
                url=f"http://127.0.0.1:{receiver.server_address[1]}/hook",
                events=["hold.started"],
                secret=webhooks.new_secret(),  # the secret as the app makes it
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
    parser.add_argument("--contractors", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        name, url = live.create_postgres(args.admin_url, "tracker_bench")
        try:
            migrate.upgrade(url)
            app = create_app(
                {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "MAIL_DIR": tmp}
            )
            with app.app_context():
                load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
                print(
                    f"database {name} (PostgreSQL), {args.rounds} rounds; "
                    f"{os.cpu_count()} CPUs, load average {load}"
                )
                small = _arrange("SMALL", 10)
                large = _arrange("LARGE", args.contractors)
                bench_freeze(small, large, args.contractors, args.rounds)
                bench_worker(app, large, args.contractors, folder)
            app.extensions["tracker.engine"].dispose()
        finally:
            live.drop_postgres(args.admin_url, name)


if __name__ == "__main__":
    main()
