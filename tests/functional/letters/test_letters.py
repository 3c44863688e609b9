"""Letters to the patient after the conference: built from the signed decision per treatment kind in Swedish and
English, read back from the stored .docx (python-docx) and PDF (pdftotext); reviewed with an optimistic lock;
answered; an unanswered letter becomes a coordinator's action (a sweep safe to run twice); a decline puts the case
back on the ready queue; an amendment of the minutes supersedes a sent letter."""

from __future__ import annotations

import io
import subprocess
from datetime import timedelta

import pytest
from docx import Document
from sqlalchemy import func, select

from conference.cases.models import CaseStatus
from conference.conferences.models import Conference
from conference.db import local_today
from conference.extensions import db
from conference.letters import services as letters
from conference.letters.models import Answer, LetterAction, LetterActionKind, LetterActionStatus, LetterStatus
from conference.meetings import services as meetings
from conference.meetings.models import Decision, Treatment
from conference.minutes import services as minutes
from conference.patients.models import Patient
from conference.people.models import User
from tests.conftest import login, post_form
from tests.functional.letters.helpers import KINDS, long_date, note_text, rationale_text, signed_meeting_with_treatments


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs)


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def staff(make_user):
    coordinator = make_user("coordinator")[0]
    chair = make_user("specialist", "orthopaedic_surgeon", name="Erik Sandberg")
    physio = make_user("specialist", "physiotherapist")[0]
    return coordinator, chair, physio


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_letter_for_each_treatment_in_the_patients_language(app, staff, tmp_path, language):
    coordinator_id, (chair_id, _email), physio = staff
    with app.app_context():
        _conference_id, decision_ids = signed_meeting_with_treatments(coordinator_id, chair_id, [physio])
        chair = db.session.get(User, chair_id)
        every_identity = {p.national_id_display for p in db.session.scalars(select(Patient))} | {
            p.national_id for p in db.session.scalars(select(Patient))
        }
        for n, (kind, decision_id) in enumerate(zip(KINDS, decision_ids)):
            decision = db.session.get(Decision, decision_id)
            patient = decision.case.patient
            patient.language = language
            letter = letters.prepare(decision, chair)
            assert letter.language == language
            letters.send(letter, expected_version=letter.version, actor=chair)
            db.session.commit()

            docx = letters.stored_document(letter, "docx", chair)
            pdf = letters.stored_document(letter, "pdf", chair)
            for text in (_flat(_docx_text(docx)), _flat(_pdf_text(pdf, tmp_path))):
                from flask_babel import force_locale

                with force_locale(language):
                    label = kind.label.lower()
                assert label in text.lower(), (kind, language)
                assert patient.name in text and patient.national_id_display in text
                # the patient's own wishes, and the next appointment in the patient's language
                assert f"Vill kunna spela fotboll {n}" in text
                assert long_date(decision.follow_up_on, language) in text
                plan = decision.rehab_plan
                if plan is not None and plan.surgery_on is not None:
                    assert long_date(plan.surgery_on, language) in text, (kind, language)
                    computed = meetings.compute_plan(plan)
                    if plan.target_mm is not None:
                        for day in (computed.distraction_start, computed.distraction_end, computed.consolidation_end):
                            assert long_date(day, language) in text, (kind, language, day)
                        assert ("1 mm a day" if language == "en" else "1 mm om dagen") in text
                # nothing of another patient, nothing of the conference's internals
                for other in every_identity - {patient.national_id, patient.national_id_display}:
                    assert other not in text
                for k in range(len(KINDS)):
                    assert note_text(k) not in text and rationale_text(k) not in text
                assert "Erik Sandberg" in text  # the responsible clinician signs
            # a child's letter goes to the guardians and has a paragraph to tell the child
            docx_text = _docx_text(docx)
            assert f"Förälder {n}" in docx_text
            assert ("To tell " if language == "en" else "Att berätta för ") + patient.given_name in docx_text


