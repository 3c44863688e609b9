"""The image in the meeting: the presenter opens one of the case's images and every follower's room state and
page show it; images discussed in a signed meeting are frozen with its record (also below the application)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from conference.agenda.models import AgendaItem
from conference.conferences.models import Conference
from conference.extensions import db
from conference.imaging.models import CaseImage
from conference.imaging.store import image_store
from conference.meetings import services as meetings
from conference.people.models import User
from tests.conftest import PASSWORD, csrf_token, login
from tests.functional.imaging.helpers import attach, dicom_bytes, png_bytes
from tests.functional.meetings.helpers import meeting_with_cases


def _meeting_with_image(app, make_user):
    coordinator = make_user("coordinator")[0]
    chair_id, chair_email = make_user("specialist", "orthopaedic_surgeon")
    physio_id, physio_email = make_user("specialist", "physiotherapist")
    with app.app_context():
        conference_id, items = meeting_with_cases(coordinator, [chair_id, physio_id], 2, chair_id=chair_id)
        item = db.session.get(AgendaItem, items[0])
        image = attach(item.case, dicom_bytes(item.case.patient), db.session.get(User, coordinator))
        photo = attach(item.case, png_bytes(), db.session.get(User, coordinator), kind="photo")
        db.session.commit()
        return conference_id, items, image.id, photo.id, coordinator, chair_email, physio_email


def _open(client, item_id, image_id):
    token = csrf_token(client, f"/meetings/item/{item_id}/present")
    return client.post(f"/meetings/item/{item_id}/image", data={"csrf_token": token, "image_id": image_id})


def test_the_chair_opens_an_image_and_followers_see_it(app, make_user):
    conference_id, items, image_id, _photo, _c, chair_email, physio_email = _meeting_with_image(app, make_user)
    chair, follower = app.test_client(), app.test_client()
    login(chair, chair_email, PASSWORD)
    login(follower, physio_email, PASSWORD)
    assert chair.get(f"/meetings/item/{items[0]}/present").status_code == 200
    before = follower.get(f"/meetings/{conference_id}/room/state").get_json()
    assert before["current_image_id"] is None

    assert _open(chair, items[0], image_id).status_code == 302
    state = follower.get(f"/meetings/{conference_id}/room/state").get_json()
    assert state["current_image_id"] == image_id and state["revision"] > before["revision"]
    page = follower.get(f"/meetings/item/{items[0]}/present?fragment=1").get_data(as_text=True)
    assert f'id="room-image" data-image="{image_id}"' in page and f"/imaging/{image_id}/manifest" in page

    # A follower cannot move the room; an image of another case cannot be opened here.
    assert _open(follower, items[0], "").status_code == 403
    assert _open(chair, items[1], image_id).status_code == 404
    # Moving to the next case closes the image.
    assert chair.get(f"/meetings/item/{items[1]}/present").status_code == 200
    assert follower.get(f"/meetings/{conference_id}/room/state").get_json()["current_image_id"] is None


def test_images_of_a_signed_meeting_are_frozen_with_it(app, make_user, client):
    conference_id, _items, image_id, photo_id, coordinator, chair_email, _ = _meeting_with_image(app, make_user)
    login(client, chair_email, PASSWORD)
    with app.app_context():
        meetings.lock(db.session.get(Conference, conference_id), db.session.get(User, coordinator))
        db.session.commit()
        image = db.session.get(CaseImage, image_id)
        sha256 = image.sha256
        # Later images of the same case are not part of that record.
        later = attach(image.case, png_bytes(30, 30), db.session.get(User, coordinator), kind="photo")
        db.session.commit()
        later_id = later.id
    # Below the application: the database refuses changing or deleting a frozen image.
    with app.app_context():
        for statement in (
            update(CaseImage).where(CaseImage.id == image_id).values(kind="photo"),
            delete(CaseImage).where(CaseImage.id == photo_id),
        ):
            with pytest.raises((IntegrityError, DBAPIError)):
                db.session.execute(statement)
                db.session.flush()
            db.session.rollback()
        # The viewer's presets and description are not the record.
        db.session.execute(update(CaseImage).where(CaseImage.id == image_id).values(description="AP, standing"))
        db.session.commit()
    # The coordinator's remove button is refused with the reason; the file stays.
    coordinator_client = app.test_client()
    with app.app_context():
        email = db.session.get(User, coordinator).email
    login(coordinator_client, email, PASSWORD)
    token = csrf_token(coordinator_client, f"/imaging/{later_id}")
    response = coordinator_client.post(f"/imaging/{image_id}/remove", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/imaging/{image_id}")
    with app.app_context():
        assert db.session.get(CaseImage, image_id) is not None
        assert image_store().file_path(sha256).exists()
    # The later photo can go, and its file with it.
    response = coordinator_client.post(f"/imaging/{later_id}/remove", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(CaseImage, later_id) is None
        assert db.session.scalars(select(CaseImage.id).order_by(CaseImage.id)).all() == [image_id, photo_id]


def test_the_demo_shows_synthetic_radiographs_made_the_same_at_every_seed(app, client):
    from conference.agenda.models import AgendaItem
    from conference.seed import DEMO_PASSWORD, seed_demo
    from tests.conftest import _empty_tables

    def seeded():
        with app.app_context():
            seed_demo(history=False)
            db.session.commit()
            return {
                (i.case_id, i.kind.value, i.sha256)
                for i in db.session.scalars(select(CaseImage).join(AgendaItem, AgendaItem.case_id == CaseImage.case_id))
            }

    first = seeded()
    kinds = sorted(kind for _case, kind, _sha in first)
    assert kinds == ["letter", "long_leg_ap", "long_leg_ap"]
    login(client, "ortoped1@example-hospital.se", DEMO_PASSWORD)
    case_id = next(case for case, kind, _sha in first if kind == "long_leg_ap")
    summary = client.get(f"/cases/{case_id}").get_data(as_text=True)
    image_id = int(re.search(r"/imaging/(\d+)/p0/thumb.png", summary).group(1))
    manifest = client.get(f"/imaging/{image_id}/manifest").get_json()
    assert manifest["height"] > manifest["width"] > 300
    with app.app_context():
        db.session.remove()
        _empty_tables()
    assert seeded() == first


def test_the_pre_reading_pack_shows_each_cases_images(app, client, make_user):
    """The printable pack carries the radiographs beside the summaries (issue 22: images on the summary, in
    presentation mode and on the printable pack), read for all the cases in one query."""
    from conference.agenda.models import AgendaItem as Item
    from conference.people.models import User as Person
    from tests.functional.imaging.helpers import attach, dicom_bytes
    from tests.functional.meetings.helpers import meeting_with_cases

    coordinator_id, _email = make_user("coordinator")
    surgeon_id, surgeon_email = make_user("specialist", "orthopaedic_surgeon")
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator_id, [surgeon_id], 2)
        case = db.session.get(Item, item_ids[0]).case
        image = attach(case, dicom_bytes(case.patient), db.session.get(Person, surgeon_id))
        db.session.commit()
        image_id = image.id
    login(client, surgeon_email)
    page = client.get(f"/meetings/{conference_id}/pre-reading").get_data(as_text=True)
    assert f"/imaging/{image_id}/" in page and page.count("thumb.png") == 1
    assert "onclick" not in page  # the Content-Security-Policy allows no inline script
