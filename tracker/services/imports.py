"""Importing people, projects and assignments from CSV: checked row by row, written all at once.

Every row is checked by the services the forms use (``users.parse_new_user`` and
``update_user``, ``projects.parse_new_project`` and ``update_project``,
``assignments.assign_many`` and ``change_assignment``), so an import obeys exactly the rules a
page does. Rows are matched to what exists — people by email (case-insensitive), projects by
code, assignments by (email, project code, start date) — and each is created, updated or left
unchanged; a second run of the same file changes nothing. An empty optional cell leaves the
value as it is (a new row gets the default).

All or nothing: any error anywhere, and nothing is written (``ImportRefused`` carries every
error by line and column). A dry run does the whole import inside a savepoint and rolls it
back, so its preview is what the import would do. New people are inserted set-based and get
their one-time setup link by email through the outbox; nobody's password is hashed here.

What an import never does: change a rate on an entry already logged (entries keep the rate
they were logged with, so payroll's figures stay), freeze, unfreeze, close or reopen a project,
or reopen an ended assignment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.errors import DomainError, Invalid, ProjectFull
from tracker.models import Assignment, User
from tracker.services import (
    assignments,
    audit,
    csv_reader,
    inputs,
    notices,
    projects,
    users,
    validation,
)
from tracker.services.csv_reader import Problem, Row

KINDS = ("users", "projects", "assignments")


@dataclass(frozen=True)
class Kind:
    """What a file of one kind holds: its columns (required first) and an example row."""

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    example: tuple[str, ...]
    key: str  # the column named in the preview

    def template(self) -> str:
        """The header row and one example, as a spreadsheet would save them."""
        return ",".join(self.columns) + "\r\n" + ",".join(self.example) + "\r\n"


SPECS = {
    "users": Kind(
        "users",
        ("email", "name", "role", "timezone", "skills", "hourly_rate"),
        ("email", "name", "role"),
        ("ada@example.com", "Ada Lovelace", "contractor", "Europe/Berlin", "python;sql", "45.00"),
        "email",
    ),
    "projects": Kind(
        "projects",
        (
            "code",
            "name",
            "client",
            "seats",
            "skills",
            "hourly_rate",
            "currency",
            "open_to_reassignment",
        ),
        ("code", "name", "hourly_rate"),
        ("CHORDUS", "Chordus platform", "Acme", "5", "python;security", "50.00", "EUR", "true"),
        "code",
    ),
    "assignments": Kind(
        "assignments",
        ("email", "project_code", "start_date", "end_date", "hourly_rate"),
        ("email", "project_code", "start_date"),
        ("ada@example.com", "CHORDUS", "2026-12-01", "", "48.00"),
        "email",
    ),
}


@dataclass(frozen=True)
class Outcome:
    """What the import does with one row: ``create``, ``update`` (which fields) or ``unchanged``."""

    line: int
    key: str
    action: str
    fields: tuple[str, ...] = ()


@dataclass
class ImportResult:
    """Counts, each row's outcome, and every error by line and column."""

    kind: str
    dry_run: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    def error(self, line: int | None, column: str | None, message: str) -> None:
        self.errors.append(Problem(line, column, message))

    def refusal(self, line: int, exc: DomainError, columns: dict[str, str] | None = None) -> None:
        """A service's refusal of one row, placed on the columns its fields are about."""
        columns = columns or {}
        if isinstance(exc, Invalid):
            for name, messages in exc.fields.items():
                for text in messages:
                    self.error(line, columns.get(name, name), text)
        else:
            self.error(line, columns.get("", None), exc.message)

    def to_dict(self) -> dict[str, Any]:
        """The API's answer: counts and errors."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [e.to_dict() for e in sorted(self.errors, key=_place)],
        }

    def sorted_errors(self) -> list[Problem]:
        return sorted(self.errors, key=_place)


def _place(problem: Problem) -> tuple[int, str]:
    return (problem.line or 0, problem.column or "")


class ImportRefused(DomainError):
    """The file has errors; nothing was written. ``result`` lists them by line and column."""

    code = "invalid_import"
    status = 422

    def __init__(self, result: ImportResult) -> None:
        count = len(result.errors)
        first = result.sorted_errors()[0]
        if first.line:
            message = ngettext(
                "Nothing was imported: %(num)d error, the first on line %(line)s: %(message)s",
                "Nothing was imported: %(num)d errors, the first on line %(line)s: %(message)s",
                count,
                line=first.line,
                message=first.message,
            )
        else:
            message = ngettext(
                "Nothing was imported: %(num)d error, the first on the file: %(message)s",
                "Nothing was imported: %(num)d errors, the first on the file: %(message)s",
                count,
                message=first.message,
            )
        super().__init__(message)
        self.result = result


class FileTooLarge(DomainError):
    """The file is over the import size limit."""

    code = "too_large"
    status = 413


def template_csv(kind: str) -> str:
    """The template file of a kind: header and one example row."""
    return SPECS[kind].template()


def run_import(
    session: Session,
    actor: User | None,
    kind: str,
    data: bytes,
    *,
    dry_run: bool = False,
    max_bytes: int,
    setup_link_hours: int = 24,
) -> ImportResult:
    """Import a CSV file of ``kind`` (``users``, ``projects`` or ``assignments``).

    Returns the result (also for a dry run, which writes nothing). Raises ImportRefused (any
    error: nothing written), FileTooLarge, Invalid (unknown kind).
    """
    if kind not in SPECS:
        raise Invalid.field("kind", _("Import one of: %(kinds)s.", kinds=", ".join(KINDS)))
    if len(data) > max_bytes:
        raise FileTooLarge(
            _(
                "The file is %(size)s bytes; the limit is %(limit)s. Split it and import the "
                "parts one after the other.",
                size=f"{len(data):,}",
                limit=f"{max_bytes:,}",
            )
        )
    spec = SPECS[kind]
    result = ImportResult(kind, dry_run)
    table = csv_reader.read(data)
    result.errors.extend(table.problems)
    if not table.problems:
        _check_columns(spec, table.columns, result)
    if not result.errors and not table.rows:
        result.error(2, None, _("The file has a header but no rows to import."))
    if result.errors:
        raise ImportRefused(result)
    savepoint = session.begin_nested()
    try:
        IMPORTERS[kind](session, actor, table.rows, result, setup_link_hours)
    except IntegrityError:
        # Someone added the same email, code or assignment between our check and our insert.
        savepoint.rollback()
        result.error(None, None, _("The data changed while this file was imported; run it again."))
        raise ImportRefused(result) from None
    except BaseException:
        savepoint.rollback()
        raise
    if result.errors or dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
        audit.record(
            session,
            actor,
            f"import.{kind}",
            target_type="import",
            rows=len(table.rows),
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        )
    if result.errors:
        raise ImportRefused(result)
    return result


def _check_columns(spec: Kind, columns: list[str], result: ImportResult) -> None:
    missing = [name for name in spec.required if name not in columns]
    unknown = [name for name in columns if name and name not in spec.columns]
    for name in missing:
        result.error(
            1,
            name,
            _("The required column %(name)s is missing from the header.", name=repr(name)),
        )
    for name in unknown:
        result.error(
            1,
            name,
            _(
                "Unknown column %(name)s; the columns of this import are: %(columns)s.",
                name=repr(name),
                columns=", ".join(spec.columns),
            ),
        )


def _given(row: Row, names: tuple[str, ...]) -> dict[str, str]:
    """The row's non-empty cells among ``names`` (an empty cell leaves a value as it is)."""
    return {name: row.cells[name] for name in names if row.cells.get(name, "")}


