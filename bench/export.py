"""Payroll export on PostgreSQL: CSV and XLSX throughput and server memory at 100,000 and
1,000,000 rows.

    .venv/bin/python bench/export.py [--admin-url URL] [--rows N] [--repeat R]

Creates a fresh database (dropped at the end, whatever happens), migrates it, and inserts the
entries set-based (``INSERT … SELECT … generate_series``): 1,000 approved entries per work date,
so a 100-day period holds 100,000 rows and a 1,000-day period 1,000,000. For each size it starts
a fresh one-worker gunicorn (the production ``gunicorn.conf.py``), downloads
``GET /api/v1/payroll.csv`` with a payroll token, and reads the worker's peak resident memory
(``VmHWM`` in ``/proc/<pid>/status``). Two limits, each ``psql \\copy`` to psql's stdout:
``psql own`` copies the app's own query (the statement the app sends, parameters inlined; the
script checks its bytes equal the app's), ``psql plain`` copies the plain join behind it: the
same rows in the same order, the columns as stored, no formatting (no guard, no date or number
formatting). The table gives the app's throughput as a ratio of each.

Then, again with a fresh worker per size, ``GET /api/v1/payroll.xlsx`` (the detail sheet and
the summary sheet): detail rows per second from request to last byte, and the worker's peak
memory. The file is checked: a ZIP whose detail sheet spans the header and every row.

The XLSX writers alone, without database or server, are compared in ``bench/xlsx_writers.py``.

Targets (issues 6, 17 and 20): peak memory at 1M within 1.2x of 100k, for CSV and for XLSX;
CSV throughput at least 0.5 of ``psql plain``. ``--skip-xlsx`` measures the CSV alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import live  # noqa: E402
from tracker import create_app, migrate  # noqa: E402
from tracker.db import get_engine, unit_of_work  # noqa: E402
from tracker.services import payroll, projects, tokens, users  # noqa: E402
from tracker.services import payroll_csv as writers  # noqa: E402

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
FIRST_DAY = dt.date(2024, 1, 1)
PER_DAY = 1000
CONTRACTORS = 200
PROJECTS = 20
READ_BYTES = 1 << 20


def _arrange(rows: int) -> str:
    """Users, projects and ``rows`` approved entries; returns a payroll user's API token."""
    with unit_of_work() as session:
        approver = users.create_user(
            session, None, email="approver@bench.test", name="Approver", role="admin"
        )
        payer = users.create_user(
            session, None, email="payroll@bench.test", name="Payroll", role="payroll"
        )
        for n in range(PROJECTS):
            projects.create_project(
                session,
                None,
                code=f"BENCH{n}",
                name=f"Bench project {n}",
                client="Bench client",
                hourly_rate="50.00",
                currency="EUR" if n % 3 else "USD",
            )
        session.flush()
        _row, token = tokens.create_token(session, None, payer, "bench")
        session.execute(
            text(
                "INSERT INTO users (email, name, role, active, timezone, skills, session_token,"
                " recovery_codes, created_at) "
                "SELECT 'contractor' || n || '@bench.test', 'Contractor ' || n, 'contractor',"
                " true, 'UTC', '[]', md5(random()::text), '[]', now() "
                "FROM generate_series(1, :count) AS n"
            ),
            {"count": CONTRACTORS},
        )
        approver_id = approver.id
    with get_engine().begin() as connection:
        connection.execute(
            text(
                "WITH c AS (SELECT array_agg(id ORDER BY id) AS ids FROM users "
                "           WHERE role = 'contractor'), "
                "     p AS (SELECT array_agg(id ORDER BY id) AS ids, "
                "                  array_agg(currency ORDER BY id) AS cur FROM projects) "
                "INSERT INTO time_entries (user_id, project_id, work_date, minutes, description,"
                " status, hourly_rate, currency, is_correction, approved_by_id, approved_at,"
                " created_by_id, created_at) "
                "SELECT c.ids[1 + g % :contractors], p.ids[1 + g % :projects],"
                " :first + ((g - 1) / :per_day)::int,"
                " CASE WHEN g % 97 = 0 THEN -(1 + g % 90) ELSE 1 + (g * 7) % 480 END,"
                " CASE WHEN g % 50 = 0 THEN '=SUM(A' || g || ')'"
                "      WHEN g % 51 = 0 THEN 'Fixed \"login\", retested' "
                "      ELSE 'Ticket ' || g END,"
                " 'approved', (ARRAY[33.33, 0.01, 999.99, 50.00])[1 + g % 4],"
                " p.cur[1 + g % :projects], g % 97 = 0, :approver, now(),"
                " c.ids[1 + g % :contractors], now() "
                "FROM generate_series(1, :rows) AS g, c, p"
            ),
            {
                "contractors": CONTRACTORS,
                "projects": PROJECTS,
                "first": FIRST_DAY,
                "per_day": PER_DAY,
                "approver": approver_id,
                "rows": rows,
            },
        )
        connection.execute(text("ANALYZE"))
    return token


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


