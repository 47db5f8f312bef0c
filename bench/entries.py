"""Time-entry benchmarks on PostgreSQL: timesheet page time by table size, API entry throughput.

    .venv/bin/python bench/entries.py [--admin-url URL] [--contractors 10000] [--entries 100]
        [--small 100] [--rounds 15] [--seconds 10] [--threads 16] [--workers 4]
        [--throughput-only]

Creates fresh databases (dropped at the end, whatever happens) and migrates them, then:

1. loads two databases with set-based ``INSERT ... SELECT generate_series``: ``--small``
   contractors x ``--entries`` entries (10,000 by default) and ``--contractors`` x ``--entries``
   (1,000,000 by default), and times ``GET /timesheet`` for the same contractor (same entries)
   in both (in-process test client, median of ``--rounds``, the two timed in alternation so the
   load of a shared machine falls on both alike);
2. starts ``gunicorn -w N wsgi:app`` and posts 1-minute entries through ``POST /api/v1/entries``
   from ``--threads`` client threads for ``--seconds``, then does the same against a bare Flask
   endpoint (``bare_app`` below) that runs one INSERT into the same table on the same database,
   and against the same INSERT behind nothing but the API's own token check
   (``token_checked_app``: the app, its request hooks and ``api_roles``, no rules, locks or
   audit), and prints the rates and their ratios to the bare endpoint. The third shows how
   much of the gap the authentication alone accounts for on the machine at hand. Each run
   also reports its CPU per request: the gunicorn master and workers (recycled ones too), and
   the PostgreSQL backends serving it (told apart by ``application_name``), a figure that
   moves less than the rates when other work shares the machine.

``--throughput-only`` skips the first part: one database with ``--threads`` contractors
(``--entries`` entries each), then the throughput run alone (a minute instead of many).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import live  # noqa: E402
from tracker import create_app, migrate  # noqa: E402
from tracker.db import unit_of_work  # noqa: E402
from tracker.models import User  # noqa: E402
from tracker.services import assignments, projects, tokens, users  # noqa: E402

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PROJECTS = 20
PASSWORD = "bench-password-0123456789"  # noqa: S105 - a throwaway bench database
SECRET = "bench-secret-key-" + "x" * 40


def _arrange_projects() -> list[int]:
    with unit_of_work() as session:
        made = [
            projects.create_project(
                session, None, code=f"BENCH{i}", name=f"Bench {i}", hourly_rate="40.00"
            )
            for i in range(PROJECTS)
        ]
        session.flush()
        return [p.id for p in made]


def _bench_contractor(project_id: int, per: int) -> User:
    """The contractor whose timesheet is timed: a real password, ``per`` entries, one a day."""
    with unit_of_work() as session:
        user = users.create_user(
            session,
            None,
            email="timed@bench.test",
            name="Timed",
            role="contractor",
            password=PASSWORD,
        )
        project = projects.get_project(session, project_id)
        assignments.assign(
            session, None, project, user, start_date=dt.date.today() - dt.timedelta(days=per + 30)
        )
        session.flush()
        _insert_entries(session, "email = 'timed@bench.test'", per)
        return user


def _insert_entries(session: Any, where: str, per: int) -> None:
    session.execute(
        text(
            "INSERT INTO time_entries (user_id, project_id, work_date, minutes, description,"
            " status, hourly_rate, currency, is_correction, created_by_id, created_at) "
            "SELECT u.id, a.project_id, CAST(:today AS date) - k, 30 + (k * 7) % 60,"
            " 'bench entry ' || k, CASE WHEN k % 3 = 0 THEN 'approved' ELSE 'submitted' END,"
            " 40, 'EUR', false, u.id, now() "
            "FROM users u JOIN assignments a ON a.user_id = u.id "
            f"CROSS JOIN generate_series(0, CAST(:per AS int) - 1) AS k WHERE {where}"
        ),
        {"today": dt.date.today(), "per": per},
    )


def _load(first: int, last: int, project_ids: list[int], per: int) -> None:
    """Contractors number first..last, each on one project with ``per`` entries, set-based."""
    if last < first:
        return
    with unit_of_work() as session:
        session.execute(
            text(
                "INSERT INTO users (email, name, role, active, timezone, skills, session_token,"
                " recovery_codes, created_at) "
                "SELECT 'c' || n || '@bench.test', 'Bench ' || n, 'contractor', true, 'UTC',"
                " '[]', md5(random()::text), '[]', now()"
                " FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS n"
            ),
            {"a": first, "b": last},
        )
        session.execute(
            text(
                "INSERT INTO assignments (user_id, project_id, start_date, origin, created_at) "
                "SELECT u.id, (CAST(:ids AS int[]))[1 + u.id % :n], :start, 'direct', now() "
                "FROM users u WHERE u.email LIKE 'c%@bench.test' AND NOT EXISTS "
                "(SELECT 1 FROM assignments x WHERE x.user_id = u.id)"
            ),
            {
                "ids": project_ids,
                "n": len(project_ids),
                "start": dt.date.today() - dt.timedelta(days=per + 30),
            },
        )
        _insert_entries(
            session,
            "u.email LIKE 'c%@bench.test' AND NOT EXISTS "
            "(SELECT 1 FROM time_entries t WHERE t.user_id = u.id)",
            per,
        )
    # Settle the table before timing: autovacuum on a freshly loaded million rows would
    # otherwise compete with the measured requests.
    from tracker.db import get_engine

    with get_engine().execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE) time_entries")
        connection.exec_driver_sql("ANALYZE")


def _plan(session: Any) -> str:
    """The plan of the timesheet's entry query, to show it uses the (user_id, work_date) index."""
    monday = dt.date.today() - dt.timedelta(days=7 + dt.date.today().weekday())
    rows = session.execute(
        text(
            "EXPLAIN SELECT * FROM time_entries WHERE user_id = "
            "(SELECT id FROM users WHERE email = 'timed@bench.test') "
            "AND work_date >= :a AND work_date <= :b"
        ),
        {"a": monday, "b": monday + dt.timedelta(days=6)},
    ).scalars()
    return "\n".join(f"    {line}" for line in rows)


