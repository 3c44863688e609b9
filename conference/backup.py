"""Backup and restore of the whole database, signed documents included and verified.

A backup is a folder: the database (SQLite: the online backup API, which copies a consistent snapshot including
what still sits in the WAL; PostgreSQL: pg_dump in its custom format) and manifest.json with the migration
revision, the row count of every table, the SHA-256 of every stored (signed) document and of the database file.
Restore goes into an empty database only, then checks the rows and documents against the manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from conference.extensions import db


class BackupError(RuntimeError):
    pass


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The SQLAlchemy URL as pg_dump and pg_restore take it, without the password, and their environment with the
    password in PGPASSWORD: a command line is visible to every user of the machine (ps) and ends up in error
    messages; the environment of our own child process is not."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed._replace(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(tool: str, arguments: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    """Run pg_dump/pg_restore; a failure becomes a BackupError with the tool's own message, the password (should
    the tool ever echo it) blanked out."""
    try:
        return subprocess.run([tool, *arguments], check=True, capture_output=True, text=True, env=env, **kwargs)
    except subprocess.CalledProcessError as error:
        message = (error.stderr or "").strip().splitlines()
        detail = message[-1] if message else f"exit status {error.returncode}"
        password = env.get("PGPASSWORD")
        if password:
            detail = detail.replace(password, "***")
        raise BackupError(f"{tool} failed: {detail}") from None


@contextlib.contextmanager
def _private_files():
    """Files and folders made inside are readable by the owner only (0600/0700): a backup holds every patient."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


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
    with _private_files():
        destination.mkdir(parents=True, exist_ok=True)
        destination.chmod(0o700)
        target, facts = _write_database(destination, url)
        manifest = {
            "created_at": datetime.now(UTC).isoformat(),
            "dialect": db.engine.dialect.name,
            "file": target.name,
            "file_sha256": _sha256(target),
            **facts,
        }
        (destination / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
        for path in destination.iterdir():
            path.chmod(0o600)
    return manifest


def _write_database(destination: Path, url: str) -> tuple[Path, dict]:
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
            dsn, env = _libpq(url)
            _run("pg_dump", ["--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={target}", dsn], env)
            facts = _facts(db.engine, connection)
            connection.rollback()
        listing = _run("pg_restore", ["--list", str(target)], env)
        if "TABLE DATA public stored_documents" not in listing.stdout:
            raise BackupError("the dump holds no stored documents table")
    return target, facts


def restore(source: Path, url: str) -> dict:
    """Restore a backup folder into the empty database at `url`. The backup is first restored into a staging place
    (SQLite: a file beside the target; PostgreSQL: a database of its own) and checked there against the manifest
    (rows of every table, revision, every signed document's SHA-256); only a backup that passes every check is
    moved into the target, so a refused one leaves the target as empty as it was. Returns the manifest."""
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
        dialect = engine.dialect.name
    finally:
        engine.dispose()
    if (manifest["dialect"] == "sqlite") != (dialect == "sqlite"):
        raise BackupError(f"a {manifest['dialect']} backup restores into {manifest['dialect']}")
    if dialect == "sqlite":
        _restore_sqlite(dump, url, manifest)
    else:
        _restore_postgresql(dump, url, manifest)
    return manifest


def _check(url: str, manifest: dict) -> None:
    engine = create_engine(url)
    try:
        facts = _facts(engine)
    finally:
        engine.dispose()
    for key in ("tables", "revision", "documents"):
        if facts[key] != manifest[key]:
            raise BackupError(f"the restored {key} differ from the backup's manifest")


def _restore_sqlite(dump: Path, url: str, manifest: dict) -> None:
    target = Path(make_url(url).database)
    staging = target.with_name(f".{target.name}.restoring")
    try:
        with _private_files():
            shutil.copyfile(dump, staging)
        _check(f"sqlite:///{staging}", manifest)
        os.replace(staging, target)  # atomic: the target is either empty or the checked copy
    finally:
        for leftover in (staging, Path(f"{staging}-wal"), Path(f"{staging}-shm")):
            leftover.unlink(missing_ok=True)
        for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)  # the empty target's, which would not belong to the copy


def _restore_postgresql(dump: Path, url: str, manifest: dict) -> None:
    target = make_url(url)
    staging_name = f"{target.database}_restoring"[:63]
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    staging = target.set(database=staging_name).render_as_string(hide_password=False)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{staging_name}"'))
            connection.execute(text(f'CREATE DATABASE "{staging_name}"'))
        try:
            _pg_restore(dump, staging)
            _check(staging, manifest)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{staging_name}" WITH (FORCE)'))
    finally:
        admin.dispose()
    # Checked: now the same verified file into the target, in one transaction (all of it or nothing).
    _pg_restore(dump, url)
    _check(url, manifest)


def _pg_restore(dump: Path, url: str) -> None:
    dsn, env = _libpq(url)
    _run("pg_restore", ["--no-owner", "--single-transaction", "--exit-on-error", f"--dbname={dsn}", str(dump)], env)
