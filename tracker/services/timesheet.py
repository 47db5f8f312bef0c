"""The weekly timesheet: one contractor's ISO week as a projects x days grid with totals.

Built in a fixed number of queries (three) whatever the number of entries: the week's entries
with their projects, the assignments overlapping the week, and the holds in force. Each cell
says whether it takes input, by the same checks that log, change and delete make.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from tracker.clock import local_today, span_text
from tracker.errors import DomainError
from tracker.models import Assignment, Hold, Project, TimeEntry, User
from tracker.services import durations, entries, holds, inputs
from tracker.services.entry_rules import Standing, change_refusal, create_refusal, hold_rule


def parse_week(value: str | None, today: dt.date) -> dt.date:
    """The Monday of an ISO week like ``2026-W49`` (default: the week of ``today``).

    Raises Invalid.
    """
    if not value:
        return today - dt.timedelta(days=today.weekday())
    return inputs.iso_week(value)


def week_label(monday: dt.date) -> str:
    """``2026-W49`` for the week starting on that Monday."""
    return inputs.week_label(monday)


@dataclass
class Cell:
    """One project on one day: its entries and their total."""

    day: dt.date
    entries: list[TimeEntry] = field(default_factory=list)
    assigned: bool = False
    editable: bool = False  # one entry the rules let the contractor change, or room for one
    # Why the rules would refuse a change here (None: they would not); a hold comes first.
    refusal: DomainError | None = None

    @property
    def held(self) -> bool:
        """Read-only because of a hold on the project."""
        return not self.editable and getattr(self.refusal, "code", None) == "project_frozen"

    @property
    def minutes(self) -> int:
        return sum(e.minutes for e in self.entries)

    @property
    def single(self) -> TimeEntry | None:
        """The one entry of the cell when there is exactly one."""
        return self.entries[0] if len(self.entries) == 1 else None


@dataclass
class Row:
    """One project of the week."""

    project: Project
    hold: Hold | None
    cells: list[Cell]
    standing: Standing = field(default_factory=lambda: Standing(None))
    # The hold's rule, said beside the grid and by every cell it makes read-only.
    hold_hint: str | None = None

    @property
    def total(self) -> int:
        return sum(c.minutes for c in self.cells)


@dataclass
class Week:
    """The grid: days, one row per project, totals per day and for the week."""

    monday: dt.date
    days: list[dt.date]
    rows: list[Row]

    @property
    def label(self) -> str:
        return week_label(self.monday)

    @property
    def dates(self) -> str:
        """The week's Monday to Sunday in words, shown beside (or instead of) the ISO label."""
        return span_text(self.monday, self.monday + dt.timedelta(days=6))

    @property
    def previous(self) -> str | None:
        """The week before, or None at the start of the calendar (0001-W01)."""
        monday = inputs.week_step(self.monday, -1)
        return None if monday is None else week_label(monday)

    @property
    def next(self) -> str | None:
        """The week after, or None at the last week the calendar holds whole."""
        monday = inputs.week_step(self.monday, 1)
        return None if monday is None else week_label(monday)

    @property
    def day_totals(self) -> list[int]:
        return [sum(r.cells[i].minutes for r in self.rows) for i in range(7)]

    @property
    def total(self) -> int:
        return sum(r.total for r in self.rows)


