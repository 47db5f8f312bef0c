"""TimeTagger against tracker: time records created one per request, the same client for both.

    .venv/bin/python bench/timetagger.py [--admin-url URL] [--seconds 10] [--threads 16]
        [--workers 4] [--venv /tmp/tracker-bench-timetagger]

TimeTagger (https://timetagger.app, a Python time tracker) is installed from the package index
with ``pip install timetagger`` into a throwaway virtual environment under /tmp (kept for the
next run; delete it to get the newest release) and started as it ships: ``python -m timetagger``,
one uvicorn process, each user's records in a SQLite file of their own, in a temporary data
directory, twice: once with ``--threads`` users (one per client thread, as tracker has one
contractor per thread), once with one user for every thread (one SQLite file, as on a
single-user install). Users sign in with a password (``TIMETAGGER_CREDENTIALS``, bcrypt) and
each takes an API token (``GET /api/v2/apitoken``).

tracker runs on a fresh PostgreSQL database (dropped at the end) behind ``gunicorn -w N
wsgi:app`` with the production ``gunicorn.conf.py``; ``--threads`` contractors each have an
assignment and an API token.

The same client (``bench.entries._hammer``: ``--threads`` threads, a new connection per
request) then sends 1-minute records, one per request, in alternating windows: to TimeTagger
``PUT /timetagger/api/v2/records`` with a one-record list, to tracker
``POST /api/v1/entries``. Every answer is checked (TimeTagger answers 200 even for a record it
refuses, so its ``accepted`` list is read too, and the records stored are counted at the
end). Prints the rates and the ratios tracker / TimeTagger. Target: at least 1.5.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import entries as bench_entries  # noqa: E402
from tests import live  # noqa: E402
from tracker.db import unit_of_work  # noqa: E402
from tracker.models import User  # noqa: E402
from tracker.services import tokens  # noqa: E402

DEFAULT_VENV = "/tmp/tracker-bench-timetagger"  # noqa: S108 - a throwaway environment
PREFIX = "/timetagger/api/v2"


def install(venv: Path) -> Path:
    """The venv's python, with TimeTagger installed (pip, from the package index)."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import timetagger"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "timetagger"],
            check=True,
        )
    version = subprocess.run(
        [str(python), "-c", "import timetagger; print(timetagger.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"TimeTagger {version} in {venv}")
    return python


def _hashes(python: Path, password: str, count: int) -> list[str]:
    """bcrypt hashes of the password (TimeTagger's credentials format), made by its bcrypt."""
    script = (
        "import bcrypt, sys\n"
        f"for _ in range({count}):\n"
        "    print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt()).decode())\n"
    )
    out = subprocess.run(
        [str(python), "-c", script, password], capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def _call(port: int, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        raw = response.read()
        if response.status != 200:
            raise SystemExit(f"TimeTagger {method} {path}: {response.status} {raw[:300]!r}")
        return json.loads(raw)
    finally:
        connection.close()


def start_timetagger(
    python: Path, datadir: str, users: list[str], password: str
) -> tuple[subprocess.Popen[bytes], int, list[str]]:
    """TimeTagger serving the users; returns the process, its port and one API token each."""
    port = live.free_port()
    hashes = _hashes(python, password, len(users))
    credentials = ",".join(f"{u}:{h}" for u, h in zip(users, hashes, strict=True))
    env = {
        **os.environ,
        "TIMETAGGER_BIND": f"127.0.0.1:{port}",
        "TIMETAGGER_DATADIR": datadir,
        "TIMETAGGER_LOG_LEVEL": "warning",
        "TIMETAGGER_CREDENTIALS": credentials,
    }
    server = subprocess.Popen(
        [str(python), "-m", "timetagger"],
        cwd=datadir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/timetagger/status")
            if connection.getresponse().status == 200:
                break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.terminate()
            raise SystemExit("TimeTagger did not start")
        time.sleep(0.2)
    api_tokens = []
    for user in users:
        login = {"method": "usernamepassword", "username": user, "password": password}
        web = _call(
            port,
            "POST",
            f"{PREFIX}/bootstrap_authentication",
            base64.b64encode(json.dumps(login).encode()),
            {},
        )["token"]
        answer = _call(port, "GET", f"{PREFIX}/apitoken", None, {"authtoken": web})
        api_tokens.append(answer["token"])
    return server, port, api_tokens


def _record(rng: random.Random) -> list[dict[str, Any]]:
    """One 1-minute record on a day of the last two weeks (a one-item list, as the API takes)."""
    now = int(time.time())
    start = now - rng.randint(1, 13) * 86400
    key = secrets.token_urlsafe(9)
    return [{"key": key, "mt": now, "t1": start, "t2": start + 60, "ds": "#bench"}]


def _tracker_people(app: Any, count: int) -> list[tuple[int, str]]:
    """(project id, raw token) of ``count`` bench contractors."""
    with app.app_context(), unit_of_work() as session:
        rows = session.execute(
            text(
                "SELECT u.id, a.project_id FROM users u JOIN assignments a ON a.user_id = u.id "
                "WHERE u.email LIKE 'c%@bench.test' ORDER BY u.id LIMIT :n"
            ),
            {"n": count},
        ).all()
        people = []
        for user_id, project_id in rows:
            _token, raw = tokens.create_token(
                session, None, session.get_one(User, user_id), "bench"
            )
            people.append((project_id, raw))
    app.extensions["tracker.engine"].dispose()
    return people


def _accepted_check(port: int, token: str) -> None:
    """TimeTagger answers 200 even when it refuses a record: make sure ours are accepted."""
    answer = _call(
        port,
        "PUT",
        f"{PREFIX}/records",
        json.dumps(_record(random.Random(0))),
        {"authtoken": token, "Content-Type": "application/json"},
    )
    if len(answer.get("accepted", [])) != 1:
        raise SystemExit(f"TimeTagger refused the record: {answer}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("TRACKER_BENCH_ADMIN_URL", bench_entries.DEFAULT_ADMIN_URL),
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--venv", type=Path, default=Path(DEFAULT_VENV))
    args = parser.parse_args()
    python = install(args.venv)
    name, url = live.create_postgres(args.admin_url, "tracker_bench")
    password = secrets.token_urlsafe(12)
    setups = {  # TimeTagger's users: one per client thread, or one for all
        "timetagger": [f"bench{i}" for i in range(args.threads)],
        "timetagger, one user": ["bench0"],
    }
    with contextlib.ExitStack() as stack:
        servers: list[subprocess.Popen[bytes]] = []
        datadirs: dict[str, str] = {}
        try:
            app = bench_entries.bench_app(url)
            bench_entries.arrange_contractors(app, args.threads, 10)
            people = _tracker_people(app, args.threads)
            ours, our_port = bench_entries._serve("wsgi:app", url, args.workers)
            servers.append(ours)

            def day(rng: random.Random) -> str:
                return (dt.date.today() - dt.timedelta(days=rng.randint(1, 13))).isoformat()

            runs: dict[str, tuple[int, str, str, list[tuple[dict[str, str], Any]]]] = {
                "tracker": (
                    our_port,
                    "/api/v1/entries",
                    "POST",
                    [
                        (
                            {"Authorization": f"Bearer {raw}"},
                            lambda rng, pid=pid: {
                                "project_id": pid,
                                "work_date": day(rng),
                                "minutes": 1,
                            },
                        )
                        for pid, raw in people
                    ],
                ),
            }
            for label, users in setups.items():
                datadirs[label] = stack.enter_context(
                    tempfile.TemporaryDirectory(prefix="tracker-bench-timetagger-")
                )
                server, port, tt_tokens = start_timetagger(python, datadirs[label], users, password)
                servers.append(server)
                _accepted_check(port, tt_tokens[0])
                runs[label] = (
                    port,
                    f"{PREFIX}/records",
                    "PUT",
                    [({"authtoken": token}, _record) for token in tt_tokens],
                )
            sent = dict.fromkeys(runs, 1)  # the record _accepted_check sent
            for label, (port, path, method, bodies) in runs.items():  # warm up
                ok, _bad = bench_entries._hammer(port, path, bodies, 2, args.threads, method)
                sent[label] += ok
            totals = {label: [0, 0] for label in runs}
            windows = 5
            for _ in range(windows):
                for label, (port, path, method, bodies) in runs.items():
                    ok, bad = bench_entries._hammer(
                        port, path, bodies, args.seconds / windows, args.threads, method
                    )
                    totals[label][0] += ok
                    totals[label][1] += bad
            stored = {label: _stored_records(datadirs[label]) for label in setups}
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
            live.drop_postgres(args.admin_url, name)
    rates = {label: ok / args.seconds for label, (ok, _bad) in totals.items()}
    for label, (ok, bad) in totals.items():
        print(
            f"{label:>20}: {rates[label]:8.1f} records/s  ({ok} created, {bad} refused or"
            f" failed, {args.threads} client threads, {windows} alternating windows)"
        )
    for label in setups:
        total = totals[label][0] + sent[label]
        print(
            f"{label}: {len(setups[label])} users; records stored {stored[label]:,}"
            f" (of {total:,} accepted answers, warm-up included)"
        )
    print(f"ratio tracker / TimeTagger: {rates['tracker'] / rates['timetagger']:.2f}")
    print(
        "ratio tracker / TimeTagger, one user:"
        f" {rates['tracker'] / rates['timetagger, one user']:.2f}"
    )


def _stored_records(datadir: str) -> int:
    """Records in TimeTagger's per-user SQLite files (every accepted PUT adds one)."""
    import sqlite3

    total = 0
    for path in Path(datadir).rglob("*.db"):
        connection = sqlite3.connect(path)
        try:
            total += connection.execute("SELECT count(*) FROM records").fetchone()[0]
        except sqlite3.DatabaseError:
            pass
        finally:
            connection.close()
    return total


if __name__ == "__main__":
    main()
