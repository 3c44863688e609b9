"""The demo unit's weekly conference series and the helper that books its past meetings."""

from __future__ import annotations

from conference.db import local_today
from conference.people.models import Role, User


def seed_conferences(staff: dict[str, User]):
    """The unit's weekly conference: Wednesdays 14:00-16:00, all specialists as standing participants."""
    from datetime import datetime, timedelta

    from conference.conferences import services as conferences
    from conference.conferences.models import InvitationRole

    tz = conferences.unit_tz()
    today = local_today()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7 or 7)
    first = datetime(wednesday.year, wednesday.month, wednesday.day, 14, 0, tzinfo=tz)
    chair = staff["ortoped1@example-hospital.se"]
    participants = [
        conferences.Participant(user, InvitationRole.required)
        for user in staff.values()
        if user.role is Role.specialist and user is not chair
    ]
    return conferences.book_series(
        actor=staff["koordinator@example-hospital.se"],
        title="MDT-konferens benlängdsskillnad och felställning",
        first_start=first,
        duration_minutes=120,
        rrule=conferences.weekly_rrule(first),
        location="Konferensrum Ortopedi 3",
        video_link="https://video.example-hospital.se/mdt-ortopedi",
        capacity=10,
        case_deadline_hours=48,
        chair=chair,
        participants=participants,
    )


def book_past_meeting(coordinator: User, chair: User, start, participants: list[User], capacity: int = 10):
    """A meeting of the unit's usual kind, entered after the fact (record_only: no invitations are sent)."""
    from datetime import timedelta

    from conference.conferences import services as conferences
    from conference.conferences.models import InvitationRole

    return conferences.book_conference(
        actor=coordinator,
        title="MDT-konferens benlängdsskillnad och felställning",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        location="Konferensrum Ortopedi 3",
        video_link=None,
        capacity=capacity,
        case_deadline_hours=48,
        chair=chair,
        participants=[conferences.Participant(u, InvitationRole.required) for u in participants],
        record_only=True,
    )


def book_meeting_now(staff: dict[str, User]):
    """A meeting that started ten minutes ago, so a newcomer can record one at once (attendance, decisions, plan,
    actions, signing) without waiting for Wednesday. Entered as record_only: no invitations go out for it."""
    from datetime import timedelta

    from conference.db import utcnow

    start = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=10)
    chair = staff["ortoped1@example-hospital.se"]
    members = [u for u in staff.values() if u.role is Role.specialist and u is not chair]
    conference = book_past_meeting(staff["koordinator@example-hospital.se"], chair, start, members)
    conference.title = "MDT-konferens benlängdsskillnad (demo: pågår nu)"
    return conference
