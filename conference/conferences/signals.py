"""Domain events of the conferences module (blinker). Receivers run in the sender's transaction."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: The coordinators' deadline reminder for a meeting is being written. sender: the Conference. Each receiver
#: returns a dict of counts to show in it (the cases module: how many ready cases wait to be listed).
deadline_reminder_counts = _signals.signal("deadline-reminder-counts")