def test_the_document_is_stored_once_linked_to_the_decision_and_audited(app, staff):
    coordinator_id, (chair_id, _email), physio = staff
    with app.app_context():
        _conference_id, decision_ids = signed_meeting_with_treatments(
            coordinator_id, chair_id, [physio], kinds=[Treatment.insoles]
        )
        chair = db.session.get(User, chair_id)
        decision = db.session.get(Decision, decision_ids[0])
        letter = letters.prepare(decision, chair)
        assert letters.prepare(decision, chair).id == letter.id  # one live letter per decision
        letters.send(letter, expected_version=letter.version, actor=chair)
        db.session.commit()
        assert letter.decision_id == decision.id and len(letter.docx_sha256) == 64 and len(letter.pdf_sha256) == 64
        from conference.audit.models import AuditEvent

        actions = set(
            db.session.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == decision.case.patient_id))
        )
        assert {"letter.prepare", "letter.send"} <= actions
        with pytest.raises(letters.LetterError):
            letters.update_text(letter, "Ny text", expected_version=letter.version, actor=chair)


def test_only_the_chair_or_the_cases_surgeon_prepares_and_only_after_signing(app, staff, make_user):
    coordinator_id, (chair_id, _email), physio = staff
    surgeon_id = make_user("specialist", "orthopaedic_surgeon")[0]
    other_surgeon = make_user("specialist", "orthopaedic_surgeon")[0]
    with app.app_context():
        from conference.agenda.models import AgendaItem
        from tests.functional.meetings.helpers import all_present, decide, meeting_with_cases

        conference_id, item_ids = meeting_with_cases(coordinator_id, [chair_id, physio], 2, chair_id=chair_id)
        all_present(conference_id, coordinator_id)
        chair = db.session.get(User, chair_id)
        items = [db.session.get(AgendaItem, item_id) for item_id in item_ids]
        items[1].case.referred_by_id = surgeon_id  # the case's surgeon
        decisions = [decide(item, chair, n) for n, item in enumerate(items)]
        with pytest.raises(letters.LetterError, match="sign"):
            letters.prepare(decisions[0], chair)
        minutes.sign(db.session.get(Conference, conference_id), chair, notify=False)
        for other in (coordinator_id, physio, other_surgeon, surgeon_id):
            with pytest.raises(letters.LetterError):
                letters.prepare(decisions[0], db.session.get(User, other))
        assert letters.prepare(decisions[0], chair).status is LetterStatus.draft
        assert letters.prepare(decisions[1], db.session.get(User, surgeon_id)).status is LetterStatus.draft


def test_review_with_an_optimistic_lock_then_decline_puts_the_case_back_in_the_queue(app, staff, client):
    coordinator_id, (chair_id, chair_email), physio = staff
    with app.app_context():
        _conference_id, decision_ids = signed_meeting_with_treatments(
            coordinator_id, chair_id, [physio], kinds=[Treatment.lengthening_nail]
        )
        chair = db.session.get(User, chair_id)
        letter = letters.prepare(db.session.get(Decision, decision_ids[0]), chair)
        db.session.commit()
        letter_id, version = letter.id, letter.version
    login(client, chair_email)
    url = f"/letters/{letter_id}"
    first = post_form(client, url, {"body": "Hej!\n\nVårt förslag: förlängning.", "version": version})
    assert first.status_code == 303
    stale = post_form(client, url, {"body": "En annan text", "version": version})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "En annan text" in page and "Vårt förslag: förlängning." in page  # typed text kept, saved text shown
    empty = post_form(client, url, {"body": "", "version": version + 1})
    assert empty.status_code == 400
    with app.app_context():
        letter = letters.get_letter(letter_id)
        assert letter.body == "Hej!\n\nVårt förslag: förlängning."
        letters.send(letter, expected_version=letter.version, actor=db.session.get(User, chair_id))
        db.session.commit()
        # declining needs the reason
        coordinator = db.session.get(User, coordinator_id)
        with pytest.raises(letters.LetterError):
            letters.record_answer(letter, Answer.declines, "", actor=coordinator)
        letters.record_answer(letter, Answer.declines, "Vill vänta ett år med operationen", actor=coordinator)
        db.session.commit()
        case = letter.decision.case
        assert case.status is CaseStatus.ready
        assert "Vill vänta ett år med operationen" in case.events[-1].note
        from conference.cases import services as cases

        assert case.id in [c.id for c, _days in cases.ready_queue()]


