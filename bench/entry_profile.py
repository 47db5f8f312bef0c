"""Where an API entry's time goes: the SQL each POST /api/v1/entries sends, and a profile.

    .venv/bin/python bench/entry_profile.py [--admin-url URL] [--requests 3000] [--top 25]

Creates a fresh PostgreSQL database (dropped at the end), migrates it, gives one contractor an
assignment and a token, then posts 1-minute entries through the in-process test client:

1. one request with every round trip to the database listed (statements, and the pool's
   connection checks), and the count;
2. ``--requests`` requests under cProfile; the ``--top`` lines by cumulative time, and the
   share of the token check (``api_roles`` up to the view) in the whole request.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import random
import sys
from pathlib import Path
from typing import Any

from psycopg._connection_base import BaseConnection
from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import live  # noqa: E402
from tracker import create_app, migrate  # noqa: E402
from tracker.db import get_engine, unit_of_work  # noqa: E402
from tracker.services import assignments, projects, tokens, users  # noqa: E402

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET = "bench-secret-key-" + "x" * 40


def arrange(app: Any) -> tuple[int, str]:
    """A project, a contractor assigned to it, and the contractor's API token."""
    with app.app_context(), unit_of_work() as session:
        project = projects.create_project(
            session, None, code="PROF", name="Profile", hourly_rate="40.00"
        )
        user = users.create_user(
            session,
            None,
            email="prof@bench.test",
            name="Profiled",
            role="contractor",
            password="profile-password-0123456789",  # noqa: S106 - a throwaway database
        )
        session.flush()
        assignments.assign(
            session, None, project, user, start_date=dt.date.today() - dt.timedelta(days=60)
        )
        _token, raw = tokens.create_token(session, None, user, "profile")
        session.flush()
        return project.id, raw


def round_trips(app: Any, post: Any) -> list[str]:
    """Every statement one request sends (BEGIN/COMMIT/ROLLBACK and pool checks included)."""
    seen: list[str] = []
    with app.app_context():
        engine = get_engine()

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(" ".join(sql.split())[:150])

    def begin(_conn: Any) -> None:
        seen.append("(transaction begins)")

    def commit(_conn: Any) -> None:
        seen.append("COMMIT")

    def rollback(_conn: Any) -> None:
        seen.append("ROLLBACK")

    def ping(_conn: Any, _record: Any, _proxy: Any) -> None:
        pinged = getattr(engine.pool, "_pre_ping", False)
        seen.append("(pool checkout: pre-ping, a round trip)" if pinged else "(pool checkout)")

    listeners = [
        ("begin", begin),
        ("before_cursor_execute", statement),
        ("commit", commit),
        ("rollback", rollback),
    ]
    for name, fn in listeners:
        event.listen(engine, name, fn)
    event.listen(engine.pool, "checkout", ping)
    # What the driver sends on its own (BEGIN before a transaction's first statement, COMMIT).
    command = BaseConnection._exec_command

    def driver_command(self: Any, sql: Any, *args: Any, **kwargs: Any) -> Any:
        text = sql.decode() if isinstance(sql, bytes) else str(sql)
        seen.append(f"(driver) {text}")
        return (yield from command(self, sql, *args, **kwargs))

    BaseConnection._exec_command = driver_command  # type: ignore[method-assign]
    try:
        post()
    finally:
        BaseConnection._exec_command = command  # type: ignore[method-assign]
        for name, fn in listeners:
            event.remove(engine, name, fn)
        event.remove(engine.pool, "checkout", ping)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url", default=os.environ.get("TRACKER_BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", help="also write the profile here (pstats format)")
    args = parser.parse_args()
    name, url = live.create_postgres(args.admin_url, "tracker_bench")
    try:
        migrate.upgrade(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": SECRET,
                "API_RATE_LIMIT": "off",
                "API_ADDRESS_RATE_LIMIT": "off",
                "LOG_LEVEL": "WARNING",
            }
        )
        project_id, raw = arrange(app)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {raw}"}
        rng = random.Random(1)

        def post() -> None:
            day = dt.date.today() - dt.timedelta(days=rng.randint(1, 13))
            body = {"project_id": project_id, "work_date": day.isoformat(), "minutes": 1}
            response = client.post("/api/v1/entries", json=body, headers=headers)
            if response.status_code != 201:
                raise SystemExit(f"entry refused: {response.status_code} {response.get_data()}")

        for _ in range(20):  # warm up: caches, the pool, the token's last-used time
            post()
        trips = round_trips(app, post)
        print(f"round trips of one POST /api/v1/entries: {_count(trips)}")
        for line in trips:
            print(f"    {line}")
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            post()
        profile.disable()
        if args.save:
            profile.dump_stats(args.save)
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())
        table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
        total = max(v[3] for v in table.values())
        print(f"{args.requests} requests, {1000 * total / args.requests:.2f} ms each (profiled)")
        _report_share(table, total, "tokens.py", "authenticate", "token lookup")
    finally:
        live.drop_postgres(args.admin_url, name)


def _count(trips: list[str]) -> int:
    """Round trips in the listing: statements, pings and the driver's BEGIN and COMMIT.

    A transaction's BEGIN is a round trip of its own: the driver's (listed) or, when the
    driver lists none, the one tracker sends as the transaction begins.
    """
    meta = {"(pool checkout)", "COMMIT", "ROLLBACK", "(transaction begins)"}
    count = sum(1 for t in trips if t not in meta)
    if not any(t == "(driver) BEGIN" for t in trips):
        count += trips.count("(transaction begins)")
    return count


def _report_share(table: dict[Any, Any], total: float, file: str, func: str, label: str) -> None:
    for (path, _line, name), values in table.items():
        if path.endswith(file) and name == func:
            print(f"{label}: {100 * values[3] / total:.1f} % of the request")


if __name__ == "__main__":
    main()
