"""The quality page on a small hand-made unit whose every figure is worked out by hand below; its SQL statement
count does not grow with the number of cases; the CSV and .xlsx files re-open with the page's numbers and hold no
patient identity; the per-case export is for coordinators and logged. Time is the app's clock, four years back."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta, timezone

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import event, insert, select

from conference.audit.models import AuditEvent
from conference.cases import services as cases
from conference.cases.models import Case, CaseEvent, CaseStatus
from conference.extensions import db
from conference.meetings import services as meetings
from conference.meetings.models import AttendanceStatus, PatientResponse, Treatment, WeightBearing
from conference.minutes import services as minutes
from conference.patients.models import Patient
from conference.people.models import User
from conference.quality import services as quality
from conference.rehab import services as rehab
from tests.conftest import login
from tests.functional.cases.helpers import READY_FIELDS, make_patient
from tests.functional.conferences.helpers import book_series


def build_unit(app, make_user, clock) -> dict:
    """The hand-made unit (see the figures in test_every_figure_by_hand)."""
    coordinator_id, coordinator_email = make_user("coordinator", locale="sv")
    chair_id = make_user("specialist", "orthopaedic_surgeon")[0]
    endo_id = make_user("specialist", "endocrinologist", name="Endo Krinolog")[0]
    physio_id = make_user("specialist", "physiotherapist")[0]
    base = datetime.combine((clock.now() - timedelta(days=4 * 365)).date(), time(8), tzinfo=timezone.utc)
    with app.app_context():
        coordinator, chair = db.session.get(User, coordinator_id), db.session.get(User, chair_id)
        clock.travel_to(base)
        series = book_series(
            [chair_id, endo_id, physio_id],
            first_start=base + timedelta(days=30, hours=5),
            chair_id=chair_id,
            actor_id=coordinator_id,
            weeks=1,
        )
        m1, m2 = series.conferences[0], series.conferences[1]
        m1.capacity, m2.capacity = 4, 2
        birth_child = (base - timedelta(days=round(11 * 365.25))).date()
        birth_adult = (base - timedelta(days=round(30 * 365.25))).date()

        def refer(n, birth, required, **fields):
            patient = make_patient(coordinator, n, birth=birth)  # even n: a girl
            return cases.refer_case(
                patient=patient, actor=coordinator, fields={**READY_FIELDS, "required_specialties": required, **fields}
            )

        def measure(case, on, lld, bone_age=None):
            cases.add_measurement(
                case,
                cases.MeasurementInput(measured_on=on, method="eos", lld_mm=lld, bone_age_years=bone_age),
                coordinator,
            )

        a = refer(2, birth_child, ["orthopaedic_surgeon", "endocrinologist"])
        measure(a, base.date(), 10, bone_age=10.0)  # ready at once: 0 days
        b = refer(4, birth_adult, ["orthopaedic_surgeon"])
        c = refer(6, birth_child, ["physiotherapist"])
        d = refer(8, birth_adult, [])
        measure(d, base.date(), 30)
        clock.travel_to(base + timedelta(days=2))
        measure(b, base.date(), 15)  # ready after 2 days
        clock.travel_to(base + timedelta(days=6))
        measure(c, base.date(), 20, bone_age=12.0)  # ready after 6 days
        clock.travel_to(base + timedelta(days=10))
        cases.list_case(m1, a, coordinator)
        cases.list_case(m1, b, coordinator)
        clock.travel_to(base + timedelta(days=20))
        cases.list_case(m1, c, coordinator)
        db.session.commit()

        clock.travel_to(m1.starts_at + timedelta(minutes=1))
        statuses = {
            chair_id: AttendanceStatus.present,
            endo_id: AttendanceStatus.absent,
            physio_id: AttendanceStatus.remote,
        }
        meetings.set_attendance(m1, statuses, coordinator)
        items = {i.case_id: i for i in cases.agenda(m1).items}

        def decide(item, treatment):
            return meetings.record_decision(
                item, meetings.DecisionInput(treatment, "Motivering", None, None, PatientResponse.accepted), chair
            )

        decision_a = decide(items[a.id], Treatment.lengthening_frame)
        decide(items[b.id], Treatment.rediscuss)  # back to the queue, to be discussed again
        surgery = m1.starts_at.date() + timedelta(days=10)
        plan = meetings.save_rehab_plan(
            decision_a,
            meetings.RehabInput(
                weight_bearing=WeightBearing.partial,
                surgery_on=surgery,
                target_mm=40,
                device="circular_frame",
                bone="femur",
            ),
            chair,
        )
        db.session.commit()
        clock.travel_to(m1.starts_at + timedelta(hours=1))
        minutes.sign(m1, chair)  # C was not reached: deferred, carried over to M2
        cases.list_case(m2, db.session.get(Case, b.id), coordinator)
        db.session.commit()
        clock.travel_to(m2.starts_at - timedelta(hours=1))  # after M2's deadline: a late addition
        cases.list_case(m2, db.session.get(Case, d.id), coordinator, override_reason="Brådskande")
        db.session.commit()
        clock.travel_to(m2.starts_at + timedelta(minutes=1))
        meetings.set_attendance(
            m2, {uid: AttendanceStatus.present for uid in (chair_id, endo_id, physio_id)}, coordinator
        )
        items = {i.case_id: i for i in cases.agenda(m2).items}
        decide(items[b.id], Treatment.insoles)
        decide(items[c.id], Treatment.epiphysiodesis)
        db.session.commit()
        minutes.sign(m2, chair)  # D deferred
        db.session.commit()

        clock.reset()
        # After maturity (chronological 14.5 years): A measured 10.9 mm (predicted 10 x 1.19 = 11.9),
        # C measured 23.0 mm (predicted 20 x 1.07 = 21.4).
        later = birth_child + timedelta(days=round(14.5 * 365.25))
        measure(db.session.get(Case, a.id), later, 10.9)
        measure(db.session.get(Case, c.id), later, 23.0)
        physio = db.session.get(User, physio_id)
        rehab.record_followup(
            plan,
            rehab.FollowUpInput(
                seen_on=surgery + timedelta(days=50), achieved_mm=38, complications=["pin_site_infection"]
            ),
            physio,
        )
        rehab.record_followup(
            plan, rehab.FollowUpInput(seen_on=surgery + timedelta(days=100), achieved_mm=40, consolidated=True), physio
        )
        db.session.commit()
        return {
            "start": (base - timedelta(days=1)).date(),
            "end": (base + timedelta(days=365)).date(),
            "coordinator": coordinator_email,
            "series": series.id,
            "names": [p.family_name for p in db.session.scalars(select(Patient))],
        }


@pytest.fixture
def unit(app, make_user, clock):
    return build_unit(app, make_user, clock)


def rows(table):
    return [list(r) for r in table.rows]


def test_every_figure_by_hand(app, unit):
    with app.app_context():
        report = quality.report(unit["start"], unit["end"])
        t = report.tables
        waiting = {r[1]: r for r in t["waiting"].rows if r[0] == "All"}
        # referral -> ready: A 0, B 2, C 6, D 0 days. Median of [0, 0, 2, 6] = 1.0; 90th percentile: position
        # (4 - 1) x 0.9 = 2.7 -> 2 + 0.7 x (6 - 2) = 4.8.
        assert waiting["referral → ready"][2:] == [4, 1.0, 4.8]
        # Meetings: M1 capacity 4, listed A B C, discussed A B, C deferred; M2 capacity 2, listed C (carried over),
        # B, D (late, with an override), discussed B C, D deferred.
        assert [r[1:] for r in t["meetings"].rows] == [[4, 3, 2, 1, 0], [2, 3, 2, 1, 1]]
        summary = dict((r[0], r[1]) for r in t["meeting_summary"].rows)
        # 6 listed of 6 places = 100 %; 2 deferred of 6 = 33.3 %; B discussed twice.
        assert list(summary.values()) == [2, 3.0, 100.0, 33.3, 1, 1]
        # Quorum: A at M1 needed the endocrinologist (absent); B at M1, B and C at M2 had theirs: 3 of 4 = 75 %.
        quorum = {r[0]: r[1:] for r in t["quorum"].rows}
        assert quorum["All required specialties present"] == [4, 75.0]
        assert quorum["Orthopaedic surgeon"] == [3, 100.0] and quorum["Endocrinologist"] == [1, 0.0]
        assert quorum["Physiotherapist"] == [1, 100.0]
        endo = next(r for r in t["attendance"].rows if r[0] == "Endo Krinolog")
        assert endo[2:] == [2, 1, 0, 1, 50.0]
        # Four decisions, one of each treatment: 25 % each; all accepted.
        assert sorted(r[1:] for r in t["treatments"].rows) == [[1, 25.0]] * 4
        assert [r[1:] for r in t["responses"].rows] == [[4, 100.0]]
        # Prediction errors: A 11.9 - 10.9 = +1.0 (bone age 10: "8-12"), C 21.4 - 23.0 = -1.6 ("≥ 12").
        # Mean -0.3, SD sqrt((1.3^2 + 1.3^2) / 1) = 1.84, mean absolute error 1.3.
        prediction = {(r[0], r[1]): r[2:] for r in t["prediction"].rows}
        assert prediction[("congenital", "8-12")][:2] == [1, 1.0]
        assert prediction[("congenital", "≥ 12")][:2] == [1, -1.6]
        assert prediction[("All", "All")] == [2, -0.3, 1.8, 1.3]
        assert sorted(report.scatter) == [(11.9, 10.9), (21.4, 23.0)]
        # Lengthening: circular frame, femur: 40 of 40 mm (100 %); consolidated 100 days after surgery with
        # 4.0 cm: 25.0 days/cm. One plan with follow-up, one with a pin-site infection: 100 %.
        assert rows(t["lengthening"]) == [["Circular frame", "Femur", 1, 40.0, 100.0, 25.0]]
        assert rows(t["complications"]) == [["Pin-site infection", 1, 100.0]]


def test_the_statement_count_does_not_grow_with_the_cases(app, unit):
    def count_statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            quality.report(unit["start"], unit["end"])
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    with app.app_context():
        small = count_statements()
        referred = datetime.combine(unit["start"], time(12), tzinfo=timezone.utc) + timedelta(days=3)
        first = db.session.scalar(select(Patient.id).order_by(Patient.id.desc())) + 1
        db.session.execute(
            insert(Patient),
            [
                {
                    "id": first + n,
                    "national_id": f"19{n:010d}",
                    "id_kind": "reserve",
                    "given_name": "X",
                    "family_name": f"Y{n}",
                    "sex": "female",
                    "date_of_birth": unit["start"],
                    "version": 1,
                }
                for n in range(5000)
            ],
        )
        case_rows = [
            {
                "patient_id": first + n,
                "referring_clinician": "Dr",
                "status": "ready",
                "referred_at": referred,
                "growth_pattern": "unknown",
                "priority": "routine",
                "required_specialties": [],
                "version": 1,
                "created_at": referred,
                "updated_at": referred,
            }
            for n in range(5000)
        ]
        db.session.execute(insert(Case), case_rows)
        ids = db.session.scalars(select(Case.id).where(Case.patient_id >= first)).all()
        db.session.execute(
            insert(CaseEvent),
            [{"case_id": i, "to_status": CaseStatus.ready.value, "at": referred + timedelta(days=1)} for i in ids],
        )
        db.session.commit()
        assert count_statements() == small


def test_files_reopen_with_the_page_numbers_and_no_identity(app, client, unit):
    login(client, unit["coordinator"])
    query = f"start={unit['start']}&end={unit['end']}&series=0"
    page = client.get(f"/quality/?{query}")
    assert page.status_code == 200 and page.get_data(as_text=True).count('class="quality-chart"') >= 5
    with app.test_request_context(), force_locale("sv"):  # the coordinator reads Swedish
        report = quality.report(unit["start"], unit["end"])
    for name in ("meetings", "quorum", "prediction", "lengthening"):
        response = client.get(f"/quality/{name}.csv?{query}")
        lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))  # Swedish Excel's
        assert lines[0] == report.tables[name].columns
        assert lines[1:] == [
            ["" if v is None else str(v).replace(".", ",") for v in row] for row in report.tables[name].rows
        ]
    book = load_workbook(io.BytesIO(client.get(f"/quality/report.xlsx?{query}").data))
    sheet = book["Möten"]
    assert [
        [c.value.date() if c.is_date else c.value for c in row] for row in sheet.iter_rows(min_row=3)
    ] == report.tables["meetings"].rows
    everything = " ".join(
        str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None
    )
    for name in unit["names"]:
        assert name not in everything
    # The per-case file names patients, is for coordinators only, and every patient in it is logged.
    with app.app_context():
        before = db.session.scalar(
            select(db.func.count(AuditEvent.id)).where(AuditEvent.action == "quality.case_export")
        )
    per_case = client.get(f"/quality/cases.csv?{query}").data.decode("utf-8-sig")
    assert any(name in per_case for name in unit["names"])
    with app.app_context():
        after = db.session.scalar(
            select(db.func.count(AuditEvent.id)).where(AuditEvent.action == "quality.case_export")
        )
        assert after - before == 4  # four decisions' rows
    assert client.get(f"/quality/?start={unit['end']}&end={unit['start']}").status_code == 400
