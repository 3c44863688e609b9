"""The plausible range of every measured value, the one set of rules the web forms (conference.cases.forms) and
the services behind the FHIR API (conference.cases.services, conference.fhir.services) apply: what a clinician
cannot type, a hospital system cannot send."""

from __future__ import annotations

import math

from flask_babel import gettext as _

# field: (lowest, highest), inclusive; lengths in mm, angles in degrees, bone age in years.
RANGES: dict[str, tuple[float, float]] = {
    "lld_mm": (0, 500),
    "femur_mm": (0, 500),
    "tibia_mm": (0, 500),
    "foot_mm": (0, 100),
    # a whole leg or a long bone of 0 mm is a typing slip, not a child
    "long_leg_mm": (100, 1500),
    "short_leg_mm": (100, 1500),
    "bone_age_years": (0, 25),
    "femur_length_mm": (30, 800),
    "tibia_length_mm": (30, 700),
    "mad_mm": (-100, 100),
    "mldfa_deg": (45, 135),
    "mpta_deg": (45, 135),
}


def range_message(field: str) -> str:
    low, high = RANGES[field]
    return _("Enter a value from %(min)s to %(max)s.", min=f"{low:g}", max=f"{high:g}")


def problems(values: dict) -> list[tuple[str, str]]:
    """(field, message) for every value given outside its plausible range (None and absent fields pass)."""
    found = []
    for field, (low, high) in RANGES.items():
        value = values.get(field)
        if value is None:
            continue
        number = float(value)
        if not math.isfinite(number) or not low <= number <= high:
            found.append((field, range_message(field)))
    return found
