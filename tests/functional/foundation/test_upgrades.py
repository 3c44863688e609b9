"""Upgrades keep every row and every signed document: the demo unit is seeded by an OLD version of this very
repository (taken from git history with `git archive`, run with its own `flask db upgrade` and `flask seed-demo`),
then the current code migrates it to head. On SQLite and on PostgreSQL (whichever the suite runs on)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from conference import PROJECT_ROOT, create_app
from conference.extensions import db
from tests.databases import new_database

# The oldest commit whose `flask seed-demo` runs (the first one: migration 0001), and the last one at 0005 (the
# revision before 0006 rebuilt tables that others reference, which failed on SQLite with foreign keys on).
OLD_VERSIONS = {
    "0001": "2c18c84",
    "0005": "dfd202c",
}


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(PROJECT_ROOT), *args], check=False, capture_output=True, text=True)


@pytest.fixture
def fresh_database(app, tmp_path):
    with new_database(app, tmp_path, "upgrade") as url:
        yield url


def _old_version(commit: str, folder: Path) -> Path:
    if _git("cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
        pytest.skip(f"git history is missing (commit {commit} not in this clone): a shallow clone cannot test upgrades")
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(PROJECT_ROOT), "archive", commit], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def _flask(folder: Path, url: str, *args: str, succeed: bool = True) -> str:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CONFERENCE_")},
        "PYTHONPATH": str(folder),
        "CONFERENCE_ENV": "development",
        "CONFERENCE_DATABASE_URL": url,
        "FLASK_APP": "conference:create_app",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        check=False,
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (result.returncode == 0) == succeed, result.stdout + result.stderr
    return result.stdout + result.stderr


def _snapshot(url: str) -> tuple[dict[str, int], str, list[str]]:
    """Row counts, revision, and the SHA-256 of every signed document's bytes (wherever the version keeps them)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            counts = {t: connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if "stored_documents" in tables:
                rows = connection.execute(
                    text("SELECT d.data FROM minutes m JOIN stored_documents d ON d.id = m.document_id")
                )
            elif "minutes" in tables:
                rows = connection.execute(text("SELECT document FROM minutes WHERE document IS NOT NULL"))
            else:
                rows = []  # before meetings and minutes existed
            documents = sorted(hashlib.sha256(bytes(data)).hexdigest() for (data,) in rows)
    finally:
        engine.dispose()
    return counts, revision, documents


@pytest.mark.parametrize("revision", sorted(OLD_VERSIONS))
def test_the_demo_seeded_at_an_old_revision_upgrades_with_every_row_and_signed_document(
    app, tmp_path, fresh_database, revision
):
    old = _old_version(OLD_VERSIONS[revision], tmp_path / "old")
    _flask(old, fresh_database, "db", "upgrade")
    assert "Demo unit created" in _flask(old, fresh_database, "seed-demo")
    before, old_revision, old_documents = _snapshot(fresh_database)
    assert old_revision.startswith(revision) and sum(before.values()) > 20

    current = create_app("testing", SQLALCHEMY_DATABASE_URI=fresh_database)
    with current.app_context():
        upgrade()
        head = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        # Every signed document verifies through the app's own check (hash at signing, hash of the stored bytes).
        from conference.conferences.models import Conference
        from conference.minutes import services as minutes
        from conference.minutes.models import Minutes

        verified = []
        for record in db.session.scalars(db.select(Minutes).where(Minutes.document_id.is_not(None))):
            data = minutes.signed_document(db.session.get(Conference, record.conference_id), record.version)
            verified.append(hashlib.sha256(data).hexdigest())
        db.session.remove()
        db.engine.dispose()
    after, new_revision, new_documents = _snapshot(fresh_database)
    assert new_revision == head and new_revision != old_revision
    kept = {table: (count, after.get(table)) for table, count in before.items() if table != "alembic_version"}
    assert {table: pair for table, pair in kept.items() if pair[0] != pair[1]} == {}
    assert new_documents == old_documents and sorted(verified) == old_documents


def test_a_sqlite_upgrade_that_would_leave_dangling_references_changes_nothing(tmp_path):
    """SQLite migrations run with foreign-key checks off (its table-rebuild procedure) in one transaction, and
    `PRAGMA foreign_key_check` decides before the commit: a reference that points nowhere refuses the whole
    upgrade and the file stays at its old revision, never half-migrated."""
    import sqlite3

    old = _old_version(OLD_VERSIONS["0005"], tmp_path / "old")
    path = tmp_path / "dangling.sqlite3"
    url = f"sqlite:///{path}"
    _flask(old, url, "db", "upgrade")
    _flask(old, url, "seed-demo")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute("UPDATE cases SET patient_id = 999999 WHERE id = (SELECT min(id) FROM cases)")
    connection.close()
    schema_before = _schema(path)
    refused = _flask(PROJECT_ROOT, url, "db", "upgrade", succeed=False)  # the current code
    assert "references point nowhere in: cases" in refused
    assert _schema(path) == schema_before


def _schema(path: Path) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        rows.append(connection.execute("SELECT version_num FROM alembic_version").fetchone())
    connection.close()
    return rows
