"""Freeze timings on PostgreSQL: 10 against 10,000 contractors, and under 20 busy writers.

    .venv/bin/python bench/freeze.py [--admin-url URL] [--rounds N] [--load-seconds S]

Creates a fresh database (dropped at the end, whatever happens), migrates it, arranges the
contractors with set-based inserts, then times ``holds.freeze_project`` and
``holds.unfreeze_project`` through a unit of work, counting the SQL statements each ran.
The load runs: 20 threads (one contractor each, own app context and session) logging entries
through ``entries.log_time`` in a loop while the project is frozen in-process (reports the time
spent waiting for the exclusive lock too); then the same through HTTP: a ``gunicorn -w 4``
server, 20 API clients posting entries, and an admin freezing through ``POST …/freeze``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import live
from tracker import create_app, migrate
from tracker.db import get_engine, unit_of_work
from tracker.errors import ProjectFrozen
from tracker.models import Project, TimeEntry, User
from tracker.services import entries, holds, projects, tokens, users

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WRITERS = 20


def _arrange(code: str, contractors: int) -> int:
    """A project with that many contractors on it, inserted set-based; returns its id."""
    with unit_of_work() as session:
        project = projects.create_project(session, None, code=code, name=code, hourly_rate="40")
        session.flush()
        session.execute(
            text(
                "INSERT INTO users (email, name, role, active, timezone, skills, session_token,"
                " recovery_codes, created_at) "
                "SELECT :code || '-' || n || '@bench.test', 'Bench ' || n, 'contractor', true,"
                " 'UTC', '[]', md5(random()::text), '[]', now() "
                "FROM generate_series(1, :count) AS n"
            ),
            {"code": code.lower(), "count": contractors},
        )
        session.execute(
            text(
                "INSERT INTO assignments (user_id, project_id, start_date, origin, created_at) "
                "SELECT id, :project, :start, 'direct', now() FROM users WHERE email LIKE :like"
            ),
            {
                "project": project.id,
                "start": dt.date.today() - dt.timedelta(days=60),
                "like": f"{code.lower()}-%@bench.test",
            },
        )
        return project.id


class StatementCounter:
    """Counts the SQL statements the engine sends while active, and times the lock wait."""

    def __init__(self) -> None:
        self.count = 0
        self.lock_wait = 0.0
        self._started = 0.0
        self._thread = threading.get_ident()  # other threads share the engine: ignore them

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == self._thread:
            self.count += 1
            self._started = time.perf_counter()

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == self._thread and "pg_advisory_xact_lock(" in statement:
            self.lock_wait += time.perf_counter() - self._started

    def __enter__(self) -> StatementCounter:
        event.listen(get_engine(), "before_cursor_execute", self._before)
        event.listen(get_engine(), "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(get_engine(), "before_cursor_execute", self._before)
        event.remove(get_engine(), "after_cursor_execute", self._after)


def _freeze(project_id: int) -> tuple[float, int, StatementCounter]:
    """Freeze once: seconds from the first statement to the commit, affected, statements."""
    with StatementCounter() as counter:
        started = time.perf_counter()
        with unit_of_work() as session:
            project = session.get_one(Project, project_id)
            _hold, affected = holds.freeze_project(
                session, None, project, reason="bench", notice="Bench freeze."
            )
        elapsed = time.perf_counter() - started
    return elapsed, affected, counter


def _unfreeze(project_id: int) -> tuple[float, int]:
    with StatementCounter() as counter:
        started = time.perf_counter()
        with unit_of_work() as session:
            project = session.get_one(Project, project_id)
            holds.unfreeze_project(session, None, project, note="bench")
        elapsed = time.perf_counter() - started
    return elapsed, counter.count


def _ms(values: list[float]) -> str:
    return (
        f"median {1000 * statistics.median(values):7.1f} ms  "
        f"min {1000 * min(values):7.1f}  max {1000 * max(values):7.1f}"
    )


def bench_sizes(rounds: int) -> None:
    for size in (10, 10_000):
        project_id = _arrange(f"SIZE{size}", size)
        freezes, unfreezes = [], []
        statements = (0, 0)
        for _ in range(rounds):
            elapsed, affected, counter = _freeze(project_id)
            if affected != size:
                raise SystemExit(f"freeze notified {affected}, expected {size}")
            freezes.append(elapsed)
            lifted, n_unfreeze = _unfreeze(project_id)
            unfreezes.append(lifted)
            statements = (counter.count, n_unfreeze)
        print(
            f"{size:>6} contractors  freeze   {_ms(freezes)}  ({statements[0]} statements)\n"
            f"{'':>6}              unfreeze {_ms(unfreezes)}  ({statements[1]} statements)"
        )


def _writer(
    app: Any,
    user_id: int,
    project_id: int,
    stop: threading.Event,
    tally: dict[str, int],
    lock: threading.Lock,
) -> None:
    """Log one-minute entries in a loop until refused by the hold or told to stop."""
    n = 0
    with app.app_context():
        while not stop.is_set():
            n += 1
            day = dt.date.today() - dt.timedelta(days=1 + n % 7)
            try:
                with unit_of_work() as session:
                    actor = session.get_one(User, user_id)
                    entries.log_time(
                        session, actor, project_id=project_id, work_date=day, minutes=1
                    )
                key = "committed"
            except ProjectFrozen:
                key = "refused"
            with lock:
                tally[key] = tally.get(key, 0) + 1
            if key == "refused":
                return


def bench_under_load(app: Any, rounds: int, warmup: float) -> None:
    project_id = _arrange("LOAD", WRITERS)
    with unit_of_work() as session:
        user_ids = list(
            session.scalars(
                select(User.id).where(User.email.like("load-%@bench.test")).order_by(User.id)
            )
        )
    times, waits = [], []
    for round_ in range(rounds):
        stop, lock = threading.Event(), threading.Lock()
        tally: dict[str, int] = {}
        threads = [
            threading.Thread(target=_writer, args=(app, uid, project_id, stop, tally, lock))
            for uid in user_ids
        ]
        for thread in threads:
            thread.start()
        time.sleep(warmup)
        with lock:
            before = tally.get("committed", 0)
        elapsed, _affected, counter = _freeze(project_id)
        waits.append(counter.lock_wait)
        time.sleep(0.3)
        stop.set()
        for thread in threads:
            thread.join(30)
        times.append(elapsed)
        with unit_of_work() as session:
            rows = session.scalar(select(func.count()).where(TimeEntry.project_id == project_id))
        print(
            f"round {round_ + 1}: freeze {1000 * elapsed:6.1f} ms (waited "
            f"{1000 * counter.lock_wait:5.1f} ms for the lock) while {WRITERS} writers ran "
            f"({before} entries committed in the {warmup:.1f} s before it; "
            f"{tally.get('committed', 0)} committed, {tally.get('refused', 0)} refused in all; "
            f"{rows} rows on the project)"
        )
        _unfreeze(project_id)
    print(f"under load ({WRITERS} writers)  freeze {_ms(times)}")
    print(f"{'':>24}lock wait {_ms(waits)}")


def _post(port: int, path: str, token: str, body: Any) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/v1" + path,
            body=json.dumps(body),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        connection.close()


def _serve(url: str) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn -w 4 --threads 1 on a free port against the bench database, once healthy."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_SECRET_KEY": secrets.token_hex(32),
        "TRACKER_PASSWORD_MEMORY_KIB": "1024",
        "TRACKER_API_RATE_LIMIT": "off",  # measure the work, not the limiter
        "TRACKER_API_ADDRESS_RATE_LIMIT": "off",
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            "4",
            "--threads",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def bench_http(url: str, rounds: int, warmup: float) -> None:
    """20 API clients posting entries to one project while an admin freezes it over HTTP."""
    project_id = _arrange("HTTP", WRITERS)
    with unit_of_work() as session:
        admin = users.create_user(
            session, None, email="bench-admin@bench.test", name="Bench admin", role="admin"
        )
        admin_token = tokens.create_token(session, None, admin, "bench")[1]
        people = session.scalars(select(User).where(User.email.like("http-%@bench.test")))
        client_tokens = [tokens.create_token(session, None, p, "bench")[1] for p in people]
    process, port = _serve(url)
    times = []
    try:
        for round_ in range(rounds):
            stop = threading.Event()
            tally: dict[int, int] = {}
            lock = threading.Lock()

            def client(
                token: str,
                stop: threading.Event = stop,
                tally: dict[int, int] = tally,
                lock: threading.Lock = lock,
            ) -> None:
                n = 0
                while not stop.is_set() and n < 2000:
                    n += 1
                    day = dt.date.today() - dt.timedelta(days=1 + n % 7)
                    status, _ = _post(
                        port,
                        "/entries",
                        token,
                        {"project_id": project_id, "work_date": day.isoformat(), "minutes": 1},
                    )
                    with lock:
                        tally[status] = tally.get(status, 0) + 1
                    if status == 409:
                        return

            threads = [threading.Thread(target=client, args=(t,)) for t in client_tokens]
            for thread in threads:
                thread.start()
            time.sleep(warmup)
            started = time.perf_counter()
            status, body = _post(
                port,
                f"/projects/{project_id}/freeze",
                admin_token,
                {"reason": "bench", "notice": "Bench freeze over HTTP."},
            )
            elapsed = time.perf_counter() - started
            if status != 200:
                raise SystemExit(f"freeze answered {status}: {body}")
            time.sleep(0.3)
            stop.set()
            for thread in threads:
                thread.join(60)
            times.append(elapsed)
            print(
                f"round {round_ + 1}: freeze response {1000 * elapsed:6.1f} ms over HTTP while "
                f"{WRITERS} clients posted ({tally.get(201, 0)} entries created, "
                f"{tally.get(409, 0)} refused with 409)"
            )
            _post(port, f"/projects/{project_id}/unfreeze", admin_token, {})
    finally:
        process.terminate()
        process.wait(30)
    print(f"gunicorn -w 4, {WRITERS} HTTP clients  freeze response {_ms(times)}")
    print(f"load average now {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url", default=os.environ.get("TRACKER_BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--load-seconds", type=float, default=1.5, help="how long the writers run before the freeze"
    )
    args = parser.parse_args()
    name, url = live.create_postgres(args.admin_url, "tracker_bench")
    try:
        migrate.upgrade(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": secrets.token_hex(32),
                "DB_POOL_SIZE": WRITERS + 2,
                "PASSWORD_MEMORY_KIB": 1024,
            }
        )
        with app.app_context():
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(
                f"database {name} (PostgreSQL), {args.rounds} rounds each; "
                f"{os.cpu_count()} CPUs, load average {load}"
            )
            bench_sizes(args.rounds)
            bench_under_load(app, args.rounds, args.load_seconds)
            bench_http(url, args.rounds, args.load_seconds)
        get_engine_dispose(app)
    finally:
        live.drop_postgres(args.admin_url, name)


def get_engine_dispose(app: Any) -> None:
    app.extensions["tracker.engine"].dispose()


if __name__ == "__main__":
    main()
