"""What the signed-in user sees first. Each module contributes through its own services."""

from __future__ import annotations

from typing import Any

from conference.people.models import Role, User


def panels_for(user: User) -> dict[str, Any]:
    """The dashboard's panels for this user: their upcoming conferences, and for coordinators the outbox state."""
    from conference.conferences import services as conferences
    from conference.meetings import services as meetings
    from conference.notifications import services as notifications
    from conference.notifications.models import EmailStatus

    panels: dict[str, Any] = {}
    if user.has_role(Role.coordinator, Role.specialist):
        panels["my_conferences"] = conferences.upcoming_for_user(user, limit=5)
        panels["my_actions"] = meetings.open_actions_for(user)
    if user.has_role(Role.coordinator, Role.admin):
        counts = notifications.counts()
        panels["outbox"] = {
            "waiting": counts[EmailStatus.pending] + counts[EmailStatus.sending],
            "failed": counts[EmailStatus.failed],
        }
    return panels