class Server:
    """A one-worker gunicorn on a free port, with the production settings file."""

    def __init__(self, url: str) -> None:
        self.port = live.free_port()
        env = {
            **os.environ,
            "TRACKER_DATABASE_URL": url,
            "TRACKER_SECRET_KEY": secrets.token_hex(32),
            "TRACKER_PASSWORD_MEMORY_KIB": "1024",
            "TRACKER_API_RATE_LIMIT": "off",  # measure the work, not the limiter
            "TRACKER_API_ADDRESS_RATE_LIMIT": "off",
            "TRACKER_WORKERS": "1",
            "TRACKER_BIND": f"127.0.0.1:{self.port}",
        }
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _ = self.get("/healthz", {})
                if status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("gunicorn did not answer /healthz within 30 s")
        [self.worker] = _children(self.process.pid)

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stream(
        self, path: str, headers: dict[str, str], keep: Any = None
    ) -> tuple[int, str, float]:
        """Download path; (bytes, sha256, seconds), reading like a client saving a file (to
        ``keep``, a binary file, when given)."""
        digest = hashlib.sha256()
        size = 0
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=900)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status} {response.read()[:300]!r}")
            while chunk := response.read(READ_BYTES):
                digest.update(chunk)
                size += len(chunk)
                if keep is not None:
                    keep.write(chunk)
        finally:
            connection.close()
        return size, digest.hexdigest(), time.perf_counter() - started

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


# The join behind the detail file, as stored: the same rows in the same order, no formatting.
PLAIN_SQL = (
    "SELECT e.id, e.work_date, u.email, u.name, p.code, p.name, p.client, e.minutes,"
    " e.hourly_rate, e.currency, e.status, a.email, e.approved_at, e.description,"
    " e.export_batch_id "
    "FROM time_entries e JOIN users u ON u.id = e.user_id JOIN projects p ON p.id = e.project_id "
    "LEFT JOIN users a ON a.id = e.approved_by_id "
    "WHERE {where} "
    'ORDER BY e.work_date, u.email COLLATE "C", p.code COLLATE "C", e.id'
)


def _psql_copy(
    url: str, start: dt.date, end: dt.date, sql: str = writers.DETAIL_SQL
) -> tuple[int, str, float]:
    """psql \\copy of a query (the app's own COPY query unless told) to psql's stdout: (bytes,
    sha256, seconds)."""
    import psycopg

    scope = payroll.make_scope(start, end)
    where, params = payroll.where_sql(scope)
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    query = sql.format(where=where)
    with psycopg.connect(libpq) as connection:
        inlined = psycopg.ClientCursor(connection).mogrify(query, params)
    command = f"\\copy ({inlined}) TO STDOUT (FORMAT csv, HEADER, ENCODING 'UTF8')"
    digest = hashlib.sha256()
    size = 0
    started = time.perf_counter()
    process = subprocess.Popen(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", libpq, "-c", command],
        stdout=subprocess.PIPE,
    )
    if process.stdout is None:  # never: stdout is a pipe
        raise RuntimeError("no pipe from psql")
    while chunk := process.stdout.read(READ_BYTES):
        digest.update(chunk)
        size += len(chunk)
    if process.wait(timeout=600) != 0:
        raise RuntimeError("psql \\copy failed")
    return size, digest.hexdigest(), time.perf_counter() - started


