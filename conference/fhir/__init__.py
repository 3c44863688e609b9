"""FHIR R4 for the hospital's systems: referrals in (ServiceRequest), the record out (Patient, Observation,
CarePlan, Task, Encounter, DocumentReference), authenticated by per-client bearer tokens.

`bp` is the API (/fhir, JSON, no session, no CSRF); `admin_bp` is the admin's page that issues and revokes the
tokens (a normal signed-in page with CSRF)."""

from flask import Blueprint

bp = Blueprint("fhir", __name__, url_prefix="/fhir")
admin_bp = Blueprint("integrations", __name__, url_prefix="/integrations")
