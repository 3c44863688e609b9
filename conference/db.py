"""Declarative base, shared column mixins and SQLite connection settings."""

from __future__ import annotations

import enum
import sqlite3
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import DateTime, Enum, ForeignKey, Integer, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Ids are INTEGER columns: on PostgreSQL a number past 2^31 - 1 in a query is an error, not "no such row".
MAX_ID = 2**31 - 1


def as_id(value: str) -> int:
    """An id from a query string (`request.args.get(name, type=as_id)`): a whole number that an id column can hold,
    or ValueError, and the argument counts as absent."""
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError(value)
    return number


def utcnow() -> datetime:
    """Now, in UTC, from the application's clock (conference/clock.py) when an app is active."""
    if has_app_context():
        clock = current_app.extensions.get("clock")
        if clock is not None:
            return clock.now()
    return datetime.now(timezone.utc)


def local_today() -> date:
    """Today in the unit's time zone, by the application's clock."""
    zone = ZoneInfo(current_app.config["CONFERENCE_TIMEZONE"]) if has_app_context() else timezone.utc
    return utcnow().astimezone(zone).date()


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone; we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def enum_column(enum_cls: type[enum.Enum], length: int = 40) -> Enum:
    """A portable enum column: VARCHAR holding the member value, no database enum type (CHECKs: enum_checks)."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def reference(target: str, *, part_of: bool = False) -> ForeignKey:
    """The one ON DELETE policy. A row that is part of its parent (a measurement of a case, an invitation to a
    meeting, an attachment of an email) goes with it (CASCADE); every other reference keeps the referenced row
    from being deleted (the SQL default, NO ACTION): no clinical record disappears because something it points
    to was removed."""
    return ForeignKey(target, ondelete="CASCADE") if part_of else ForeignKey(target)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class StaleEdit(RuntimeError):
    """The one optimistic lock: the row was saved by someone else after the form showed version `expected`.
    Routes answer 409 with the typed input kept and the stored values shown beside it."""

    def __init__(self, current: object | None = None):
        super().__init__("saved by someone else since the form was loaded")
        self.current = current


def check_version(row, expected: int | None) -> None:
    """Raise StaleEdit unless the form's version is the stored one. `expected` None means a caller that showed no
    form (a job, the CLI, a test helper); every form carries its version. The version column in the UPDATE's
    WHERE clause (VersionedMixin) catches the saves that race past this check."""
    if expected is None:
        return
    stored = 0 if row is None else row.version  # version 0: the form showed that nothing was saved yet
    if stored != expected:
        raise StaleEdit(row)


class VersionedMixin:
    """Optimistic locking: every UPDATE checks the version it read, so a concurrent edit raises
    StaleDataError instead of silently overwriting."""

    version: Mapped[int] = mapped_column(Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def enum_checks(metadata: MetaData) -> None:
    """A CHECK constraint on every enum column (stored as VARCHAR), named ck_<table>_<column>_allowed, so the
    database itself refuses a value the application does not know."""
    from sqlalchemy import CheckConstraint, Enum

    for table in metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, Enum) and not column.type.native_enum:
                name = f"{column.name}_allowed"
                if any(
                    getattr(c, "name", None) == f"ck_{table.name}_{name}" or c.name == name for c in table.constraints
                ):
                    continue
                values = ", ".join("'" + value.replace("'", "''") + "'" for value in column.type.enums)
                table.append_constraint(CheckConstraint(f"{column.name} IN ({values})", name=name))
