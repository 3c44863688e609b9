"""Taking a case off a meeting's list and moving it up or down, through the routes a coordinator uses: the case
goes back to the ready queue (notes written while it was listed stay with the case), positions stay 1..n, and a
move with the version of an older page is refused with nothing changed."""

from __future__ import annotations

import re

from sqlalchemy import select

from conference.agenda.models import AgendaItem
from conference.cases import services as cases
from conference.cases.models import Case, CaseStatus, PreConferenceNote
from conference.extensions import db
from conference.people.models import User
from tests.conftest import csrf_token
from tests.factories import book_series, make_ready_case


def _listed(app, coordinator_id, count=3):
    with app.app_context():
        coordinator = db.session.get(User, coordinator_id)
        conference = book_series([coordinator_id]).conferences[0]
        ids = []
        for n in range(count):
            case = make_ready_case(coordinator_id, 900 + n)
            cases.list_case(conference, case, coordinator)
            ids.append(case.id)
        db.session.commit()
        return conference.id, ids


def _list(app, conference_id):
    with app.app_context():
        items = db.session.scalars(
            select(AgendaItem).where(AgendaItem.conference_id == conference_id).order_by(AgendaItem.position)
        ).all()
        return [(i.id, i.case_id, i.position, i.version) for i in items]


def _post(client, url, page, version):
    return client.post(url, data={"csrf_token": csrf_token(client, page), "version": version})


def test_move_down_and_up(app, client, signed_in):
    coordinator = signed_in("coordinator")
    conference_id, (a, b, c) = _listed(app, coordinator)
    page = f"/conferences/{conference_id}"
    (first, _, _, version), *_ = _list(app, conference_id)
    assert _post(client, f"/cases/agenda/item/{first}/move/down", page, version).status_code == 302
    assert [(case, position) for _i, case, position, _v in _list(app, conference_id)] == [(b, 1), (a, 2), (c, 3)]
    last_item, _case, _position, last_version = _list(app, conference_id)[2]
    assert _post(client, f"/cases/agenda/item/{last_item}/move/up", page, last_version).status_code == 302
    assert [case for _i, case, _p, _v in _list(app, conference_id)] == [b, c, a]
    # the top case cannot go higher; nothing moves
    top, _case, _p, top_version = _list(app, conference_id)[0]
    assert _post(client, f"/cases/agenda/item/{top}/move/up", page, top_version).status_code == 302
    assert [case for _i, case, _p, _v in _list(app, conference_id)] == [b, c, a]


def test_a_move_from_an_older_page_is_refused(app, client, signed_in):
    coordinator = signed_in("coordinator")
    conference_id, ids = _listed(app, coordinator)
    page = f"/conferences/{conference_id}"
    first, _case, _p, version = _list(app, conference_id)[0]
    assert _post(client, f"/cases/agenda/item/{first}/move/down", page, version).status_code == 302
    before = _list(app, conference_id)
    stale = _post(client, f"/cases/agenda/item/{first}/move/down", page, version)
    assert stale.status_code == 409
    assert _list(app, conference_id) == before


def test_unlist_puts_the_case_back_in_the_queue_and_keeps_its_notes(app, client, signed_in, make_user):
    coordinator = signed_in("coordinator")
    conference_id, (a, b, c) = _listed(app, coordinator)
    physio_id, _email = make_user("specialist", "physiotherapist")
    with app.app_context():
        cases.add_note(db.session.get(Case, b), db.session.get(User, physio_id), "Träffat patienten inför konferensen.")
        db.session.commit()
    item, _case, _p, version = _list(app, conference_id)[1]
    response = _post(client, f"/cases/agenda/item/{item}/unlist", f"/conferences/{conference_id}", version)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert [(case, position) for _i, case, position, _v in _list(app, conference_id)] == [(a, 1), (c, 2)]
    with app.app_context():
        assert db.session.get(Case, b).status is CaseStatus.ready
        notes = db.session.scalars(select(PreConferenceNote).where(PreConferenceNote.case_id == b)).all()
        assert [n.text for n in notes] == ["Träffat patienten inför konferensen."]
        assert notes[0].agenda_item_id is None
    queue = client.get("/cases/").get_data(as_text=True)
    assert re.search(rf'href="/cases/{b}"', queue)
