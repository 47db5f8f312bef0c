"""Anonymous load on a live server: clients failing sign-in and clients sending made-up API
tokens, for the freeze tests and the freeze benchmark (``bench/anonymous_freeze.py``)."""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Callable
from typing import Any

CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


class SignInClient:
    """A browser-like client with its own cookie, posting wrong passwords to /login."""

    def __init__(self, port: int, email: str) -> None:
        self.port, self.email, self.cookie, self.token = port, email, "", ""

    def _request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"Cookie": self.cookie} if self.cookie else {}
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            cookie = response.getheader("Set-Cookie")
            if cookie:
                self.cookie = cookie.split(";", 1)[0]
            return response.status, text
        finally:
            connection.close()

    def start(self) -> None:
        """Open the sign-in page once: a session cookie and its CSRF token."""
        _status, page = self._request("GET", "/login")
        found = CSRF.search(page)
        if found is None:
            raise RuntimeError("no CSRF token on the sign-in page")
        self.token = found.group(1) or found.group(2)

    def fail(self) -> int:
        """One sign-in with a wrong password; the status (401, or 429 once throttled)."""
        from urllib.parse import urlencode

        body = urlencode(
            {"csrf_token": self.token, "email": self.email, "password": "wrong password 1234"}
        )
        status, _ = self._request("POST", "/login", body)
        return status


def bad_token_call(port: int, path: str, n: int) -> int:
    """One API call with a made-up token; the status (401)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/v1" + path,
            body="{}",
            headers={
                "Authorization": f"Bearer trk_made-up-{n}",
                "Content-Type": "application/json",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


class Crowd:
    """``signing_in`` sign-in clients and ``bad_tokens`` API clients, each in a loop in its own
    thread until ``stop()``; ``warm`` is set once every client has had an answer."""

    def __init__(self, port: int, email: str, path: str, signing_in: int, bad_tokens: int) -> None:
        self.statuses: list[int] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._answered = threading.Semaphore(0)
        self._size = signing_in + bad_tokens
        self._lock = threading.Lock()
        calls: list[Callable[[int], int]] = []
        self._clients = [SignInClient(port, email) for _ in range(signing_in)]
        for client in self._clients:
            calls.append(lambda _n, c=client: c.fail())
        for _ in range(bad_tokens):
            calls.append(lambda n: bad_token_call(port, path, n))
        self._threads = [
            threading.Thread(target=self._loop, args=(call,), daemon=True) for call in calls
        ]

    def _loop(self, call: Callable[[int], int]) -> None:
        first, n = True, 0
        while not self._stop.is_set():
            n += 1
            try:
                status = call(n)
            except Exception as exc:  # a refused connection is an outcome the test reports
                with self._lock:
                    self.errors.append(repr(exc))
                status = -1
            with self._lock:
                self.statuses.append(status)
            if first:
                self._answered.release()
                first = False

    def start(self, timeout: float = 60) -> None:
        """Start every client and wait until each has had one answer."""
        for client in self._clients:
            client.start()
        for thread in self._threads:
            thread.start()
        for _ in range(self._size):
            if not self._answered.acquire(timeout=timeout):
                raise RuntimeError("a client never got an answer")

    def stop(self) -> dict[int, int]:
        """Stop the clients; how many answers of each status they had."""
        self._stop.set()
        for thread in self._threads:
            thread.join(90)
        counts: dict[int, int] = {}
        for status in self.statuses:
            counts[status] = counts.get(status, 0) + 1
        return counts

    def __enter__(self) -> Crowd:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
