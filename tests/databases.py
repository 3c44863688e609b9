"""A new, empty database of the suite's kind for tests that need one of their own (restore targets, upgrades,
migration round trips): a SQLite file in the test's folder, or a PostgreSQL database named after the suite's own
(`<suite database>_<label>_<random>`), dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from conference.extensions import db


@contextmanager
def new_database(app, tmp_path, label: str) -> Iterator[str]:
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / f'{label}.sqlite3'}"
        return
    name = f"{url.database}_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
