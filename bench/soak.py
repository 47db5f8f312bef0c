"""Soak: mixed load on gunicorn for minutes; 5xx, worker memory, connections, freeze latency.

    .venv/bin/python bench/soak.py [--seconds 600] [--admin-url URL | --sqlite] [--json FILE]

Creates a fresh database (PostgreSQL on the server of --admin-url, dropped at the end; or a
temporary SQLite file with --sqlite), migrates it and starts gunicorn with the production
gunicorn.conf.py (worker recycling included) and 4 workers of 4 threads. Then, until the time is
up: contractors log entries and read their entries and projects; an admin freezes one of the two
projects and lifts the hold again (one cycle a minute, or a third of the run when shorter);
payroll downloads the CSV in a loop and makes an export batch each cycle. Once a second it
samples every worker's resident memory (VmRSS), the outbox worker's too, ``GET /readyz``, and, on
PostgreSQL, the database's connection count (pg_stat_activity). The outbox worker
(``outbox work``, writing .eml files) runs beside gunicorn throughout and sends every hold's
emails; at the end the outbox must drain.

Reports: answers by status (5xx and failed connections counted apart), freeze and unfreeze
latency percentiles, the first and last window's worker memory and connections, readiness
answers, and what the outbox sent.
Targets (issue 21): zero 5xx, memory and connections flat, freezes within a second.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import live  # noqa: E402
from tracker import create_app, migrate  # noqa: E402
from tracker.db import unit_of_work  # noqa: E402
from tracker.services import assignments, projects, tokens, users  # noqa: E402

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WORKERS = 4
THREADS = 4
CONTRACTORS = 8
BACKDATING = 14  # days contractors may log back to (the default setting)


@dataclass
class Load:
    """What the clients saw and what the sampler measured."""

    statuses: Counter[tuple[str, int | None]] = field(default_factory=Counter)
    freezes: list[float] = field(default_factory=list)  # seconds, each freeze's round trip
    unfreezes: list[float] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    readiness: Counter[int | None] = field(default_factory=Counter)  # /readyz answers
    workers_seen: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: str, status: int | None) -> None:
        with self.lock:
            self.statuses[(kind, status)] += 1


def _arrange(url: str) -> dict[str, Any]:
    """An admin, a payroll user, contractors on two projects; their API tokens."""
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "PASSWORD_MEMORY_KIB": 1024}
    )
    with app.app_context(), unit_of_work() as session:
        admin = users.create_user(session, None, email="admin@soak.test", name="A", role="admin")
        payer = users.create_user(session, None, email="pay@soak.test", name="P", role="payroll")
        held = projects.create_project(session, None, code="HELD", name="Held", hourly_rate="50")
        steady = projects.create_project(session, None, code="STEADY", name="S", hourly_rate="40")
        people = []
        for n in range(CONTRACTORS):
            person = users.create_user(
                session, None, email=f"c{n}@soak.test", name=f"C{n}", role="contractor"
            )
            for project in (held, steady):
                start = dt.date.fromisoformat(_day(60))
                assignments.assign(session, None, project, person, start_date=start)
            people.append(person)
        session.flush()
        result = {
            "admin": tokens.create_token(session, None, admin, "soak")[1],
            "payroll": tokens.create_token(session, None, payer, "soak")[1],
            "contractors": [tokens.create_token(session, None, p, "soak")[1] for p in people],
            "held": held.id,
            "steady": steady.id,
        }
    app.extensions["tracker.engine"].dispose()
    return result


def _day(days_ago: int) -> str:
    """A work date this many days before today in UTC (the contractors' timezone)."""
    return (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days_ago)).isoformat()


def _call(port: int, method: str, path: str, token: str, body: Any = None) -> int | None:
    """One API request; its status, or None when the connection failed."""
    try:
        status, _ = live.call(port, method, path, token, body, timeout=60)
    except (OSError, http.client.HTTPException):
        return None
    return status


