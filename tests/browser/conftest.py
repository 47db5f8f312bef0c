"""Browser fixtures: a real server on its own SQLite file, Chromium through Playwright, helpers.

The server is started once for this folder (``flask run`` in a subprocess, after ``db upgrade``);
every test starts from empty tables, so tests stay independent. Each test gets a fresh browser
context and page, and fails at teardown when the page logged a console error, threw, broke the
Content-Security-Policy (a console error in Chromium) or asked for anything outside the app.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from tests import live as live_servers
from tests.factories import Factory
from tracker import create_app
from tracker.db import make_engine
from tracker.models import Base

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
CHROMIUM = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
SECRET = "browser-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD = "browser password 1234"
PHONE = {"width": 390, "height": 844}
# Where ``make screenshots`` and the right-to-left checks save pictures (git-ignored).
SCREENSHOTS = ROOT / "screenshots"
DESKTOP = {"width": 1280, "height": 900}

# A main-document answer with a 4xx status (a refused form) makes Chromium log "Failed to load
# resource"; that is the page saying no in words, not a broken page, so only those are allowed.
_FAILED_LOAD = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d")

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
except ImportError:  # pragma: no cover - the venv has it; say so clearly if not
    sync_playwright = None


class Server:
    """The running app: its base URL, database URL and environment (for CLI calls)."""

    def __init__(self, url: str, database_url: str, env: dict[str, str], log: Path) -> None:
        self.url = url
        self.database_url = database_url
        self.env = env
        self.log = log

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run ``flask --app tracker <args>`` against the server's database; its stdout."""
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "tracker", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def _wait_for_health(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310  (a fixed http://127.0.0.1 address)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /healthz:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="package")
def server() -> Iterator[Server]:
    """The app served by ``flask run`` on a free port and a fresh, migrated SQLite file."""
    with tempfile.TemporaryDirectory(prefix="tracker-browser-") as name:
        yield from _serve(Path(name))


def _serve(folder: Path) -> Iterator[Server]:
    port = live_servers.free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{folder / 'tracker.db'}"
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_SECRET_KEY": SECRET,
        "TRACKER_PASSWORD_MEMORY_KIB": "1024",
        "TRACKER_PASSWORD_TIME_COST": "1",
        "TRACKER_BASE_URL": url,
        "TRACKER_ENV": "development",
        "TRACKER_LOG_LEVEL": "WARNING",
    }
    env.pop("TRACKER_TEST_DATABASE_URL", None)
    log = folder / "server.log"
    running = Server(url, database_url, env, log)
    running.cli("db", "upgrade")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(BIN / "flask"),
                "--app",
                "tracker",
                "run",
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
                "--no-reload",
                "--no-debugger",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_health(url, process, log)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="package")
