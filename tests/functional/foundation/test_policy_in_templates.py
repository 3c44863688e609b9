"""Templates, routes and services ask the policy module (`can(...)`), never roles: a button is shown exactly when the route behind it lets
the user in, so no page offers what answers 403."""

from __future__ import annotations

import re
from pathlib import Path

from conference.extensions import db
from tests.conftest import login
from tests.factories import make_ready_case

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates"
ROLE_CHECK = re.compile(r"has_role|\bRole\.|current_user\.role\b|\.is_admin\b|is_coordinator|specialty\s*==")


def test_no_template_checks_a_role():
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in TEMPLATES.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ROLE_CHECK.search(line)
    ]
    assert not found, found


# Where a role is more than a rule: the policy itself, the user model (has_role), the single sign-on that maps the
# hospital's groups to roles, and the demo.
NOT_RULES = {"conference/policy.py", "conference/people/models.py", "conference/auth/sso.py"}


def test_no_route_or_service_checks_a_role_outside_the_policy():
    """Routes and services ask the policy what a user may do or see; a role checked anywhere else is a rule the
    policy's tests and the templates' can(...) do not know about."""
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "conference").rglob("*.py")
        if str(path.relative_to(ROOT)) not in NOT_RULES and "seed" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "has_role(" in line
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
