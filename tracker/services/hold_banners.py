"""Which hold banners a contractor has folded away, and when a banner comes back.

A banner is one incident's holds on the contractor's projects (``web.context.banners``). Its
key names what the reader saw: the reader, the incident, the incident's latest update and its
newest hold among the reader's projects. Folding a banner keeps that key; a new update or a
new hold on one of their projects makes a new key, so the banner opens again. The keys are
kept in a cookie of ids only (nothing secret, nothing a forged value could widen: a key only
folds the banner it names for the user it names).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.models import IncidentUpdate

COOKIE = "tracker_folded_holds"
COOKIE_DAYS = 90
# Enough for anyone's banners at once; a longer cookie is read as none folded.
MAX_KEYS = 50
_KEY = re.compile(r"\d{1,12}\.\d{1,12}\.\d{1,12}\.\d{1,12}")


def banner_key(
    user_id: int, incident_id: int, update_id: int | None, hold_ids: Iterable[int]
) -> str:
    """ "user.incident.latest update (0: none).newest hold": what the reader saw."""
    return f"{user_id}.{incident_id}.{update_id or 0}.{max(hold_ids, default=0)}"


def latest_updates(session: Session, incident_ids: Iterable[int]) -> dict[int, int]:
    """The id of each incident's latest update (incidents without one are left out)."""
    ids = sorted(set(incident_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(IncidentUpdate.incident_id, func.max(IncidentUpdate.id))
        .where(IncidentUpdate.incident_id.in_(ids))
        .group_by(IncidentUpdate.incident_id)
    )
    return {int(incident_id): int(latest) for incident_id, latest in rows}


def folded(value: str | None) -> set[str]:
    """The keys a cookie holds; anything malformed or oversized counts as nothing folded."""
    if not value or len(value) > MAX_KEYS * 52:
        return set()
    keys = value.split("-")
    if len(keys) > MAX_KEYS or not all(_KEY.fullmatch(k) for k in keys):
        return set()
    return set(keys)


def fold(value: str | None, key: str, current: Iterable[str]) -> str:
    """The cookie after folding ``key``: it, and the folded keys still current, nothing stale.

    Raises ValueError for a key that is not one (the page sends only keys it rendered).
    """
    if not _KEY.fullmatch(key):
        raise ValueError(key)
    kept = folded(value) & set(current)
    return "-".join(sorted(kept | {key}))


def unfold(value: str | None, key: str) -> str:
    """The cookie without ``key``: the banner it named shows in full again."""
    return "-".join(sorted(folded(value) - {key}))
