"""The audit log in words: what each event is about, and its changes as before → after.

An event keeps ids and raw values (``audit.record``); the page names them here, in a few
queries for a whole page of events: "time entry 20 of Ana Lima on CHORDUS", "project CHORDUS".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Assignment, AuditEvent, Hold, Project, TimeEntry, User

# Values that are ids of people or projects, shown by name.
USER_FIELDS = frozenset({"user_id", "approved_by_id", "created_by_id", "ended_by_id"})
PROJECT_FIELDS = frozenset({"project_id", "from_project_id", "to_project_id"})
# How stored target types read (a row's table name without its last "s").
TYPE_WORDS = {
    "time_entrie": _l("time entry"),
    "export_batche": _l("payroll batch"),
    "export_batch": _l("payroll batch"),
    "api_token": _l("API token"),
    "setup_link": _l("setup link"),
    "webhook": _l("webhook"),
    "delivery": _l("delivery"),
    "database": _l("database"),
    "incident": _l("incident"),
    "import": _l("import"),
}
# The objects the log can be filtered by, in words (a stored type, its name).
FILTER_TYPES = {
    "project": _l("project"),
    "user": _l("user"),
    "time_entrie": TYPE_WORDS["time_entrie"],
    "assignment": _l("assignment"),
    "hold": _l("hold"),
    "incident": TYPE_WORDS["incident"],
    "export_batch": TYPE_WORDS["export_batch"],
    "api_token": TYPE_WORDS["api_token"],
    "webhook": TYPE_WORDS["webhook"],
    "delivery": TYPE_WORDS["delivery"],
    "import": TYPE_WORDS["import"],
}
# The fields events keep, in words (by their label: the key without "_id", "_" as spaces); a
# field not named here is shown by its label.
FIELD_WORDS = {
    "active": _l("active"),
    "affected contractors": _l("affected contractors"),
    "affected count": _l("affected"),
    "after": _l("after"),
    "allow backfill": _l("earlier days may be logged"),
    "allow same client": _l("same-client offers allowed"),
    "approved by": _l("approved by"),
    "before": _l("before"),
    "client": _l("client"),
    "code": _l("code"),
    "created": _l("created"),
    "created by": _l("created by"),
    "currency": _l("currency"),
    "email": _l("email"),
    "end": _l("end"),
    "end date": _l("end date"),
    "ended by": _l("ended by"),
    "events": _l("events"),
    "format": _l("format"),
    "from hold": _l("from hold"),
    "from project": _l("from project"),
    "hourly rate": _l("hourly rate"),
    "id": _l("number"),
    "internal": _l("internal"),
    "kind": _l("kind"),
    "language": _l("language"),
    "last error": _l("last error"),
    "last update": _l("last update"),
    "message": _l("message"),
    "minutes": _l("minutes"),
    "name": _l("name"),
    "note": _l("note"),
    "notice": _l("notice"),
    "open to reassignment": _l("open to reassignment"),
    "origin": _l("origin"),
    "project": _l("project"),
    "project ids": _l("projects"),
    "purpose": _l("purpose"),
    "reason": _l("reason"),
    "rejection reason": _l("rejection reason"),
    "review by": _l("review by"),
    "role": _l("role"),
    "rows": _l("rows"),
    "scope": _l("scope"),
    "seats": _l("seats"),
    "sha256": _l("fingerprint"),
    "skills": _l("skills"),
    "skipped": _l("skipped"),
    "start": _l("start"),
    "start date": _l("start date"),
    "started at": _l("started at"),
    "status": _l("status"),
    "timezone": _l("timezone"),
    "to project": _l("to project"),
    "tokens revoked": _l("tokens revoked"),
    "title": _l("title"),
    "topic": _l("topic"),
    "total minutes": _l("total minutes"),
    "totals": _l("totals"),
    "unchanged": _l("unchanged"),
    "update": _l("update"),
    "updated": _l("updated"),
    "url": _l("URL"),
    "user": _l("user"),
    "work date": _l("work date"),
}

# What each action is, in words; the page shows the code beside them (the filter takes codes).
ACTION_WORDS = {
    "access.denied": _l("page refused"),
    "api.denied": _l("API request refused"),
    "assignment.create": _l("contractor assigned"),
    "assignment.end": _l("assignment ended"),
    "assignment.update": _l("assignment changed"),
    "database.backup": _l("database backed up"),
    "database.restore": _l("database restored"),
    "entry.approve": _l("entry approved"),
    "entry.create": _l("entry logged"),
    "entry.delete": _l("entry deleted"),
    "entry.refused": _l("entry refused"),
    "entry.reject": _l("entry rejected"),
    "entry.update": _l("entry changed"),
    "import.assignments": _l("assignments imported"),
    "import.projects": _l("projects imported"),
    "import.users": _l("users imported"),
    "incident.acknowledge": _l("notice read"),
    "incident.change": _l("incident changed"),
    "incident.extend": _l("incident extended to a project"),
    "incident.lift": _l("incident lifted"),
    "incident.lift_refused": _l("lifting the incident refused"),
    "incident.start": _l("incident started"),
    "incident.update": _l("incident update posted"),
    "login.failure": _l("sign-in failed"),
    "login.success": _l("signed in"),
    "login.throttled": _l("sign-in slowed down"),
    "mfa.disable": _l("second factor turned off"),
    "mfa.enable": _l("second factor turned on"),
    "mfa.failure": _l("second factor code wrong"),
    "mfa.recovery_code_used": _l("recovery code used"),
    "mfa.throttled": _l("second factor slowed down"),
    "outbox.retry": _l("delivery retried"),
    "payroll.batch": _l("payroll batch created"),
    "payroll.export": _l("payroll file downloaded"),
    "project.create": _l("project created"),
    "project.freeze": _l("project put on hold"),
    "project.freeze_refused": _l("hold refused"),
    "project.unfreeze": _l("hold lifted"),
    "project.unfreeze_refused": _l("lifting the hold refused"),
    "project.update": _l("project changed"),
    "reassignment.accept": _l("offer joined"),
    "reassignment.move": _l("contractor moved"),
    "reassignment.refused": _l("joining refused"),
    "reauth.failure": _l("password check failed"),
    "reauth.throttled": _l("password check slowed down"),
    "setup_link.create": _l("set-up link created"),
    "token.create": _l("API token created"),
    "token.revoke": _l("API token revoked"),
    "token.revoke_all": _l("all API tokens revoked"),
    "user.create": _l("user created"),
    "user.password": _l("password changed"),
    "user.reminders": _l("reminders changed"),
    "user.sessions_ended": _l("sessions signed out"),
    "user.update": _l("user changed"),
    "webhook.create": _l("webhook added"),
    "webhook.delete": _l("webhook removed"),
}
# Stored codes shown in words, by the field that holds them (statuses, roles, origins).
VALUE_WORDS: dict[str, dict[str, Any]] = {
    "status": {
        "submitted": _l("submitted"),
        "approved": _l("approved"),
        "rejected": _l("rejected"),
        "open": _l("open"),
        "frozen": _l("frozen"),
        "closed": _l("closed"),
        "pending": _l("pending"),
        "sent": _l("sent"),
        "dead": _l("dead"),
    },
    "role": {
        "contractor": _l("contractor"),
        "admin": _l("admin"),
        "payroll": _l("payroll"),
    },
    "origin": {"direct": _l("direct"), "reassignment": _l("reassignment")},
    "scope": {"client": _l("a whole client"), "projects": _l("chosen projects")},
    "format": {"standard": "Standard Webhooks", "slack": "Slack"},
}


@dataclass
class Change:
    """One field of an event: its value before and after (None: not there)."""

    name: str
    before: str | None
    after: str | None


@dataclass
class Described:
    """An event in words: its object, its changes, and any other details."""

    target: str
    changes: list[Change] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Names:
    users: dict[int, str] = field(default_factory=dict)
    projects: dict[int, str] = field(default_factory=dict)
    entries: dict[int, tuple[int, int]] = field(default_factory=dict)  # id → (user, project)
    assignments: dict[int, tuple[int, int]] = field(default_factory=dict)
    holds: dict[int, int] = field(default_factory=dict)  # id → project


def describe(session: Session, events: Sequence[AuditEvent]) -> dict[int, Described]:
    """Each event by id, in words (a handful of queries, whatever the number of events)."""
    names = _lookup(session, events)
    return {event.id: _describe(event, names) for event in events}


def _ids(events: Iterable[AuditEvent], kind: str) -> set[int]:
    return {e.target_id for e in events if e.target_type == kind and e.target_id is not None}


def _values(events: Iterable[AuditEvent], keys: frozenset[str]) -> set[int]:
    found: set[int] = set()
    for event in events:
        for part in _parts(event.data):
            found.update(v for k, v in part.items() if k in keys and isinstance(v, int))
    return found


def _parts(data: Any) -> list[dict[str, Any]]:
    """The dictionaries of an event's data that may hold ids: itself, before, after."""
    if not isinstance(data, dict):
        return []
    return [data] + [data[k] for k in ("before", "after") if isinstance(data.get(k), dict)]


