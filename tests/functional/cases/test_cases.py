from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from conference.agenda.models import AgendaItem, AgendaOutcome
from conference.audit.models import AuditEvent
from conference.cases import services
from conference.cases.models import Case, CaseStatus
from conference.conferences.models import Conference
from conference.extensions import db
from conference.people.models import User
from conference.seed import demo_identity
from tests.conftest import csrf_token, post_form, statements_run
from tests.functional.cases.helpers import READY_FIELDS, make_ready_case
from tests.functional.conferences.helpers import book_series


def _referral(**extra):
    return {
        "national_id": demo_identity(date(2019, 3, 14), "981"),
        "given_name": "Elsa",
        "family_name": "Johansson",
        "sex": "female",
        "referring_clinician": "Dr Remiss",
        "priority": "routine",
        "growth_pattern": "unknown",
        **extra,
    }


def test_incomplete_referral_is_saved_as_referred_and_lists_what_is_missing(app, client, signed_in):
    signed_in("specialist")
    response = post_form(client, "/cases/new", _referral(question="Behöver hon förlängning?"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Referred" in page
    for label in (
        "Clinical summary",
        "Diagnosis",
        "Side",
        "The patient&#39;s own wishes",
        "At least one LLD measurement",
    ):
        assert label in page.split("Missing:")[1].split("</div>")[0], label
    with app.app_context():
        case = db.session.scalar(select(Case))
        case_id, version = case.id, case.version
        assert case.status is CaseStatus.referred

    edit = post_form(
        client,
        f"/cases/{case_id}/edit",
        {
            **{k: v for k, v in READY_FIELDS.items() if k != "required_specialties"},
            "required_specialties": ["clinical_geneticist"],
            "version": str(version),
        },
    )
    assert edit.status_code == 302
    with app.app_context():
        assert db.session.get(Case, case_id).status is CaseStatus.referred  # still no measurement
    added = post_form(
        client,
        f"/cases/{case_id}/measurements/new",
        {"measured_on": "2026-05-02", "method": "standing_radiograph", "lld_mm": "25"},
    )
    assert added.status_code == 302
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.status is CaseStatus.ready
        assert [e.to_status for e in case.events] == [CaseStatus.referred, CaseStatus.ready]


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"lld_mm": "-5"}, "lld_mm", "Enter a value from 0 to 500"),
        ({"lld_mm": "abc"}, "lld_mm", "Enter a number."),
        ({"measured_on": "2026-02-30"}, "measured_on", "Not a valid date value"),
        ({"measured_on": "three days ahead"}, "measured_on", "in the future"),
        ({"measured_on": "2010-01-01"}, "measured_on", "before the patient was born"),
        ({"mpta_deg": "300"}, "mpta_deg", "Enter a value from 45 to 135"),
    ],
)
def test_bad_measurements_give_field_errors_not_500(app, client, signed_in, values, field, message):
    signed_in("coordinator")
    data = _referral(measured_on="2026-05-02", method="eos", lld_mm="25", **{"question": "Kvarstår frågan?"})
    data.update(values)
    if data["measured_on"] == "three days ahead":  # relative to the app's clock, not the real date
        data["measured_on"] = (app.extensions["clock"].now().date() + timedelta(days=3)).isoformat()
    response = post_form(client, "/cases/new", data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f'id="{field}-error"' in body and message in body
    assert "Kvarstår frågan?" in body  # nothing typed is lost
    with app.app_context():
        assert db.session.scalar(select(func.count(Case.id))) == 0


def test_listing_over_capacity_or_after_deadline_needs_an_override_reason(app, client, make_user, signed_in):
    coordinator = signed_in("coordinator")
    with app.app_context():
        series = book_series([coordinator])
        conference = series.conferences[0]
        conference.capacity = 1
        cases = [make_ready_case(coordinator, n) for n in range(3)]
        db.session.commit()
        conference_id, case_ids = conference.id, [c.id for c in cases]
    url = f"/cases/agenda/{conference_id}/list?case_id="
    assert post_form(client, url + str(case_ids[0]), {"case_id": case_ids[0], "minutes": 6}).status_code == 302
    refused = post_form(client, url + str(case_ids[1]), {"case_id": case_ids[1], "minutes": 6})
    assert refused.status_code == 409
    assert "the conference is full (1 cases)" in refused.get_data(as_text=True)
    accepted = post_form(
        client,
        url + str(case_ids[1]),
        {"case_id": case_ids[1], "minutes": 6, "override_reason": "Brådskande: operation planerad"},
    )
    assert accepted.status_code == 302

    with app.app_context():  # deadline passed
        conference = db.session.get(Conference, conference_id)
        conference.capacity = 10
        conference.case_deadline_hours = 24 * 14
        db.session.commit()
    late = post_form(client, url + str(case_ids[2]), {"case_id": case_ids[2], "minutes": 6})
    assert late.status_code == 409 and "the deadline has passed" in late.get_data(as_text=True)
    with app.app_context():
        items = db.session.scalars(select(AgendaItem).order_by(AgendaItem.position)).all()
        assert [(i.case_id, i.override_reason) for i in items] == [
            (case_ids[0], None),
            (case_ids[1], "Brådskande: operation planerad"),
        ]
        details = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "case.list")).all()
        assert any("Brådskande" in d for d in details)
        assert db.session.get(Case, case_ids[2]).status is CaseStatus.ready