def _count(session: Any) -> int:
    return int(session.execute(text("SELECT count(*) FROM time_entries")).scalar_one())


def _timesheet_client(app: Any) -> tuple[Any, str]:
    """A test client signed in as the timed contractor, and last week's timesheet URL."""
    client = app.test_client()
    response = client.post("/login", data={"email": "timed@bench.test", "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"bench login failed: {response.status_code}")
    last_week = dt.date.today() - dt.timedelta(days=7)
    year, week, _ = last_week.isocalendar()
    path = f"/timesheet?week={year}-W{week:02d}"
    client.get(path)  # warm up templates, pools and caches
    return client, path


def _time_timesheets(apps: list[Any], rounds: int) -> list[float]:
    """Median page time per app, the apps timed in alternation so machine load hits all alike."""
    clients = [_timesheet_client(app) for app in apps]
    times: list[list[float]] = [[] for _ in apps]
    for _ in range(rounds):
        for i, (client, path) in enumerate(clients):
            started = time.perf_counter()
            page = client.get(path)
            times[i].append(time.perf_counter() - started)
            if page.status_code != 200 or "week-total" not in page.get_data(as_text=True):
                raise SystemExit(f"timesheet answered {page.status_code} without the grid")
    return [statistics.median(t) for t in times]


BARE_INSERT = text(
    "INSERT INTO time_entries (user_id, project_id, work_date, minutes,"
    " description, status, hourly_rate, currency, is_correction,"
    " created_by_id, created_at) VALUES (:u, :p, :d, :m, '', 'submitted', 40,"
    " 'EUR', false, :u, now()) RETURNING id"
)


def _bare_values(user_id: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"u": user_id, "p": body["project_id"], "d": body["work_date"], "m": body["minutes"]}


def bare_app() -> Any:
    """A bare Flask endpoint doing one INSERT into time_entries (the throughput baseline)."""
    from flask import Flask, jsonify, request

    engine = create_engine(os.environ["TRACKER_DATABASE_URL"], pool_size=5, max_overflow=10)
    app = Flask("bare")

    @app.post("/insert")
    def insert() -> Any:
        body = request.get_json()
        with engine.begin() as connection:
            values = _bare_values(body["user_id"], body)
            new_id = connection.execute(BARE_INSERT, values).scalar_one()
        return jsonify({"id": new_id}), 201

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"status": "ok"})

    return app


def token_checked_app() -> Any:
    """The tracker app with the bare INSERT behind its API token check only (a reference)."""
    from flask import jsonify, request

    from tracker.api.access import api_roles, caller

    app = create_app()

    @app.post("/bench/insert")
    @api_roles("contractor")
    def token_checked_insert() -> Any:
        body = request.get_json()
        with unit_of_work() as db:
            new_id = db.execute(BARE_INSERT, _bare_values(caller().id, body)).scalar_one()
        return jsonify({"id": new_id}), 201

    app.extensions["csrf"].exempt(token_checked_insert)  # bearer token, like the API
    return app


