"""Leg-length discrepancy at skeletal maturity by the Paley multiplier method (Paley et al., JBJS Am 2000;82:1432).

Congenital:    LLD_m = LLD x M
Developmental: LLD_m = LLD + I x G, with G = L x (M - 1) (growth remaining of the long leg, L its current length)
               and I = 1 - (growth of the short leg / growth of the long leg) between two visits.
M is interpolated linearly between the ages of the table. Clinicians decide; this computes and says what it used.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

# Lower-limb multipliers (age in years: boys, girls), as in DOMAIN.md.
MULTIPLIERS: list[tuple[float, float, float]] = [
    (0.0, 5.080, 4.630),
    (0.25, 4.550, 4.355),
    (0.5, 4.050, 3.725),
    (0.75, 3.600, 3.300),
    (1.0, 3.240, 2.970),
    (1.5, 2.825, 2.600),
    (2.0, 2.590, 2.390),
    (3.0, 2.230, 2.050),
    (4.0, 2.000, 1.830),
    (5.0, 1.820, 1.660),
    (6.0, 1.670, 1.510),
    (7.0, 1.570, 1.430),
    (8.0, 1.470, 1.330),
    (9.0, 1.380, 1.260),
    (10.0, 1.310, 1.190),
    (11.0, 1.240, 1.130),
    (12.0, 1.180, 1.070),
    (13.0, 1.130, 1.030),
    (14.0, 1.080, 1.000),
    (15.0, 1.040, 1.000),
    (16.0, 1.010, 1.000),
    (17.0, 1.000, 1.000),
]
_AGES = [row[0] for row in MULTIPLIERS]


def multiplier(age_years: float, sex: str) -> float:
    """M for age and sex ('male' or 'female'), linearly interpolated; 1.0 from the last age on."""
    if sex not in ("male", "female"):
        raise ValueError("sex must be male or female")
    if age_years < 0:
        raise ValueError("age cannot be negative")
    column = 1 if sex == "male" else 2
    if age_years >= _AGES[-1]:
        return MULTIPLIERS[-1][column]
    index = bisect_right(_AGES, age_years) - 1
    lower, upper = MULTIPLIERS[index], MULTIPLIERS[index + 1]
    fraction = (age_years - lower[0]) / (upper[0] - lower[0])
    return lower[column] + fraction * (upper[column] - lower[column])


def maturity_age(sex: str) -> float:
    """The first age at which the multiplier reaches 1.0 (growth is over)."""
    column = 1 if sex == "male" else 2
    return next(row[0] for row in MULTIPLIERS if row[column] <= 1.0)


@dataclass
class Visit:
    on: date
    lld_mm: float
    long_leg_mm: float | None = None
    short_leg_mm: float | None = None
    bone_age_years: float | None = None


@dataclass
class Prediction:
    method: str  # "congenital" | "developmental" | "none"
    value_mm: float | None = None
    multiplier: float | None = None
    age_years: float | None = None
    age_source: str | None = None  # "bone age" or "chronological age"
    sex: str | None = None
    inhibition: float | None = None
    growth_remaining_mm: float | None = None
    maturity_age: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.value_mm is not None


def _age(birth: date, on: date) -> float:
    return (on - birth).days / 365.25


def predict(*, pattern: str, sex: str, birth: date | None, visits: list[Visit]) -> Prediction:
    """Predict LLD at maturity from the latest visit (and the one before it, for the developmental form).
    Missing inputs give a Prediction without value and notes that say what is missing."""
    result = Prediction(method=pattern if pattern in ("congenital", "developmental") else "none", sex=sex)
    if pattern not in ("congenital", "developmental"):
        result.notes.append(str(_l("Set whether the discrepancy is congenital or developmental to predict it.")))
    if sex not in ("male", "female"):
        result.notes.append(str(_l("The prediction needs the patient's sex.")))
    if not visits:
        result.notes.append(str(_l("Add a measurement to predict the discrepancy at maturity.")))
    if result.notes:
        return result
    visits = sorted(visits, key=lambda v: v.on)
    latest = visits[-1]
    if latest.bone_age_years is not None:
        age, source = latest.bone_age_years, "bone age"
    elif birth is not None:
        age, source = _age(birth, latest.on), "chronological age"
    else:
        result.notes.append(str(_l("The prediction needs the date of birth or a bone age.")))
        return result
    m = multiplier(age, sex)
    result.multiplier, result.age_years, result.age_source = m, age, source
    result.maturity_age = maturity_age(sex)
    if m <= 1.0:
        result.notes.append(str(_l("Growth is complete at this age: the current discrepancy is the final one.")))
    if pattern == "congenital":
        result.value_mm = latest.lld_mm * m
        return result

    earlier = [v for v in visits[:-1] if v.long_leg_mm is not None and v.short_leg_mm is not None]
    if latest.long_leg_mm is None or latest.short_leg_mm is None or not earlier:
        result.notes.append(str(_l("The developmental prediction needs the lengths of both legs at two visits.")))
        return result
    first = earlier[-1]
    long_growth = latest.long_leg_mm - first.long_leg_mm
    short_growth = latest.short_leg_mm - first.short_leg_mm
    if long_growth <= 0:
        result.notes.append(
            str(_l("The long leg has not grown between the visits: the inhibition cannot be computed."))
        )
        return result
    inhibition = 1 - short_growth / long_growth
    growth_remaining = latest.long_leg_mm * (m - 1)
    result.inhibition = inhibition
    result.growth_remaining_mm = growth_remaining
    result.value_mm = latest.lld_mm + inhibition * growth_remaining
    return result