def test_referred_case_cannot_be_listed(app, make_user):
    coordinator = make_user("coordinator")[0]
    with app.app_context():
        series = book_series([coordinator])
        case = make_ready_case(coordinator, 1, measurements=0)
        assert case.status is CaseStatus.referred
        with pytest.raises(services.CaseError, match="not ready"):
            services.list_case(series.conferences[0], case, db.session.get(User, coordinator))


class QueryCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __call__(self, *args, **kwargs):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self)


def _queries(app, client, url):
    with app.app_context():
        engine = db.engine
    with QueryCounter(engine) as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def _fill(app, coordinator, cases: int, measurements: int, conference_id: int):
    with app.app_context():
        conference = db.session.get(Conference, conference_id)
        conference.capacity = 100
        actor = db.session.get(User, coordinator)
        for n in range(cases):
            case = make_ready_case(coordinator, 100 + n + cases * 1000, measurements=measurements)
            services.add_note(case, actor, f"Anteckning {n}")
            services.list_case(conference, case, actor)
        db.session.commit()
        return db.session.scalar(select(Case.id).order_by(Case.id.desc()))


def test_case_list_and_summary_queries_do_not_grow_with_rows(app, client, signed_in):
    coordinator = signed_in("coordinator")
    counts = {}
    for size in (5, 50):
        with app.app_context():
            series = book_series([coordinator], title=f"Serie {size}")
            conference_id = series.conferences[0].id
        last_case = _fill(app, coordinator, size, size, conference_id)
        counts[size] = (
            _queries(app, client, f"/conferences/{conference_id}"),
            _queries(app, client, f"/cases/{last_case}"),
            _queries(app, client, f"/cases/agenda/{conference_id}/print"),
        )
    assert counts[5] == counts[50], counts
    print("queries at 5 and 50 rows:", counts)


def test_summary_looks_for_radiograph_evidence_only_where_there_can_be_some(app, client, signed_in):
    """A radiograph measurement is made on one of the case's images: a case with measurements typed in from a
    radiograph but no image has none, and its summary does not ask for it."""
    coordinator = signed_in("coordinator")
    with app.app_context():
        case_id = make_ready_case(coordinator, 400, measurements=3).id  # standing long-leg radiograph, typed in
        db.session.commit()
    with statements_run(app) as asked:
        response = client.get(f"/cases/{case_id}")
    assert response.status_code == 200
    assert any("case_images" in s for s in asked)
    assert not [s for s in asked if "FROM radiograph_measurements" in s]


def test_summary_offers_conferences_to_list_on_only_for_a_case_ready_to_be_listed(app, client, signed_in):
    """The coordinator's "List on:" links are for a ready case; for any other the summary does not read the
    scheduled conferences at all (it used to read them and throw them away)."""
    coordinator = signed_in("coordinator")
    with app.app_context():
        conference_id = book_series([coordinator], title="Listbar").conferences[0].id
        case = make_ready_case(coordinator, 410, measurements=1)
        case_id = case.id
        db.session.commit()

    def offered() -> tuple[bool, list[str]]:
        with statements_run(app) as asked:
            response = client.get(f"/cases/{case_id}")
        assert response.status_code == 200
        link = f"/cases/agenda/{conference_id}/list?case_id={case_id}"
        return link in response.get_data(as_text=True), [s for s in asked if "FROM conferences" in s]

    shown, read = offered()
    assert shown and read
    with app.app_context():
        services.list_case(
            db.session.get(Conference, conference_id), db.session.get(Case, case_id), db.session.get(User, coordinator)
        )
        db.session.commit()
    shown, read = offered()
    assert not shown
    assert not [s for s in read if "conferences.status" in s], read