def _serve(target: str, url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = live.free_port()
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_SECRET_KEY": SECRET,
        "TRACKER_PASSWORD_MEMORY_KIB": "1024",
        "TRACKER_API_RATE_LIMIT": "off",  # measure the work, not the limiter
        "TRACKER_API_ADDRESS_RATE_LIMIT": "off",
        "TRACKER_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,  # gunicorn.conf.py logs access there
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"{target} did not start")


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int, reaped: bool = False) -> float:
    """CPU seconds a process has used (with ``reaped``: also its children that have exited)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICK


def server_cpu(pid: int) -> float:
    """CPU seconds of a gunicorn master and its workers, live and recycled."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        children = []
    return _cpu_of(pid, reaped=True) + sum(_cpu_of(int(child)) for child in children)


def backend_cpu(admin: Any, application: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving connections named ``application``."""
    with admin.connect() as connection:
        pids = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"),
            {"a": application},
        ).scalars()
        return {pid: _cpu_of(pid) for pid in pids}


def named(url: str, application: str) -> str:
    """The database URL with an application name, so its backends can be told apart."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}application_name={application}"


class CpuMeter:
    """CPU seconds spent by a server and its database backends between ``start`` and ``stop``."""

    def __init__(self, admin: Any, pid: int, application: str) -> None:
        self.admin, self.pid, self.application = admin, pid, application
        self.app_seconds = 0.0
        self.db_seconds = 0.0

    def start(self) -> None:
        self._server = server_cpu(self.pid)
        self._backends = backend_cpu(self.admin, self.application)

    def stop(self) -> None:
        self.app_seconds += server_cpu(self.pid) - self._server
        now = backend_cpu(self.admin, self.application)
        self.db_seconds += sum(cpu - self._backends.get(pid, 0.0) for pid, cpu in now.items())


def _hammer(
    port: int,
    path: str,
    bodies: list[tuple[dict[str, str], Any]],
    seconds: float,
    threads: int,
    method: str = "POST",
) -> tuple[int, int]:
    """Post from many threads for ``seconds``; returns (2xx count, other count).

    A new connection per request, as most API clients of a time tracker make.
    """
    ok = [0] * threads
    bad = [0] * threads
    stop = time.monotonic() + seconds

    def run(i: int) -> None:
        headers, make_body = bodies[i % len(bodies)]
        rng = random.Random(i)
        for _ in range(1_000_000):
            if time.monotonic() >= stop:
                return
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            payload = json.dumps(make_body(rng))
            connection.request(
                method, path, payload, {"Content-Type": "application/json", **headers}
            )
            response = connection.getresponse()
            response.read()
            connection.close()
            if 200 <= response.status < 300:
                ok[i] += 1
            else:
                bad[i] += 1

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + 60)
    return sum(ok), sum(bad)


def _throughput(app: Any, url: str, args: argparse.Namespace) -> None:
    with app.app_context(), unit_of_work() as session:
        rows = session.execute(
            text(
                "SELECT u.id, a.project_id FROM users u JOIN assignments a ON a.user_id = u.id "
                "WHERE u.email LIKE 'c%@bench.test' ORDER BY u.id LIMIT :n"
            ),
            {"n": args.threads},
        ).all()
        people = []
        for user_id, project_id in rows:
            user = session.get(User, user_id)
            _token, raw = tokens.create_token(session, None, user, "bench")
            people.append((user_id, project_id, raw))

    def day(rng: random.Random) -> str:
        return (dt.date.today() - dt.timedelta(days=rng.randint(1, 13))).isoformat()

    api_bodies = [
        (
            {"Authorization": f"Bearer {raw}"},
            lambda rng, pid=pid: {"project_id": pid, "work_date": day(rng), "minutes": 1},
        )
        for _uid, pid, raw in people
    ]
    bare_bodies = [
        (
            {},
            lambda rng, uid=uid, pid=pid: {
                "user_id": uid,
                "project_id": pid,
                "work_date": day(rng),
                "minutes": 1,
            },
        )
        for uid, pid, _raw in people
    ]
    runs = {
        "api": ("wsgi:app", "/api/v1/entries", api_bodies),
        "bare": ("bench.entries:bare_app()", "/insert", bare_bodies),
        "token": ("bench.entries:token_checked_app()", "/bench/insert", api_bodies),
    }
    servers = {
        label: _serve(target, named(url, f"bench_{label}"), args.workers)
        for label, (target, _, _) in runs.items()
    }
    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    meters = {
        label: CpuMeter(admin, server.pid, f"bench_{label}")
        for label, (server, _port) in servers.items()
    }
    totals = {label: [0, 0] for label in runs}
    try:
        for label, (_target, path, bodies) in runs.items():
            _hammer(servers[label][1], path, bodies, 2, args.threads)  # warm up workers, pools
        # Alternate short windows so the load of a shared machine falls on both alike.
        windows = 5
        for _ in range(windows):
            for label, (_target, path, bodies) in runs.items():
                meters[label].start()
                ok, bad = _hammer(
                    servers[label][1], path, bodies, args.seconds / windows, args.threads
                )
                meters[label].stop()
                totals[label][0] += ok
                totals[label][1] += bad
    finally:
        for server, _port in servers.values():
            server.terminate()
            server.wait(timeout=30)
        admin.dispose()
    results = {}
    for label, (ok, bad) in totals.items():
        results[label] = ok / args.seconds
        meter = meters[label]
        print(
            f"{label:>5}: {ok / args.seconds:8.1f} created/s  ({ok} created, {bad} refused"
            f" or failed, {args.threads} client threads, gunicorn -w {args.workers},"
            f" {windows} alternating windows); CPU per request: server"
            f" {1000 * meter.app_seconds / max(ok, 1):.2f} ms, PostgreSQL"
            f" {1000 * meter.db_seconds / max(ok, 1):.2f} ms"
        )
    print(f"ratio api / bare insert: {results['api'] / results['bare']:.2f}")
    print(
        "ratio token check + bare insert / bare insert (the ceiling authentication leaves):"
        f" {results['token'] / results['bare']:.2f}"
    )
    cpu = {label: meters[label].app_seconds + meters[label].db_seconds for label in runs}
    per = {label: cpu[label] / max(totals[label][0], 1) for label in runs}
    print(
        "ratio by CPU per request (server + PostgreSQL), api / bare insert:"
        f" {per['bare'] / per['api']:.2f}; token check / bare insert:"
        f" {per['bare'] / per['token']:.2f}"
    )


