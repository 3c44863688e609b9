"""The minutes as the record a hospital files (issue 21): each case with its diagnosis, side and referrer, other
matters in a section of their own, the unit named in the document's language, the prediction by the case's growth
pattern, only this meeting's patients, and a PDF rendered from the same signed .docx."""

import io
import subprocess
from datetime import timedelta

from docx import Document
from sqlalchemy import select

from conference.agenda.models import AgendaItem
from conference.cases import services as cases
from conference.cases.models import Case, GrowthPattern
from conference.conferences.models import Conference
from conference.extensions import db
from conference.meetings import services as meetings
from conference.meetings.models import PatientResponse, Treatment, WeightBearing
from conference.minutes import services as minutes
from conference.people.models import User
from tests.conftest import login
from tests.functional.meetings.helpers import all_present, days_after, decide, meeting_with_cases, start_meeting


def _docx_text(payload: bytes) -> str:
    document = Document(io.BytesIO(payload))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _pdf_text(payload: bytes, tmp_path) -> str:
    path = tmp_path / "minutes.pdf"
    path.write_bytes(payload)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return " ".join(done.stdout.split())  # one line: a table cell may wrap


def _earlier_meeting_with_an_open_action(coordinator, chair, others) -> tuple[str, object]:
    """A held meeting of another series, whose patient has an open action and is not on the meeting under test;
    returns that patient's family name and when the next meeting (the one under test) starts."""
    conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 1, chair_id=chair, first_patient=900)
    all_present(conference_id, coordinator)
    item = db.session.get(AgendaItem, item_ids[0])
    item.case.patient.family_name = "Utomståendesson"
    decide(item, db.session.get(User, chair), 0)  # with an open action "Åtgärd för fall 0"
    db.session.commit()
    conference = db.session.get(Conference, conference_id)
    minutes.sign(conference, db.session.get(User, chair), notify=False)
    db.session.commit()
    return "Utomståendesson", conference.starts_at + timedelta(days=7)


def _signed_meeting(coordinator, chair, others):
    """Three cases: a lengthening with a plan, an epiphysiodesis, one not reached; a meeting action about no case.
    Returns (conference id, per-case expectations, the outsider's name)."""
    outsider, later = _earlier_meeting_with_an_open_action(coordinator, chair, others)
    conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 3, chair_id=chair, first_start=later)
    conference = db.session.get(Conference, conference_id)
    start_meeting(conference)
    all_present(conference_id, coordinator)
    actor = db.session.get(User, chair)
    items = [db.session.get(AgendaItem, i) for i in item_ids]
    items[0].case.diagnosis, items[0].case.side = "fibular_hemimelia", "right"
    items[0].case.referring_clinician = "Dr Anna Remissdottir"
    items[1].case.referring_clinician = "Dr Bo Barnortoped"
    expected = []
    for item, treatment, wishes in (
        (items[0], Treatment.lengthening_nail, "Vill slippa skoförhöjning"),
        (items[1], Treatment.epiphysiodesis, "Vill inte ha ram"),
    ):
        decision = meetings.record_decision(
            item,
            meetings.DecisionInput(
                treatment=treatment,
                rationale=f"Motivering {item.position}",
                patient_wishes=wishes,
                follow_up_on=days_after(item, 90),
                patient_response=PatientResponse.will_be_told,
            ),
            actor,
        )
        if treatment is Treatment.lengthening_nail:
            meetings.save_rehab_plan(
                decision,
                meetings.RehabInput(
                    weight_bearing=WeightBearing.partial,
                    walking_aids="Kryckor i sex veckor",
                    surgery_on=days_after(item, 42),
                    latency_days=7,
                    rate_mm_per_day=1.0,
                    target_mm=40,
                ),
                actor,
            )
        expected.append(
            {
                "patient": item.case.patient.family_name,
                "diagnosis": item.case.diagnosis_label,
                "side": item.case.side_label,
                "referrer": item.case.referring_clinician,
                "decision": decision.treatment.label,
                "wishes": wishes,
                "response": decision.patient_response.label,
            }
        )
    meetings.add_action(conference, owner=actor, description="Se över remissflödet", due_on=None, actor=actor)
    db.session.commit()
    minutes.sign(conference, actor)
    db.session.commit()
    return conference_id, expected, outsider


def test_signed_minutes_hold_each_case_fully_in_word_and_in_pdf_and_no_other_patient(app, client, team, tmp_path):
    """Done when: the signed minutes, opened with python-docx and converted by LibreOffice, hold per case the
    diagnosis, side, referrer, decision, plan, the patient's wishes and response, and no patient who was not on
    the meeting."""
    coordinator, chair, others = team
    with app.app_context():
        conference_id, expected, outsider = _signed_meeting(coordinator, chair, others)
        email = db.session.get(User, chair).email
    login(client, email)
    word = client.get(f"/minutes/{conference_id}/v1.docx")
    pdf = client.get(f"/minutes/{conference_id}/v1.pdf")
    assert word.status_code == pdf.status_code == 200
    assert pdf.mimetype == "application/pdf" and pdf.data[:5] == b"%PDF-"
    for text in (" ".join(_docx_text(word.data).split()), _pdf_text(pdf.data, tmp_path)):
        for case in expected:
            for key, value in case.items():
                assert value in text, (key, value)
        assert "Kryckor i sex veckor" in text  # the rehabilitation plan
        assert outsider not in text and "Åtgärd för fall 0" not in text  # an earlier meeting's other patient
        assert "Other matters" in text and "Se över remissflödet" in text
        assert "4. Other" not in text and "Other business" not in text  # no fake case
    headings = [p.text for p in Document(io.BytesIO(word.data)).paragraphs if p.style.name == "Heading 2"]
    assert len(headings) == 3  # the three cases, nothing else numbered like a case
    live = client.get(f"/meetings/{conference_id}").get_data(as_text=True)
    assert f"/minutes/{conference_id}/v1.pdf" in live


