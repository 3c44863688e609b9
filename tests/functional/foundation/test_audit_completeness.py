"""Every page or download that shows patients writes exactly one access event per patient shown (visible in that
patient's access log); changes are audited inside the services (so the CLI is audited too); the admin's audit
pages show who, when, what kind and which record, never clinical content."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from conference.agenda import services as case_list
from conference.audit.models import AuditEvent
from conference.cases import services as cases
from conference.conferences.models import Conference
from conference.extensions import db
from conference.minutes import services as minutes
from conference.people.models import User
from tests.conftest import login
from tests.functional.cases.helpers import make_ready_case
from tests.functional.meetings.helpers import all_present, decide, meeting_with_cases
from tests.functional.meetings.test_meetings import team  # noqa: F401 (fixture)


def _events_by_patient() -> Counter:
    return Counter(db.session.scalars(select(AuditEvent.patient_id).where(AuditEvent.patient_id.is_not(None))))


def test_each_page_and_download_logs_one_event_per_patient_shown(app, client, team):  # noqa: F811
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 3, chair_id=chair)
        listed = [cases.agenda(db.session.get(Conference, conference_id)).items[i].case.patient_id for i in range(3)]
        waiting = make_ready_case(coordinator, 950)  # in the ready queue
        waiting_patient, waiting_case = waiting.patient_id, waiting.id
        all_present(conference_id, coordinator)
        decide(cases.agenda(db.session.get(Conference, conference_id)).items[0], db.session.get(User, chair), 0)
        db.session.commit()
        first_case = cases.agenda(db.session.get(Conference, conference_id)).items[0].case_id
        email = db.session.get(User, coordinator).email
    login(client, email)
    pages = [
        (f"/cases/{first_case}", [listed[0]]),
        (f"/cases/{first_case}/measurements/new", [listed[0]]),
        ("/cases/", [waiting_patient]),
        (f"/conferences/{conference_id}", [*listed, waiting_patient]),
        (f"/meetings/{conference_id}", listed),
        (f"/cases/agenda/{conference_id}/print", listed),
        (f"/meetings/item/{item_ids[0]}", [listed[0]]),
        (f"/minutes/{conference_id}/draft.docx", listed),
    ]
    for url, shown in pages:
        with app.app_context():
            before = _events_by_patient()
        response = client.get(url)
        assert response.status_code == 200, url
        with app.app_context():
            added = _events_by_patient() - before
        assert added == Counter(shown), (url, added, shown)
    # A re-rendered form (an empty note: 400) shows the case too.
    from tests.conftest import post_form

    with app.app_context():
        before = _events_by_patient()
    assert (
        post_form(client, f"/cases/{first_case}/notes", {"text": ""}, form_url=f"/cases/{first_case}").status_code
        == 400
    )
    with app.app_context():
        assert _events_by_patient() - before == Counter([listed[0], listed[0]])  # the form page, then the 400
    # The signed document names the listed patients too.
    with app.app_context():
        minutes.sign(db.session.get(Conference, conference_id), db.session.get(User, chair))
        db.session.commit()
        before = _events_by_patient()
    assert client.get(f"/minutes/{conference_id}/v1.docx").status_code == 200
    with app.app_context():
        assert _events_by_patient() - before == Counter(listed)
        logged = db.session.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == waiting_patient)).all()
        assert "case.queue" in logged and "agenda.view" in logged
        assert waiting_case


def test_changes_are_audited_in_the_services_and_the_cli(app, team):  # noqa: F811
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 2, chair_id=chair)
        app.extensions["clock"].reset()  # before the meeting: the list can still change
        conference = db.session.get(Conference, conference_id)
        item = cases.agenda(conference).items[0]
        case_list.set_minutes(item, 12, db.session.get(User, coordinator))
        from conference.conferences import services as conferences
        from conference.conferences.models import Response

        conferences.respond(conference, db.session.get(User, chair), Response.accepted)
        db.session.commit()
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"agenda.minutes", "conference.respond"} <= actions
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "ny@example-hospital.se",
            "--name",
            "Ny Person",
            "--role",
            "coordinator",
            "--password",
            "korrekt-häst-batteri",
        ],
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
        assert event is not None and event.actor_id is None and '"via": "cli"' in event.detail


def test_the_admin_sees_who_when_and_what_kind_never_clinical_content(app, client, team, make_user):  # noqa: F811
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 1, chair_id=chair)
        all_present(conference_id, coordinator)
        decision = decide(db.session.get(cases.AgendaItem, item_ids[0]), db.session.get(User, chair), 3)
        decision.rationale = "Hemlig klinisk motivering"
        db.session.commit()
        patient_id = decision.case.patient_id
    _admin_id, admin_email = make_user("admin")
    login(client, admin_email)
    for url in ("/admin/audit/", f"/patients/{patient_id}/access-log"):
        page = client.get(url).get_data(as_text=True)
        assert client.get(url).status_code == 200
        assert "Decision recorded" in page and "meeting.decision" not in page
        for clinical in ("Hemlig klinisk motivering", "lengthening", "treatment", "Motivering"):
            assert clinical not in page, (url, clinical)
