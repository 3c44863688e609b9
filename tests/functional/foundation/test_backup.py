"""Backup, then restore into an empty database: the same rows and byte-identical signed documents, on SQLite and
on PostgreSQL (whichever the suite runs on). A restore refuses a database that is not empty."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from conference.agenda.models import AgendaItem
from conference.conferences.models import Conference
from conference.extensions import db
from conference.minutes import services as minutes
from conference.people.models import User
from tests.functional.meetings.helpers import all_present, decide, meeting_with_cases
from tests.functional.meetings.test_meetings import team  # noqa: F401 (fixture)


@pytest.fixture
def empty_database(app, tmp_path):
    """A new, empty database of the suite's kind."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_backup_then_restore_gives_the_same_rows_and_identical_signed_documents(app, team, tmp_path, empty_database):  # noqa: F811
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 2, chair_id=chair)
        all_present(conference_id, coordinator)
        decide(db.session.get(AgendaItem, item_ids[0]), db.session.get(User, chair), 0, with_plan=True)
        db.session.commit()
        signed = minutes.sign(db.session.get(Conference, conference_id), db.session.get(User, chair))
        db.session.commit()
        original = signed.document
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    assert "signed documents verified" in result.output
    result = runner.invoke(args=["restore", str(tmp_path / "backup"), "--database-url", empty_database])
    assert result.exit_code == 0, result.output
    restored = create_engine(empty_database)
    try:
        with restored.connect() as connection:
            data = connection.execute(text("SELECT data FROM stored_documents")).scalar()
            counts = connection.execute(text("SELECT count(*) FROM decisions")).scalar()
            triggers_hold = True
            try:
                connection.execute(text("DELETE FROM audit_events"))
                connection.commit()
                triggers_hold = False
            except Exception:  # noqa: BLE001 - the guard came back with the restore
                connection.rollback()
        assert bytes(data) == original and counts == 1 and triggers_hold
        again = runner.invoke(args=["restore", str(tmp_path / "backup"), "--database-url", empty_database])
        assert again.exit_code != 0 and "empty database only" in again.output
    finally:
        restored.dispose()