def test_open_actions_are_this_meetings_and_those_of_its_cases_only(app, team):
    coordinator, chair, others = team
    with app.app_context():
        outsider, later = _earlier_meeting_with_an_open_action(coordinator, chair, others)
        conference_id, item_ids = meeting_with_cases(
            coordinator, [chair, *others], 1, chair_id=chair, first_start=later
        )
        conference = db.session.get(Conference, conference_id)
        start_meeting(conference)
        all_present(conference_id, coordinator)
        decide(db.session.get(AgendaItem, item_ids[0]), db.session.get(User, chair), 5)
        db.session.commit()
        signed = minutes.sign(conference, db.session.get(User, chair))
        db.session.commit()
        text = _docx_text(signed.document)
    assert "Åtgärd för fall 5" in text
    assert outsider not in text and "Åtgärd för fall 0" not in text


def test_swedish_minutes_name_the_unit_in_swedish(app, team):
    coordinator, chair, others = team
    previous = app.config["BABEL_DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_LOCALE"] = "sv"
    try:
        with app.app_context():
            conference_id, _item_ids = meeting_with_cases(coordinator, [chair, *others], 1, chair_id=chair)
            payload = minutes.draft_document(db.session.get(Conference, conference_id))
    finally:
        app.config["BABEL_DEFAULT_LOCALE"] = previous
    document = Document(io.BytesIO(payload))
    subtitle = next(p.text for p in document.paragraphs if p.style.name == "Subtitle")
    assert subtitle == "Enheten för extremitetsfelställningar"
    assert document.core_properties.subject == subtitle


def test_the_prediction_in_the_minutes_follows_the_growth_pattern(app, team):
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 3, chair_id=chair)
        items = [db.session.get(AgendaItem, i) for i in item_ids]
        # A growth-plate injury recorded as congenital (the old default), one developmental, one not known.
        items[0].case.diagnosis, items[0].case.growth_pattern = "post_traumatic", GrowthPattern.congenital
        items[1].case.diagnosis, items[1].case.growth_pattern = "physeal_injury", GrowthPattern.developmental
        items[2].case.growth_pattern = GrowthPattern.unknown
        db.session.commit()
        assert cases.predict(db.session.get(Case, items[0].case_id)).value_mm is None
        payload = minutes.draft_document(db.session.get(Conference, conference_id))
    document = Document(io.BytesIO(payload))
    per_case = [
        "\n".join(cell.text for row in table.rows for cell in row.cells)
        for table in document.tables
        if table.rows[0].cells[0].text == "Measurement"
    ]
    assert len(per_case) == 3
    post_traumatic, developmental, unknown = per_case
    assert "Paley, congenital" not in post_traumatic
    assert "No prediction: The diagnosis is acquired, so the congenital method does not apply" in post_traumatic
    assert "Paley, developmental" in developmental and "congenital" not in developmental
    assert "No prediction: Set whether the discrepancy is congenital or developmental" in unknown
    with app.app_context():
        assert db.session.scalar(select(Case).where(Case.id == items[0].case_id)) is not None


def test_the_pre_reading_pack_prints_every_listed_case_and_logs_each_patient(app, client, team, make_user):
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 3, chair_id=chair)
        names = [db.session.get(AgendaItem, i).case.patient.name for i in item_ids]
        patient_ids = {db.session.get(AgendaItem, i).case.patient_id for i in item_ids}
        email = db.session.get(User, others[0]).email  # a specialist reads before the meeting
    admin_email = make_user("admin")[1]
    login(client, email)
    assert f"/meetings/{conference_id}/pre-reading" in client.get(f"/conferences/{conference_id}").get_data(
        as_text=True
    )
    response = client.get(f"/meetings/{conference_id}/pre-reading")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert all(name in page for name in names)
    assert page.count('class="pack-case"') == 3 and "Epifysiodes eller förlängning?" in page
    assert "Vill kunna spela fotboll." in page and "Dr Remiss" in page and "Predicted at maturity" in page
    with app.app_context():
        from conference.audit.models import AuditEvent

        shown = {
            e.patient_id
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "meeting.pre_reading"))
        }
    assert shown == patient_ids
    admin = app.test_client()
    login(admin, admin_email)
    assert admin.get(f"/meetings/{conference_id}/pre-reading").status_code == 403  # admins read no cases
