"""Domain events of the minutes (blinker). Receivers run in the sender's transaction."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Signed minutes were amended: what was built from the signed version (letters to patients) is out of date.
#: sender: the Conference; keyword arguments: actor (User), version (int, the amendment's).
minutes_amended = _signals.signal("minutes-amended")