def _lookup(session: Session, events: Sequence[AuditEvent]) -> _Names:
    names = _Names()
    entry_ids = _ids(events, "time_entrie")
    if entry_ids:
        rows = session.execute(
            select(TimeEntry.id, TimeEntry.user_id, TimeEntry.project_id).where(
                TimeEntry.id.in_(entry_ids)
            )
        )
        names.entries = {i: (u, p) for i, u, p in rows}
    assignment_ids = _ids(events, "assignment")
    if assignment_ids:
        rows = session.execute(
            select(Assignment.id, Assignment.user_id, Assignment.project_id).where(
                Assignment.id.in_(assignment_ids)
            )
        )
        names.assignments = {i: (u, p) for i, u, p in rows}
    hold_ids = _ids(events, "hold")
    if hold_ids:
        held = session.execute(select(Hold.id, Hold.project_id).where(Hold.id.in_(hold_ids)))
        names.holds = {int(i): int(p) for i, p in held}
    user_ids = _ids(events, "user") | _values(events, USER_FIELDS)
    user_ids |= {e.actor_id for e in events if e.actor_id is not None}
    for pair in [*names.entries.values(), *names.assignments.values()]:
        user_ids.add(pair[0])
    project_ids = _ids(events, "project") | _values(events, PROJECT_FIELDS)
    project_ids |= {p for _u, p in [*names.entries.values(), *names.assignments.values()]}
    project_ids |= set(names.holds.values())
    if user_ids:
        found = session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
        names.users = {int(i): str(name) for i, name in found}
    if project_ids:
        codes = session.execute(select(Project.id, Project.code).where(Project.id.in_(project_ids)))
        names.projects = {int(i): str(code) for i, code in codes}
    return names