def _measure(url: str, token: str, days: int, repeat: int) -> dict[str, Any]:
    start, end = FIRST_DAY, FIRST_DAY + dt.timedelta(days=days - 1)
    rows = days * PER_DAY
    path = f"/api/v1/payroll.csv?start={start}&end={end}"
    headers = {"Authorization": f"Bearer {token}"}
    server = Server(url)
    try:
        # One small export first, so the baseline includes everything a first request imports.
        server.stream(f"/api/v1/payroll.csv?start={start}&end={start}", headers)
        baseline = _status_kib(server.worker, "VmRSS")
        app_runs, psql_runs, plain_runs = [], [], []
        for _ in range(repeat):  # interleaved: all three see the same neighbours on a shared host
            app_runs.append(server.stream(path, headers))
            psql_runs.append(_psql_copy(url, start, end))
            plain_runs.append(_psql_copy(url, start, end, PLAIN_SQL))
        peak = _status_kib(server.worker, "VmHWM")
    finally:
        server.stop()
    app_best = min(app_runs, key=lambda r: r[2])
    psql_best = min(psql_runs, key=lambda r: r[2])
    plain_best = min(plain_runs, key=lambda r: r[2])
    return {
        "rows": rows,
        "bytes": app_best[0],
        "app_s": app_best[2],
        "psql_s": psql_best[2],
        "plain_s": plain_best[2],
        "app_rows_s": rows / app_best[2],
        "psql_rows_s": rows / psql_best[2],
        "plain_rows_s": rows / plain_best[2],
        "baseline_kib": baseline,
        "peak_kib": peak,
        "identical": len({r[1] for r in app_runs} | {r[1] for r in psql_runs}) == 1,
    }


def _detail_rows_in(path: Path) -> int:
    """The data rows of an XLSX's detail sheet, from its ``<dimension>`` (header excluded)."""
    with zipfile.ZipFile(path) as book, book.open("xl/worksheets/sheet1.xml") as sheet:
        head = sheet.read(4096).decode("utf-8", "replace")
    match = re.search(r'<dimension ref="A1:[A-Z]+(\d+)"', head)
    if match is None:
        raise RuntimeError(f"no dimension in the detail sheet: {head[:300]!r}")
    return int(match.group(1)) - 1


def _measure_xlsx(url: str, token: str, days: int, repeat: int) -> dict[str, Any]:
    start, end = FIRST_DAY, FIRST_DAY + dt.timedelta(days=days - 1)
    rows = days * PER_DAY
    headers = {"Authorization": f"Bearer {token}"}
    server = Server(url)
    try:
        server.stream(f"/api/v1/payroll.xlsx?start={start}&end={start}", headers)
        baseline = _status_kib(server.worker, "VmRSS")
        runs = []
        for _ in range(repeat):
            with tempfile.NamedTemporaryFile(suffix=".xlsx") as saved:
                path = f"/api/v1/payroll.xlsx?start={start}&end={end}"
                runs.append(server.stream(path, headers, keep=saved))
                saved.flush()
                if _detail_rows_in(Path(saved.name)) != rows:
                    raise RuntimeError("the XLSX does not hold every row")
        peak = _status_kib(server.worker, "VmHWM")
    finally:
        server.stop()
    best = min(runs, key=lambda r: r[2])
    return {
        "rows": rows,
        "bytes": best[0],
        "app_s": best[2],
        "app_rows_s": rows / best[2],
        "baseline_kib": baseline,
        "peak_kib": peak,
        "identical": True,
    }


