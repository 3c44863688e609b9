"""Templates ask the policy module (`can(...)`), never roles: a button is shown exactly when the route behind it lets
the user in, so no page offers what answers 403."""

from __future__ import annotations

import re
from pathlib import Path

from conference.extensions import db
from tests.conftest import login
from tests.factories import make_ready_case

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
ROLE_CHECK = re.compile(r"has_role|\bRole\.|current_user\.role\b|\.is_admin\b|is_coordinator|specialty\s*==")


def test_no_template_checks_a_role():
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in TEMPLATES.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ROLE_CHECK.search(line)
    ]
    assert not found, found


def _summary_as(client, app, make_user, role, specialty=None):
    coordinator_id, _email = make_user("coordinator")
    with app.app_context():
        case = make_ready_case(coordinator_id)
        db.session.commit()
        case_id = case.id
    _user_id, email = make_user(role, specialty)
    login(client, email)
    return case_id, client.get(f"/cases/{case_id}").get_data(as_text=True)


def test_a_specialist_who_did_not_refer_sees_no_edit_or_status_buttons(client, app, make_user):
    case_id, page = _summary_as(client, app, make_user, "specialist", "endocrinologist")
    assert "Edit referral" not in page and "Change status" not in page
    # ... because the routes behind them refuse this user
    assert client.get(f"/cases/{case_id}/edit").status_code == 403


def test_a_coordinator_sees_them(client, app, make_user):
    case_id, page = _summary_as(client, app, make_user, "coordinator")
    assert "Edit referral" in page and "Change status" in page
    assert client.get(f"/cases/{case_id}/edit").status_code == 200
