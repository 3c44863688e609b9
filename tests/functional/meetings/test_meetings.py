import io
from datetime import date, timedelta
from functools import partial

import pytest
from babel.dates import format_date
from docx import Document
from docx.shared import Mm
from sqlalchemy import select

from conference.agenda.models import AgendaItem
from conference.cases.models import Case, CaseStatus
from conference.conferences.models import Conference, ConferenceStatus
from conference.extensions import db
from conference.meetings import services as meetings
from conference.minutes import services as minutes
from conference.minutes.models import Minutes, MinutesStatus, SignedMinutesAreFinal
from conference.notifications.outbox import dispatch_outbox
from conference.people.models import User
from tests.conftest import csrf_token, login, post_form
from tests.functional.meetings.helpers import all_present, days_after, decide, meeting_with_cases, start_meeting


def chair_signed_in(app, client, team):
    """A one-case meeting of the team's series, with the client signed in as its chair."""
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 1, chair_id=chair)
        db.session.commit()
        email = db.session.get(User, chair).email
    login(client, email)
    return conference_id, item_ids


@pytest.fixture
def team(make_user):
    coordinator = make_user("coordinator")[0]
    chair = make_user("specialist", "orthopaedic_surgeon", name="Erik Ordförande")[0]
    others = [make_user("specialist", s)[0] for s in ("endocrinologist", "physiotherapist", "clinical_geneticist")]
    return coordinator, chair, others


def test_signed_minutes_of_twelve_cases_reopen_with_everything(app, team):
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 12, chair_id=chair)
        all_present(conference_id, coordinator)
        actor = db.session.get(User, coordinator)
        decisions = [
            decide(db.session.get(AgendaItem, item_id), actor, n, with_plan=n == 4)
            for n, item_id in enumerate(item_ids)
        ]
        expected = [(d.treatment.label, d.rationale) for d in decisions]
        db.session.commit()
        signed = minutes.sign(db.session.get(Conference, conference_id), db.session.get(User, chair))
        db.session.commit()
        payload = signed.document
        names = [db.session.get(User, uid).name for uid in (chair, *others)]
        surgery = days_after(db.session.get(Conference, conference_id), 42)

    document = Document(io.BytesIO(payload))
    text = "\n".join(p.text for p in document.paragraphs)
    tables = ["\n".join(cell.text for row in table.rows for cell in row.cells) for table in document.tables]
    for label, rationale in expected:
        assert label in text and rationale in text
    for n in range(12):
        assert any(f"Åtgärd för fall {n}" in t for t in tables)
    attendance = tables[0]
    assert all(name in attendance for name in names) and "Present" in attendance
    # Surgery 42 days after the meeting, latency 7, 50 mm at 1 mm/day (50 days inclusive), healing index 45 days/cm.
    medium = partial(format_date, format="medium", locale="en")
    start, end = surgery + timedelta(days=7), surgery + timedelta(days=7 + 49)
    assert f"{medium(start)} to {medium(end)} (50 days" in text and medium(surgery + timedelta(days=225)) in text
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    footer_xml = section.footer._element.xml
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml and 'fldCharType="begin"' in footer_xml
    assert document.core_properties.title.startswith("Minutes:")
    assert document.core_properties.author == "Erik Ordförande"


