"""Who may open which route, for every route, with real ids: anonymous, admin, coordinator, the meeting's chair,
the referrer, and a non-chair specialist of each specialty. The expected table below is written out by hand from
the README's role table (not derived from conference.policy), so a changed rule shows up here. A route without a
declared policy fails the suite."""

from __future__ import annotations

import pytest

from conference.cases import services as cases
from conference.extensions import db
from conference.people.models import Specialty, User
from tests.conftest import PASSWORD, csrf_token, login
from tests.functional.cases.helpers import make_ready_case
from tests.functional.conferences.helpers import book_series
from tests.functional.meetings.helpers import all_present, decide, start_meeting

CLINICIANS = ["coordinator", "chair", "referrer", "owner"] + [f"specialist:{s.value}" for s in Specialty]
SIGNED_IN = ["admin", *CLINICIANS]
COORDINATOR = ["coordinator"]
ADMIN = ["admin"]
RECORDERS = ["coordinator", "chair"]
# the visit's findings: physiotherapists, occupational therapists, surgeons (the chair is one) and coordinators
FOLLOW_UP = [
    "coordinator",
    "chair",
    "owner",
    "specialist:orthopaedic_surgeon",
    "specialist:physiotherapist",
    "specialist:occupational_therapist",
]

# endpoint -> who gets in (everyone else signed in: 403; anonymous: sent to sign in)
EXPECTED: dict[str, list[str]] = {
    "dashboard.index": SIGNED_IN,
    "auth.language": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "conferences.feed_settings": SIGNED_IN,
    "audit.index": ADMIN,
    "people.index": ADMIN,
    "people.create": ADMIN,
    "people.toggle_active": ADMIN,
    "people.edit": ADMIN,
    "patients.access_log": ADMIN,
    "notifications.index": ["admin", "coordinator"],
    "notifications.retry": ["admin", "coordinator"],
    "notifications.retry_failed": ["admin", "coordinator"],
    "patients.index": CLINICIANS,
    "patients.create": CLINICIANS,
    "patients.show": CLINICIANS,
    "patients.edit": COORDINATOR,  # name, sex and identity number
    "cases.index": CLINICIANS,
    "cases.create": CLINICIANS,
    "cases.show": CLINICIANS,
    "cases.add_note": CLINICIANS,
    "cases.add_measurement": CLINICIANS,
    "cases.edit": ["coordinator", "referrer"],  # the referral: its referrer and the coordinators
    "cases.change_status": COORDINATOR,
    "cases.print_agenda": CLINICIANS,
    "cases.list_case": COORDINATOR,
    "cases.minutes": COORDINATOR,
    "cases.move": COORDINATOR,
    "cases.unlist": COORDINATOR,
    "cases.roll_over": COORDINATOR,
    "conferences.index": CLINICIANS,
    "conferences.detail": CLINICIANS,
    "conferences.download": CLINICIANS,
    "conferences.series_detail": CLINICIANS,
    "conferences.series_download": CLINICIANS,
    "conferences.respond": CLINICIANS,
    "conferences.create": COORDINATOR,
    "conferences.reschedule": COORDINATOR,
    "conferences.cancel": COORDINATOR,
    "conferences.invite": COORDINATOR,
    "conferences.series_invite": COORDINATOR,
    "conferences.series_reschedule": COORDINATOR,
    "conferences.series_cancel": COORDINATOR,
    "meetings.live": CLINICIANS,
    "meetings.pre_reading": CLINICIANS,  # who may read cases reads the pre-reading pack
    "meetings.my_actions": CLINICIANS,
    "meetings.rehab_calendar": CLINICIANS,  # every clinician reads the plan
    "meetings.attendance": RECORDERS,
    "meetings.decide": RECORDERS,
    "meetings.defer": RECORDERS,
    "meetings.add_action": RECORDERS,
    "meetings.action_done": ["coordinator", "chair", "owner"],
    "minutes.draft": CLINICIANS,
    "minutes.download": CLINICIANS,
    "minutes.download_pdf": CLINICIANS,
    "minutes.sign": ["chair"],
    "minutes.amend": ["chair", "coordinator"],
    "quality.index": CLINICIANS,
    "quality.table_csv": CLINICIANS,
    "quality.workbook": CLINICIANS,
    "quality.cases_csv": COORDINATOR,  # with identity
    "rehab.worklist": CLINICIANS,
    "rehab.plan": CLINICIANS,  # every clinician reads the whole plan
    "rehab.record_followup": FOLLOW_UP,
    "rehab.review": FOLLOW_UP,
    "rehab.assign": ["coordinator", "owner", "specialist:physiotherapist", "specialist:occupational_therapist"],
    "rehab.add_adaptation": ["coordinator", "specialist:occupational_therapist"],
    "rehab.delivered": ["coordinator", "specialist:occupational_therapist"],
    "rehab.correct_followup": FOLLOW_UP,
    "rehab.correct_adaptation": ["coordinator", "specialist:occupational_therapist"],
    "conferences.archive": CLINICIANS,
    "conferences.invite_specialty": COORDINATOR,
    "cases.list_many": COORDINATOR,
    "cases.reorder": COORDINATOR,
    "meetings.room": CLINICIANS,
    "meetings.room_state": CLINICIANS,
    "meetings.present": CLINICIANS,  # reading; saving is the recorders' (tests/functional/meetings/test_room.py)
    "meetings.all_present": RECORDERS,
    "meetings.defer_remaining": RECORDERS,
    "integrations.index": ADMIN,
    "integrations.revoke": ADMIN,
    # a case's images and documents: every clinician sees and adds them; removing one is for who added it and the
    # coordinators (here refused: the image was discussed in a signed meeting); the presenter opens one for the room
    "imaging.add": CLINICIANS,
    "imaging.pacs_import": CLINICIANS,
    "imaging.view": CLINICIANS,
    "imaging.manifest": CLINICIANS,
    "imaging.rendering": CLINICIANS,
    "imaging.download": CLINICIANS,
    "imaging.remove": ["coordinator", "referrer"],
    "imaging.measure": ["chair", "specialist:orthopaedic_surgeon", "specialist:radiologist"],
    "meetings.open_image": ["chair"],
    "patients.contact": CLINICIANS,  # letter language, address, guardians
    "letters.index": CLINICIANS,
    "letters.conference": CLINICIANS,
    "letters.show": CLINICIANS,
    "letters.draft": CLINICIANS,
    "letters.download": CLINICIANS,
    "letters.download_pdf": CLINICIANS,
    "letters.prepare": ["chair"],  # the responsible clinician: the chair, or the case's surgeon
    "letters.send": ["chair"],
    "letters.answer": ["coordinator", "chair"],
    "letters.action_done": COORDINATOR,
    "letters.templates": ["coordinator", "chair", "specialist:orthopaedic_surgeon"],
    "letters.edit_template": ["coordinator", "chair", "specialist:orthopaedic_surgeon"],
}
# public, or a token instead of a session (the FHIR API: tests/functional/integrations)
SKIPPED = {"auth.login", "auth.sso_login", "auth.sso_callback", "auth.logout", "static", "conferences.feed"} | {
    "fhir.search",
    "fhir.read",
    "fhir.create_referral",
    "fhir.transaction",
    "fhir.binary",
    "fhir.image_binary",
    "fhir.capabilities",
}