def seed_app(server: Server) -> Any:
    """An app object in the test process pointed at the server's database (for arranging data)."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": server.database_url,
            "SECRET_KEY": SECRET,
            "PASSWORD_MEMORY_KIB": 1024,
            "PASSWORD_TIME_COST": 1,
            "BASE_URL": server.url,
        }
    )


@pytest.fixture
def live(server: Server, seed_app: Any) -> Server:
    """The server, with every table emptied first so each test starts from nothing."""
    engine = make_engine(server.database_url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(text(f"DELETE FROM {table.name}"))
    engine.dispose()
    return server


@pytest.fixture
def seed(live: Server, seed_app: Any) -> Iterator[Factory]:
    """Factories writing to the server's database (users get the password ``PASSWORD``).

    A plain engine (no BEGIN IMMEDIATE) and no expiry on commit: reading a seeded object must
    never hold SQLite's write lock while the server answers the browser.
    """
    engine = create_engine(live.database_url)
    with seed_app.app_context():
        session: Session = sessionmaker(bind=engine, expire_on_commit=False)()
        try:
            yield Factory(session, PASSWORD)
        finally:
            session.close()
            engine.dispose()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    if sync_playwright is None:
        pytest.fail("Playwright for Python is not installed in the venv")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Watched:
    """A page plus the console errors and page errors it produced."""

    def __init__(self, context: BrowserContext, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self.page: Page = context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("request", self._request)

    def _request(self, request: Any) -> None:
        """No external resources of any kind: every request goes to the app itself."""
        url = request.url
        if not (url.startswith(self.base_url + "/") or url.startswith(("data:", "blob:"))):
            self.problems.append(f"external request: {url}")

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        if _FAILED_LOAD.match(message.text):
            location = (message.location or {}).get("url", "")
            if location.startswith(self.base_url) and "/static/" not in location:
                return
        self.problems.append(f"console error: {message.text} at {message.location}")


@pytest.fixture
def watched(browser: Browser, live: Server) -> Iterator[Watched]:
    """A fresh browser context; the test fails if the page logged errors or broke the CSP."""
    context = browser.new_context(
        base_url=live.url,
        viewport=DESKTOP,
        accept_downloads=True,
        timezone_id="UTC",
    )
    context.set_default_timeout(10_000)
    holder = Watched(context, live.url)
    try:
        yield holder
    finally:
        context.close()
    assert holder.problems == [], "\n".join([*holder.problems, server_errors(live)])


def server_errors(server: Server) -> str:
    """The server log's last traceback, if any (shown when a page broke)."""
    text_ = server.log.read_text(errors="replace")
    start = text_.rfind("Traceback (most recent call last)")
    return "server log:\n" + text_[start:][-3000:] if start >= 0 else "server log has no traceback"


@pytest.fixture
def page(watched: Watched) -> Page:
    """The test's page (console errors and CSP violations fail the test)."""
    return watched.page


@pytest.fixture
def second_page(browser: Browser, live: Server) -> Iterator[Page]:
    """A second person's browser (own cookies), watched the same way."""
    context = browser.new_context(base_url=live.url, viewport=DESKTOP, timezone_id="UTC")
    context.set_default_timeout(10_000)
    holder = Watched(context, live.url)
    try:
        yield holder.page
    finally:
        context.close()
    assert holder.problems == [], "\n".join([*holder.problems, server_errors(live)])


def screenshot_name(who: str, path: str, size: dict[str, int]) -> str:
    """``<who>-<page>-<width>.png`` for a page of the app."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
    return f"{who}-{cleaned or 'home'}-{size['width']}.png"


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form, by label, and wait for the home page."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def sign_out(page: Page) -> None:
    """Sign out with the header button."""
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/login")


def today() -> dt.date:
    """Today in UTC, the timezone of the users these tests create."""
    return dt.datetime.now(dt.UTC).date()


def monday(day: dt.date | None = None) -> dt.date:
    """The Monday of the ISO week holding ``day`` (default today)."""
    day = day or today()
    return day - dt.timedelta(days=day.weekday())


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the document is wider than the viewport (0 when it fits)."""
    page.wait_for_load_state("load")  # measured before the stylesheet applies, tables are wide
    return int(
        page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    )


_WIDE = """() => {
  const limit = document.documentElement.clientWidth;
  // Inside a frame that scrolls or clips sideways (.table-scroll, a chart's figure), an element
  // may reach past the screen: the frame is what must fit.
  const framed = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  const placed = el => ['absolute', 'fixed'].includes(getComputedStyle(el).position);
  const inScroller = el => framed(el) && !placed(el);
  // A positioned element put wholly off the screen on purpose (the skip link) is no overflow.
  const parked = (el, r) => placed(el) && (r.right <= 0 || r.left >= limit);
  return [...document.querySelectorAll('body *')]
    .filter(el => {
      const r = el.getBoundingClientRect();
      return !inScroller(el) && !parked(el, r) && (r.right > limit + 0.5 || r.left < -0.5);
    })
    .slice(0, 8)
    .map(el => el.tagName.toLowerCase() + '.' + (el.getAttribute('class') || '') + ' → '
               + Math.round(el.getBoundingClientRect().left) + '..'
               + Math.round(el.getBoundingClientRect().right) + 'px');
}"""


