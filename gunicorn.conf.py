"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be changed through a TRACKER_* environment variable, so the same file serves a
laptop, a single host and several hosts behind a proxy.
"""

import os
import subprocess
import sys


def _cores() -> int:
    """CPU cores this process may run on (respects affinity and container CPU sets)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _int_env(name: str, default: int) -> int:
    """A whole number from the environment, with a message naming the variable when it is not."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None


bind = os.environ.get("TRACKER_BIND", "127.0.0.1:8000")
workers = _int_env("TRACKER_WORKERS", 2 * _cores() + 1)

# Threaded (gthread) workers: each serves a few requests at once, so a short request such as a
# freeze during an incident never queues behind slow ones (entry posts waiting on a lock, a
# streamed payroll download). Keep TRACKER_THREADS at or below TRACKER_DB_POOL_SIZE (default 5):
# each thread may hold one database connection. The app's subclass of gunicorn's gthread worker
# also closes its listening socket at once on SIGTERM, so new connections are refused while the
# requests in flight finish (see tracker/serving.py).
worker_class = "tracker.serving.ThreadWorker"
threads = _int_env("TRACKER_THREADS", 4)

# A worker silent for longer than this is killed and replaced; on SIGTERM, requests in flight get
# this long to finish before the worker is stopped.
timeout = 30
graceful_timeout = 30

# Recycle each worker after about a thousand requests (jittered so they do not all restart at
# once), which caps the damage of any slow leak.
max_requests = 1000
max_requests_jitter = 100

# Each worker imports the app and opens its own database connections after the fork. With
# preloading, an engine created in the master would be inherited by every worker, and forked
# processes sharing one socket to PostgreSQL corrupt each other's conversations.
preload_app = False

accesslog = "-"
errorlog = "-"

# Addresses whose X-Forwarded-Proto / X-Forwarded-For gunicorn itself believes. The app applies
# its own, separate rule (TRACKER_TRUSTED_PROXIES) to the headers it reads.
forwarded_allow_ips = os.environ.get("TRACKER_FORWARDED_ALLOW_IPS", "127.0.0.1")

# gunicorn's runtime control socket (for gunicornc) defaults to one fixed path per user, which two
# instances on the same host would fight over; it is off unless a path is given.
_control_socket = os.environ.get("TRACKER_CONTROL_SOCKET", "").strip()
if _control_socket:
    control_socket = _control_socket
else:
    control_socket_disable = True

# Worker heartbeat files on a memory-backed filesystem, so a slow disk cannot make a healthy
# worker look hung.
if os.path.isdir("/dev/shm"):  # noqa: S108 - a directory gunicorn writes its own temp files in
    worker_tmp_dir = "/dev/shm"  # noqa: S108


def on_starting(server: object) -> None:
    """Refuse to start, with one line, when the configuration or the database is not usable.

    The check runs in a child process (``python -m tracker.serving``) so that the master never
    imports the app: workers load it fresh, also after a ``HUP`` reload.
    """
    done = subprocess.run([sys.executable, "-m", "tracker.serving"], check=False)
    if done.returncode:
        raise SystemExit(done.returncode)
