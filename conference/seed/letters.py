"""Letters to the patients of the signed meeting two weeks ago: one sent and answered, one sent and overdue."""

from __future__ import annotations

from datetime import datetime, timedelta

from conference.people.models import User


def seed_letters(staff: dict[str, User], patients: list, conference) -> None:
    """Ella Gustafsson's letter (an adult, lengthening with a nail) went out two days after the meeting and she
    accepted; the letter to Wilma Berglund's guardians (a child, epiphysiodesis) went out the day after and has no
    answer past its date, so the coordinators have an action to call them."""
    from conference.letters import services as letters
    from conference.letters.models import Answer
    from conference.meetings import services as meetings
    from conference.patients import services as patient_services

    chair = staff["ortoped1@example-hospital.se"]
    coordinator = staff["koordinator@example-hospital.se"]
    adult, child = patients[7], patients[8]
    patient_services.update_contact(
        adult,
        expected_version=adult.version,
        language="sv",
        address="Sveavägen 12 B\n113 50 Stockholm",
        guardians=[],
        actor=coordinator,
    )
    patient_services.update_contact(
        child,
        expected_version=child.version,
        language="sv",
        address=None,
        guardians=[
            ("Karin Berglund", "Björkvägen 4\n171 64 Solna"),
            ("Mats Berglund", "Ekgatan 9\n113 21 Stockholm"),
        ],
        actor=coordinator,
    )
    decisions = {d.case.patient_id: d for d in meetings.meeting_view(conference).decisions.values()}
    day = conference.starts_at.date()
    for patient, sent_days, answer in ((adult, 2, Answer.accepts), (child, 1, None)):
        decision = decisions[patient.id]
        sent = day + timedelta(days=sent_days)
        letter = letters.prepare(decision, chair, answer_by=sent + timedelta(days=10))
        letters.send(
            letter,
            expected_version=None,
            actor=chair,
            at=datetime.combine(sent, conference.starts_at.timetz()),
        )
        if answer is not None:
            letters.record_answer(letter, answer, "Vill gärna opereras i vår.", actor=coordinator)
    letters.sweep_unanswered()