def week(
    session: Session,
    user: User,
    monday: dt.date,
    *,
    today: dt.date | None = None,
    backdating_days: int | None = None,
) -> Week:
    """The contractor's week starting on ``monday``, in three queries.

    A cell is editable when it holds at most one entry and the entries service would take a
    change there now: ``entry_rules.change_refusal`` for its entry, ``create_refusal`` for an
    empty cell (``today`` defaults to the contractor's own date).
    """
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    sunday = days[-1]
    found = list(
        session.scalars(
            select(TimeEntry)
            .options(joinedload(TimeEntry.project))
            .where(
                TimeEntry.user_id == user.id,
                TimeEntry.work_date >= monday,
                TimeEntry.work_date <= sunday,
            )
            .order_by(TimeEntry.work_date, TimeEntry.id)
        )
    )
    assignments = list(
        session.execute(
            select(Assignment, Project)
            .join(Project, Project.id == Assignment.project_id)
            .where(
                Assignment.user_id == user.id,
                Assignment.start_date <= sunday,
                or_(Assignment.end_date.is_(None), Assignment.end_date >= monday),
            )
            .order_by(Assignment.end_date.is_not(None), Assignment.id.desc())
        )
    )
    by_project: dict[int, Project] = {p.id: p for _assignment, p in assignments}
    for entry in found:
        by_project.setdefault(entry.project_id, entry.project)
    held = holds.active_holds(session, by_project)
    rows: dict[int, Row] = {}
    for pid, project in sorted(by_project.items(), key=lambda item: item[1].code):
        cells = [Cell(day) for day in days]
        mine = [a for a, p in assignments if p.id == pid]
        for cell in cells:
            cell.assigned = any(a.covers(cell.day) for a in mine)
        hold = held.get(pid)
        rows[pid] = Row(project, hold, cells, Standing(project, hold, mine))
        if hold is not None:
            rows[pid].hold_hint = _(
                "%(code)s is %(rule)s.", code=project.code, rule=hold_rule(hold, user)
            )
    for entry in found:
        rows[entry.project_id].cells[(entry.work_date - monday).days].entries.append(entry)
    rules = {"today": today or local_today(user), "backdating_days": backdating_days}
    for row in rows.values():
        for cell in row.cells:
            cell.refusal = _refusal(user, row, cell, **rules)
            # Several entries on one day are changed one by one on the entries page.
            cell.editable = cell.refusal is None and len(cell.entries) <= 1
    return Week(monday, days, list(rows.values()))


def _refusal(user: User, row: Row, cell: Cell, **rules: Any) -> DomainError | None:
    """Why the rules would not let this contractor change the cell now (its first entry)."""
    if cell.entries:
        return change_refusal(user, user, cell.entries[0], row.standing, **rules)
    return create_refusal(user, user, row.standing, cell.day, **rules)


def _cell_minutes(typed: str) -> int | None:
    """The minutes a cell's text means, or None for an empty cell. Raises Invalid."""
    if not typed.strip():
        return None
    return durations.parse_hours(typed)


def _save_cell(
    session: Session, user: User, row: Row, cell: Cell, typed: str, **rules: Any
) -> bool:
    """One changed cell through the entries service: log, change or delete; True if it did."""
    entry = cell.single
    minutes = _cell_minutes(typed)
    if entry is None:
        if minutes is None:
            return False
        entries.log_time(
            session, user, project_id=row.project.id, work_date=cell.day, hours=typed, **rules
        )
        return True
    if minutes is None or minutes == 0:
        entries.delete_entry(session, user, entry.id, **rules)
        return True
    if minutes == entry.minutes:
        return False
    entries.update_entry(session, user, entry.id, hours=typed, **rules)
    return True


def save_cells(
    session: Session, user: User, edits: list[tuple[Row, Cell, str]], **rules: Any
) -> tuple[int, dict[int, DomainError]]:
    """Apply a week's changed cells in the caller's transaction; (changes, refusals by index).

    Every project's shared lock comes first, in ascending ids, so no cell waits for a project
    lock while an earlier cell holds a day lock; then each cell in its own savepoint. The
    caller commits when nothing was refused and rolls back otherwise (all or nothing).
    """
    entries.share_projects(session, {row.project.id for row, _cell, _typed in edits})
    changed = 0
    refusals: dict[int, DomainError] = {}
    for index, (row, cell, typed) in enumerate(edits):
        try:
            with session.begin_nested():
                changed += _save_cell(session, user, row, cell, typed, **rules)
        except DomainError as exc:
            refusals[index] = exc
    return changed, refusals
