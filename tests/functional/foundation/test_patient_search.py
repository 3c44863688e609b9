"""Patient search: by the beginnings of the words of a name (every word typed must match), by a whole identity
number (exact) or its first digits; each served by an index (EXPLAIN), so it costs the same at 100k patients."""

from __future__ import annotations

from sqlalchemy import text

from conference.extensions import db
from conference.patients import services as patients
from conference.patients.identity import parse_identity_number
from conference.people.models import User
from conference.seed import demo_identity


def _patients(app, coordinator_id):
    from datetime import date

    names = [("Anna-Karin", "Lindqvist"), ("Anders", "Åberg"), ("Sara", "Lind"), ("Elsa", "Johansson")]
    with app.app_context():
        actor = db.session.get(User, coordinator_id)
        for n, (given, family) in enumerate(names):
            identity = parse_identity_number(demo_identity(date(2015, 3, 1 + n), f"{200 + n:03d}"))
            patients.create_patient(
                identity=identity, given_name=given, family_name=family, sex=identity.sex, actor=actor
            )
        db.session.commit()


def _found(app, actor_id, query):
    with app.app_context():
        actor = db.session.get(User, actor_id)
        return sorted(f"{p.given_name} {p.family_name}" for p in patients.search(query, actor))


def test_names_and_numbers_are_found_by_their_beginnings(app, make_user):
    coordinator = make_user("coordinator")[0]
    _patients(app, coordinator)
    assert _found(app, coordinator, "lind") == ["Anna-Karin Lindqvist", "Sara Lind"]
    assert _found(app, coordinator, "LIND sara") == ["Sara Lind"]
    assert _found(app, coordinator, "karin") == ["Anna-Karin Lindqvist"]  # each part of a double name
    assert _found(app, coordinator, "åb") == ["Anders Åberg"]
    assert _found(app, coordinator, "indqvist") == []  # the middle of a word is not a beginning
    with app.app_context():
        number = patients.search("Elsa", db.session.get(User, coordinator))[0].national_id_display
    assert _found(app, coordinator, number) == ["Elsa Johansson"]
    assert _found(app, coordinator, number.replace("-", "")[2:]) == ["Elsa Johansson"]  # without the century
    assert len(_found(app, coordinator, "201503")) == 4  # the first digits: born March 2015
    assert _found(app, coordinator, "150304") == ["Elsa Johansson"]


def test_the_search_is_served_by_indexes(app, make_user):
    coordinator = make_user("coordinator")[0]
    _patients(app, coordinator)
    with app.app_context():
        from sqlalchemy import select

        from conference.patients.models import Patient, PatientNameTerm
        from conference.patients.services import _starting_with

        by_name = select(PatientNameTerm.patient_id).where(_starting_with(PatientNameTerm.term, "lind"))
        by_number = select(Patient.id).where(_starting_with(Patient.national_id, "201503"))
        connection = db.session.connection()
        for query, index in ((by_name, "ix_patient_name_terms_term"), (by_number, "ix_patients_national_id")):
            compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
            if connection.dialect.name == "postgresql":
                connection.execute(text("SET LOCAL enable_seqscan = off"))  # tiny tables: ask whether an index serves
                plan = "\n".join(r[0] for r in connection.execute(text(f"EXPLAIN {compiled}")))
            else:
                plan = "\n".join(str(r[-1]) for r in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert index in plan, plan
        db.session.rollback()