def test_no_answer_by_the_date_becomes_one_action_for_the_coordinators(app, staff, clock):
    coordinator_id, (chair_id, _email), physio = staff
    with app.app_context():
        _conference_id, decision_ids = signed_meeting_with_treatments(
            coordinator_id, chair_id, [physio], kinds=[Treatment.insoles, Treatment.epiphysiodesis]
        )
        chair = db.session.get(User, chair_id)
        sent = []
        for decision_id in decision_ids:
            letter = letters.prepare(db.session.get(Decision, decision_id), chair)
            letters.send(letter, expected_version=letter.version, actor=chair)
            sent.append(letter)
        letters.record_answer(sent[1], Answer.accepts, None, actor=db.session.get(User, coordinator_id))
        db.session.commit()
        due = sent[0].answer_due_on
        assert letters.sweep_unanswered(due) == 0  # on the date itself the answer may still come
        clock.travel_to(clock.now() + timedelta(days=app.config["LETTER_ANSWER_DAYS"] + 1))
        assert local_today() > due
        assert letters.sweep_unanswered() == 1
        assert letters.sweep_unanswered() == 0  # a second run changes nothing
        db.session.commit()
        from conference.scheduler import job_letter_answers

        job_letter_answers(app)  # the scheduler's job, once more
    with app.app_context():
        actions = db.session.scalars(select(LetterAction)).all()
        assert [(a.letter_id, a.kind) for a in actions] == [(sent[0].id, LetterActionKind.no_answer)]
        letter = letters.get_letter(sent[0].id)
        letters.record_answer(letter, Answer.wants_to_talk, "Ring efter 16", actor=db.session.get(User, coordinator_id))
        db.session.commit()
        assert db.session.scalar(select(LetterAction.status)) is LetterActionStatus.done


def test_an_amendment_supersedes_a_sent_letter_and_asks_for_a_new_one(app, staff):
    coordinator_id, (chair_id, _email), physio = staff
    with app.app_context():
        conference_id, decision_ids = signed_meeting_with_treatments(
            coordinator_id, chair_id, [physio], kinds=[Treatment.insoles, Treatment.no_treatment]
        )
        chair = db.session.get(User, chair_id)
        conference = db.session.get(Conference, conference_id)
        sent = letters.prepare(db.session.get(Decision, decision_ids[0]), chair)
        letters.send(sent, expected_version=sent.version, actor=chair)
        draft = letters.prepare(db.session.get(Decision, decision_ids[1]), chair)
        db.session.commit()
        minutes.amend(conference, chair, "Fel sida angiven")
        db.session.commit()
        assert sent.status is LetterStatus.superseded and draft.status is LetterStatus.superseded
        actions = db.session.scalars(select(LetterAction)).all()
        assert [(a.letter_id, a.kind) for a in actions] == [(sent.id, LetterActionKind.new_letter)]
        with pytest.raises(letters.LetterError):  # not before the amendment is signed
            letters.prepare(db.session.get(Decision, decision_ids[0]), chair)
        minutes.sign(conference, chair, notify=False)
        db.session.commit()
        again = letters.prepare(db.session.get(Decision, decision_ids[0]), chair)
        db.session.commit()
        assert again.id != sent.id and again.status is LetterStatus.draft
        assert db.session.scalar(select(LetterAction.status)) is LetterActionStatus.done
        rows = letters.letters_of(conference)
        assert rows[0].superseded == 1 and rows[0].letter.id == again.id