def test_case_lists_read_each_case_s_newest_measurement_not_its_history(app, client, signed_in):
    """The conference page and the live meeting show each case's latest LLD: they read one measurement per case,
    whatever the length of its history, and the newest by date (not the last entered). The printed list shows
    none and reads none."""
    from conference.cases.models import Measurement

    coordinator = signed_in("coordinator")
    with app.app_context():
        conference_id = book_series([coordinator], title="Historik").conferences[0].id
        conference = db.session.get(Conference, conference_id)
        actor = db.session.get(User, coordinator)
        for n in range(3):
            case = make_ready_case(coordinator, 300 + n, measurements=6)  # LLD 20..25 mm, the newest 25 mm
            services.add_measurement(  # entered last, measured long before: not the newest
                case,
                services.MeasurementInput(
                    measured_on=date(2023, 6, 1),
                    method="standing_radiograph",
                    lld_mm=17,
                    long_leg_mm=497,
                    short_leg_mm=480,
                ),
                actor,
            )
            services.list_case(conference, case, actor)
        db.session.commit()
    loaded = []
    record = lambda target, context: loaded.append(target.lld_mm)  # noqa: E731
    event.listen(Measurement, "load", record)
    try:
        # the conference page reads rows, not objects (test below): the newest of each, by date, is what it shows
        for url, objects in ((f"/conferences/{conference_id}", []), (f"/meetings/{conference_id}", [25, 25, 25])):
            loaded.clear()
            response = client.get(url)
            assert response.status_code == 200, url
            assert loaded == objects, (url, loaded)
            body = response.get_data(as_text=True)
            assert body.count("25 mm") == 3 and "17 mm" not in body, url
        loaded.clear()
        assert client.get(f"/cases/agenda/{conference_id}/print").status_code == 200
        assert loaded == []
    finally:
        event.remove(Measurement, "load", record)


def test_list_pages_show_cases_from_rows_not_objects(app, client, signed_in):
    """Issue 23's profile: building AgendaItem, Case, Patient and Measurement objects for 40 listed cases was the
    largest part of the 40-case conference page. The case list and the ready queue (the conference page, the cases
    index, the printed list) are shown from rows of the shown columns: no object of them is built, and the pages still name every
    patient with their number, question, LLD, diagnosis and priority."""
    from conference.agenda.models import AgendaItem
    from conference.cases.models import Measurement
    from conference.patients.models import Patient

    coordinator = signed_in("coordinator")
    with app.app_context():
        conference_id = book_series([coordinator], title="Rader").conferences[0].id
    _fill(app, coordinator, 6, 2, conference_id)
    with app.app_context():
        waiting = [make_ready_case(coordinator, 900 + n, priority="urgent").id for n in range(3)]
        db.session.commit()
    built = []
    record = lambda target, context: built.append(type(target).__name__)  # noqa: E731
    classes = (AgendaItem, Case, Patient, Measurement)
    for cls in classes:
        event.listen(cls, "load", record)
    try:
        urls = (f"/conferences/{conference_id}", "/cases/", f"/cases/agenda/{conference_id}/print")
        pages = {url: client.get(url) for url in urls}
    finally:
        for cls in classes:
            event.remove(cls, "load", record)
    assert [r.status_code for r in pages.values()] == [200, 200, 200]
    assert built == [], built
    conference_page, cases_index, printed = (r.get_data(as_text=True) for r in pages.values())
    with app.app_context():
        listed = db.session.scalars(
            select(AgendaItem).where(AgendaItem.conference_id == conference_id).order_by(AgendaItem.position)
        ).all()
        assert len(listed) == 6
        for item in listed:
            patient = item.case.patient
            assert f">{patient.name}</a> <small>{patient.national_id_display}</small>" in conference_page
            assert f'data-item="{item.id}" data-version="{item.version}"' in conference_page
            initials = f"{patient.given_name[:1]}{patient.family_name[:1]} · {patient.sex.label}"
            assert f"<td>{item.position}</td>\n      <td>{initials}</td>" in printed
        for case in db.session.scalars(select(Case).where(Case.id.in_(waiting))):
            name = f"{case.patient.name} <small>{case.patient.national_id_display}</small>"
            assert name in conference_page  # the ready queue beside the list
            row = f"{case.patient.name}</a><br><small>{case.patient.national_id_display}</small></td>\n<td>{case.diagnosis_label}</td>"
            assert row in cases_index
        assert conference_page.count(">Urgent</span>") == 3 and cases_index.count("<td>Urgent</td>") == 3


def test_every_case_view_adds_one_audit_event(app, client, signed_in):
    user = signed_in("specialist")
    with app.app_context():
        case_id = make_ready_case(user).id
        db.session.commit()
        before = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "case.view"))
    for _ in range(3):
        client.get(f"/cases/{case_id}")
    with app.app_context():
        views = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.view")).all()
        assert len(views) - before == 3
        assert all(v.actor_id == user and v.target_id == case_id and v.patient_id for v in views)