def bench_app(url: str) -> Any:
    """The app on a migrated bench database, for arranging it."""
    migrate.upgrade(url)
    return create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_MEMORY_KIB": 1024,
            "LOG_LEVEL": "WARNING",
        }
    )


def arrange_contractors(app: Any, contractors: int, per: int) -> None:
    """Projects, the timed contractor and ``contractors`` more, each with ``per`` entries."""
    with app.app_context():
        ids = _arrange_projects()
        _bench_contractor(ids[0], per)
        _load(1, contractors, ids, per)
    app.extensions["tracker.engine"].dispose()


def _throughput_only(args: argparse.Namespace) -> None:
    name, url = live.create_postgres(args.admin_url, "tracker_bench")
    try:
        app = bench_app(url)
        arrange_contractors(app, args.threads, args.entries)
        _throughput(app, url, args)
    finally:
        live.drop_postgres(args.admin_url, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url", default=os.environ.get("TRACKER_BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--contractors", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=100, help="entries per contractor")
    parser.add_argument("--small", type=int, default=100, help="contractors in the small run")
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--throughput-only", action="store_true", help="skip the page timing")
    args = parser.parse_args()
    if args.throughput_only:
        _throughput_only(args)
        return
    small_name, small_url = live.create_postgres(args.admin_url, "tracker_bench")
    name, url = live.create_postgres(args.admin_url, "tracker_bench")
    try:
        apps = []
        for target, contractors in ((small_url, args.small), (url, args.contractors)):
            migrate.upgrade(target)
            app = create_app(
                {
                    "DATABASE_URL": target,
                    "SECRET_KEY": SECRET,
                    "WTF_CSRF_ENABLED": False,
                    "PASSWORD_MEMORY_KIB": 1024,
                    "LOG_LEVEL": "WARNING",
                }
            )
            with app.app_context():
                ids = _arrange_projects()
                _bench_contractor(ids[0], args.entries)
                started = time.perf_counter()
                _load(1, contractors - 1, ids, args.entries)
                with unit_of_work() as session:
                    count = _count(session)
                    plan = _plan(session)
            print(f"loaded {count:,} entries in {time.perf_counter() - started:.1f} s")
            apps.append((app, count))
        print(f"timesheet entry query plan at {count:,} entries:\n{plan}")
        small_time, large_time = _time_timesheets([a for a, _ in apps], args.rounds)
        (small_app, small), (app, large) = apps
        print(
            f"timesheet page, median of {args.rounds} (alternating): {1000 * small_time:.1f} ms"
            f" at {small:,} entries, {1000 * large_time:.1f} ms at {large:,} entries"
            f" (ratio {large_time / small_time:.2f})"
        )
        small_app.extensions["tracker.engine"].dispose()
        live.drop_postgres(args.admin_url, small_name)
        app.extensions["tracker.engine"].dispose()
        _throughput(app, url, args)
    finally:
        live.drop_postgres(args.admin_url, small_name)
        live.drop_postgres(args.admin_url, name)


if __name__ == "__main__":
    main()
