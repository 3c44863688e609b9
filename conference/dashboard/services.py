"""What the signed-in user sees first. Each module contributes through its own services."""

from __future__ import annotations

from typing import Any

from conference import policy
from conference.people.models import User


def panels_for(user: User) -> dict[str, Any]:
    """The dashboard's panels: upcoming conferences (the user's own; all of them for coordinators), open action
    items, and for coordinators the cases waiting and the outbox state."""
    from conference.cases import services as cases
    from conference.conferences import services as conferences
    from conference.meetings import services as meetings
    from conference.notifications import services as notifications
    from conference.notifications.models import EmailStatus

    panels: dict[str, Any] = {}
    if policy.can("read_clinical", user=user):
        if policy.can("manage_case_lists", user=user):  # the unit's meetings and the case counts
            panels["my_conferences"] = conferences.upcoming(limit=5, include_cancelled=False)
            panels["cases"] = cases.counts_by_status()
        else:
            panels["my_conferences"] = conferences.upcoming_for_user(user, limit=5)
        panels["my_actions"] = meetings.open_actions_for(user)
    if policy.can("operate_outbox", user=user):
        counts = notifications.counts((EmailStatus.pending, EmailStatus.sending, EmailStatus.failed))
        panels["outbox"] = {
            "waiting": counts[EmailStatus.pending] + counts[EmailStatus.sending],
            "failed": counts[EmailStatus.failed],
            "problems": notifications.problems(),
        }
    return panels