def too_wide(page: Page) -> list[str]:
    """Elements (outside .table-scroll) that reach past the viewport's left or right edge."""
    return list(page.evaluate(_WIDE))


# Things a person reads or presses, drawn on top of each other (compared line box by line box,
# so a link wrapping over two lines is two boxes). Hidden and clipped things do not count.
_OVERLAPS = """() => {
  const shown = el => {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.display === 'none' || s.visibility === 'hidden' || s.clipPath !== 'none') return false;
    }
    return true;
  };
  const boxes = [...document.querySelectorAll(
      'a, button, input, select, textarea, label, h1, h2, h3, th, .badge, .stat, .who')]
    .filter(el => !el.closest('svg') && shown(el))
    .map(el => ({el, rects: [...el.getClientRects()].filter(r => r.width > 1 && r.height > 1)}))
    .filter(b => b.rects.length);
  const name = el => el.tagName.toLowerCase() + '.' + (el.getAttribute('class') || '')
    + ' "' + (el.textContent || el.value || '').trim().slice(0, 30) + '"';
  const found = [];
  for (let i = 0; i < boxes.length && found.length < 8; i++) {
    for (let j = i + 1; j < boxes.length && found.length < 8; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
      if (a.el.tagName === 'LABEL' && a.el.control === b.el) continue;
      const hit = a.rects.some(p => b.rects.some(q =>
        Math.min(p.right, q.right) - Math.max(p.left, q.left) > 2
        && Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top) > 2));
      if (hit) found.push(name(a.el) + ' over ' + name(b.el));
    }
  }
  return found;
}"""


def overlapping(page: Page) -> list[str]:
    """Pairs of readable or pressable elements drawn over each other (empty when none)."""
    return list(page.evaluate(_OVERLAPS))


# Pages whose tables may scroll sideways inside .table-scroll (reference tables, many columns).
SCROLLING_TABLES = (
    "/admin/audit/",
    "/admin/outbox",
    "/admin/webhooks",
    "/admin/users/",
    "/admin/holds",
    "/admin/projects/",
    "/notifications",
)
_WIDER_TABLES = """() => [...document.querySelectorAll('.table-scroll')]
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => (el.querySelector('caption') || el.querySelector('th') || el).textContent.trim()
             .slice(0, 40) + ': ' + el.scrollWidth + 'px')"""


# ... and an incident's report (one row of eight columns per affected contractor).
_SCROLLING_PAGES = re.compile(r"^/admin/incidents/\d+/report$")


def may_scroll(path: str) -> bool:
    """Whether the page at ``path`` is one whose tables may scroll sideways in their frame."""
    return _SCROLLING_PAGES.match(path) is not None or any(
        path == p
        or (p.endswith("/") and path.startswith(p) and path.count("/") <= 3)
        or (not p.endswith("/") and path.startswith(p))
        for p in SCROLLING_TABLES
    )


def layout_problems(page: Page, path: str) -> list[str]:
    """The page just loaded at ``path``: a line for it being wider than the screen, for a
    table that scrolls sideways where its rows should be cards, and for things drawn over
    each other. Empty when the page fits."""
    problems = []
    extra = horizontal_overflow(page)
    if extra > 0:
        problems.append(f"{path}: {extra}px too wide: {too_wide(page)}")
    outside = too_wide(page)
    if outside and not extra:
        problems.append(f"{path}: cut off at the edge: {outside}")
    wide = [] if may_scroll(path) else page.evaluate(_WIDER_TABLES)
    if wide:
        problems.append(f"{path}: a table scrolls sideways: {wide}")
    drawn_over = overlapping(page)
    if drawn_over:
        problems.append(f"{path}: overlapping: {drawn_over}")
    return problems