def test_a_childs_letter_needs_the_guardians_and_the_patient_page_records_them(app, staff, client):
    coordinator_id, (chair_id, chair_email), physio = staff
    with app.app_context():
        _conference_id, decision_ids = signed_meeting_with_treatments(
            coordinator_id, chair_id, [physio], kinds=[Treatment.epiphysiodesis]
        )
        decision = db.session.get(Decision, decision_ids[0])
        patient = decision.case.patient
        patient.guardians.clear()
        db.session.commit()
        letter = letters.prepare(decision, db.session.get(User, chair_id))
        db.session.commit()
        with pytest.raises(letters.LetterError, match="guardians"):
            letters.send(letter, expected_version=letter.version, actor=db.session.get(User, chair_id))
        db.session.rollback()
        patient_id, version, letter_id = patient.id, patient.version, letter.id
    login(client, chair_email)
    url = f"/patients/{patient_id}/contact"
    bad = post_form(
        client, url, {"language": "en", "guardian1_name": "", "guardian1_address": "Gatan 1", "version": version}
    )
    assert bad.status_code == 400 and "Gatan 1" in bad.get_data(as_text=True)
    ok = post_form(
        client,
        url,
        {
            "language": "en",
            "guardian1_name": "Anna Andersson",
            "guardian1_address": "Gatan 1\n111 11 Stad",
            "guardian2_name": "Bo Andersson",
            "guardian2_address": "Vägen 2\n222 22 By",
            "version": version,
        },
    )
    assert ok.status_code == 303
    stale = post_form(client, url, {"language": "sv", "version": version})
    assert stale.status_code == 409
    page = client.get(f"/patients/{patient_id}").get_data(as_text=True)
    assert "Anna Andersson" in page and "Bo Andersson" in page
    with app.app_context():
        letter = letters.get_letter(letter_id)
        letters.send(letter, expected_version=letter.version, actor=db.session.get(User, chair_id))
        db.session.commit()
        text = _docx_text(letters.stored_document(letter, "docx", db.session.get(User, chair_id)))
        assert "Anna Andersson" in text and "Vägen 2" in text
        assert db.session.scalar(select(func.count()).select_from(Patient)) == 1


def test_the_demo_holds_a_sent_letter_with_an_answer_and_one_overdue_without(app):
    from conference.letters.models import Letter
    from conference.seed import seed_demo

    with app.app_context():
        seed_demo(history=False)
        db.session.commit()
        sent = db.session.scalars(select(Letter).where(Letter.status == LetterStatus.sent).order_by(Letter.id)).all()
        assert sorted((letter.answer is None) for letter in sent) == [False, True]
        answered = next(letter for letter in sent if letter.answer is not None)
        overdue = next(letter for letter in sent if letter.answer is None)
        assert answered.answer is Answer.accepts
        assert overdue.answer_due_on < local_today()
        assert [(a.letter_id, a.kind, a.status) for a in letters.open_actions()] == [
            (overdue.id, LetterActionKind.no_answer, LetterActionStatus.open)
        ]
        child_letter = _docx_text(letters.stored_document(overdue, "docx", None))
        assert "Karin Berglund" in child_letter and "Att berätta för Wilma" in child_letter


def test_downloads_check_the_hash_and_are_audited_per_patient(app, staff, client):
    from sqlalchemy import text

    from tests.functional.meetings.test_database_guards import _without_trigger_on_stored_documents

    coordinator_id, (chair_id, chair_email), physio = staff
    with app.app_context():
        _conference_id, decision_ids = signed_meeting_with_treatments(
            coordinator_id, chair_id, [physio], kinds=[Treatment.insoles]
        )
        chair = db.session.get(User, chair_id)
        letter = letters.prepare(db.session.get(Decision, decision_ids[0]), chair)
        db.session.commit()
        letter_id, patient_id = letter.id, letter.patient_id
    login(client, chair_email)
    draft = client.get(f"/letters/{letter_id}/draft.docx")
    assert draft.status_code == 200 and "Vårt förslag" in _docx_text(draft.data)
    assert client.get(f"/letters/{letter_id}/letter.pdf").status_code == 404  # nothing stored before sending
    page = client.get(f"/letters/{letter_id}")
    version = int(page.get_data(as_text=True).split('name="version" type="hidden" value="')[1].split('"')[0])
    assert (
        post_form(
            client, f"/letters/{letter_id}/send", {"version": version}, form_url=f"/letters/{letter_id}"
        ).status_code
        == 303
    )
    docx = client.get(f"/letters/{letter_id}/letter.docx")
    pdf = client.get(f"/letters/{letter_id}/letter.pdf")
    assert docx.status_code == 200 and pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    with app.app_context():
        from conference.audit.models import AuditEvent

        kinds = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "letter.download", AuditEvent.patient_id == patient_id)
        ).all()
        assert len(kinds) == 2
        document_id = db.session.get(letters.Letter, letter_id).pdf_document_id
        _without_trigger_on_stored_documents(
            lambda: db.session.execute(
                text("UPDATE stored_documents SET data = :data WHERE id = :id"), {"data": b"%PDF-x", "id": document_id}
            )
        )
    refused = client.get(f"/letters/{letter_id}/letter.pdf")
    assert refused.status_code == 409 and b"%PDF-x" not in refused.data
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "letter.integrity_failure")
            )
            == 1
        )