def _table(title: str, results: list[dict[str, Any]], with_psql: bool) -> None:
    print(title)
    psql = (
        f" {'psql own s':>10} {'app/own':>7} {'psql plain s':>12} {'app/plain':>9}"
        if with_psql
        else ""
    )
    print(
        f"{'rows':>10} {'MB':>7} {'app s':>7} {'app rows/s':>11}{psql} "
        f"{'base RSS MiB':>13} {'peak MiB':>9} same"
    )
    for r in results:
        psql = (
            f" {r['psql_s']:>10.2f} {r['app_rows_s'] / r['psql_rows_s']:>7.2f}"
            f" {r['plain_s']:>12.2f} {r['app_rows_s'] / r['plain_rows_s']:>9.2f}"
            if with_psql
            else ""
        )
        print(
            f"{r['rows']:>10,} {r['bytes'] / 1e6:>7.1f} {r['app_s']:>7.2f} "
            f"{r['app_rows_s']:>11,.0f}{psql} {r['baseline_kib'] / 1024:>13.1f} "
            f"{r['peak_kib'] / 1024:>9.1f} {'yes' if r['identical'] else 'NO'}"
        )


def main() -> int:
    """Arrange, measure both sizes, print the figures; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url", default=os.environ.get("TRACKER_BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="entries to generate")
    parser.add_argument("--repeat", type=int, default=2, help="downloads per size (best kept)")
    parser.add_argument("--skip-xlsx", action="store_true", help="measure the CSV only")
    args = parser.parse_args()
    name, url = live.create_postgres(args.admin_url, "tracker_bench")
    try:
        migrate.upgrade(url)
        app = create_app(
            {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "PASSWORD_MEMORY_KIB": 1024}
        )
        started = time.perf_counter()
        with app.app_context():
            token = _arrange(args.rows)
        app.extensions["tracker.engine"].dispose()
        print(f"arranged {args.rows:,} entries in {time.perf_counter() - started:.1f} s")
        total_days = args.rows // PER_DAY
        sizes = (total_days // 10, total_days)
        results = [_measure(url, token, days, args.repeat) for days in sizes]
        xlsx = [] if args.skip_xlsx else [_measure_xlsx(url, token, d, args.repeat) for d in sizes]
    finally:
        live.drop_postgres(args.admin_url, name)
    _table("CSV (GET /api/v1/payroll.csv, generic detail)", results, with_psql=True)
    small, large = results
    memory_ratio = large["peak_kib"] / small["peak_kib"]
    own_ratio = large["app_rows_s"] / large["psql_rows_s"]
    plain_ratio = large["app_rows_s"] / large["plain_rows_s"]
    print(
        f"CSV peak memory {large['rows']:,} / {small['rows']:,} rows: {memory_ratio:.3f} "
        "(target <= 1.2)"
    )
    print(
        f"CSV throughput app / psql \\copy of its own query at {large['rows']:,} rows: "
        f"{own_ratio:.2f}"
    )
    print(
        f"CSV throughput app / psql \\copy of the plain join at {large['rows']:,} rows: "
        f"{plain_ratio:.2f} (target >= 0.5)"
    )
    ok = memory_ratio <= 1.2 and plain_ratio >= 0.5 and all(r["identical"] for r in results)
    if xlsx:
        _table("XLSX (GET /api/v1/payroll.xlsx, detail and summary sheets)", xlsx, False)
        xlsx_memory_ratio = xlsx[1]["peak_kib"] / xlsx[0]["peak_kib"]
        print(
            f"XLSX peak memory {large['rows']:,} / {small['rows']:,} rows: "
            f"{xlsx_memory_ratio:.3f} (target <= 1.2)"
        )
        print(
            f"XLSX / CSV throughput at {large['rows']:,} rows: "
            f"{xlsx[1]['app_rows_s'] / large['app_rows_s']:.3f}"
        )
        ok = ok and xlsx_memory_ratio <= 1.2
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
