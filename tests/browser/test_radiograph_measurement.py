"""A surgeon measures a synthetic standing long-leg radiograph in Chromium: opens it from the case summary, clicks
the landmarks of both legs in turn (one nudged with the keyboard, one dragged), sees the values, saves; the values
appear in the case summary and, after the meeting, in the signed minutes (python-docx reads them back)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from docx import Document

from conference.cases import services as cases
from conference.extensions import db
from conference.imaging import geometry, synthetic
from conference.people.models import User
from tests.functional.cases.helpers import make_ready_case
from tests.functional.conferences.helpers import book_series
from tests.functional.meetings.helpers import all_present, decide, start_meeting

pytestmark = pytest.mark.browser

CONSTRUCTION = synthetic.construct(
    synthetic.LegSpec(), replace(synthetic.LegSpec(), femur_mm=430, mldfa_deg=82.0, jlca_deg=0.0), mm_per_px=0.5
)


def test_a_surgeon_measures_a_long_leg_radiograph_and_the_values_reach_the_signed_minutes(
    app, live_server, browser, make_user, tmp_path
):
    coordinator = make_user("coordinator")[0]
    chair_id, chair_email = make_user("specialist", "orthopaedic_surgeon", name="Erik Sandberg")
    with app.app_context():
        series = book_series([chair_id], chair_id=chair_id, actor_id=coordinator)
        conference = series.conferences[1]
        case = make_ready_case(coordinator, 900)
        item = cases.list_case(conference, case, db.session.get(User, coordinator))
        db.session.commit()
        start_meeting(conference)
        image = synthetic.attach(
            case, CONSTRUCTION, db.session.get(User, chair_id), taken_on=conference.starts_at.date() - timedelta(days=7)
        )
        db.session.commit()
        case_id, image_id, conference_id, item_id = case.id, image.id, conference.id, item.id

    context = browser.new_context(locale="en-GB", accept_downloads=True, viewport={"width": 2400, "height": 4000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", chair_email)
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("main button.primary")
    page.goto(live_server.url + f"/cases/{case_id}")
    page.click(f"a[href='/imaging/{image_id}/measure']")
    page.wait_for_url(f"**/imaging/{image_id}/measure")
    page.wait_for_function("document.getElementById('measure-image').complete")
    overlay = page.locator("#measure-overlay")
    box = overlay.bounding_box()
    scale, scale_y = box["width"] / CONSTRUCTION.width, box["height"] / CONSTRUCTION.height
    assert scale_y == pytest.approx(scale, rel=1e-3)  # shown in the original's proportions

    def click(point):
        # Chromium gives a click's position in whole CSS pixels: click on the nearest one (as a hand does, at this
        # size a CSS pixel is 0.4 mm at bone level).
        page.mouse.click(round(box["x"] + point[0] * scale), round(box["y"] + point[1] * scale_y))

    for side in ("right", "left"):
        for name in geometry.LANDMARKS:
            assert page.locator(".measure__landmark.is-current").get_attribute("data-landmark") == f"{side}_{name}"
            if name == "knee_tibia":  # the same as the femoral knee centre here: skipped with N
                page.keyboard.press("n")
            else:
                click(CONSTRUCTION.landmarks[side][name])
    assert page.locator(".measure__landmark.is-placed").count() == 20
    assert page.locator("#measure-overlay circle").count() == 20

    # The keyboard: choose the right hip, move it 10 pixels right (Shift+arrow) and back.
    page.focus("#right_hip")
    before = page.input_value("#right_hip")
    page.focus("#measure-canvas")
    page.keyboard.press("Shift+ArrowRight")
    x_before, x_after = float(before.split(",")[0]), float(page.input_value("#right_hip").split(",")[0])
    assert x_after == pytest.approx(x_before + 10, abs=0.05)
    page.keyboard.press("Shift+ArrowLeft")
    assert page.input_value("#right_hip") == before
    # Dragging: the left ankle pulled away and back to where it belongs.
    ankle = CONSTRUCTION.landmarks["left"]["ankle"]
    start = (box["x"] + ankle[0] * scale, box["y"] + ankle[1] * scale_y)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + 30, start[1] + 20, steps=4)
    moved = page.input_value("#left_ankle")
    page.mouse.move(*start, steps=4)
    page.mouse.up()
    assert moved != page.input_value("#left_ankle")

    page.select_option("select[name=recorded_side]", "left")
    page.click("#measure-preview")
    page.wait_for_selector("#measure-values")
    values = page.locator("#measure-values").inner_text()
    assert "LLD: 20.0" in values or "LLD: 19.9" in values or "LLD: 20.1" in values
    assert "left leg shorter" in values
    mldfa = page.locator("#measure-values tr", has_text="mLDFA").inner_text()
    assert "outside 85 to 90" in mldfa
    page.click("#measure-save")
    page.wait_for_url(f"**/cases/{case_id}")
    summary = page.locator("main").inner_text()
    assert "Measured on the radiograph" in summary and "Erik Sandberg" in summary
    assert "left leg shorter" in summary

    with app.app_context():
        from conference.imaging.measurements import RadiographMeasurement

        record = db.session.scalar(db.select(RadiographMeasurement))
        m = record.measurement
        # Clicked through the browser on a picture shown at its screen size: still within the tolerance.
        assert m.lld_mm == pytest.approx(20, abs=1.0) and m.mldfa_deg == pytest.approx(82, abs=0.5)
        assert m.femur_length_mm == pytest.approx(450, abs=1.0) and m.mpta_deg == pytest.approx(87, abs=0.5)
        all_present(conference_id, coordinator)
        decide(db.session.get(cases.AgendaItem, item_id), db.session.get(User, chair_id), 2)
        db.session.commit()

    page.goto(live_server.url + f"/meetings/{conference_id}")
    page.click("#sign")
    page.click("#confirm-sign")  # signing asks first, saying who gets the minutes
    page.wait_for_url("**#minutes")
    with page.expect_download() as download_info:
        page.click("#minutes a[href$='v1.docx']")
    path = tmp_path / "minutes.docx"
    download_info.value.save_as(path)
    document = Document(path)
    rows = {
        row.cells[0].text: row.cells[1].text for table in document.tables for row in table.rows if len(row.cells) == 2
    }
    assert "Erik Sandberg" in rows["Measured on the radiograph"]
    assert rows["LLD on the radiograph"].endswith("mm, left leg shorter")
    assert "(outside 85 to 90)" in rows["mLDFA (°)"]
    assert len(document.inline_shapes) == 1
    context.close()
