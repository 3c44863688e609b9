"""the locked meeting's guard on rehab_plans back where a downgrade through 0007 dropped it (SQLite)

Before 0007's downgrade kept them, stepping down through 0007 and up again on SQLite left rehab_plans without its
three triggers, so a signed meeting's rehabilitation plan could be changed in SQL. This puts back whichever of
them is missing; a database that has them is not touched. PostgreSQL never lost them.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 16:00:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

LOCKED = "the meeting record is signed and locked: change it through an amendment"  # as in 0006
GUARDS = {
    f"rehab_plans_locked_{op_name.lower()}": (
        f"CREATE TRIGGER rehab_plans_locked_{op_name.lower()} BEFORE {op_name} ON rehab_plans "
        "WHEN EXISTS (SELECT 1 FROM decisions d JOIN meeting_records r ON r.conference_id = d.conference_id "
        f"WHERE d.id = {row}.decision_id AND r.locked) BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END"
    )
    for op_name, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))
}


def upgrade():
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        return
    present = {
        name
        for (name,) in connection.execute(
            sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'rehab_plans'")
        )
    }
    for name, statement in GUARDS.items():
        if name not in present:
            op.execute(statement)


def downgrade():
    pass  # the guards belong to 0006: they stay
