"""Helpers for the fault tests: dates, a signed-in browser over real HTTP, and socket states."""

from __future__ import annotations

import datetime as dt
import http.client
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from tests import live
from tests.conftest import PASSWORD


def utc_days_ago(days: int) -> dt.date:
    """A work date this many days before today in UTC (the factories' users live in UTC)."""
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days)


class Answer:
    """What a request got: a status (None: the connection failed), its body, and its headers."""

    def __init__(self, status: int | None, body: Any, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}

    @property
    def code(self) -> str | None:
        """The API error code, if the body is an API error."""
        if isinstance(self.body, dict):
            return self.body.get("error", {}).get("code")
        return None


def api(
    port: int, method: str, path: str, token: str, body: Any = None, timeout: float = 60
) -> Answer:
    """One API request; a connection that fails (reset, refused) gives status None."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Authorization": f"Bearer {token}"}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    try:
        connection.request(method, "/api/v1" + path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, repr(exc))
    finally:
        connection.close()
    decoded = (
        json.loads(raw) if raw and response.headers.get_content_type().endswith("json") else raw
    )
    return Answer(response.status, decoded, dict(response.headers))


def probe(port: int, path: str) -> Answer:
    """GET /healthz or /readyz (no token), decoded."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return Answer(response.status, json.loads(response.read()), dict(response.headers))
    finally:
        connection.close()


class Browser:
    """A signed-in browser over real HTTP: cookies, CSRF tokens from the pages, no redirects."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def get(self, path: str) -> Answer:
        """GET a page."""
        return self._open(urllib.request.Request(self.base + path))  # noqa: S310 (http://127.0.0.1)

    def post(self, path: str, form: dict[str, str]) -> Answer:
        """POST a form (its CSRF token must be in ``form``)."""
        data = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(self.base + path, data=data, method="POST")  # noqa: S310
        return self._open(request)

    def csrf(self, path: str) -> str:
        """The CSRF token of the form on a page."""
        page = self.get(path)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.body)
        assert match, f"no CSRF token on {path}: {page.status}"
        return match.group(1)

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        """Sign in through the login form."""
        answer = self.post(
            "/login", {"email": email, "password": password, "csrf_token": self.csrf("/login")}
        )
        assert answer.status == 302, (answer.status, answer.body[:500])

    def _open(self, request: urllib.request.Request) -> Answer:
        try:
            with self.opener.open(request, timeout=60) as response:
                return Answer(response.status, response.read().decode(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(), dict(error.headers))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def looks_like_an_error_page(html: str) -> bool:
    """An HTML page of the app's own, with no trace of Python or SQL in it."""
    leaks = ("Traceback", "sqlalchemy", "psycopg", "sqlite3", "OperationalError", "SELECT ")
    return html.lstrip().lower().startswith("<!doctype html>") and not any(
        leak in html for leak in leaks
    )


def connection_refused(port: int) -> bool:
    """True when nothing accepts TCP connections on the loopback port."""
    with socket.socket() as sock:
        sock.settimeout(2)
        try:
            sock.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return True
        except OSError:
            return False
        return False


def _tcp_sockets() -> list[tuple[int, int, int, int]]:
    """(local port, remote port, bytes queued to send, bytes received and not yet read)."""
    rows = []
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local, remote, queues = fields[1], fields[2], fields[4]
            sent, received = (int(part, 16) for part in queues.split(":"))
            rows.append(
                (int(local.split(":")[1], 16), int(remote.split(":")[1], 16), sent, received)
            )
    return rows


def server_has_read(server_port: int, client_ports: list[int]) -> bool:
    """True when the server has read everything each of these client connections sent.

    gunicorn's threaded worker reads a request only in the thread that handles it, so a request
    whose bytes have all been read is in the app's hands, in flight.
    """
    sockets = _tcp_sockets()
    server_side = {
        remote: received for local, remote, _sent, received in sockets if local == server_port
    }
    client_side = {
        local: sent for local, remote, sent, _received in sockets if remote == server_port
    }
    return all(server_side.get(port) == 0 and client_side.get(port) == 0 for port in client_ports)


def run_program(program: list[str], database_url: str, **env: str) -> Any:
    """Run one of the app's programs from the checkout's venv (``flask``, ``gunicorn``) as its
    own process against database_url; the finished process, with its text output."""
    environment = {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_SECRET_KEY": live.SECRET,
        "TRACKER_ENV": "development",
        "TRACKER_PASSWORD_MEMORY_KIB": "1024",
        **env,
    }
    environment.pop("FLASK_DEBUG", None)
    return subprocess.run(
        [str(live.ROOT / ".venv/bin" / program[0]), *program[1:]],
        cwd=live.ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def flask_cli(database_url: str, *args: str) -> Any:
    """Run ``flask --app tracker ARGS`` as its own process; the finished process (text output)."""
    return run_program(["flask", "--app", "tracker", *args], database_url)