def _download(port: int, path: str, token: str) -> int | None:
    """A streamed download read to the end; its status, or None when the connection failed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", "/api/v1" + path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        while response.read(1 << 16):
            pass
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def _contractor(port: int, token: str, given: dict[str, Any], load: Load, stop: Any) -> None:
    rng = random.Random(token)
    while not stop.is_set():
        body = {
            "project_id": rng.choice((given["held"], given["steady"])),
            "work_date": _day(rng.randint(1, BACKDATING - 1)),
            "minutes": rng.randint(5, 30),
            "description": "soak",
        }
        load.count("log entry", _call(port, "POST", "/entries", token, body))
        load.count("read entries", _call(port, "GET", "/entries?limit=50", token))
        load.count("read projects", _call(port, "GET", "/projects", token))


def _admin(port: int, given: dict[str, Any], load: Load, stop: Any, cycle: float) -> None:
    path = f"/projects/{given['held']}"
    body = {"reason": "soak", "notice": "Paused for the soak test."}
    while not stop.wait(cycle / 2):
        started = time.perf_counter()
        load.count("freeze", _call(port, "POST", path + "/freeze", given["admin"], body))
        load.freezes.append(time.perf_counter() - started)
        if stop.wait(cycle / 2):
            break
        started = time.perf_counter()
        load.count("unfreeze", _call(port, "POST", path + "/unfreeze", given["admin"], {}))
        load.unfreezes.append(time.perf_counter() - started)


def _payroll(port: int, given: dict[str, Any], load: Load, stop: Any, cycle: float) -> None:
    period = f"start={_day(BACKDATING)}&end={_day(1)}&status=all"
    next_batch = time.monotonic() + cycle
    batch_day = BACKDATING - 1  # the oldest day contractors log
    while not stop.wait(1):
        load.count("payroll csv", _download(port, f"/payroll.csv?{period}", given["payroll"]))
        if time.monotonic() >= next_batch:
            next_batch += cycle
            body = {"start": _day(batch_day), "end": _day(batch_day), "status": "all"}
            batch_day = max(1, batch_day - 1)
            # Nothing is approved in the soak, so the batch takes every entry: an admin's call
            # (a payroll user may batch approved entries only).
            load.count(
                "payroll batch", _call(port, "POST", "/payroll/batches", given["admin"], body)
            )


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:  # recycled between listing and reading
        pass
    return 0


def _ready(port: int) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/readyz")
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def _sampler(
    server: Any, outbox_pid: int, count_connections: Any, load: Load, stop: Any, started: float
) -> None:
    while not stop.wait(1):
        workers = server.workers()
        rss = [kib for kib in (_rss_kib(pid) for pid in workers) if kib]
        load.workers_seen.update(workers)
        load.readiness[_ready(server.port)] += 1
        load.samples.append(
            {
                "t": time.monotonic() - started,
                "rss_total_kib": sum(rss),
                "rss_max_kib": max(rss, default=0),
                "outbox_rss_kib": _rss_kib(outbox_pid),
                "connections": count_connections(),
            }
        )


@contextlib.contextmanager
def _outbox_worker(url: str, mail_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``outbox work`` beside the server, as in production; ready once it has been seen."""
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_SECRET_KEY": live.SECRET,
        "TRACKER_MAIL_DIR": str(mail_dir),
    }
    with tempfile.TemporaryFile() as log:
        worker = subprocess.Popen(
            [str(ROOT / ".venv/bin/flask"), "--app", "tracker", "outbox", "work"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            engine = create_engine(url)
            try:
                deadline = time.monotonic() + 60
                while not _outbox_seen(engine):
                    if worker.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise RuntimeError("outbox worker did not start:\n" + log.read().decode())
                    time.sleep(0.2)
            finally:
                engine.dispose()
            yield worker
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)


def _outbox_seen(engine: Any) -> bool:
    try:
        with engine.connect() as connection:
            return connection.scalar(text("SELECT count(*) FROM worker_heartbeats")) > 0
    except Exception:
        return False


def _outbox_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT status, count(*) FROM outbox GROUP BY status"))
            return {status: int(number) for status, number in rows}
    finally:
        engine.dispose()


def _drain(url: str, seconds: float) -> dict[str, int]:
    """Wait until nothing is pending in the outbox (at most ``seconds``); the counts by status."""
    deadline = time.monotonic() + seconds
    counts = _outbox_counts(url)
    while counts.get("pending") and time.monotonic() < deadline:
        time.sleep(0.5)
        counts = _outbox_counts(url)
    return counts


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def _window(samples: list[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    picked = [s for s in samples if start <= s["t"] < end] or samples[-1:]
    connections = [s["connections"] for s in picked if s["connections"] is not None]
    return {
        "rss_total_mib": statistics.mean(s["rss_total_kib"] for s in picked) / 1024,
        "rss_max_worker_mib": max(s["rss_max_kib"] for s in picked) / 1024,
        "connections_max": max(connections) if connections else None,
        "outbox_rss_mib": max(s["outbox_rss_kib"] for s in picked) / 1024,
    }


def soak(url: str, seconds: float, count_connections: Any) -> dict[str, Any]:
    """Run the load against a migrated database for ``seconds``; the figures as a dict."""
    given = _arrange(url)
    cycle = min(60.0, seconds / 3)
    load = Load()
    stop = threading.Event()
    mail_dir = Path(tempfile.mkdtemp(prefix="soak-mail-"))
    serving = live.gunicorn_server(
        url, workers=WORKERS, threads=THREADS, env={"TRACKER_OUTBOX_STALE_SECONDS": "60"}
    )
    with _outbox_worker(url, mail_dir) as outbox_worker, serving as server:
        started = time.monotonic()
        threads = [
            threading.Thread(target=_contractor, args=(server.port, t, given, load, stop))
            for t in given["contractors"]
        ]
        threads += [
            threading.Thread(target=_admin, args=(server.port, given, load, stop, cycle)),
            threading.Thread(target=_payroll, args=(server.port, given, load, stop, cycle)),
            threading.Thread(
                target=_sampler,
                args=(server, outbox_worker.pid, count_connections, load, stop, started),
            ),
        ]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join(180)
        log = server.log()
        outbox = _drain(url, 120)
    emails = len(list(mail_dir.glob("*.eml")))
    shutil.rmtree(mail_dir, ignore_errors=True)
    window = min(60.0, seconds / 3)
    by_status = Counter()
    for (_kind, status), number in load.statuses.items():
        by_status[str(status)] += number
    return {
        "seconds": seconds,
        "requests": sum(load.statuses.values()),
        "by_kind_and_status": {
            f"{k} {s}": n for (k, s), n in sorted(load.statuses.items(), key=str)
        },
        "by_status": dict(by_status),
        "server_errors": sum(
            n for (_k, s), n in load.statuses.items() if s is not None and s >= 500
        ),
        "failed_connections": sum(n for (_k, s), n in load.statuses.items() if s is None),
        "freeze_s": _latencies(load.freezes),
        "unfreeze_s": _latencies(load.unfreezes),
        "first_window": _window(load.samples, 0, window),
        "last_window": _window(load.samples, seconds - window, seconds + 1),
        "window_s": window,
        "workers": WORKERS,
        "threads": THREADS,
        "workers_seen": len(load.workers_seen),
        "tracebacks_in_log": log.count("Traceback"),
        "readyz": {str(status): number for status, number in load.readiness.items()},
        "outbox": {**outbox, "eml_files": emails},
    }


def _latencies(values: list[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "p50": _percentile(values, 0.50),
        "p95": _percentile(values, 0.95),
        "p99": _percentile(values, 0.99),
        "max": max(values, default=0.0),
    }


def _report(figures: dict[str, Any]) -> None:
    print(f"{figures['requests']:,} requests in {figures['seconds']:.0f} s: {figures['by_status']}")
    print(f"5xx: {figures['server_errors']}, failed connections: {figures['failed_connections']}")
    for name in ("freeze_s", "unfreeze_s"):
        f = figures[name]
        print(
            f"{name[:-2]:>8}: {f['count']} times, p50 {f['p50'] * 1000:.0f} ms, "
            f"p95 {f['p95'] * 1000:.0f} ms, p99 {f['p99'] * 1000:.0f} ms, "
            f"max {f['max'] * 1000:.0f} ms"
        )
    for name in ("first_window", "last_window"):
        w = figures[name]
        print(
            f"{name.replace('_', ' ')} ({figures['window_s']:.0f} s): workers' RSS "
            f"{w['rss_total_mib']:.1f} MiB in all, "
            f"largest worker {w['rss_max_worker_mib']:.1f} MiB; "
            f"database connections at most {w['connections_max']}; "
            f"outbox worker's RSS {w['outbox_rss_mib']:.1f} MiB"
        )
    print(f"/readyz answers: {figures['readyz']}; outbox at the end: {figures['outbox']}")
    print(
        f"worker processes seen: {figures['workers_seen']} ({figures['workers']} at a time, "
        f"recycled after about 1,000 requests); tracebacks in the server log: "
        f"{figures['tracebacks_in_log']}"
    )


def main() -> int:
    """Soak, print the figures (and write them as JSON); exit 1 when a 5xx or a failure occurred."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument(
        "--admin-url", default=os.environ.get("TRACKER_BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--sqlite", action="store_true", help="soak a SQLite file instead")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'soak.db'}"
            migrate.upgrade(url)
            figures = soak(url, args.seconds, lambda: None)
    else:
        name, url = live.create_postgres(args.admin_url, "tracker_soak")
        admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT", pool_size=1)
        try:
            migrate.upgrade(url)

            def count_connections() -> int:
                with admin.connect() as connection:
                    return connection.scalar(
                        text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name"),
                        {"name": make_url(url).database},
                    )

            figures = soak(url, args.seconds, count_connections)
        finally:
            admin.dispose()
            live.drop_postgres(args.admin_url, name)
    _report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    ok = not figures["server_errors"] and not figures["failed_connections"]
    print("no 5xx, no failed connection" if ok else "FAILURES: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