def check_pages(page: Page, paths: list[str]) -> list[str]:
    """Visit each path (once) and collect its layout problems (see layout_problems)."""
    problems = []
    for path in dict.fromkeys(paths):
        response = page.goto(path)
        if response is None or not response.ok:
            problems.append(f"{path}: answered {response.status if response else None}")
            continue
        problems += layout_problems(page, path)
    return problems


class Scenario:
    """A realistic portal: people, projects (one on hold), a fortnight of hours, notifications."""

    def __init__(self, make: Factory) -> None:
        from tracker.services import holds

        self.admin = make.admin(name="Ada Admin", email="ada@example.com", timezone="Europe/Berlin")
        self.contractor = make.contractor(
            name="Casey Contractor", email="casey@example.com", skills="python, security"
        )
        self.colleague = make.contractor(
            name="Dana Developer", email="dana@example.com", skills="python, sql"
        )
        self.newcomer = make.contractor(name="Noor Newcomer", email="noor@example.com")
        self.payroll = make.payroll(name="Pat Payroll", email="pat@example.com")
        self.held = make.project(
            code="CHORDUS",
            name="Chordus platform",
            client="Acme Logistics",
            hourly_rate="45.00",
            seats=3,
            skills="python, security",
        )
        self.other = make.project(
            code="NIMBUS",
            name="Nimbus migration",
            client="Northwind",
            hourly_rate="50.00",
            seats=4,
            skills="python, security, sql",
        )
        self.spare = make.project(
            code="ORION",
            name="Orion reporting",
            client="Contoso",
            hourly_rate="40.00",
            skills="sql",
        )
        make.assign(self.held, self.contractor)
        make.assign(self.held, self.colleague)
        make.assign(self.other, self.colleague)
        start = monday() - dt.timedelta(days=7)
        for offset, minutes, status in (
            (0, 450, "approved"),
            (1, 480, "approved"),
            (2, 390, "submitted"),
            (3, 465, "submitted"),
        ):
            day = start + dt.timedelta(days=offset)
            make.entry(
                self.contractor,
                self.held,
                work_date=day,
                minutes=minutes,
                description="API hardening and code review",
                status=status,
            )
            make.entry(
                self.colleague,
                self.other,
                work_date=day,
                minutes=minutes - 30,
                description="Schema migration",
                status=status,
            )
        hold, _affected = holds.freeze_project(
            make.db,
            self.admin,
            make.db.merge(self.held),
            reason="Client reported a breach of their CI system",
            notice="Acme is investigating a security incident. Please stop work on CHORDUS "
            "until we tell you more; hours already logged will be paid.",
            incident_ref="INC-2041",
            allow_backfill=True,
        )
        make.db.commit()
        self.hold = hold

    def main_pages(self) -> list[tuple[Any, list[str]]]:
        """Each role's person, with the pages beyond their navigation worth checking too."""
        return [
            (self.contractor, ["/entries/new"]),
            (self.newcomer, []),
            (
                self.admin,
                [
                    f"/admin/projects/{self.held.id}",
                    f"/admin/projects/{self.other.id}",
                    "/admin/projects/new",
                    f"/admin/users/{self.contractor.id}",
                    "/admin/users/new",
                    f"/admin/holds/projects/{self.other.id}/freeze",
                    "/admin/webhooks",
                ],
            ),
            (self.payroll, ["/", "/payroll?preset=last_week"]),
        ]


@pytest.fixture
def scenario(seed: Factory) -> Scenario:
    """The realistic data set (see Scenario), in the server's database."""
    return Scenario(seed)


def nav_paths(page: Page) -> list[tuple[str, str]]:
    """(label, path) of every link in the main navigation of the current page."""
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    found = []
    for link in links.all():
        href = link.get_attribute("href") or ""
        found.append((link.inner_text().split("\n")[0].strip(), href))
    return found
