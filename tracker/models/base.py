"""The declarative base, its constraint naming convention, and the typed column aliases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    MetaData,
    Numeric,
    TypeDecorator,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, mapped_column

from tracker.clock import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose metadata names constraints, so migrations stay stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored as UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use tracker.clock.utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """The SQL of a CHECK that ``column`` holds one of ``values`` (fixed names, no user input)."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# Typed column aliases (Warehouse style).
intpk = Annotated[int, mapped_column(primary_key=True)]
created_at = Annotated[dt.datetime, mapped_column(UTCDateTime, default=utcnow, nullable=False)]
timestamp = Annotated[dt.datetime | None, mapped_column(UTCDateTime, nullable=True)]
money = Annotated[Decimal, mapped_column(Numeric(12, 2), nullable=False)]
money_or_none = Annotated[Decimal | None, mapped_column(Numeric(12, 2), nullable=True)]
tags = Annotated[list[str], mapped_column(JSON, nullable=False, default=list)]
bool_true = Annotated[bool, mapped_column(default=True, server_default=text("true"))]
bool_false = Annotated[bool, mapped_column(default=False, server_default=text("false"))]
user_fk = Annotated[int, mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))]
user_fk_or_none = Annotated[
    int | None, mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=True)
]
project_fk = Annotated[int, mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))]


def client_key(value: str | None) -> str:
    """A client's name as it is matched everywhere: trimmed and case-folded in Python.

    Stored beside the name (``client_key`` columns) so SQLite and PostgreSQL compare the same
    key: SQL ``lower()`` folds only ASCII on SQLite ("ÉCOLE" and "école" would differ there).
    """
    return (value or "").strip().casefold()[:200]
