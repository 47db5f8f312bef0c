"""How long a freeze takes while anonymous clients hammer the server, on SQLite and PostgreSQL.

    .venv/bin/python bench/anonymous_freeze.py [--database sqlite|postgres|both] [--rounds N]
        [--clients N] [--admin-url URL] [--memory-kib KIB]

For each database: a fresh one (a temporary SQLite file, or a PostgreSQL database dropped at the
end), migrated; an admin with an API token and a project with contractors. A ``gunicorn -w 4
--threads 4`` server serves it with the production password hashing (Argon2id, 19 MiB by
default). ``--clients`` browser-like clients post wrong passwords to /login and as many post
made-up tokens to the freeze route itself, in loops; meanwhile the admin freezes and unfreezes
the project through the API ``--rounds`` times. Prints each freeze's latency (median and worst),
the same without the crowd, the crowd's answers and the audit rows it left.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import live
from tests.anonymous_load import Crowd
from tracker import create_app, migrate
from tracker.db import unit_of_work
from tracker.models import AuditEvent
from tracker.services import assignments, projects, tokens, users

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-password-0123456789"  # noqa: S105 - a throwaway database


@contextmanager
def _database(kind: str, admin_url: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    with live.temporary_postgres(admin_url, prefix="tracker_bench") as url:
        yield url


def _arrange(url: str) -> tuple[str, str, int]:
    """An admin's token, a contractor's email (the crowd's target), a project's id."""
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32)})
    with app.app_context(), unit_of_work() as session:
        admin = users.create_user(
            session, None, email="admin@bench.test", name="Admin", role="admin", password=PASSWORD
        )
        victim = users.create_user(
            session, None, email="victim@bench.test", name="Victim", role="contractor"
        )
        project = projects.create_project(
            session, None, code="BENCH", name="Bench", hourly_rate="40"
        )
        for n in range(20):
            person = users.create_user(
                session, None, email=f"c{n}@bench.test", name=f"C {n}", role="contractor"
            )
            assignments.assign(session, None, project, person)
        _row, raw = tokens.create_token(session, None, admin, "bench")
        ids = (raw, victim.email, project.id)
    app.extensions["tracker.engine"].dispose()
    return ids


def _rounds(port: int, token: str, project_id: int, rounds: int) -> list[float]:
    """Freeze and unfreeze ``rounds`` times; the freezes' latencies in seconds."""
    took = []
    for n in range(rounds):
        started = time.perf_counter()
        status, body = live.call(
            port,
            "POST",
            f"/projects/{project_id}/freeze",
            token,
            {"reason": f"Bench {n}", "notice": "Paused."},
            timeout=120,
        )
        took.append(time.perf_counter() - started)
        if status != 200:
            raise RuntimeError(f"freeze answered {status}: {body}")
        status, body = live.call(port, "POST", f"/projects/{project_id}/unfreeze", token, {})
        if status != 200:
            raise RuntimeError(f"unfreeze answered {status}: {body}")
    return took


def _summary(took: list[float]) -> str:
    return f"median {statistics.median(took) * 1000:.0f} ms, worst {max(took) * 1000:.0f} ms"


def _denied_rows(url: str) -> int:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32)})
    with app.app_context():
        from tracker.db import get_session

        count = get_session().scalar(select(func.count()).where(AuditEvent.action == "api.denied"))
    app.extensions["tracker.engine"].dispose()
    return int(count or 0)


def bench(kind: str, args: Any) -> None:
    with _database(kind, args.admin_url) as url:
        token, victim, project_id = _arrange(url)
        env = {"TRACKER_PASSWORD_MEMORY_KIB": str(args.memory_kib)}
        with live.gunicorn(url, workers=4, threads=4, env=env) as port:
            quiet = _rounds(port, token, project_id, args.rounds)
            path = f"/projects/{project_id}/freeze"
            with Crowd(port, victim, path, args.clients, args.clients) as crowd:
                loaded = _rounds(port, token, project_id, args.rounds)
                answered = len(crowd.statuses)
            answers = crowd.stop()
        print(
            f"{kind}: freeze alone {_summary(quiet)}; with {args.clients} failing sign-ins and "
            f"{args.clients} bad-token clients {_summary(loaded)} ({answered} crowd answers "
            f"during the freezes: {answers}; api.denied rows {_denied_rows(url)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--memory-kib", type=int, default=19456, help="Argon2id memory")
    parser.add_argument(
        "--admin-url", default=os.environ.get("TRACKER_BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load}; {args.rounds} freezes each")
    kinds = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    for kind in kinds:
        bench(kind, args)


if __name__ == "__main__":
    main()
