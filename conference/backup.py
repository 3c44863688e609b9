"""Backup and restore of the whole database, signed documents included and verified.

A backup is a folder: the database (SQLite: the online backup API, which copies a consistent snapshot including
what still sits in the WAL; PostgreSQL: pg_dump in its custom format) and manifest.json with the migration
revision, the row count of every table, the SHA-256 of every stored (signed) document and of the database file.
Restore goes into an empty database only, then checks the rows and documents against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from conference.extensions import db


class BackupError(RuntimeError):
    pass


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _facts(engine, connection=None) -> dict:
    """Row counts of every table, the migration revision, and each stored document's recomputed SHA-256."""
    if connection is None:
        with engine.connect() as fresh:
            return _facts(engine, fresh)
    tables = sorted(inspect(connection).get_table_names())
    counts = {t: connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    documents = {}
    for document_id, stored, data in connection.execute(text("SELECT id, sha256, data FROM stored_documents")):
        actual = hashlib.sha256(bytes(data)).hexdigest()
        if actual != stored:
            raise BackupError(f"stored document {document_id} does not match its SHA-256")
        documents[str(document_id)] = actual
    return {"tables": counts, "revision": revision, "documents": documents}


def backup(destination: Path) -> dict:
    """Write a verified backup of the app's database into `destination` (a new folder). Returns the manifest."""
    url = str(db.engine.url.render_as_string(hide_password=False))
    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty")
    destination.mkdir(parents=True, exist_ok=True)
    if db.engine.dialect.name == "sqlite":
        target = destination / "database.sqlite3"
        source = sqlite3.connect(db.engine.url.database)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # a consistent snapshot, WAL included, while the app goes on writing
        finally:
            copy.close()
            source.close()
        verify_engine = create_engine(f"sqlite:///{target}")
        try:
            facts = _facts(verify_engine)  # read back from the copy itself
        finally:
            verify_engine.dispose()
    else:
        target = destination / "database.pgdump"
        # The manifest and the dump see the same snapshot: the dump uses the snapshot of the open transaction.
        with db.engine.connect() as connection:
            connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar()
            subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={target}", _libpq(url)],
                check=True,
                capture_output=True,
            )
            facts = _facts(db.engine, connection)
            connection.rollback()
        listing = subprocess.run(["pg_restore", "--list", str(target)], check=True, capture_output=True, text=True)
        if "TABLE DATA public stored_documents" not in listing.stdout:
            raise BackupError("the dump holds no stored documents table")
    manifest = {
        "created_at": datetime.now(timezone.utc).isoformat(),
        "dialect": db.engine.dialect.name,
        "file": target.name,
        "file_sha256": _sha256(target),
        **facts,
    }
    (destination / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def restore(source: Path, url: str) -> dict:
    """Restore a backup folder into the empty database at `url`, then check rows and documents against the
    manifest. Returns the manifest."""
    source = Path(source)
    manifest = json.loads((source / "manifest.json").read_text())
    dump = source / manifest["file"]
    if _sha256(dump) != manifest["file_sha256"]:
        raise BackupError("the backup file does not match its manifest")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if inspect(connection).get_table_names():
                raise BackupError("restore goes into an empty database only")
        if manifest["dialect"] == "sqlite":
            if engine.dialect.name != "sqlite":
                raise BackupError("a SQLite backup restores into SQLite")
            engine.dispose()
            shutil.copyfile(dump, make_url(url).database)
        else:
            subprocess.run(
                ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq(url)}", str(dump)],
                check=True,
                capture_output=True,
            )
        facts = _facts(engine)
    finally:
        engine.dispose()
    for key in ("tables", "revision", "documents"):
        if facts[key] != manifest[key]:
            raise BackupError(f"the restored {key} differ from the backup's manifest")
    return manifest
