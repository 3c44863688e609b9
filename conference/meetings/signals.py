"""Domain events of the meetings module (blinker). Receivers run in the sender's transaction."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A decision's rehabilitation plan was saved (new or changed). sender: the RehabPlan. The rehabilitation module
#: brings the plan's visits in line with it.
rehab_plan_saved = _signals.signal("rehab-plan-saved")
