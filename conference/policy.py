"""Who may do what, decided in one place (in the manner of Indico's `can_manage(user)`).

Every route declares the rule that lets a user in with @allow("rule"); a test walks app.url_map and fails for a
route without one. Rules about a particular record (this patient, this referral, this meeting) are the can_*
functions below, asked by the routes and by the services. The README's role table says the same in words.
"""

from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import abort
from flask_login import current_user

from conference.people.models import Role, User

# --- who may enter a route at all ----------------------------------------------------------------------------


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated)


def _has(*roles: Role) -> Callable[[User], bool]:
    return lambda user: _signed_in(user) and user.has_role(*roles)


RULES: dict[str, Callable[[User], bool]] = {
    "public": lambda user: True,  # the login page and static files
    "token": lambda user: True,  # the calendar feed: the secret token in the URL is the credential
    "signed_in": _signed_in,  # own dashboard, language, calendar feed settings, sign-out
    "clinical": _has(Role.coordinator, Role.specialist),  # patient data: coordinators and specialists
    "coordinator": _has(Role.coordinator),
    "admin": _has(Role.admin),
    "outbox": _has(Role.coordinator, Role.admin),  # operations: no patient identifiers on those pages
    # The FHIR API: no session; the blueprint checks the bearer token and each route its scope.
    "api": lambda user: True,
}


def allow(rule: str):
    """Let users the rule admits into the route (others get 403); the rule is recorded on the view."""
    check = RULES[rule]

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        wrapped.policy = rule
        return wrapped

    return decorator


def require(allowed: bool) -> None:
    """403 unless an object-level rule allowed it."""
    if not allowed:
        abort(403)


# --- what a user may do to a record ---------------------------------------------------------------------------


def is_coordinator(user: User) -> bool:
    return _signed_in(user) and user.has_role(Role.coordinator)


def can_read_clinical(user: User) -> bool:
    return RULES["clinical"](user)


def can_edit_patient_identity(user: User, patient=None) -> bool:
    """Name, sex and identity number: the coordinators, who register patients."""
    return is_coordinator(user)


def can_edit_referral(user: User, case) -> bool:
    """The referral's proforma: the clinician who referred it, and the coordinators."""
    return is_coordinator(user) or (case.referred_by_id is not None and case.referred_by_id == user.id)


def can_change_case_status(user: User, case) -> bool:
    """Moving a case through the workflow by hand (closing, reopening): the coordinators."""
    return is_coordinator(user)


def can_change_booking(user: User, conference) -> bool:
    """Moving or cancelling a meeting: the coordinators, while it is scheduled (a held or cancelled meeting is part
    of the record)."""
    return is_coordinator(user) and conference.case_list_open


def can_record(user: User, conference) -> bool:
    """A meeting's record (attendance, decisions, plans, actions): its chair and the coordinators."""
    return is_coordinator(user) or (conference.chair_id is not None and conference.chair_id == user.id)


def can_sign(user: User, conference) -> bool:
    """The chair signs; a meeting without a chair is signed by a coordinator."""
    if conference.chair_id is not None:
        return user.id == conference.chair_id
    return is_coordinator(user)


def can_present(user: User, conference) -> bool:
    """Whose navigation moves everyone's screen in the meeting room: the chair; without a chair, whoever records."""
    if conference.chair_id is not None:
        return user.id == conference.chair_id
    return can_record(user, conference)


def can_amend(user: User, conference) -> bool:
    return can_sign(user, conference) or is_coordinator(user)


def can_complete_action(user: User, action) -> bool:
    """An action: its owner, the chair of its meeting, and the coordinators."""
    chair_id = action.conference.chair_id if action.conference is not None else None
    return is_coordinator(user) or action.owner_id == user.id or (chair_id is not None and chair_id == user.id)


def _specialty(user: User) -> str | None:
    return user.specialty.value if _signed_in(user) and user.specialty else None


def can_record_followup(user: User) -> bool:
    """A rehabilitation visit's findings: the physiotherapists, occupational therapists and surgeons who see the
    patient, and the coordinators."""
    return is_coordinator(user) or _specialty(user) in (
        "physiotherapist",
        "occupational_therapist",
        "orthopaedic_surgeon",
    )


def can_assign_visits(user: User) -> bool:
    """Who takes which visit: the therapists themselves and the coordinators."""
    return is_coordinator(user) or _specialty(user) in ("physiotherapist", "occupational_therapist")