def _owner_and_project(event: AuditEvent, known: tuple[int, int] | None) -> tuple[Any, Any]:
    """Whose and on which project: from the row, else from the event's own values (deleted)."""
    if known is not None:
        return known
    for part in _parts(event.data):
        if "user_id" in part or "project_id" in part:
            return part.get("user_id"), part.get("project_id")
    return None, None


def _target(event: AuditEvent, names: _Names) -> str:
    kind, ident = event.target_type, event.target_id
    if not kind:
        return ""
    if kind == "project" and ident is not None:
        return _("project %(code)s", code=names.projects.get(ident, f"#{ident}"))
    if kind == "user" and ident is not None:
        return _("user %(name)s", name=names.users.get(ident, f"#{ident}"))
    if kind in ("time_entrie", "assignment") and ident is not None:
        table = names.entries if kind == "time_entrie" else names.assignments
        user_id, project_id = _owner_and_project(event, table.get(ident))
        whose = _user_name(user_id, names) if user_id is not None else None
        where = _project_code(project_id, names) if project_id is not None else None
        if kind == "time_entrie":
            return _entry_words(ident, whose, where)
        return _assignment_words(whose, where)
    if kind == "hold" and ident is not None:
        project_id = names.holds.get(ident)
        if project_id:
            return _("hold %(id)s on %(code)s", id=ident, code=names.projects.get(project_id, ""))
        return _("hold %(id)s", id=ident)
    word = str(TYPE_WORDS.get(kind, kind.replace("_", " ")))
    return f"{word} {ident}" if ident is not None else word


def _user_name(user_id: Any, names: _Names) -> str:
    return names.users.get(user_id) or _("user #%(id)s", id=user_id)


def _project_code(project_id: Any, names: _Names) -> str:
    return names.projects.get(project_id) or _("project #%(id)s", id=project_id)


def _entry_words(ident: int, whose: str | None, where: str | None) -> str:
    if whose is not None and where is not None:
        return _("time entry %(id)s of %(name)s on %(code)s", id=ident, name=whose, code=where)
    if whose is not None:
        return _("time entry %(id)s of %(name)s", id=ident, name=whose)
    if where is not None:
        return _("time entry %(id)s on %(code)s", id=ident, code=where)
    return _("time entry %(id)s", id=ident)


def _assignment_words(whose: str | None, where: str | None) -> str:
    if whose is not None and where is not None:
        return _("assignment of %(name)s on %(code)s", name=whose, code=where)
    if whose is not None:
        return _("assignment of %(name)s", name=whose)
    if where is not None:
        return _("assignment on %(code)s", code=where)
    return _("assignment")


def _text(name: str, value: Any, names: _Names) -> str:
    """A stored value as the page shows it: people and projects by name, lists joined."""
    if value is None or value == "":
        return "—"
    if name in USER_FIELDS and isinstance(value, int):
        return _user_name(value, names)
    if name in PROJECT_FIELDS and isinstance(value, int):
        return _project_code(value, names)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and value in VALUE_WORDS.get(name, {}):
        return str(VALUE_WORDS[name][value])
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{_label(k)}: {_text(k, v, names)}" for k, v in value.items())
    return str(value)


def _label(name: str) -> str:
    label = name.removesuffix("_id").replace("_", " ")
    return str(FIELD_WORDS.get(label, label))


def _describe(event: AuditEvent, names: _Names) -> Described:
    described = Described(_target(event, names))
    data: dict[str, Any] = event.data if isinstance(event.data, dict) else {}
    before: dict[str, Any] = data["before"] if isinstance(data.get("before"), dict) else {}
    after: dict[str, Any] = data["after"] if isinstance(data.get("after"), dict) else {}
    for key in [*before, *(k for k in after if k not in before)]:
        old = _text(key, before[key], names) if key in before else None
        new = _text(key, after[key], names) if key in after else None
        if old is None and new == "—":
            continue  # a new row's empty fields say nothing
        if old != new:
            described.changes.append(Change(_label(key), old, new))
    for key, value in data.items():
        if key not in ("before", "after"):
            described.details.append((_label(key), _text(key, value, names)))
    return described
