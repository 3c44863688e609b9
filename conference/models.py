"""Imports every module's models so the metadata (and Alembic) sees all tables."""

from conference.audit.models import AuditEvent  # noqa: F401
from conference.cases.models import Case, CaseEvent, Measurement, PreConferenceNote  # noqa: F401
from conference.conferences.models import Conference, ConferenceSeries, Invitation, SeriesParticipant  # noqa: F401
from conference.db import enum_checks  # noqa: E402
from conference.documents.models import StoredDocument  # noqa: F401
from conference.extensions import db  # noqa: E402
from conference.fhir.models import ApiClient, ReferralIdentifier  # noqa: F401
from conference.imaging.measurements import RadiographMeasurement  # noqa: F401
from conference.imaging.models import CaseImage  # noqa: F401
from conference.letters.models import Letter, LetterAction, LetterTemplate  # noqa: F401
from conference.meetings.models import ActionItem, Attendance, Decision, MeetingRecord, MeetingRoom, RehabPlan  # noqa: F401
from conference.minutes.models import Minutes  # noqa: F401
from conference.notifications.models import EmailAttachment, OutboundEmail  # noqa: F401
from conference.patients.models import Guardian, Patient, PatientNameTerm  # noqa: F401
from conference.people.models import LoginFailure, User  # noqa: F401
from conference.rehab.models import Adaptation, FollowUp, RehabVisit  # noqa: F401

enum_checks(db.metadata)