def sees_whole_unit_by_default(user: User) -> bool:
    """The rehabilitation worklist opens on the whole unit for the coordinators and the surgeons; the therapists
    see their own patients first (both may switch)."""
    return is_coordinator(user) or _specialty(user) not in ("physiotherapist", "occupational_therapist")


def can_record_adaptations(user: User) -> bool:
    """Home and school adaptations and aids: occupational therapy (and the coordinators)."""
    return is_coordinator(user) or _specialty(user) == "occupational_therapist"


# --- what templates ask ----------------------------------------------------------------------------------------

# Abilities that depend on nothing but who the user is: named for what they allow, not for a role, so a template
# shows a button exactly when the route behind it lets the user in.
ABILITIES: dict[str, Callable[[User], bool]] = {
    "read_clinical": RULES["clinical"],
    "book_conferences": RULES["coordinator"],
    "manage_case_lists": RULES["coordinator"],
    "manage_series": RULES["coordinator"],
    "invite": RULES["coordinator"],
    "export_identified_cases": RULES["coordinator"],
    "operate_outbox": RULES["outbox"],
    "administer": RULES["admin"],
    "close_letter_actions": RULES["coordinator"],
}

# Rules about a record: can("edit_referral", case) asks can_edit_referral(user, case).
RECORD_RULES: dict[str, Callable[..., bool]] = {
    "edit_referral": can_edit_referral,
    "change_case_status": can_change_case_status,
    "edit_patient_identity": can_edit_patient_identity,
    "change_booking": can_change_booking,
    "record": can_record,
    "sign": can_sign,
    "amend": can_amend,
    "complete_action": can_complete_action,
    "record_followup": lambda user: can_record_followup(user),
    "assign_visits": lambda user: can_assign_visits(user),
    "record_adaptations": lambda user: can_record_adaptations(user),
}


def can(ability: str, *records, user=None) -> bool:
    """The one question templates ask: may the signed-in user (or `user`) do `ability`, to `records` where the rule
    is about a record? An unknown ability is a programming error, not a refusal."""
    user = current_user if user is None else user
    if not _signed_in(user):
        return False
    if ability in ABILITIES:
        return ABILITIES[ability](user)
    return RECORD_RULES[ability](user, *records)


# --- images and documents of a case (conference/imaging) -------------------------------------------------------


def can_see_images(user: User, case=None) -> bool:
    """A case's images and documents are patient data: the clinical staff who read the case."""
    return can_read_clinical(user)


def can_add_image(user: User, case) -> bool:
    """Attaching an image or document (upload or PACS import): the clinical staff (coordinators prepare the case,
    specialists bring their own images)."""
    return can_read_clinical(user)


def can_keep_mismatched_image(user: User) -> bool:
    """Keeping an image whose DICOM identity or side marker disagrees with the case (with a reason): those who
    can judge a radiograph, the radiologists and orthopaedic surgeons."""
    return _specialty(user) in ("radiologist", "orthopaedic_surgeon")


def can_remove_image(user: User, image) -> bool:
    """Removing an image added by mistake: who added it, and the coordinators (never once a signed meeting
    discussed it; the database refuses that too)."""
    return is_coordinator(user) or (image.added_by_id is not None and image.added_by_id == user.id)


def can_measure_radiograph(user: User, image) -> bool:
    """Placing landmarks on a radiograph and saving the result as a case measurement: those who read radiographs,
    the radiologists and orthopaedic surgeons."""
    return _specialty(user) in ("radiologist", "orthopaedic_surgeon")


# --- letters to the patient -------------------------------------------------------------------------------------


def can_prepare_letter(user: User, conference, case) -> bool:
    """The letter about a decision: the responsible clinician, that is the meeting's chair or the case's surgeon
    (the orthopaedic surgeon who referred it)."""
    if not _signed_in(user):
        return False
    if conference.chair_id is not None and conference.chair_id == user.id:
        return True
    return case.referred_by_id == user.id and _specialty(user) == "orthopaedic_surgeon"


def can_record_letter_answer(user: User, conference, case) -> bool:
    """The patient's answer to a letter: the coordinators (who take the calls) and the responsible clinician."""
    return is_coordinator(user) or can_prepare_letter(user, conference, case)


def can_edit_letter_templates(user: User) -> bool:
    """The unit's letter texts: the coordinators and the orthopaedic surgeons."""
    return is_coordinator(user) or _specialty(user) == "orthopaedic_surgeon"


def can_edit_patient_contact(user: User, patient=None) -> bool:
    """Letter language, address and a child's guardians: every clinician (not the identity: coordinators only)."""
    return can_read_clinical(user)