def test_the_unit_edits_a_treatments_text_and_new_letters_use_it(app, staff, client):
    coordinator_id, (chair_id, chair_email), physio = staff
    with app.app_context():
        _conference_id, decision_ids = signed_meeting_with_treatments(
            coordinator_id, chair_id, [physio], kinds=[Treatment.lengthening_frame]
        )
    login(client, chair_email)
    url = "/letters/templates/lengthening_frame/en"
    assert "external frame" in client.get(url).get_data(as_text=True)
    saved = post_form(
        client,
        url,
        {"body": "Our own text: frame from {distraction_start}, {rate} mm a day.", "child_text": "", "version": 0},
    )
    assert saved.status_code == 303
    stale = post_form(client, url, {"body": "Another text", "version": 0})
    assert stale.status_code == 409 and "Another text" in stale.get_data(as_text=True)
    assert post_form(client, url, {"body": "", "version": 1}).status_code == 400
    assert client.get("/letters/templates/nonsense/en").status_code == 404
    with app.app_context():
        decision = db.session.get(Decision, decision_ids[0])
        decision.case.patient.language = "en"
        letter = letters.prepare(decision, db.session.get(User, chair_id))
        computed = meetings.compute_plan(decision.rehab_plan)
        assert f"Our own text: frame from {long_date(computed.distraction_start, 'en')}, 1 mm a day." in letter.body
        assert letters.template(Treatment.lengthening_frame, "sv").version == 0  # Swedish keeps the built-in text


def test_the_quality_page_counts_letters_days_and_answers(app, staff, client, clock):
    from conference.quality import services as quality

    coordinator_id, (chair_id, _email), physio = staff
    with app.app_context():
        conference_id, decision_ids = signed_meeting_with_treatments(
            coordinator_id,
            chair_id,
            [physio],
            kinds=[Treatment.insoles, Treatment.no_treatment, Treatment.epiphysiodesis],
        )
        conference = db.session.get(Conference, conference_id)
        chair = db.session.get(User, chair_id)
        coordinator = db.session.get(User, coordinator_id)
        sent = []
        for days, decision_id in zip((2, 4, 9), decision_ids):
            letter = letters.prepare(db.session.get(Decision, decision_id), chair)
            letters.send(letter, expected_version=None, actor=chair, at=conference.starts_at + timedelta(days=days))
            sent.append(letter)
        letters.record_answer(sent[0], Answer.accepts, None, actor=coordinator)
        letters.record_answer(sent[1], Answer.declines, "Vill inte", actor=coordinator)
        db.session.commit()
        day = conference.starts_at.date()
        clock.travel_to(conference.starts_at + timedelta(days=60))  # the third letter's date has passed
        report = quality.report(day - timedelta(days=1), day + timedelta(days=1))
        figures = dict(report.tables["letters"].rows)
        assert figures["Letters sent"] == 3
        assert figures["Days from conference to letter (median)"] == 4.0
        assert figures["Accepts"] == 1 and figures["Declines"] == 1 and figures["Wants to talk"] == 0
        assert figures["No answer by the date"] == 1 and figures["Awaiting an answer"] == 0


def test_without_libreoffice_the_letter_stays_a_draft_and_the_page_says_why(app, staff, client, monkeypatch):
    from conference.documents import pdf

    coordinator_id, (chair_id, chair_email), physio = staff
    with app.app_context():
        _conference_id, decision_ids = signed_meeting_with_treatments(
            coordinator_id, chair_id, [physio], kinds=[Treatment.insoles]
        )
        letter = letters.prepare(db.session.get(Decision, decision_ids[0]), db.session.get(User, chair_id))
        db.session.commit()
        letter_id, version = letter.id, letter.version
    monkeypatch.setattr(pdf, "SOFFICE", "soffice-not-installed")
    login(client, chair_email)
    url = f"/letters/{letter_id}"
    response = post_form(client, f"{url}/send", {"version": version}, form_url=url, follow_redirects=True)
    assert response.status_code == 200 and "PDF could not be made" in response.get_data(as_text=True)
    with app.app_context():
        letter = letters.get_letter(letter_id)
        assert letter.status is LetterStatus.draft and letter.docx_document_id is None and letter.sent_at is None
