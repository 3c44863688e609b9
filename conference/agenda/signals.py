"""Domain events of the case list (blinker, which Flask ships). Receivers run in the sender's transaction."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A case left a meeting's list without a decision and waits in the ready queue again.
#: sender: the Case; keyword arguments: actor (User or None), note (str, for the case's history).
case_back_to_queue = _signals.signal("case-back-to-queue")

# The note the case's history gets when a case goes back to the queue undiscussed: a code, shown in the reader's
# language by the cases module.
NOT_DISCUSSED_NOTE = "code:not_discussed"
