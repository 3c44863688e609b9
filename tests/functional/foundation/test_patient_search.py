"""Patient search: by the beginnings of the words of a name (every word typed must match), by a whole identity
number (exact) or its first digits; each served by an index (EXPLAIN), so it costs the same at 100k patients."""

from __future__ import annotations

from sqlalchemy import event, text

from conference.extensions import db
from conference.patients import services as patients
from conference.patients.identity import parse_identity_number
from conference.people.models import User
from conference.seed import demo_identity
from tests.conftest import post_form


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
        return sorted(f"{p.given_name} {p.family_name}" for p in patients.search(query, actor).patients)


def test_names_and_numbers_are_found_by_their_beginnings(app, make_user):
    coordinator = make_user("coordinator")[0]
    _patients(app, coordinator)
    assert _found(app, coordinator, "lind") == ["Anna-Karin Lindqvist", "Sara Lind"]
    assert _found(app, coordinator, "LIND sara") == ["Sara Lind"]
    assert _found(app, coordinator, "karin") == ["Anna-Karin Lindqvist"]  # each part of a double name
    assert _found(app, coordinator, "åb") == ["Anders Åberg"]
    assert _found(app, coordinator, "indqvist") == []  # the middle of a word is not a beginning
    with app.app_context():
        number = patients.search("Elsa", db.session.get(User, coordinator)).patients[0].national_id_display
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


def _many(app, count: int) -> None:
    """`count` patients named Testsson<k> (reserve numbers), inserted in bulk with their name words."""
    from datetime import date

    from sqlalchemy import insert

    from conference.patients.identity import IdentityKind
    from conference.patients.models import Patient, PatientNameTerm

    with app.app_context():
        db.session.execute(
            insert(Patient),
            [
                {
                    "id": k,
                    "national_id": f"99{k:010d}",
                    "id_kind": IdentityKind.reserve,
                    "given_name": "Anna",
                    "family_name": f"Testsson{k}",
                    "sex": "female",
                    "date_of_birth": date(2015, 1, 1),
                }
                for k in range(1, count + 1)
            ],
        )
        db.session.execute(
            insert(PatientNameTerm),
            [{"patient_id": k, "term": t} for k in range(1, count + 1) for t in ("anna", f"testsson{k}")],
        )
        db.session.commit()


def _steps(app, actor_id, query) -> tuple[int, list[str], bool]:
    """SQLite's virtual-machine steps for one search (deterministic, unlike a time), its names and whether more match."""
    with app.app_context():
        actor = db.session.get(User, actor_id)
        raw = db.session.connection().connection.driver_connection
        steps = [0]

        def count():
            steps[0] += 1
            return 0

        raw.set_progress_handler(count, 100)
        try:
            found = patients.search(query, actor)
        finally:
            raw.set_progress_handler(None, 100)
        return steps[0], [p.family_name for p in found.patients], found.more


def test_a_name_search_costs_what_it_shows_not_how_many_match(app, make_user, database_url):
    """At 100k patients "testsson1" begins 11,111 names: sorting all of them to show 50 made the search grow with
    the database. The 50 shown come off the index in order, so 1,111 matches cost what 111 do (SQLite's steps), and
    neither database sorts (the plans)."""
    coordinator = make_user("coordinator")[0]
    _many(app, 2_000)
    if database_url.startswith("sqlite"):
        few, few_names, few_more = _steps(app, coordinator, "testsson19")  # 19, 190-199, 1900-1999: 111 match
        many, many_names, many_more = _steps(app, coordinator, "testsson1")  # 1, 10-19, 100-199, 1000-1999: 1,111
        assert few_more and many_more  # over 50 match: the page asks for more of the name
        assert len(few_names) == len(many_names) == 50
        assert many_names[:3] == ["Testsson1", "Testsson10", "Testsson100"]  # the closest words first
        assert few_names[:2] == ["Testsson19", "Testsson190"]
        assert many < few * 1.5, (few, many)
    with app.app_context():
        statements = []

        def keep(conn, cursor, statement, parameters, context, executemany):
            if "patient_name_terms" in statement and not statements:
                statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            found = patients.search("testsson1", db.session.get(User, coordinator))
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        assert len(found.patients) == 50 and found.more
        statement, parameters = statements[0]
        connection = db.session.connection()
        cursor = connection.connection.cursor()
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE patient_name_terms"))  # the planner knows how many names match
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = "\n".join(r[0] for r in cursor.fetchall())
            assert "Sort" not in plan and "ix_patient_name_terms_term" in plan, plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = "\n".join(str(r[-1]) for r in cursor.fetchall())
            assert "TEMP B-TREE" not in plan and "ix_patient_name_terms_term" in plan, plan
        db.session.rollback()
        found = patients.search("anna testsson1999", db.session.get(User, coordinator))
        assert [p.family_name for p in found.patients] == ["Testsson1999"] and not found.more  # every word matches


def test_the_page_says_when_more_match_than_it_shows(app, client, signed_in):
    signed_in("coordinator")
    _many(app, 60)
    page = post_form(client, "/patients/", {"q": "testsson"}).get_data(as_text=True)
    assert page.count("Testsson") == 50 and "More patients match than are shown here" in page
    page = post_form(client, "/patients/", {"q": "testsson5"}).get_data(as_text=True)  # 5, 50-59
    assert page.count("Testsson") == 11 and "More patients match" not in page