def test_every_route_declares_its_policy(app):
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not getattr(app.view_functions[rule.endpoint], "policy", None)
    ]
    assert not missing, f"routes without a policy: {missing}"
    assert {r.endpoint for r in app.url_map.iter_rules()} - SKIPPED == set(EXPECTED), "update the matrix"


def test_a_route_without_a_policy_fails_the_check(app):
    from flask import Flask

    other = Flask("probe")
    other.add_url_rule("/x", "x", lambda: "x")
    assert not getattr(other.view_functions["x"], "policy", None)


@pytest.fixture
def world(app, make_user, clock):
    """A started meeting chaired by the chair, with a case referred by the referrer, a decision with a rehab plan
    and an action owned by the owner; one account per persona."""
    people = {"admin": make_user("admin"), "coordinator": make_user("coordinator")}
    people["chair"] = make_user("specialist", "orthopaedic_surgeon")
    people["referrer"] = make_user("specialist", "endocrinologist")
    people["owner"] = make_user("specialist", "physiotherapist")
    for specialty in Specialty:
        people[f"specialist:{specialty.value}"] = make_user("specialist", specialty.value)
    spare = make_user("specialist", "nurse")[0]
    with app.app_context():
        coordinator = db.session.get(User, people["coordinator"][0])
        series = book_series(
            [people["chair"][0], people["owner"][0]], chair_id=people["chair"][0], actor_id=coordinator.id
        )
        conference = series.conferences[0]
        case = make_ready_case(people["referrer"][0], 900)
        pending = make_ready_case(coordinator.id, 901)
        items = [cases.list_case(conference, c, coordinator) for c in (case, pending)]
        db.session.commit()
        start_meeting(conference)
        all_present(conference.id, coordinator.id)
        decision = decide(
            items[0],
            db.session.get(User, people["chair"][0]),
            4,
            with_plan=True,
            owner=db.session.get(User, people["owner"][0]),
        )
        from conference.rehab import services as rehab

        visits = rehab.schedule_visits(decision.rehab_plan)
        adaptation = rehab.add_adaptation(
            decision.rehab_plan,
            kind="aid",
            description="Rullstol",
            ordered_on=None,
            delivered_on=None,
            actor=coordinator,
        )
        # A radiograph the referrer added to a case discussed in an earlier, signed meeting (so removing it is
        # refused, and it stays for every persona).
        from conference.meetings import services as meetings
        from tests.functional.imaging.helpers import attach, dicom_bytes

        earlier = make_ready_case(people["referrer"][0], 902)
        referrer = db.session.get(User, people["referrer"][0])
        image = attach(earlier, dicom_bytes(earlier.patient), referrer)
        cases.list_case(series.conferences[1], earlier, coordinator)
        meetings.lock(series.conferences[1], coordinator)
        from conference.rehab.models import FollowUp

        followup = FollowUp(  # the plan's surgery is ahead: written directly, the route only needs a row
            plan_id=decision.rehab_plan.id,
            seen_on=decision.rehab_plan.surgery_on,
            therapist_id=people["owner"][0],
            complications=[],
        )
        db.session.add(followup)
        from conference.fhir import services as fhir

        api_client, _token = fhir.issue_client("Engine", ["system/*.read"], db.session.get(User, people["admin"][0]))
        from conference.letters.models import Letter, LetterAction, LetterActionKind

        letter = Letter(  # as prepared after signing (this meeting stays open for the meeting's routes)
            decision_id=decision.id,
            case_id=case.id,
            patient_id=case.patient_id,
            conference_id=conference.id,
            language="sv",
            body="Brevets text.",
        )
        db.session.add(letter)
        db.session.flush()
        letter_action = LetterAction(letter_id=letter.id, kind=LetterActionKind.no_answer)
        db.session.add(letter_action)
        db.session.commit()
        ids = {
            "case_id": case.id,
            "patient_id": case.patient_id,
            "conference_id": conference.id,
            "series_id": series.id,
            "item_id": items[1].id,
            "plan_id": decision.rehab_plan.id,
            "action_id": decision.action_items[0].id,
            "visit_id": visits[0].id,
            "adaptation_id": adaptation.id,
            "followup_id": followup.id,
            "client_id": api_client.id,
            "letter_id": letter.id,
            "letter_action_id": letter_action.id,
            "decision_id": decision.id,
            "treatment": "insoles",
            "language": "sv",
            "user_id": spare,
            "email_id": 1,
            "version": 1,
            "direction": "down",
            "name": "waiting",
            "image_id": image.id,
            "preset": 0,
        }
    return people, ids


def test_role_by_route_matrix(app, world):
    people, ids = world
    personas = ["anonymous", *people]
    failures = []
    for persona in personas:
        client = app.test_client()
        if persona != "anonymous":
            assert login(client, people[persona][1], PASSWORD).status_code == 302
            token = csrf_token(client, "/")
        for rule in app.url_map.iter_rules():
            if rule.endpoint in SKIPPED:
                continue
            url = rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1]
            method = "GET" if "GET" in rule.methods else "POST"
            if method == "GET":
                status = client.get(url).status_code
            else:
                status = client.post(url, data={"csrf_token": token} if persona != "anonymous" else {}).status_code
            allowed = persona in EXPECTED[rule.endpoint]
            if persona == "anonymous":  # sent to sign in (a POST without a session fails its CSRF check first)
                ok = status == 302 if method == "GET" else status in (302, 400)
            elif allowed:
                ok = status not in (401, 403) and status < 500
            else:
                ok = status == 403
            if not ok:
                failures.append((persona, method, rule.endpoint, status))
    assert not failures, failures
