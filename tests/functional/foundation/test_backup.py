"""Backup, then restore into an empty database: the same rows and byte-identical signed documents, on SQLite and
on PostgreSQL (whichever the suite runs on). A restore refuses a database that is not empty."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from conference.agenda.models import AgendaItem
from conference.conferences.models import Conference
from conference.extensions import db
from conference.minutes import services as minutes
from conference.people.models import User
from tests.databases import new_database
from tests.functional.meetings.helpers import all_present, decide, meeting_with_cases
from tests.functional.meetings.test_meetings import team  # noqa: F401 (fixture)


@pytest.fixture
def empty_database(app, tmp_path):
    with new_database(app, tmp_path, "restore") as url:
        yield url


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


def _signed_meeting(app, people):
    coordinator, chair, others = people
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 2, chair_id=chair)
        all_present(conference_id, coordinator)
        decide(db.session.get(AgendaItem, item_ids[0]), db.session.get(User, chair), 0, with_plan=True)
        db.session.commit()
        minutes.sign(db.session.get(Conference, conference_id), db.session.get(User, chair))
        db.session.commit()


def test_a_backup_is_readable_by_its_owner_only(app, tmp_path):
    old = os.umask(0o022)  # the usual umask, which made 0644 files in a 0755 folder
    try:
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup")])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "backup"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()}
    assert modes and set(modes.values()) == {0o600}, modes


def _tables(url: str) -> list[str]:
    from sqlalchemy import inspect

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return inspect(connection).get_table_names()
    finally:
        engine.dispose()


def test_a_refused_restore_leaves_the_target_empty(app, team, tmp_path, empty_database):  # noqa: F811
    _signed_meeting(app, team)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "backup")]).exit_code == 0
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["tables"]["decisions"] += 1  # a tampered manifest: one decision more than the file holds
    manifest_path.write_text(json.dumps(manifest))
    refused = runner.invoke(args=["restore", str(tmp_path / "backup"), "--database-url", empty_database])
    assert refused.exit_code != 0 and "differ from the backup's manifest" in refused.output
    assert _tables(empty_database) == []  # nothing of the refused backup in the target
    manifest["tables"]["decisions"] -= 1
    manifest_path.write_text(json.dumps(manifest))
    accepted = runner.invoke(args=["restore", str(tmp_path / "backup"), "--database-url", empty_database])
    assert accepted.exit_code == 0, accepted.output
    assert "decisions" in _tables(empty_database)


def test_a_tampered_signed_document_is_refused_and_the_target_stays_empty(app, team, tmp_path, empty_database):  # noqa: F811
    _signed_meeting(app, team)
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the document is changed inside the SQLite file; PostgreSQL's custom dump is compressed")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "backup")]).exit_code == 0
    dump = tmp_path / "backup" / "database.sqlite3"
    with sqlite3.connect(dump) as connection:
        guards = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'stored_documents'"
        for (name,) in connection.execute(guards).fetchall():  # the forger lifts the guard in the copy
            connection.execute(f'DROP TRIGGER "{name}"')
        connection.execute("UPDATE stored_documents SET data = CAST('forged' AS BLOB)")
    connection.close()
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    from conference.backup import _sha256

    manifest["file_sha256"] = _sha256(dump)  # the forger fixes the file's checksum too
    manifest_path.write_text(json.dumps(manifest))
    refused = runner.invoke(args=["restore", str(tmp_path / "backup"), "--database-url", empty_database])
    assert refused.exit_code != 0 and "does not match its SHA-256" in refused.output
    assert _tables(empty_database) == []
    assert not list(Path(empty_database.removeprefix("sqlite:///")).parent.glob(".*restoring*"))


def test_a_failing_pg_dump_never_shows_the_database_password(app, tmp_path, monkeypatch):
    """pg_dump gets the password in its environment, not on its command line (which every user of the machine
    can read in ps), and its failure message is shown without it. A stand-in pg_dump on PATH records what it
    was given and fails as the real one does on a refused password."""
    from conference import create_app

    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() != "postgresql":
        pytest.skip("pg_dump backs up PostgreSQL only")
    secret = "hemligt-l0senord-77"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "pg_dump.txt"
    (bin_dir / "pg_dump").write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{record}"\n'
        f'echo "PGPASSWORD=$PGPASSWORD" >> "{record}"\n'
        'echo "pg_dump: error: connection to server failed: FATAL:  password authentication failed for user $*" >&2\n'
        "exit 1\n"
    )
    (bin_dir / "pg_dump").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    with_password = url.set(password=secret).render_as_string(hide_password=False)
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=with_password)
    result = other.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup")])
    with other.app_context():
        db.engine.dispose()
    assert result.exit_code != 0 and "pg_dump failed" in result.output
    assert secret not in result.output
    arguments, _, environment = record.read_text().rpartition("PGPASSWORD=")
    assert secret not in arguments and environment.strip() == secret
