"""Issue 21: the demo shows every feature on the first `make run`, with patients a clinician would believe: names
follow the sex in the identity number, identities are unique and valid, and nobody shares a name."""

from collections import Counter

from sqlalchemy import select

from conference.extensions import db
from conference.patients.identity import luhn_ok, parse_identity_number
from conference.patients.models import Patient
from conference.quality import services as quality
from conference.seed import seed_demo
from conference.seed.history import HISTORY_BOYS, HISTORY_GIRLS

GIRLS = {"Elsa", "Alva", "Maja", "Ella", "Wilma", "Sara", "Linnea", "Hanna", *HISTORY_GIRLS}
BOYS = {"Noah", "Liam", "Oskar", "Hugo", "Arvid", "Viktor", *HISTORY_BOYS}


def test_the_demo_patients_are_believable_and_every_feature_has_data(app, clock):
    with app.app_context():
        seed_demo()
        db.session.commit()
        patients = list(db.session.scalars(select(Patient)))
        assert len(patients) > 50
        for patient in patients:
            identity = parse_identity_number(patient.national_id)
            assert luhn_ok(patient.national_id[2:]), patient.given_name
            assert identity.sex == patient.sex.value, patient.name
            assert patient.given_name in (GIRLS if patient.sex.value == "female" else BOYS), patient.name
        elsa = next(p for p in patients if p.name == "Elsa Johansson")
        assert elsa.sex.value == "female"
        assert len({p.national_id for p in patients}) == len(patients)
        shared = [name for name, n in Counter(p.name for p in patients).items() if n > 1]
        assert shared == []

        # The quality page has something in every table, the prediction's accuracy too.
        today = clock.now().date()
        report = quality.report(today.replace(year=today.year - 3), today)
        assert report.tables["prediction"].rows, "no matured patient to compare a prediction with"
        assert report.scatter
        chair = next(r for r in report.tables["attendance"].rows if r[0] == "Erik Sandberg")
        assert chair[-1] is not None and chair[-1] > 80


def test_the_demo_has_a_meeting_open_for_recording_now(app, client, make_user):
    from conference.agenda.models import AgendaItem
    from conference.conferences.models import Conference, ConferenceStatus
    from conference.db import utcnow
    from conference.meetings import services as meetings
    from conference.seed import DEMO_PASSWORD
    from tests.conftest import login

    with app.app_context():
        seed_demo(history=False)
        db.session.commit()
        now = utcnow()
        open_now = [
            c
            for c in db.session.scalars(select(Conference).where(Conference.status == ConferenceStatus.scheduled))
            if c.starts_at <= now < c.ends_at and meetings.recording_open(c)
        ]
        assert open_now, "no meeting to record now"
        conference_id = open_now[0].id
        listed = db.session.scalars(select(AgendaItem).where(AgendaItem.conference_id == conference_id)).all()
        assert len(listed) >= 2
    assert login(client, "ortoped1@example-hospital.se", DEMO_PASSWORD).status_code == 302
    page = client.get(f"/meetings/{conference_id}").get_data(as_text=True)
    assert 'name="attendance-' in page and " disabled" not in page.split('name="attendance-')[1][:200]


def test_the_demo_has_a_lengthening_in_each_phase(app):
    from conference.db import local_today
    from conference.meetings.models import RehabPlan
    from conference.rehab import services as rehab

    with app.app_context():
        seed_demo(history=False)
        db.session.commit()
        phases = {rehab.phase_on(plan, local_today()) for plan in db.session.scalars(select(RehabPlan))}
        consolidated = [
            f for plan in db.session.scalars(select(RehabPlan)) for f in rehab.followups_of(plan) if f.consolidated
        ]
    assert {"latency", "distraction", "consolidation", "done"} <= phases, phases
    assert consolidated, "no lengthening finished (frame or nail out)"
