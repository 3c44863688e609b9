"""the name search read in the order shown: the words' index carries the patient too, so a prefix is a range read
in (word, patient) order that stops after the 50 shown (bench/scale.py: the search sorted all 11,111 names beginning
with "testsson1" at 100k patients to show 50)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 19:00:00

"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_patient_name_terms_term", table_name="patient_name_terms")
    op.create_index("ix_patient_name_terms_term", "patient_name_terms", ["term", "patient_id"], unique=False)


def downgrade():
    op.drop_index("ix_patient_name_terms_term", table_name="patient_name_terms")
    op.create_index("ix_patient_name_terms_term", "patient_name_terms", ["term"], unique=False)
