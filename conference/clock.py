"""The application's clock. Every "now" and "today" in the code comes from here (through db.utcnow and
db.local_today), so tests move time by setting the clock's offset instead of depending on the real date, and the
whole suite can run years ahead (CONFERENCE_CLOCK_OFFSET_DAYS)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


class Clock:
    """The system clock plus an offset (zero in production)."""

    def __init__(self, offset: timedelta = timedelta(0)):
        self.base_offset = offset
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def travel_to(self, moment: datetime) -> None:
        """Make now() read `moment` (then run on from there)."""
        self.offset = moment - datetime.now(timezone.utc)

    def advance(self, delta: timedelta) -> None:
        self.offset += delta

    def reset(self) -> None:
        self.offset = self.base_offset
