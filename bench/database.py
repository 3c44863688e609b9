"""The benchmarks' PostgreSQL databases. Each benchmark works in a database of its own, named conference_bench_<name>
(`make bench` never touches `test`, `bench` or anyone else's database), created when missing and emptied by
dropping and re-creating that database only. CONFERENCE_BENCH_PG_URL may point elsewhere (another server or user),
but the database it names must begin with conference_bench_, or the benchmark refuses to start."""

from __future__ import annotations

import os

PREFIX = "conference_bench_"
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


class NotABenchmarkDatabase(SystemExit):
    pass


def postgres_url(name: str) -> str:
    """The URL of this benchmark's database: CONFERENCE_BENCH_PG_URL if set (checked), else conference_bench_<name>
    on the local server."""
    from sqlalchemy.engine import make_url

    url = os.environ.get("CONFERENCE_BENCH_PG_URL") or f"{SERVER}/{PREFIX}{name}"
    database = make_url(url).database or ""
    if not database.startswith(PREFIX):
        raise NotABenchmarkDatabase(
            f"CONFERENCE_BENCH_PG_URL names the database {database!r}: benchmarks empty their database, so it must "
            f"be one of their own, named {PREFIX}..."
        )
    return url


def fresh_database(url: str) -> None:
    """Drop and create the benchmark's own database (never another one, never a schema inside one)."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if not (target.database or "").startswith(PREFIX):
        raise NotABenchmarkDatabase(f"refusing to empty {target.database!r}: not a {PREFIX}... database")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()
