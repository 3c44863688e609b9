"""users.version: the admin's edit form carries it, so two admins editing one account do not overwrite each other;
case history notes the application wrote are stored as codes (they were stored as Swedish or English labels)

Revision ID: 0017
Revises: 0014_ready_queue_index
Create Date: 2026-12-04 16:50:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0014_ready_queue_index'
branch_labels = None
depends_on = None


# code -> the labels it was stored as (Swedish first: the unit's language, what a downgrade writes back)
NOTE_CODES = {
    'code:missing_information': ('Obligatoriska uppgifter saknas', 'Required information missing'),
    'code:not_discussed': ('Inte diskuterat; tillbaka till kön', 'Not discussed; back to the ready queue'),
    'code:treatment:no_treatment': ('Ingen behandling', 'No treatment'),
    'code:treatment:insoles': ('Inlägg / klackförhöjning', 'Insoles / shoe raise'),
    'code:treatment:epiphysiodesis': ('Epifysiodes / tillväxtstyrning', 'Epiphysiodesis / growth modulation'),
    'code:treatment:lengthening_frame': ('Förlängning med yttre fixation', 'Lengthening with external frame'),
    'code:treatment:lengthening_nail': ('Förlängning med märgspik', 'Lengthening with intramedullary nail'),
    'code:treatment:deformity_correction': ('Korrektion av felställning', 'Deformity correction'),
    'code:treatment:deformity_correction_lengthening': (
        'Korrektion av felställning med förlängning',
        'Deformity correction with lengthening',
    ),
    'code:treatment:further_investigation': ('Vidare utredning', 'Further investigation'),
    'code:treatment:rediscuss': ('Diskuteras igen', 'Re-discuss'),
}


def upgrade():
    # ADD COLUMN with a default: no table rebuild on SQLite (the users table is referenced everywhere).
    op.add_column('users', sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    events = sa.table('case_events', sa.column('note', sa.Text()))
    for code, labels in NOTE_CODES.items():
        op.execute(events.update().where(events.c.note.in_(labels)).values(note=code))


def downgrade():
    events = sa.table('case_events', sa.column('note', sa.Text()))
    for code, labels in NOTE_CODES.items():
        op.execute(events.update().where(events.c.note == code).values(note=labels[0]))
    # DROP COLUMN in place (SQLite 3.35+): a batch rebuild of users fails on the tables that reference it.
    op.drop_column('users', 'version')
