"""The FHIR API at its edges, as an integrating hospital system meets them: identifiers scoped to the system
that sent them, the addresses fhir-kit-client uses, an R4 CapabilityStatement, a transaction answered entry by
entry, the plausibility rules the web form keeps, no 500 for odd input, _count honoured, due dates in the unit's
time zone, media types negotiated, tokens that expire and decisions whose activities say what became of them."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy import func, select

from conference.cases.models import Case, Measurement
from conference.db import local_today
from conference.extensions import db
from conference.fhir import codes
from conference.fhir.models import SCOPE_READ, SCOPE_WRITE_REFERRALS, ApiClient
from conference.patients.models import Patient
from conference.seed import seed_demo
from tests.conftest import post_form
from tests.functional.integrations.test_fhir import _referral_bundle, _token

OTHER_PATIENT = "20160704-2387"  # a valid personnummer, not the bundle's


@pytest.fixture
def writer(app):
    return _token(app, SCOPE_READ, SCOPE_WRITE_REFERRALS)


@pytest.fixture
def reader(app):
    return _token(app, SCOPE_READ)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_referral_identifier_belongs_to_the_system_that_sent_it(app, client, writer):
    first = client.post("/fhir", json=_referral_bundle("REF-1"), headers=writer)
    assert first.status_code == 200
    intruder = _token(app, SCOPE_WRITE_REFERRALS)  # write-only: may send, may not read
    bundle = _referral_bundle("REF-1", name=[{"family": "Berg", "given": ["Ivar"]}], gender="male")
    bundle["entry"][0]["resource"].update(
        identifier=[{"system": codes.PERSONNUMMER, "value": OTHER_PATIENT}], birthDate="2016-07-04"
    )
    bundle["entry"][1]["resource"]["note"] = [{"text": "Ivars fråga"}]
    answer = client.post("/fhir", json=bundle, headers=intruder)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200, text
    entry = next(e for e in answer.get_json()["entry"] if "ServiceRequest" in e["response"]["location"])
    assert entry["response"]["status"] == "201 Created"  # its own referral, not dropped
    assert "Förlängning eller epifysiodes?" not in text and "Lindqvist" not in text  # nothing of the first
    with app.app_context():
        cases = db.session.scalars(select(Case).order_by(Case.id)).all()
        assert len(cases) == 2
        assert cases[1].patient.national_id == OTHER_PATIENT.replace("-", "") and cases[1].question == "Ivars fråga"
    # the same system sending its identifier again gets its own case back
    again = client.post("/fhir", json=bundle, headers=intruder).get_json()
    assert any(e["response"]["status"] == "200 OK" for e in again["entry"])
    assert _count(app, Case) == 2


def test_fhir_kit_client_addresses_with_a_trailing_slash(app, client, writer):
    assert client.post("/fhir/", json=_referral_bundle(), headers=writer).status_code == 200
    metadata = client.get("/fhir/metadata/")
    assert metadata.status_code == 200
    assert metadata.get_json()["resourceType"] == "CapabilityStatement"


def test_the_capability_statement_says_r4(client):
    statement = client.get("/fhir/metadata").get_json()
    assert statement["fhirVersion"] == "4.0.1"


def test_a_transaction_is_answered_entry_by_entry(app, client, writer):
    bundle = _referral_bundle()
    extra = json.loads(json.dumps(bundle["entry"][3]))
    extra["fullUrl"] = "urn:uuid:obs-femur"
    extra["resource"]["code"]["coding"][0]["code"] = "lld-femur"
    extra["resource"]["valueQuantity"]["value"] = 20.0
    bundle["entry"].append(extra)
    assert len(bundle["entry"]) == 7
    answer = client.post("/fhir", json=bundle, headers=writer)
    response = get_fhir_model_class("Bundle").model_validate_json(answer.get_data())
    assert len(response.entry) == 7
    locations = [e.response.location for e in response.entry]
    assert all(e.response.status == "201 Created" for e in response.entry)
    assert "/fhir/Patient/" in locations[0] and "/fhir/ServiceRequest/" in locations[1]
    assert all("/fhir/Observation/" in location for location in locations[2:])
    assert len(set(locations)) == 7
    # each location reads back as what was sent
    values = []
    for location in locations[2:]:
        observation = client.get(location.replace("http://127.0.0.1:5000", ""), headers=writer).get_json()
        values.append((observation["code"]["coding"][0]["code"], observation["valueQuantity"]["value"]))
    assert values == [("lld", 32.0), ("lld", 38.5), ("bone-age", 10.5), ("mpta", 84.0), ("lld-femur", 20.0)]
    again = client.post("/fhir", json=bundle, headers=writer).get_json()
    assert [e["response"]["status"] for e in again["entry"]] == ["200 OK"] * 7
    assert [e["response"]["location"] for e in again["entry"]] == locations


# (entry of the bundle, code, value, unit): entries 2..5 are lld, lld, bone age and MPTA; 6 is added
IMPLAUSIBLE = [
    (3, "lld", -5.0, "mm"),
    (3, "lld", 3000.0, "mm"),
    (3, "lld", 9e9, "mm"),
    (4, "bone-age", 99.0, "a"),
    (5, "mpta", 400.0, "deg"),
    (6, "long-leg-length", 0.0, "mm"),
]


@pytest.mark.parametrize("entry, code, value, unit", IMPLAUSIBLE)
def test_the_api_refuses_what_the_web_form_refuses(app, client, writer, entry, code, value, unit):
    bundle = _referral_bundle()
    bundle["entry"].append(json.loads(json.dumps(bundle["entry"][3])))
    observation = bundle["entry"][entry]["resource"]
    observation["code"]["coding"][0]["code"] = code
    observation["valueQuantity"].update(value=value, unit=unit, code=unit)
    answer = client.post("/fhir", json=bundle, headers=writer)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    issue = answer.get_json()["issue"][0]
    assert issue["expression"] == [f"Observation[{entry - 2}].valueQuantity"] and "from" in issue["diagnostics"]
    assert _count(app, Case) == 0 and _count(app, Measurement) == 0


@pytest.mark.parametrize(
    "field, value",
    [
        ("lld_mm", "-5"),
        ("lld_mm", "3000"),
        ("lld_mm", "9e9"),
        ("bone_age_years", "99"),
        ("mpta_deg", "400"),
        ("long_leg_mm", "0"),
    ],
)
def test_the_web_form_refuses_the_same_values(app, client, signed_in, field, value):
    from tests.functional.cases.helpers import make_ready_case

    user = signed_in("coordinator")
    with app.app_context():
        case_id = make_ready_case(user).id
        db.session.commit()
    data = {"measured_on": "2025-05-02", "method": "standing_radiograph", "lld_mm": "25", field: value}
    answer = post_form(client, f"/cases/{case_id}/measurements/new", data)
    assert answer.status_code == 400
    assert f'id="{field}-error"' in answer.get_data(as_text=True)


def test_the_same_rules_guard_the_service_both_use(app_ctx):
    from conference.cases import plausibility

    assert plausibility.problems({"lld_mm": 25.0, "long_leg_mm": 600.0}) == []
    found = plausibility.problems({"lld_mm": 3000.0, "long_leg_mm": 0.0, "mpta_deg": 400.0})
    assert sorted(field for field, _message in found) == ["lld_mm", "long_leg_mm", "mpta_deg"]


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        "[]",
        '"ServiceRequest"',
        "42",
        "null",
    ],
)
@pytest.mark.parametrize("url", ["/fhir", "/fhir/ServiceRequest"])
def test_odd_json_is_refused_not_a_500(app, client, writer, body, url):
    answer = client.post(url, data=body, headers={**writer, "Content-Type": "application/fhir+json"})
    assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
    assert answer.get_json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("birth", ["2015", "2015-03"])
def test_a_partial_birth_date_is_refused_naming_the_field(app, client, writer, birth):
    answer = client.post("/fhir", json=_referral_bundle(birthDate=birth), headers=writer)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["issue"][0]["expression"] == ["Patient.birthDate"]
    assert _count(app, Patient) == 0


def test_a_nul_byte_in_a_search_or_a_name_is_no_500(app, client, writer):
    assert client.get("/fhir/Patient?family=Lind%00qvist", headers=writer).status_code == 400
    answer = client.post(
        "/fhir", json=_referral_bundle(name=[{"family": "Lind\x00qvist", "given": ["Saga"]}]), headers=writer
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert _count(app, Patient) == 0


def test_a_nul_byte_in_a_calendar_feed_token_is_no_500(app, client):
    assert client.get("/conferences/feed/" + "a" * 40 + "%00.ics").status_code == 404


def test_count_is_honoured_for_observations(app, client, writer):
    assert client.post("/fhir", json=_referral_bundle(), headers=writer).status_code == 200  # 4 observations
    client.post("/fhir", json=_referral_bundle("REF-2"), headers=writer)
    client.post("/fhir", json=_referral_bundle("REF-3"), headers=writer)
    seen, url, pages = [], "/fhir/Observation?_count=7", 0
    while url:
        page = client.get(url, headers=writer).get_json()
        assert page["total"] == 12
        entries = page.get("entry", [])
        assert len(entries) == min(7, 12 - len(seen))
        seen += [e["resource"]["id"] for e in entries]
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
        url = url.replace("http://127.0.0.1:5000", "") if url else None
        pages += 1
    assert pages == 2 and len(seen) == len(set(seen)) == 12


def test_a_task_is_due_on_its_day_in_the_units_time_zone(app, client, reader):
    from conference.meetings.models import ActionItem

    with app.app_context():
        seed_demo(history=True)
        db.session.commit()
        action = db.session.scalar(select(ActionItem).where(ActionItem.due_on.is_not(None)))
        action_id, due = action.id, action.due_on
    task = client.get(f"/fhir/Task/{action_id}", headers=reader).get_json()
    end = datetime.fromisoformat(task["restriction"]["period"]["end"])
    assert end.astimezone(ZoneInfo(app.config["CONFERENCE_TIMEZONE"])).date() == due


def test_media_types_are_negotiated(app, client, writer):
    body = json.dumps(_referral_bundle())
    plain = client.post("/fhir", data=body, headers={**writer, "Content-Type": "text/plain"})
    assert plain.status_code == 415 and plain.get_json()["resourceType"] == "OperationOutcome"
    form = client.post("/fhir/ServiceRequest", data={"a": "b"}, headers=writer)
    assert form.status_code == 415
    assert client.get("/fhir/Patient", headers={**writer, "Accept": "text/html"}).status_code == 406
    assert client.get("/fhir/metadata", headers={"Accept": "application/xml"}).status_code == 406
    # what FHIR clients send is taken
    for accept in ("application/fhir+json", "application/json", "*/*", "application/fhir+json;fhirVersion=4.0"):
        assert client.get("/fhir/Patient", headers={**writer, "Accept": accept}).status_code == 200, accept
    taken = client.post("/fhir", data=body, headers={**writer, "Content-Type": "application/json; charset=utf-8"})
    assert taken.status_code == 200
    assert _count(app, Case) == 1


def test_a_token_can_expire(app, client, signed_in, clock):
    signed_in("admin")
    with app.app_context():  # the app's clock, which the suite may run years ahead
        until = local_today() + timedelta(days=30)
    page = post_form(
        client,
        "/integrations/",
        {"name": "Journal system", "scopes": [SCOPE_READ], "expires_on": until.isoformat()},
    )
    assert page.status_code == 200, page.get_data(as_text=True)
    token = page.get_data(as_text=True).split('<code class="token">')[1].split("</code>")[0]
    headers = {"Authorization": f"Bearer {token}"}
    with app.app_context():
        assert db.session.scalar(select(ApiClient)).expires_at is not None
    assert client.get("/fhir/Patient", headers=headers).status_code == 200
    clock.advance(timedelta(days=31))
    assert client.get("/fhir/Patient", headers=headers).status_code == 401
    assert "Expired" in client.get("/integrations/").get_data(as_text=True)
    # a date in the past is refused next to the field
    past = post_form(client, "/integrations/", {"name": "Old", "scopes": [SCOPE_READ], "expires_on": "2001-01-01"})
    assert past.status_code == 400 and 'id="expires_on-error"' in past.get_data(as_text=True)


def test_care_plan_activities_say_what_became_of_the_decision(app, client, reader):
    from conference.meetings.models import Decision, PatientResponse

    with app.app_context():
        seed_demo(history=True)
        db.session.commit()
        decisions = db.session.scalars(select(Decision)).all()
        declined = next(d for d in decisions if d.patient_response is PatientResponse.declined)
        declined_id = declined.id
    plans = []
    url = "/fhir/CarePlan?_count=200"
    plans = [e["resource"] for e in client.get(url, headers=reader).get_json()["entry"]]
    by_id = {p["id"]: p for p in plans}
    detail = by_id[str(declined_id)]["activity"][0]["detail"]
    assert detail["status"] == "cancelled"
    assert detail["statusReason"]["coding"][0]["code"] == "declined"
    assert {p["activity"][0]["detail"]["status"] for p in plans} - {"cancelled"}  # not all alike either


def test_the_case_summary_chart_survives_any_stored_value(app, client, signed_in):
    from conference.cases import services
    from tests.functional.cases.helpers import make_ready_case

    user = signed_in("coordinator")
    with app.app_context():
        case = make_ready_case(user)
        # stored before the plausibility rules (or by an older version): the page must still show
        case.measurements.append(Measurement(measured_on=date(2024, 6, 1), method="standing_radiograph", lld_mm=3000.0))
        case.measurements.append(
            Measurement(
                measured_on=date(2024, 9, 1),
                method="standing_radiograph",
                lld_mm=-450.0,
                long_leg_mm=1500.0,
                short_leg_mm=1000.0,
            )
        )
        db.session.commit()
        case_id = case.id
        assert services.load_case(case_id) is not None
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "<svg" in page.get_data(as_text=True)


def test_a_short_leg_shrinking_through_the_web_form_leaves_the_summary_readable(app, client, signed_in):
    from tests.functional.cases.helpers import make_ready_case

    user = signed_in("coordinator")
    with app.app_context():
        case_id = make_ready_case(user, measurements=0, growth_pattern="developmental").id
        db.session.commit()
    # the "short" leg shrinks from 1,500 to 1,000 mm: an inhibition of 2, a prediction of metres
    for on, long_leg, short_leg, lld in (("2022-09-01", "1000", "1500", "0"), ("2023-09-01", "1500", "1000", "500")):
        data = {"measured_on": on, "method": "standing_radiograph", "lld_mm": lld}
        data.update(long_leg_mm=long_leg, short_leg_mm=short_leg)
        assert post_form(client, f"/cases/{case_id}/measurements/new", data).status_code == 302
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert 'class="predicted"' in page.get_data(as_text=True)