def _tags(text: str | None) -> list[str] | None:
    """Skills from one cell, separated by ``;`` (spreadsheets keep ``,`` for columns)."""
    return None if text is None else text.split(";")


_FLAGS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _flag(text: str) -> Any:
    """``true``/``false`` (also yes/no, 1/0) as a boolean; anything else as given, refused."""
    return _FLAGS.get(text.strip().lower(), text)


def _first_seen(
    result: ImportResult, seen: dict[Any, int], key: Any, row: Row, column: str, what: str
) -> bool:
    """True the first time ``key`` appears in the file; later, an error naming the first line."""
    if key in seen:
        result.error(
            row.line,
            column,
            _(
                "%(what)s is also on line %(line)s; each may appear once.",
                what=what,
                line=seen[key],
            ),
        )
        return False
    seen[key] = row.line
    return True


# --- people ----------------------------------------------------------------------------------

USER_OPTIONAL = ("timezone", "skills", "hourly_rate")


def _import_users(
    session: Session, actor: User | None, rows: list[Row], result: ImportResult, hours: int
) -> None:
    parsed: list[tuple[Row, dict[str, Any], set[str]]] = []
    seen: dict[Any, int] = {}
    for row in rows:
        given = _given(row, USER_OPTIONAL)
        try:
            values = users.parse_new_user(
                email=row.cells["email"],
                name=row.cells["name"],
                role=row.cells["role"],
                timezone=given.get("timezone", "UTC"),
                skills=_tags(given.get("skills")),
                hourly_rate=given.get("hourly_rate"),
            )
        except Invalid as exc:
            result.refusal(row.line, exc)
            continue
        if _first_seen(result, seen, values["email"], row, "email", values["email"]):
            parsed.append((row, values, {"name", "role", *given}))
    existing = users.taken_emails(session, [values["email"] for _r, values, _g in parsed])
    new: list[tuple[Row, dict[str, Any]]] = []
    for row, values, given_fields in parsed:
        user = existing.get(values["email"])
        if user is None:
            new.append((row, values))
            continue
        diff = {k: values[k] for k in sorted(given_fields) if getattr(user, k) != values[k]}
        if diff:
            try:
                users.update_user(session, actor, user, **diff)
            except DomainError as exc:
                result.refusal(row.line, exc)
                continue
        result.outcomes.append(
            Outcome(row.line, user.email, "update" if diff else "unchanged", tuple(diff))
        )
    if result.errors:
        return
    made = users.add_users(session, actor, [values for _row, values in new])
    notices.email_setup_links(session, actor, made, "welcome", hours)
    for row, values in new:
        result.outcomes.append(Outcome(row.line, values["email"], "create"))


