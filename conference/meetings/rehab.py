"""Distraction plan for lengthening by callus distraction: dates from surgery date, latency, rate and target.

Distraction starts the day after the latency period and runs one day per (rate) mm, inclusive of its first and
last day: surgery 2027-01-11, latency 7, 1 mm/day, 50 mm -> 2027-01-18 to 2027-03-08 (50 days).
The end of consolidation is estimated with the healing index, read as days from surgery per cm of lengthening
(frame time = healing index x cm; Bone Joint J 2016;98-B:1382-8). All thresholds come from configuration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass
class DistractionPlan:
    surgery_on: date
    distraction_start: date
    distraction_end: date
    distraction_days: int
    consolidation_end: date
    visits: list[tuple[date, str]] = field(default_factory=list)  # (day, "distraction" | "consolidation")
    rate_warning: bool = False


def distraction_plan(
    *,
    surgery_on: date,
    latency_days: int,
    rate_mm_per_day: float,
    target_mm: float,
    healing_index_days_per_cm: float,
    distraction_visit_days: int = 7,
    consolidation_visit_days: int = 28,
    rate_warning_above: float = 1.5,
) -> DistractionPlan:
    """Compute the distraction and consolidation dates and the rehabilitation visits."""
    if latency_days < 0 or rate_mm_per_day <= 0 or target_mm <= 0 or healing_index_days_per_cm <= 0:
        raise ValueError("latency must be >= 0; rate, target and healing index > 0")
    if distraction_visit_days < 1 or consolidation_visit_days < 1:
        raise ValueError("visit intervals must be at least one day")
    start = surgery_on + timedelta(days=latency_days)
    days = math.ceil(round(target_mm / rate_mm_per_day, 6))
    end = start + timedelta(days=days - 1)
    consolidation_end = max(
        surgery_on + timedelta(days=round(healing_index_days_per_cm * target_mm / 10)), end + timedelta(days=1)
    )
    visits: list[tuple[date, str]] = []
    day = start
    while day <= end:
        visits.append((day, "distraction"))
        day += timedelta(days=distraction_visit_days)
    day = end + timedelta(days=consolidation_visit_days)
    while day < consolidation_end:
        visits.append((day, "consolidation"))
        day += timedelta(days=consolidation_visit_days)
    visits.append((consolidation_end, "consolidation"))
    return DistractionPlan(
        surgery_on=surgery_on,
        distraction_start=start,
        distraction_end=end,
        distraction_days=days,
        consolidation_end=consolidation_end,
        visits=visits,
        rate_warning=rate_mm_per_day > rate_warning_above,
    )
