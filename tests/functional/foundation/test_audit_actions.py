"""The audit log's vocabulary is one enum (conference.audit.actions): a name not in it is refused where it is
written, and the admin reads each event by its label in their language, not by its code."""

from __future__ import annotations

import pytest

from conference.audit import services as audit
from conference.audit.actions import AuditAction
from conference.extensions import db
from conference.people.models import User
from tests.conftest import login
from tests.factories import make_ready_case


def test_an_unknown_action_is_refused(app_ctx, make_user):
    with pytest.raises(ValueError):
        audit.record(None, "case.looked_at", "case", 1)
    with pytest.raises(ValueError):
        audit.record_shown(None, "case.glanced", "case", [(1, 1)])


def test_every_action_has_a_label():
    assert all(action.label and action.label != action.value for action in AuditAction)


def test_the_admin_reads_labels_in_their_language(app, client, make_user):
    coordinator_id, _email = make_user("coordinator")
    with app.app_context():
        case = make_ready_case(coordinator_id)
        audit.case_shown(db.session.get(User, coordinator_id), case)
        db.session.commit()
    _admin_id, admin_email = make_user("admin", locale="sv")
    login(client, admin_email)
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "case.view" not in page and "case.refer" not in page
    assert "Ärende visat" in page and "Ärende remitterat" in page