# --- projects --------------------------------------------------------------------------------

PROJECT_OPTIONAL = ("client", "seats", "skills", "currency", "open_to_reassignment")


def _project_values(given: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = dict(given)
    if "skills" in values:
        values["skills"] = _tags(values["skills"])
    if "open_to_reassignment" in values:
        values["open_to_reassignment"] = _flag(values["open_to_reassignment"])
    return values


def _import_projects(
    session: Session, actor: User | None, rows: list[Row], result: ImportResult, _hours: int
) -> None:
    parsed: list[tuple[Row, dict[str, Any], set[str]]] = []
    seen: dict[Any, int] = {}
    for row in rows:
        given = _given(row, ("code", "name", "hourly_rate", *PROJECT_OPTIONAL))
        try:
            values = projects.parse_new_project(_project_values(given))
        except Invalid as exc:
            result.refusal(row.line, exc)
            continue
        if _first_seen(result, seen, values["code"], row, "code", values["code"]):
            parsed.append((row, values, set(given) - {"code"}))
    existing = projects.taken_codes(session, [values["code"] for _r, values, _g in parsed])
    new: list[tuple[Row, dict[str, Any]]] = []
    for row, values, given_fields in parsed:
        project = existing.get(values["code"])
        if project is None:
            new.append((row, values))
            continue
        diff = {k: values[k] for k in sorted(given_fields) if getattr(project, k) != values[k]}
        if diff:
            try:
                projects.update_project(session, actor, project, **diff)
            except DomainError as exc:
                result.refusal(row.line, exc, {"": "code"})
                continue
        result.outcomes.append(
            Outcome(row.line, project.code, "update" if diff else "unchanged", tuple(diff))
        )
    if result.errors:
        return
    projects.add_projects(session, actor, [values for _row, values in new])
    for row, values in new:
        result.outcomes.append(Outcome(row.line, values["code"], "create"))


# --- assignments -----------------------------------------------------------------------------

# Which column a refusal about an assignment's field is about.
ASSIGNMENT_COLUMNS = {"user_id": "email", "project_id": "project_code", "": "project_code"}


def _parse_assignment(row: Row) -> dict[str, Any]:
    cells = row.cells
    return validation.collect(
        {
            "email": lambda: validation.email(cells["email"]),
            "project_code": lambda: validation.project_code(cells["project_code"], "project_code"),
            "start_date": lambda: inputs.date(cells["start_date"], "start_date"),
            "end_date": lambda: inputs.optional_date(cells.get("end_date"), "end_date"),
            "hourly_rate": lambda: validation.money(cells.get("hourly_rate"), required=False),
        }
    )


def _import_assignments(
    session: Session, actor: User | None, rows: list[Row], result: ImportResult, _hours: int
) -> None:
    parsed: list[tuple[Row, dict[str, Any]]] = []
    seen: dict[Any, int] = {}
    for row in rows:
        try:
            values = _parse_assignment(row)
        except Invalid as exc:
            result.refusal(row.line, exc)
            continue
        key = (values["email"], values["project_code"], values["start_date"])
        what = _(
            "%(email)s on %(code)s from %(start)s",
            email=values["email"],
            code=values["project_code"],
            start=values["start_date"],
        )
        if _first_seen(result, seen, key, row, "email", what):
            parsed.append((row, values))
    people = users.taken_emails(session, sorted({v["email"] for _r, v in parsed}))
    places = projects.taken_codes(session, sorted({v["project_code"] for _r, v in parsed}))
    known = []
    for row, values in parsed:
        if values["email"] not in people:
            result.error(
                row.line, "email", _("No user has the email %(email)s.", email=values["email"])
            )
        if values["project_code"] not in places:
            result.error(
                row.line,
                "project_code",
                _("No project has the code %(code)s.", code=values["project_code"]),
            )
        if values["email"] in people and values["project_code"] in places:
            known.append((row, values))
    existing = _existing_assignments(session, [p.id for p in places.values()])
    groups: dict[tuple[Any, ...], list[tuple[Row, User]]] = {}
    for row, values in known:
        user, project = people[values["email"]], places[values["project_code"]]
        found = existing.get((user.id, project.id, values["start_date"]))
        if found is None:
            group = (project.id, values["start_date"], values["end_date"], values["hourly_rate"])
            groups.setdefault(group, []).append((row, user))
            continue
        _update_assignment(session, actor, found, row, values, result)
    by_id = {p.id: p for p in places.values()}
    for (project_id, start, end, rate), members in groups.items():
        project = by_id[project_id]
        _assign_group(session, actor, project, start, end, rate, members, result)


def _existing_assignments(
    session: Session, project_ids: list[int]
) -> dict[tuple[int, int, Any], Assignment]:
    found: dict[tuple[int, int, Any], Assignment] = {}
    for start in range(0, len(project_ids), 500):
        chunk = project_ids[start : start + 500]
        for a in session.scalars(select(Assignment).where(Assignment.project_id.in_(chunk))):
            found[(a.user_id, a.project_id, a.start_date)] = a
    return found


def _update_assignment(
    session: Session,
    actor: User | None,
    found: Assignment,
    row: Row,
    values: dict[str, Any],
    result: ImportResult,
) -> None:
    given = {k: values[k] for k in ("end_date", "hourly_rate") if values[k] is not None}
    diff = {k: v for k, v in given.items() if getattr(found, k) != v}
    if diff:
        try:
            assignments.change_assignment(session, actor, found, **diff)
        except DomainError as exc:
            result.refusal(row.line, exc, ASSIGNMENT_COLUMNS)
            return
    result.outcomes.append(
        Outcome(row.line, values["email"], "update" if diff else "unchanged", tuple(diff))
    )


def _assign_group(
    session: Session,
    actor: User | None,
    project: Any,
    start: Any,
    end: Any,
    rate: Any,
    members: list[tuple[Row, User]],
    result: ImportResult,
) -> None:
    """New assignments sharing a project, dates and rate: one ``assign_many``."""
    try:
        made, refused = assignments.assign_many(
            session,
            actor,
            project,
            [user for _row, user in members],
            hourly_rate=rate,
            start_date=start,
            end_date=end,
        )
    except DomainError as exc:
        for row, _user in members:
            result.refusal(row.line, exc, ASSIGNMENT_COLUMNS)
        return
    line_of = {user.id: row.line for row, user in members}
    for user, refusal in refused:
        about = "project_code" if isinstance(refusal, ProjectFull) else "email"
        result.refusal(line_of[user.id], refusal, {**ASSIGNMENT_COLUMNS, "": about})
    for user, _assignment in made:
        result.outcomes.append(Outcome(line_of[user.id], user.email, "create"))


IMPORTERS: dict[str, Callable[[Session, User | None, list[Row], ImportResult, int], None]] = {
    "users": _import_users,
    "projects": _import_projects,
    "assignments": _import_assignments,
}
