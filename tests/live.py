"""Real servers and databases for concurrency tests, browser tests and benchmarks.

``gunicorn(...)`` starts the app in a multi-worker server on a free port and always stops it
(``gunicorn_server(...)`` also gives its master process, worker ids and log);
``temporary_postgres(...)`` creates a database and always drops it; ``call(...)`` sends one JSON
request. Nothing here is mocked: these are the processes production runs.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
SECRET = "live-server-secret-key-0123456789-abcdefghijkl"


def free_port() -> int:
    """A TCP port on the loopback address that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def healthy(port: int) -> bool:
    """True when the server on port answers GET /healthz with 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


class Server:
    """A running gunicorn: its port, its master process, and the log it has written so far."""

    def __init__(self, port: int, process: subprocess.Popen[bytes], log: Any) -> None:
        self.port, self.process, self._log = port, process, log

    def workers(self) -> list[int]:
        """The process ids of the master's current worker processes."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except FileNotFoundError:  # the master has exited
            return []

    def log(self) -> str:
        """Everything gunicorn wrote to stderr so far (its log, and the app's)."""
        self._log.seek(0)
        text: str = self._log.read().decode(errors="replace")
        return text


@contextmanager
def gunicorn_server(
    database_url: str,
    *,
    workers: int = 4,
    threads: int = 1,
    env: dict[str, str] | None = None,
    start_timeout: float = 60,
    extra_args: tuple[str, ...] = (),
) -> Iterator[Server]:
    """Serve wsgi:app with gunicorn on a free port against database_url; always stopped.

    gunicorn reads gunicorn.conf.py from the checkout (worker class, timeouts, start-up check);
    the arguments here override its numbers.
    """
    port = free_port()
    environment = {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_SECRET_KEY": SECRET,
        "TRACKER_PASSWORD_MEMORY_KIB": "1024",
        # Load from a handful of clients is the point of these servers; the limits' own tests
        # turn them on.
        "TRACKER_API_RATE_LIMIT": "off",
        "TRACKER_API_ADDRESS_RATE_LIMIT": "off",
        "TRACKER_OUTBOX_STALE_SECONDS": "0",  # no outbox worker unless a test starts one
        **(env or {}),
    }
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        *extra_args,
        "wsgi:app",
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=log
        )
        server = Server(port, process, log)
        try:
            deadline = time.monotonic() + start_timeout
            while not healthy(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start:\n" + server.log()[-3000:])
                time.sleep(0.2)
            yield server
        finally:
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextmanager
def gunicorn(
    database_url: str,
    *,
    workers: int = 4,
    threads: int = 1,
    env: dict[str, str] | None = None,
    start_timeout: float = 60,
) -> Iterator[int]:
    """Serve wsgi:app with gunicorn on a free port against database_url; yields the port."""
    with gunicorn_server(
        database_url, workers=workers, threads=threads, env=env, start_timeout=start_timeout
    ) as server:
        yield server.port


def call(
    port: int, method: str, path: str, token: str, body: Any = None, timeout: float = 30
) -> tuple[int, Any]:
    """One JSON API request (path under /api/v1); returns the status and the decoded body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        connection.request(method, "/api/v1" + path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        connection.close()


def create_postgres(admin_url: str, prefix: str = "tracker_test") -> tuple[str, str]:
    """Create a new database on the server of admin_url; returns its name and URL."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres(admin_url: str, name: str) -> None:
    """Drop a database made by create_postgres, ending any session still connected to it."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@contextmanager
def temporary_postgres(admin_url: str, prefix: str = "tracker_test") -> Iterator[str]:
    """A new PostgreSQL database on the server of admin_url; yields its URL, always dropped."""
    name, url = create_postgres(admin_url, prefix)
    try:
        yield url
    finally:
        drop_postgres(admin_url, name)
