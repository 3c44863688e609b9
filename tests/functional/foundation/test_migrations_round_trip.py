"""Every migration steps down and back up to the same schema as a fresh database: tables, columns, keys, checks,
indexes and the triggers that guard signed records (a downgrade that drops a trigger which the upgrade does not
put back leaves a locked meeting's records changeable in SQL). On SQLite and PostgreSQL."""

from __future__ import annotations

import pprint
import re

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from conference import PROJECT_ROOT, create_app
from conference.extensions import db
from tests.databases import new_database


@pytest.fixture
def scratch_url(app, tmp_path):
    with new_database(app, tmp_path, "migrations") as url:
        yield url


def _normalise(sql: str | None) -> str:
    return re.sub(r"\s+", " ", (sql or "").replace('"', "")).strip().lower()


def schema() -> dict:
    """What a migration must put back: per table its columns, keys, checks and indexes, and every trigger."""
    connection = db.session.connection()
    inspector = inspect(connection)
    tables = {}
    for table in sorted(inspector.get_table_names()):
        tables[table] = {
            "columns": sorted(
                (c["name"], str(c["type"]).split("(")[0], c["nullable"]) for c in inspector.get_columns(table)
            ),
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted(
                (
                    fk["name"],
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    (fk.get("options") or {}).get("ondelete"),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "unique": sorted((u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)),
            "checks": sorted((c["name"], _normalise(c["sqltext"])) for c in inspector.get_check_constraints(table)),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)
            ),
        }
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"))
        triggers = sorted((name, table, _normalise(sql)) for name, table, sql in rows)
    else:
        rows = connection.execute(
            text(
                "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid), p.prosrc FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal"
            )
        )
        triggers = sorted(
            (name, table, _normalise(definition), _normalise(source)) for name, table, definition, source in rows
        )
    return {"tables": tables, "triggers": triggers}


def _differences(expected: dict, actual: dict) -> dict:
    diff = {}
    if expected["triggers"] != actual["triggers"]:
        diff["triggers"] = {
            "missing": sorted(set(expected["triggers"]) - set(actual["triggers"])),
            "extra": sorted(set(actual["triggers"]) - set(expected["triggers"])),
        }
    for table in sorted(set(expected["tables"]) | set(actual["tables"])):
        a, b = expected["tables"].get(table), actual["tables"].get(table)
        if a != b:
            diff[table] = {
                k: (a.get(k) if a else None, b.get(k) if b else None)
                for k in (a or b)
                if (a or {}).get(k) != (b or {}).get(k)
            }
    return diff


def test_every_migration_steps_down_and_up_to_the_fresh_schema(scratch_url):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        script = ScriptDirectory.from_config(
            app.extensions["migrate"].migrate.get_config(str(PROJECT_ROOT / "migrations"))
        )
        revisions = [r.revision for r in reversed(list(script.walk_revisions()))]  # base first
        fresh = {}
        for revision in revisions:  # a fresh database, one revision at a time
            upgrade(revision=revision)
            fresh[revision] = schema()
            db.session.remove()
        problems = {}
        for index in range(len(revisions) - 1, 0, -1):  # at revisions[index]: down one, compare, up, compare
            below, revision = revisions[index - 1], revisions[index]
            downgrade(revision=below)
            if diff := _differences(fresh[below], schema()):
                problems[f"down {revision} -> {below}"] = diff
            db.session.remove()
            upgrade(revision=revision)
            if diff := _differences(fresh[revision], schema()):
                problems[f"down and up again {below} -> {revision}"] = diff
            db.session.remove()
            downgrade(revision=below)
            db.session.remove()
        db.engine.dispose()
    assert problems == {}, pprint.pformat(problems, width=160)


def test_a_sqlite_database_that_lost_the_rehab_plan_guards_gets_them_back(tmp_path):
    """A database stepped down through 0007 and up again before that downgrade was fixed has no triggers on
    rehab_plans: the upgrade to head puts them back (and a database that has them keeps them as they are)."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'lost-guards.sqlite3'}")
    with app.app_context():
        upgrade()
        expected = schema()
        downgrade(revision="0014_ready_queue_index")
        db.session.remove()
        for op_name in ("insert", "update", "delete"):  # what the old downgrade of 0007 left
            db.session.execute(text(f"DROP TRIGGER rehab_plans_locked_{op_name}"))
        db.session.commit()
        upgrade()
        assert _differences(expected, schema()) == {}
        db.session.remove()
        db.engine.dispose()
