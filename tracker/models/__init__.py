"""Typed models for every entity in the design, with the constraints and indexes queries need.

One module per domain area; ``from tracker.models import X`` works for every model. Read-only
predicates live on the models (``Assignment.covers``, ``TimeEntry.exported``); rules that
change state live in ``tracker.services``.
"""

from __future__ import annotations

from tracker.clock import utcnow
from tracker.models.base import Base, UTCDateTime
from tracker.models.delivery import (
    DELIVERY_KINDS,
    DELIVERY_STATUSES,
    WEBHOOK_FORMATS,
    OutboxMessage,
    WebhookEndpoint,
    WorkerHeartbeat,
)
from tracker.models.entries import ENTRY_STATUSES, ExportBatch, TimeEntry
from tracker.models.incidents import (
    INCIDENT_SCOPES,
    Incident,
    IncidentContractor,
    IncidentUpdate,
)
from tracker.models.projects import ORIGINS, PROJECT_STATUSES, Assignment, Hold, Project
from tracker.models.records import AuditEvent, Notification
from tracker.models.users import (
    AUTH_FAILURE_KINDS,
    DEFAULT_LANGUAGE,
    LANGUAGES,
    ROLE_NAMES,
    ROLES,
    SECOND_FACTOR_ROLES,
    ApiToken,
    AuthFailure,
    LoginAttempt,
    SetupLink,
    User,
)

__all__ = [
    "AUTH_FAILURE_KINDS",
    "DEFAULT_LANGUAGE",
    "DELIVERY_KINDS",
    "DELIVERY_STATUSES",
    "ENTRY_STATUSES",
    "INCIDENT_SCOPES",
    "LANGUAGES",
    "ORIGINS",
    "PROJECT_STATUSES",
    "ROLES",
    "ROLE_NAMES",
    "SECOND_FACTOR_ROLES",
    "WEBHOOK_FORMATS",
    "ApiToken",
    "Assignment",
    "AuditEvent",
    "AuthFailure",
    "Base",
    "ExportBatch",
    "Hold",
    "Incident",
    "IncidentContractor",
    "IncidentUpdate",
    "LoginAttempt",
    "Notification",
    "OutboxMessage",
    "Project",
    "SetupLink",
    "TimeEntry",
    "UTCDateTime",
    "User",
    "WebhookEndpoint",
    "WorkerHeartbeat",
    "utcnow",
]