def test_concurrent_case_edits_second_is_refused_and_nothing_is_overwritten(app, client, signed_in):
    user = signed_in("specialist")
    with app.app_context():
        case_id = make_ready_case(user).id
        db.session.commit()
    url = f"/cases/{case_id}/edit"
    token = csrf_token(client, url)
    base = {
        **{k: v for k, v in READY_FIELDS.items() if k != "required_specialties"},
        "version": "2",
        "csrf_token": token,
    }
    with app.app_context():
        assert db.session.get(Case, case_id).version == 2
    first = client.post(url, data={**base, "question": "Första redaktörens fråga"})
    assert first.status_code == 302
    second = client.post(url, data={**base, "question": "Andra redaktörens fråga"})
    assert second.status_code == 409
    body = second.get_data(as_text=True)
    assert "Someone else saved this case" in body and "Andra redaktörens fråga" in body
    with app.app_context():
        assert db.session.get(Case, case_id).question == "Första redaktörens fråga"


def test_stale_write_that_races_past_the_check_is_refused_by_the_database(app, make_user):
    from sqlalchemy.orm.exc import StaleDataError

    user = make_user("specialist")[0]
    with app.app_context():
        case_id = make_ready_case(user).id
        db.session.commit()
    with app.app_context():
        mine = db.session.get(Case, case_id)
        with app.app_context():  # another request saves in between
            theirs = db.session.get(Case, case_id)
            theirs.question = "Deras"
            db.session.commit()
        mine.question = "Min"
        with pytest.raises(StaleDataError):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(Case, case_id).question == "Deras"


def test_search_by_identity_number_name_and_status(app, client, signed_in):
    user = signed_in("coordinator")
    with app.app_context():
        ready = make_ready_case(user, 1)
        make_ready_case(user, 2, measurements=0)
        number = ready.patient.national_id_display
        db.session.commit()
    assert "Testsson1" in post_form(client, "/cases/", {"q": number}).get_data(as_text=True)
    page = post_form(client, "/cases/", {"q": "Testsson2"}).get_data(as_text=True)
    assert "Barn2 Testsson2" in page.split("Search results")[1].split("</table>")[0]
    page = post_form(client, "/cases/", {"status": "referred"}).get_data(as_text=True)
    results = page.split("Search results")[1].split("</table>")[0]
    assert "Testsson2" in results and "Testsson1" not in results


def test_undiscussed_cases_move_to_the_top_of_the_next_conference(app, make_user):
    coordinator = make_user("coordinator")[0]
    with app.app_context():
        actor = db.session.get(User, coordinator)
        series = book_series([coordinator])
        first, second = series.conferences[0], series.conferences[1]
        a, b, c, d = (make_ready_case(coordinator, n) for n in range(4))
        for case in (a, b, c):
            services.list_case(first, case, actor)
        services.list_case(second, d, actor)
        db.session.flush()
        first_items = sorted(services.agenda(first).items, key=lambda i: i.position)
        first_items[0].outcome = AgendaOutcome.discussed  # a was discussed; b and c were not reached
        target, moved = services.move_undiscussed(first, actor)
        db.session.commit()
        assert target.id == second.id and moved == 2
        order = [i.case_id for i in services.agenda(second).items]
        assert order == [b.id, c.id, d.id]
        assert all(i.carried_over_from_id for i in services.agenda(second).items[:2])


def test_a_new_patient_needs_names_and_sex_beside_the_fields(app, client, signed_in):
    signed_in("specialist")
    data = _referral(question="Ny patient?")
    del data["given_name"], data["sex"]
    response = post_form(client, "/cases/new", data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'id="given_name-error"' in body and 'id="sex-error"' in body and "Needed for a new patient." in body
    assert 'id="family_name-error"' not in body and "Johansson" in body
    with app.app_context():
        assert db.session.scalar(select(func.count(Case.id))) == 0


def test_the_ready_queue_is_most_urgent_then_longest_waiting_and_stops_at_its_limit(app, make_user):
    from conference.db import utcnow

    coordinator = make_user("coordinator")[0]
    with app.app_context():
        now = utcnow()
        made = {}
        for n, (priority, days) in enumerate(
            [("routine", 30), ("urgent", 2), ("soon", 9), ("routine", 60), ("urgent", 5), ("soon", 1)]
        ):
            case = make_ready_case(coordinator, 400 + n, priority=priority)
            case.referred_at = now - timedelta(days=days)
            made[case.id] = (priority, days)
        db.session.commit()
        expected = [("urgent", 5), ("urgent", 2), ("soon", 9), ("soon", 1), ("routine", 60), ("routine", 30)]
        queue = services.ready_queue(limit=10)
        assert [(made[c.id], days) for c, days in queue] == [(e, e[1]) for e in expected]
        for limit in (1, 2, 3, 5):  # cut inside and at the edges of a priority
            assert [made[c.id] for c, _days in services.ready_queue(limit=limit)] == expected[:limit]
