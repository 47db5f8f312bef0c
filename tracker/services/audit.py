"""Append-only audit events, written in the same transaction as the change they describe."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, literal, select, tuple_
from sqlalchemy.orm import Session

from tracker.db import is_postgres
from tracker.models import AuditEvent, User, utcnow
from tracker.services import inputs

AUDIT_EVENTS = cast(Table, AuditEvent.__table__)

# Where the current request or command comes from ("203.0.113.9", "cli"); set by the edge.
_origin: ContextVar[str | None] = ContextVar("audit_origin", default=None)

# Keys that must never reach an audit row, whatever a caller passes.
_SECRET_KEYS = frozenset(
    {"password", "password_hash", "token", "token_hash", "totp_secret", "recovery_codes", "secret"}
)


def set_origin(origin: str | None) -> None:
    """Record where the current request or command comes from (called by the edge only)."""
    _origin.set(origin)


@contextmanager
def origin(value: str) -> Iterator[None]:
    """Run a block with the given origin (the CLI uses "cli")."""
    token = _origin.set(value)
    try:
        yield
    finally:
        _origin.reset(token)


def _plain(value: Any) -> Any:
    """JSON-safe copy of a value: dates as ISO strings, Decimals as strings."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if str(k) not in _SECRET_KEYS}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def record(
    session: Session,
    actor: User | None,
    action: str,
    target: Any = None,
    *,
    target_type: str | None = None,
    target_id: int | None = None,
    actor_id: int | None = None,
    **data: Any,
) -> AuditEvent:
    """Add an audit event for ``action`` on ``target`` (a model object) with extra ``data``.

    ``before``/``after`` dictionaries are the usual way to describe a change.
    """
    if target is not None:
        target_type = target_type or target.__tablename__.removesuffix("s")
        if target_id is None:
            session.flush()  # the target may be new; it needs its id before the event names it
            target_id = target.id
    event = AuditEvent(
        actor_id=actor.id if actor is not None else actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        origin=_origin.get(),
        data=_plain(data),
    )
    session.add(event)
    return event


def record_many(
    session: Session,
    actor: User | None,
    action: str,
    target_type: str,
    targets: list[tuple[int, dict[str, Any]]],
) -> int:
    """One ``action`` event per (target id, data), in one statement; returns how many.

    The set-based twin of ``record`` for writes of thousands of rows (imports).
    """
    if not targets:
        return 0
    now = utcnow()
    where = _origin.get()
    actor_id = actor.id if actor is not None else None
    session.execute(
        insert(AUDIT_EVENTS),
        [
            {
                "at": now,
                "actor_id": actor_id,
                "action": action,
                "target_type": target_type,
                "target_id": target_id,
                "origin": where,
                "data": _plain(data),
            }
            for target_id, data in targets
        ],
    )
    return len(targets)


def record_refusal(session: Session, refusal: Any) -> None:
    """Record the audit event a refused action asked for (``DomainError.logged``), once.

    The edge calls this after rolling the refused action back, in a unit of work of its own,
    so the refusal is kept although the action is not. Nothing happens for a refusal that did
    not ask to be recorded, or one recorded already.
    """
    event = getattr(refusal, "audit", None)
    if not event:
        return
    refusal.audit = None  # a refusal can pass through two handlers; it is recorded once
    data = dict(event["data"])
    record(
        session,
        None,
        event["action"],
        target_type=data.pop("target_type", None),
        target_id=data.pop("target_id", None),
        actor_id=event["actor_id"],
        refused=getattr(refusal, "code", None),
        **data,
    )


def insert_recorded(
    session: Session,
    actor: User,
    action: str,
    model: Any,
    values: dict[str, Any],
    fields: tuple[str, ...],
) -> Any:
    """Insert one new row of ``model`` and its audit event (``after``: the named fields).

    PostgreSQL: one statement — the event is inserted from the new row's RETURNING in a CTE —
    so a new time entry costs one round trip instead of two. SQLite: the row, then the event.
    Every value the event names must be in ``values``.
    """
    if not is_postgres(session):
        row = model(**values)
        session.add(row)
        record(session, actor, action, row, after=snapshot(row, *fields))
        return row
    statement = _insert_with_event(model, tuple(values))
    params = {
        **values,
        "event_at": utcnow(),
        "event_actor_id": actor.id,
        "event_action": action,
        "event_origin": _origin.get(),
        "event_data": _plain({"after": {name: values[name] for name in fields}}),
    }
    return session.scalars(statement, params).one()


@functools.cache
def _insert_with_event(model: Any, columns: tuple[str, ...]) -> Any:
    """``INSERT … RETURNING`` the row, its audit event inserted from it: built once per shape."""
    table = model.__table__
    new = (
        insert(table)
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns})
        .returning(*table.c)
        .cte("new_row")
    )
    event = (
        insert(AuditEvent)
        .from_select(
            ["at", "actor_id", "action", "target_type", "target_id", "origin", "data"],
            select(
                bindparam("event_at", type_=AuditEvent.at.type),
                bindparam("event_actor_id", type_=AuditEvent.actor_id.type),
                bindparam("event_action", type_=AuditEvent.action.type),
                literal(table.name.removesuffix("s"), AuditEvent.target_type.type),
                new.c.id,
                bindparam("event_origin", type_=AuditEvent.origin.type),
                bindparam("event_data", type_=AuditEvent.data.type),
            ),
        )
        .cte("new_event")
    )
    return select(model).from_statement(select(new).add_cte(event))


def snapshot(obj: Any, *fields: str) -> dict[str, Any]:
    """The named attributes of obj as a JSON-safe dict, for before/after values."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Only the keys whose value changed, as {"before": {...}, "after": {...}}."""
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {
        "before": {k: before.get(k) for k in changed},
        "after": {k: after.get(k) for k in changed},
    }


def search(
    session: Session,
    *,
    actor_id: int | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """Audit events newest first, filtered; ``before_id`` pages backwards (keyset).

    Within a date range the order is by time (then id) along the time index: in id order the
    database steps over every event newer than the range before the first one in it (a second
    for a day a month back in 5M events, against a fraction of a millisecond).
    """
    dated = start is not None or end is not None
    order = (AuditEvent.at.desc(), AuditEvent.id.desc()) if dated else (AuditEvent.id.desc(),)
    query = select(AuditEvent).order_by(*order).limit(limit)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if target_type:
        query = query.where(AuditEvent.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEvent.target_id == target_id)
    if start is not None:
        query = query.where(AuditEvent.at >= dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC))
    after_end = inputs.shift(end, 1) if end is not None else None
    if after_end is not None:  # none after 9999-12-31: that end bounds nothing
        query = query.where(AuditEvent.at < dt.datetime.combine(after_end, dt.time.min, dt.UTC))
    if before_id is not None and dated:
        # The page before an event in time order: (at, id) below that event's. An id that is
        # no event pages to nothing rather than to a guess.
        seen = select(AuditEvent.at).where(AuditEvent.id == before_id).scalar_subquery()
        query = query.where(
            AuditEvent.at <= seen,  # the bound the time index can use
            tuple_(AuditEvent.at, AuditEvent.id) < tuple_(seen, before_id),
        )
    elif before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query))
