"""A client-wide incident on PostgreSQL: 50 projects, 10,000 contractors, 20 busy writers.

    .venv/bin/python bench/incident_freeze.py [--admin-url URL] [--rounds N] [--load-seconds S]

Creates a fresh database (dropped at the end, whatever happens), migrates it, arranges one
client with 50 projects and 10,000 contractors (each on one project, every tenth on a second
one too) with set-based inserts, then, per round: 20 threads (one contractor each, own app
context and session) log entries on the client's projects through ``entries.log_time`` in a
loop while ``incidents.start_incident`` freezes the whole client in-process; it reports the
start's time from its first statement to the commit, how long it waited for the locks, how
many statements it ran, how many people were told; then the incident is lifted (timed too).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.freeze import StatementCounter
from tests import live
from tracker import create_app, migrate
from tracker.db import unit_of_work
from tracker.errors import ProjectFrozen
from tracker.models import Incident, Project, User
from tracker.models.base import client_key
from tracker.services import entries, incidents

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PROJECTS = 50
CONTRACTORS = 10_000
WRITERS = 20
CLIENT = "Acme Bench"


def _arrange() -> list[int]:
    """The client's projects and contractors, inserted set-based; returns the project ids."""
    with unit_of_work() as session:
        session.execute(
            text(
                "INSERT INTO projects (code, name, client, client_key, status, skills,"
                " hourly_rate, currency, open_to_reassignment, created_at)"
                " SELECT 'ACME' || n, 'Acme project ' || n, :client, :key, 'open', '[]', 40,"
                " 'EUR', true, now() FROM generate_series(1, :count) AS n"
            ),
            {"client": CLIENT, "key": client_key(CLIENT), "count": PROJECTS},
        )
        session.execute(
            text(
                "INSERT INTO users (email, name, role, active, timezone, skills, session_token,"
                " recovery_codes, created_at) SELECT 'c' || n || '@bench.test', 'Bench ' || n,"
                " 'contractor', true, 'UTC', '[]', md5(random()::text), '[]', now()"
                " FROM generate_series(1, :count) AS n"
            ),
            {"count": CONTRACTORS},
        )
        ids = list(
            session.scalars(select(Project.id).where(Project.client == CLIENT).order_by(Project.id))
        )
        start = dt.date.today() - dt.timedelta(days=60)
        # Each contractor on one project, every tenth on the next one too.
        session.execute(
            text(
                "INSERT INTO assignments (user_id, project_id, start_date, origin, created_at)"
                " SELECT u.id, (:ids)[1 + (u.id % :n)], :start, 'direct', now()"
                " FROM users u WHERE u.email LIKE '%@bench.test'"
                " UNION ALL"
                " SELECT u.id, (:ids)[1 + ((u.id + 1) % :n)], :start, 'direct', now()"
                " FROM users u WHERE u.email LIKE '%@bench.test' AND u.id % 10 = 0"
            ),
            {"ids": ids, "n": len(ids), "start": start},
        )
    return ids


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


def _ms(values: list[float]) -> str:
    return (
        f"median {1000 * statistics.median(values):7.1f} ms  "
        f"min {1000 * min(values):7.1f}  max {1000 * max(values):7.1f}"
    )


def run(app: Any, rounds: int, warmup: float) -> None:
    project_ids = _arrange()
    with unit_of_work() as session:
        writers = list(
            session.execute(
                text(
                    "SELECT DISTINCT ON (project_id) user_id, project_id FROM assignments"
                    " WHERE project_id = ANY(:ids) ORDER BY project_id, user_id"
                ),
                {"ids": project_ids[:WRITERS]},
            ).all()
        )
    starts, lifts, waits = [], [], []
    for round_ in range(rounds):
        stop, lock = threading.Event(), threading.Lock()
        tally: dict[str, int] = {}
        threads = [
            threading.Thread(target=_writer, args=(app, uid, pid, stop, tally, lock))
            for uid, pid in writers
        ]
        for thread in threads:
            thread.start()
        time.sleep(warmup)
        with StatementCounter() as counter:
            began = time.perf_counter()
            with unit_of_work() as session:
                started = incidents.start_incident(
                    session,
                    None,
                    title="Bench",
                    reason="bench",
                    notice="The client is reevaluating the scope.",
                    client=CLIENT,
                )
                incident_id = started.incident.id
                held, affected = len(started.holds), started.affected
            elapsed = time.perf_counter() - began
        starts.append(elapsed)
        waits.append(counter.lock_wait)
        time.sleep(0.3)
        stop.set()
        for thread in threads:
            thread.join(30)
        print(
            f"round {round_ + 1}: start {1000 * elapsed:6.1f} ms (waited "
            f"{1000 * counter.lock_wait:5.1f} ms for the locks; {counter.count} statements) "
            f"froze {held} projects, told {affected} contractors, while {WRITERS} writers ran "
            f"({tally.get('committed', 0)} entries committed, {tally.get('refused', 0)} refused)"
        )
        began = time.perf_counter()
        with unit_of_work() as session:
            incidents.lift_incident(session, None, session.get_one(Incident, incident_id))
        lifts.append(time.perf_counter() - began)
    print(
        f"client-wide start ({PROJECTS} projects, {CONTRACTORS:,} contractors, {WRITERS} writers)"
    )
    print(f"  start     {_ms(starts)}")
    print(f"  lock wait {_ms(waits)}")
    print(f"  lift      {_ms(lifts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url", default=os.environ.get("TRACKER_BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--load-seconds", type=float, default=1.5)
    args = parser.parse_args()
    name, url = live.create_postgres(args.admin_url, "tracker_bench_incident")
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
                f"database {name} (PostgreSQL), {args.rounds} rounds; "
                f"{os.cpu_count()} CPUs, load average {load}"
            )
            run(app, args.rounds, args.load_seconds)
        app.extensions["tracker.engine"].dispose()
    finally:
        live.drop_postgres(args.admin_url, name)


if __name__ == "__main__":
    main()
