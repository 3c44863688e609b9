"""The conferences module's services: its public interface, one file per job.

- rules: what every booking shares (participants, the identifier check, the time zone);
- booking: single meetings (book, move, cancel, held, which comes next);
- series: recurring series and their occurrences;
- invitations: who is invited and their answers;
- itip: calendar invites by email and the personal feed;
- reminders: the scheduler's reminder sweep;
- archive: lists of meetings.
"""

from __future__ import annotations

from conference.conferences.archive import (
    PAGE_SIZE,
    ArchivePage,
    archive,
    upcoming,
    upcoming_count,
    upcoming_for_user,
)
from conference.conferences.booking import (
    CASE_DESTINATIONS,
    CasesNeedADestination,
    book_conference,
    cancel_conference,
    get_conference,
    mark_held,
    next_conference_in_series,
    reschedule_conference,
    room_clashes,
)
from conference.conferences.invitations import (
    invite_specialty,
    invite_to_conference,
    invite_to_series,
    respond,
)
from conference.conferences.itip import (
    conference_calendar,
    feed_for_user,
    queue_conference_itip,
    queue_series_itip,
    series_calendar,
)
from conference.conferences.reminders import (
    queue_reminders,
)
from conference.conferences.rules import (
    BookingError,
    Participant,
    bump_sequence,
    check_common,
    check_no_identifier,
    check_participants,
    participants_with_chair,
    unit_tz,
)
from conference.conferences.series import (
    SERIES_PAGE_PLANNED_LIMIT,
    all_series,
    book_series,
    cancel_series,
    ensure_occurrences,
    expand_starts,
    extend_all_series,
    planned_starts,
    reschedule_series,
    series_end_date,
    series_interval_weeks,
    upcoming_in_series,
    weekly_rrule,
)

__all__ = [
    "ArchivePage",
    "BookingError",
    "CASE_DESTINATIONS",
    "CasesNeedADestination",
    "PAGE_SIZE",
    "Participant",
    "SERIES_PAGE_PLANNED_LIMIT",
    "all_series",
    "archive",
    "book_conference",
    "book_series",
    "bump_sequence",
    "cancel_conference",
    "cancel_series",
    "check_common",
    "check_no_identifier",
    "check_participants",
    "conference_calendar",
    "ensure_occurrences",
    "expand_starts",
    "extend_all_series",
    "feed_for_user",
    "get_conference",
    "invite_specialty",
    "invite_to_conference",
    "invite_to_series",
    "mark_held",
    "next_conference_in_series",
    "participants_with_chair",
    "planned_starts",
    "queue_conference_itip",
    "queue_reminders",
    "queue_series_itip",
    "reschedule_conference",
    "reschedule_series",
    "respond",
    "room_clashes",
    "series_calendar",
    "series_end_date",
    "series_interval_weeks",
    "unit_tz",
    "upcoming",
    "upcoming_count",
    "upcoming_for_user",
    "upcoming_in_series",
    "weekly_rrule",
]