def test_signed_minutes_cannot_change_and_an_amendment_makes_version_two(app, client, team):
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 2, chair_id=chair)
        all_present(conference_id, coordinator)
        actor = db.session.get(User, chair)
        for n, item_id in enumerate(item_ids):
            decide(db.session.get(AgendaItem, item_id), actor, n)
        db.session.commit()
        v1 = minutes.sign(db.session.get(Conference, conference_id), actor)
        db.session.commit()
        v1_bytes = v1.document
        chair_email = actor.email

    login(client, chair_email)
    url = f"/meetings/item/{item_ids[0]}"
    token = csrf_token(client, f"/meetings/{conference_id}")
    refused = client.post(
        url,
        data={
            "version": "1",
            "treatment": "insoles",
            "rationale": "Ändrat efteråt",
            "patient_response": "accepted",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 409
    assert "The minutes are signed" in refused.get_data(as_text=True)
    with app.app_context():
        item = db.session.get(AgendaItem, item_ids[0])
        assert meetings.decision_for_item(item.id).rationale == "Motivering för fall 0"
        with pytest.raises(meetings.MinutesLocked):
            decide(item, db.session.get(User, chair), 7)
        db.session.rollback()
        signed = db.session.scalar(select(Minutes).where(Minutes.version == 1))
        signed.document_sha256 = "0" * 64
        with pytest.raises(SignedMinutesAreFinal):
            db.session.flush()
        db.session.rollback()

    assert (
        post_form(
            client,
            f"/minutes/{conference_id}/amend",
            {"reason": "Fel behandling för fall 1"},
            form_url=f"/meetings/{conference_id}",
        ).status_code
        == 302
    )
    with app.app_context():
        version = meetings.decision_for_item(item_ids[0]).version
    changed = post_form(
        client,
        url,
        {
            "treatment": "insoles",
            "rationale": "Ändrat genom tillägg",
            "patient_response": "will_be_told",
            "version": str(version),
        },
    )
    assert changed.status_code == 302, changed.get_data(as_text=True)
    assert (
        post_form(
            client, f"/minutes/{conference_id}/sign", {"confirmed": "1"}, form_url=f"/meetings/{conference_id}"
        ).status_code
        == 302
    )

    conference_page = client.get(f"/conferences/{conference_id}").get_data(as_text=True)
    assert (
        f"/minutes/{conference_id}/v1.docx" in conference_page
        and f"/minutes/{conference_id}/v2.docx" in conference_page
    )
    first = client.get(f"/minutes/{conference_id}/v1.docx")
    second = client.get(f"/minutes/{conference_id}/v2.docx")
    assert first.status_code == second.status_code == 200
    assert first.data == v1_bytes
    text_v1 = "\n".join(p.text for p in Document(io.BytesIO(first.data)).paragraphs)
    text_v2 = "\n".join(p.text for p in Document(io.BytesIO(second.data)).paragraphs)
    assert "Motivering för fall 0" in text_v1 and "Ändrat genom tillägg" not in text_v1
    assert "Ändrat genom tillägg" in text_v2 and "Fel behandling för fall 1" in text_v2
    with app.app_context():
        assert [m.status for m in db.session.scalars(select(Minutes).order_by(Minutes.version))] == [
            MinutesStatus.signed,
            MinutesStatus.signed,
        ]


def test_warning_when_no_clinical_geneticist_is_present_for_a_case_that_needs_one(app, client, team):
    coordinator, chair, others = team
    geneticist = others[2]
    with app.app_context():
        conference_id, _ = meeting_with_cases(
            coordinator, [chair, *others], 1, chair_id=chair, required=("clinical_geneticist",)
        )
        all_present(conference_id, coordinator, absent=(geneticist,))
        db.session.commit()
        coordinator_email = db.session.get(User, coordinator).email
    login(client, coordinator_email)
    page = client.get(f"/meetings/{conference_id}").get_data(as_text=True)
    assert "needs Clinical geneticist, and nobody of that specialty is present" in page
    with app.app_context():
        all_present(conference_id, coordinator)
        db.session.commit()
    page = client.get(f"/meetings/{conference_id}").get_data(as_text=True)
    assert "nobody of that specialty is present" not in page


def test_minutes_reach_every_invited_member_once_with_the_docx_and_never_outside_domains(app, smtp, team):
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 2, chair_id=chair)
        outsider = db.session.get(User, others[0])
        outsider.email = "privat.endokrinolog@gmail.com"  # changed address after the booking
        all_present(conference_id, coordinator, absent=(others[2],))
        actor = db.session.get(User, chair)
        for n, item_id in enumerate(item_ids):
            decide(db.session.get(AgendaItem, item_id), actor, n)
        db.session.commit()
        dispatch_outbox()  # the invites
        before = len(smtp.messages)
        minutes.sign(db.session.get(Conference, conference_id), actor)
        db.session.commit()
        dispatch_outbox()
        dispatch_outbox()
        # Absent members get them too (the rehabilitation team must see plans made without them), each once.
        expected = [db.session.get(User, uid).email for uid in (chair, others[1], others[2])]
        absent_name = db.session.get(User, others[2]).name
    minutes_mails = [m for m in smtp.parsed()[before:] if m["Subject"].startswith("Minutes:")]
    assert sorted(m["To"] for m in minutes_mails) == sorted(expected)
    attendance = Document(io.BytesIO(next(minutes_mails[0].iter_attachments()).get_content())).tables[0]
    assert any(row.cells[1].text == absent_name and row.cells[2].text == "Absent" for row in attendance.rows)
    assert all(not m["To"].endswith("gmail.com") for m in smtp.parsed())
    for message in minutes_mails:
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_filename().endswith(".docx")
        reopened = Document(io.BytesIO(attachment.get_content()))
        assert "Motivering för fall 0" in "\n".join(p.text for p in reopened.paragraphs)
        assert "Testsson" not in message["Subject"]
    outcome = [m for m in smtp.parsed()[before:] if m["To"] == "remiss@example-hospital.se"]
    assert len(outcome) == 2 and all(
        "Testsson" not in m["Subject"] and "Testsson" not in m.get_body().get_content() for m in outcome
    )


def test_decision_sets_case_status_and_signing_rolls_unreached_cases_over(app, team):
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 3, chair_id=chair)
        all_present(conference_id, coordinator)
        actor = db.session.get(User, chair)
        decide(db.session.get(AgendaItem, item_ids[0]), actor, 0)
        meetings.defer(db.session.get(AgendaItem, item_ids[1]), actor)
        db.session.commit()
        conference = db.session.get(Conference, conference_id)
        minutes.sign(conference, actor)
        db.session.commit()
        decided = db.session.get(AgendaItem, item_ids[0]).case
        assert decided.status is CaseStatus.decided and decided.follow_up_on == days_after(conference, 180)
        assert conference.status is ConferenceStatus.held
        moved = {db.session.get(AgendaItem, i).case_id for i in item_ids[1:]}
        following = db.session.scalars(
            select(AgendaItem).where(AgendaItem.conference_id != conference_id).order_by(AgendaItem.position)
        ).all()
        assert {i.case_id for i in following} == moved and [i.position for i in following] == [1, 2]
        assert all(db.session.get(Case, c).status is CaseStatus.listed for c in moved)


