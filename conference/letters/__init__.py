"""Letters to the patient (or a child's guardians) after the conference: the signed decision's proposal in plain
language, from editable templates per treatment and language, reviewed and sent as a stored document, and the
patient's answer back."""

from flask import Blueprint

bp = Blueprint("letters", __name__, url_prefix="/letters")
