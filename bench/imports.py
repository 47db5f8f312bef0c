"""Imports: how long a 10,000-row people file and a 1,000-row project file take, on both databases.

    .venv/bin/python bench/imports.py [--admin-url URL] [--people N] [--projects N] [--only DB]

For each database (a fresh SQLite file, and a fresh PostgreSQL database dropped at the end,
whatever happens) it imports, through ``imports.run_import`` in one unit of work as the API
and the CLI do:

1. N people (default 10,000), as a dry run, then for real (each gets a setup link by email
   through the outbox), then the same file again (nothing changes);
2. M projects (default 1,000) the same way;
3. one assignment per person onto the projects.

It reports seconds per step and rows per second, and the statements the real people import
ran (set-based: the count must not grow with the rows). Run it where nothing else is busy.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.freeze import StatementCounter
from tests import live
from tracker import create_app, migrate
from tracker.db import unit_of_work
from tracker.services import imports

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LIMIT = 64 * 1024 * 1024
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC")


def people_csv(count: int) -> bytes:
    lines = ["email,name,role,timezone,skills,hourly_rate"]
    for n in range(count):
        lines.append(
            f"person{n:05d}@example.com,Person {n:05d},contractor,{ZONES[n % len(ZONES)]},"
            f"python;sql,{40 + n % 20}.50"
        )
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def projects_csv(count: int) -> bytes:
    lines = ["code;name;client;seats;skills;hourly_rate;currency;open_to_reassignment"]
    for n in range(count):
        lines.append(f"P{n:05d};Project {n};Client {n % 50};;python;{50 + n % 30},00;EUR;true")
    return ("\r\n".join(lines) + "\r\n").encode()


def assignments_csv(people: int, projects: int) -> bytes:
    lines = ["email,project_code,start_date,end_date,hourly_rate"]
    for n in range(people):
        lines.append(f"person{n:05d}@example.com,P{n % projects:05d},2026-01-05,,")
    return ("\r\n".join(lines) + "\r\n").encode()


def timed(kind: str, data: bytes, dry_run: bool = False) -> tuple[float, Any, int]:
    with StatementCounter() as counter:
        started = time.perf_counter()
        with unit_of_work() as session:
            result = imports.run_import(session, None, kind, data, dry_run=dry_run, max_bytes=LIMIT)
        elapsed = time.perf_counter() - started
    return elapsed, result, counter.count


def bench(label: str, people: int, projects: int) -> None:
    print(f"== {label} ==")
    files = {
        "users": people_csv(people),
        "projects": projects_csv(projects),
        "assignments": assignments_csv(people, projects),
    }
    for kind, rows in (("users", people), ("projects", projects), ("assignments", people)):
        data = files[kind]
        steps = (("dry run", True), ("import", False), ("again", False))
        for step, dry_run in steps if kind != "assignments" else steps[1:]:
            elapsed, result, statements = timed(kind, data, dry_run)
            print(
                f"{kind:12} {step:8} {rows:>6} rows ({len(data) / 1e6:.2f} MB): {elapsed:6.2f} s "
                f"({rows / elapsed:8.0f} rows/s) created {result.created} updated "
                f"{result.updated} unchanged {result.unchanged}; {statements} statements"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url", default=os.environ.get("TRACKER_BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--projects", type=int, default=1_000)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = {"SECRET_KEY": secrets.token_hex(32), "MAIL_DIR": tmp}
        if args.only != "postgres":
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            migrate.upgrade(url)
            app = create_app({**settings, "DATABASE_URL": url})
            with app.app_context():
                bench("SQLite", args.people, args.projects)
            app.extensions["tracker.engine"].dispose()
        if args.only != "sqlite":
            name, url = live.create_postgres(args.admin_url, "tracker_bench")
            try:
                migrate.upgrade(url)
                app = create_app({**settings, "DATABASE_URL": url})
                with app.app_context():
                    bench(f"PostgreSQL ({name})", args.people, args.projects)
                app.extensions["tracker.engine"].dispose()
            finally:
                live.drop_postgres(args.admin_url, name)


if __name__ == "__main__":
    main()