def test_only_the_chair_signs_and_others_follow_read_only(app, client, team):
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 1, chair_id=chair)
        all_present(conference_id, coordinator)
        db.session.commit()
        email = db.session.get(User, others[0]).email
    login(client, email)
    page = client.get(f"/meetings/{conference_id}").get_data(as_text=True)
    assert "You are following the meeting" in page and 'id="sign"' not in page
    assert client.get(f"/meetings/item/{item_ids[0]}").status_code == 403
    response = post_form(client, f"/minutes/{conference_id}/sign", {}, form_url=f"/meetings/{conference_id}")
    assert response.status_code == 403
    with app.app_context():
        assert not minutes.is_locked(db.session.get(Conference, conference_id))


def test_distraction_plan_on_the_decision_page_and_as_calendar(app, client, team):
    from icalendar import Calendar

    conference_id, item_ids = chair_signed_in(app, client, team)
    with app.app_context():
        surgery = days_after(db.session.get(Conference, conference_id), 42)
    url = f"/meetings/item/{item_ids[0]}"
    response = post_form(
        client,
        url,
        {
            "version": "0",
            "treatment": "lengthening_nail",
            "rationale": "Förlängning 5 cm",
            "patient_response": "accepted",
            "weight_bearing": "partial",
            "surgery_on": surgery.isoformat(),
            "latency_days": "7",
            "rate_mm_per_day": "2.0",
            "target_mm": "50",
            "action_description": "Boka operation",
            "action_owner": str(team[1]),  # the chair
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "(25 days)" in page and "above 1.5 mm/day" in page
    with app.app_context():
        plan_id = meetings.decision_for_item(item_ids[0]).rehab_plan.id
        patient = db.session.get(AgendaItem, item_ids[0]).case.patient
        name, number = patient.family_name, patient.national_id
    ics = client.get(f"/meetings/rehab/{plan_id}.ics")
    events = Calendar.from_ical(ics.data).walk("VEVENT")
    assert events[0].decoded("DTSTART") == surgery + timedelta(days=7)
    assert name.encode() not in ics.data and number.encode() not in ics.data
    assert "Boka operation" in client.get("/").get_data(as_text=True)  # the owner's dashboard


def test_bad_decision_input_keeps_what_was_typed(app, client, team):
    conference_id, item_ids = chair_signed_in(app, client, team)
    response = post_form(
        client,
        f"/meetings/item/{item_ids[0]}",
        {
            "version": "0",
            "treatment": "lengthening_frame",
            "rationale": "Ram",
            "patient_response": "accepted",
            "weight_bearing": "partial",
            "surgery_on": "2027-01-11",
            "latency_days": "7",
            "rate_mm_per_day": "abc",
            "target_mm": "50",
        },
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'id="rate_mm_per_day-error"' in body and "Ram</textarea>" in body


def test_open_actions_of_earlier_meetings_open_the_next_one(app, client, team):
    coordinator, chair, others = team
    with app.app_context():
        conference_id, _ = meeting_with_cases(coordinator, [chair, *others], 0, chair_id=chair)
        earlier = db.session.get(Conference, conference_id)
        meetings.add_action(
            earlier,
            owner=db.session.get(User, others[0]),
            description="Beställ skelettålder",
            due_on=date(2027, 1, 10),
            actor=db.session.get(User, chair),
        )
        later = meetings.meeting_view(earlier)  # nothing before the first meeting
        assert later.earlier_actions == []
        next_id = [c.id for c in earlier.series.conferences if c.starts_at > earlier.starts_at][0]
        db.session.commit()
        email = db.session.get(User, coordinator).email
    login(client, email)
    page = client.get(f"/meetings/{next_id}").get_data(as_text=True)
    assert "Open actions from earlier meetings" in page and "Beställ skelettålder" in page


def test_rediscuss_sends_the_case_back_to_the_queue(app, team):
    from conference.meetings.models import PatientResponse, Treatment

    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 1, chair_id=chair)
        item = db.session.get(AgendaItem, item_ids[0])
        meetings.record_decision(
            item,
            meetings.DecisionInput(
                treatment=Treatment.rediscuss,
                rationale="Ny röntgen först",
                patient_wishes=None,
                follow_up_on=None,
                patient_response=PatientResponse.will_be_told,
            ),
            db.session.get(User, chair),
        )
        db.session.commit()
        case = item.case
        assert case.status is CaseStatus.ready
        assert [e.to_status for e in case.events][-3:] == [CaseStatus.discussed, CaseStatus.decided, CaseStatus.ready]


def test_someone_absent_at_the_last_three_meetings_is_flagged(app, client, team):
    coordinator, chair, others = team
    absentee = others[0]
    with app.app_context():
        conference_id, _ = meeting_with_cases(coordinator, [chair, *others], 0, chair_id=chair)
        series = db.session.get(Conference, conference_id).series
        meetings_in_order = sorted(series.conferences, key=lambda c: c.starts_at)
        for held in meetings_in_order[:3]:
            start_meeting(held)
            all_present(held.id, coordinator, absent=(absentee,))
            held.status = ConferenceStatus.held
        db.session.commit()
        fourth, name = meetings_in_order[3].id, db.session.get(User, absentee).name
        email = db.session.get(User, coordinator).email
    login(client, email)
    page = client.get(f"/meetings/{fourth}").get_data(as_text=True)
    assert f"Absent at the last 3 meetings: {name}." in page
    assert "Absent at the last" not in client.get(f"/meetings/{meetings_in_order_id(app, conference_id, 2)}").get_data(
        as_text=True
    )


def meetings_in_order_id(app, conference_id, index):
    with app.app_context():
        series = db.session.get(Conference, conference_id).series
        return sorted(series.conferences, key=lambda c: c.starts_at)[index].id


def test_an_action_without_owner_is_a_field_error_and_nothing_is_saved(app, client, team):
    conference_id, item_ids = chair_signed_in(app, client, team)
    response = post_form(
        client,
        f"/meetings/item/{item_ids[0]}",
        {
            "version": "0",
            "treatment": "insoles",
            "rationale": "Inlägg 1 cm",
            "patient_response": "accepted",
            "action_description": "Beställ inlägg",
            "action_owner": "0",
        },
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'id="action_owner-error"' in body and "Choose who owns the action." in body and "Beställ inlägg" in body
    with app.app_context():
        assert meetings.decision_for_item(item_ids[0]) is None
