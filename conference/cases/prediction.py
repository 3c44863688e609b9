"""Leg-length discrepancy at skeletal maturity by the Paley multiplier method (Paley et al., JBJS Am 2000;82:1432),
epiphysiodesis timing from it, and the White-Menelaus arithmetic method as a cross-check.

Congenital:    LLD_m = LLD x M
Developmental: LLD_m = LLD + I x G, with G = L x (M - 1) (growth remaining of the long leg, L its current length)
               and I = 1 - (growth of the short leg / growth of the long leg) between the first and the latest visit
               with both leg lengths.
Timing:        a bone of length L now is Lm = L x M at maturity; a physis giving the share s of that bone's remaining
               growth corrects s x Lm x (1 - 1/M_e) when closed at the age whose multiplier is M_e, so
               M_e = Lm / (Lm - D / s) for one physis and 1 - 1/M_e = D / (s_f Fm + s_t Tm) for both (DOMAIN.md).
M is read from the published table at its 41 ages and interpolated linearly only between them. Clinicians decide;
this module computes and says what it used. Pure functions: the settings come in as arguments.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

# Lower-limb multipliers, (age in years, boys, girls): the table of Paley et al., JBJS Am 2000;82:1432, every
# 3 months to 2 y 9 m, then every 6 months to 17 y, as reproduced in shared/DOMAIN.md (guided-growth-calculations.com,
# multipliers page). Girls at 3 months read 4.355 there; DOMAIN.md asks for a check against the paper before release.
MULTIPLIERS: tuple[tuple[float, float, float], ...] = (
    (0.0, 5.080, 4.630),
    (0.25, 4.550, 4.355),
    (0.5, 4.050, 3.725),
    (0.75, 3.600, 3.300),
    (1.0, 3.240, 2.970),
    (1.25, 2.975, 2.750),
    (1.5, 2.825, 2.600),
    (1.75, 2.700, 2.490),
    (2.0, 2.590, 2.390),
    (2.25, 2.480, 2.295),
    (2.5, 2.385, 2.200),
    (2.75, 2.300, 2.125),
    (3.0, 2.230, 2.050),
    (3.5, 2.110, 1.925),
    (4.0, 2.000, 1.830),
    (4.5, 1.890, 1.740),
    (5.0, 1.820, 1.660),
    (5.5, 1.740, 1.580),
    (6.0, 1.670, 1.510),
    (6.5, 1.620, 1.460),
    (7.0, 1.570, 1.430),
    (7.5, 1.520, 1.370),
    (8.0, 1.470, 1.330),
    (8.5, 1.420, 1.290),
    (9.0, 1.380, 1.260),
    (9.5, 1.340, 1.220),
    (10.0, 1.310, 1.190),
    (10.5, 1.280, 1.160),
    (11.0, 1.240, 1.130),
    (11.5, 1.220, 1.100),
    (12.0, 1.180, 1.070),
    (12.5, 1.160, 1.050),
    (13.0, 1.130, 1.030),
    (13.5, 1.100, 1.010),
    (14.0, 1.080, 1.000),
    (14.5, 1.060, 1.000),
    (15.0, 1.040, 1.000),
    (15.5, 1.020, 1.000),
    (16.0, 1.010, 1.000),
    (16.5, 1.010, 1.000),
    (17.0, 1.000, 1.000),
)
SOURCE = "Paley D et al. Multiplier method for predicting limb-length discrepancy. JBJS Am 2000;82:1432-46, table"
_AGES = [row[0] for row in MULTIPLIERS]
SEXES = ("male", "female")

# The bone-age methods a measurement can name (recorded so the conference knows which age the prediction used).
BONE_AGE_METHODS = {
    "greulich_pyle": _l("Greulich-Pyle (hand)"),
    "tanner_whitehouse": _l("Tanner-Whitehouse (hand)"),
    "sauvegrain": _l("Sauvegrain (elbow)"),
    "shorthand": _l("Shorthand (Heyworth)"),
    "other": _l("Other"),
}


BAND_LABELS = {
    "insole": _l("No treatment, or insole / shoe raise"),
    "epiphysiodesis": _l("Epiphysiodesis window (growing child) or shortening"),
    "lengthening": _l("Lengthening"),
}
PHYSIS_LABELS = {
    "femur": _l("Distal femur"),
    "tibia": _l("Proximal tibia"),
    "both": _l("Distal femur and proximal tibia"),
}


def _column(sex: str) -> int:
    if sex not in SEXES:
        raise ValueError("sex must be male or female")
    return 1 if sex == "male" else 2


def multiplier(age_years: float, sex: str) -> float:
    """M for age and sex: the published value at a published age, linear between two published ages, 1.0 after."""
    column = _column(sex)
    if age_years < 0:
        raise ValueError("age cannot be negative")
    if age_years >= _AGES[-1]:
        return MULTIPLIERS[-1][column]
    index = bisect_right(_AGES, age_years) - 1
    lower, upper = MULTIPLIERS[index], MULTIPLIERS[index + 1]
    if age_years == lower[0]:
        return lower[column]
    fraction = (age_years - lower[0]) / (upper[0] - lower[0])
    return lower[column] + fraction * (upper[column] - lower[column])


def age_for_multiplier(m: float, sex: str) -> float | None:
    """The table read backwards: the earliest age whose M equals m (linear between published ages).
    None when m is above M at birth (no age has that much growth left)."""
    column = _column(sex)
    if m > MULTIPLIERS[0][column]:
        return None
    if m <= 1.0:
        return maturity_age(sex)
    for lower, upper in zip(MULTIPLIERS, MULTIPLIERS[1:]):
        high, low = lower[column], upper[column]
        if low <= m <= high:
            if high == low:
                return lower[0]
            return lower[0] + (high - m) / (high - low) * (upper[0] - lower[0])
    return maturity_age(sex)


def maturity_age(sex: str) -> float:
    """The first age at which the multiplier reaches 1.0 (growth is over)."""
    column = _column(sex)
    return next(row[0] for row in MULTIPLIERS if row[column] <= 1.0)


@dataclass
class Visit:
    on: date
    lld_mm: float
    long_leg_mm: float | None = None
    short_leg_mm: float | None = None
    bone_age_years: float | None = None
    bone_age_method: str | None = None
    femur_length_mm: float | None = None  # the long leg's femur, for timing
    tibia_length_mm: float | None = None  # the long leg's tibia, for timing


@dataclass
class Settings:
    """The configurable constants (DOMAIN.md): shares of growth, White-Menelaus rates and stop ages, bands."""

    femur_share: float = 0.71
    tibia_share: float = 0.57
    wm_femur_mm_per_year: float = 10.0
    wm_tibia_mm_per_year: float = 6.0
    wm_stop_age_male: float = 16.0
    wm_stop_age_female: float = 14.0
    disagreement_years: float = 1.0
    band_insole_below_mm: float = 20.0
    band_lengthening_above_mm: float = 50.0

    @classmethod
    def from_config(cls, config) -> Settings:
        return cls(
            femur_share=config["EPIPHYSIODESIS_FEMUR_SHARE"],
            tibia_share=config["EPIPHYSIODESIS_TIBIA_SHARE"],
            wm_femur_mm_per_year=config["WHITE_MENELAUS_FEMUR_MM_PER_YEAR"],
            wm_tibia_mm_per_year=config["WHITE_MENELAUS_TIBIA_MM_PER_YEAR"],
            wm_stop_age_male=config["WHITE_MENELAUS_STOP_AGE_MALE"],
            wm_stop_age_female=config["WHITE_MENELAUS_STOP_AGE_FEMALE"],
            disagreement_years=config["EPIPHYSIODESIS_METHODS_DISAGREE_YEARS"],
            band_insole_below_mm=config["LLD_BAND_INSOLE_BELOW_MM"],
            band_lengthening_above_mm=config["LLD_BAND_LENGTHENING_ABOVE_MM"],
        )


PHYSES = ("femur", "tibia", "both")


@dataclass
class Timing:
    """When an epiphysiodesis corrects the predicted discrepancy, by one method, for one physis (or both)."""

    physis: str  # femur | tibia | both
    method: str  # paley | white_menelaus
    status: str  # due | passed | impossible
    age_years: float | None = None
    on: date | None = None
    multiplier_needed: float | None = None


@dataclass
class AtVisit:
    """The prediction that a visit's data gave (for the chart: are predictions stable over visits?)."""

    on: date
    age_years: float
    value_mm: float


@dataclass
class Prediction:
    method: str  # "congenital" | "developmental" | "none"
    value_mm: float | None = None
    multiplier: float | None = None
    age_years: float | None = None
    age_source: str | None = None  # "bone age" or "chronological age"
    bone_age_method: str | None = None
    chronological_age_years: float | None = None
    measured_on: date | None = None
    sex: str | None = None
    inhibition: float | None = None
    growth_remaining_mm: float | None = None
    maturity_age: float | None = None
    grown: bool = False
    visits_used: list[date] = field(default_factory=list)
    history: list[AtVisit] = field(default_factory=list)
    band: str | None = None  # insole | epiphysiodesis | lengthening
    timings: list[Timing] = field(default_factory=list)
    methods_disagree: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.value_mm is not None

    def timing(self, physis: str, method: str) -> Timing | None:
        return next((t for t in self.timings if t.physis == physis and t.method == method), None)

    def as_record(self) -> dict:
        """A JSON-ready snapshot, stored with a decision so the minutes keep what the conference saw."""
        record = asdict(self)
        for key in ("measured_on",):
            record[key] = record[key].isoformat() if record[key] else None
        record["visits_used"] = [d.isoformat() for d in self.visits_used]
        record["history"] = [{**h, "on": h["on"].isoformat()} for h in record["history"]]
        record["timings"] = [{**t, "on": t["on"].isoformat() if t["on"] else None} for t in record["timings"]]
        return record


def _years_between(start: date, end: date) -> float:
    return (end - start).days / 365.25


def _add_years(day: date, years: float) -> date:
    return day + timedelta(days=round(years * 365.25))


def _age_at(visit: Visit, birth: date | None) -> tuple[float, str] | None:
    """The age the method uses at a visit: the bone age when one was recorded, else the chronological age."""
    if visit.bone_age_years is not None:
        return visit.bone_age_years, "bone age"
    if birth is not None:
        return _years_between(birth, visit.on), "chronological age"
    return None


def band_of(value_mm: float, settings: Settings) -> str:
    """Where a predicted discrepancy falls in the unit's treatment bands (information, never a decision)."""
    if value_mm < settings.band_insole_below_mm:
        return "insole"
    if value_mm <= settings.band_lengthening_above_mm:
        return "epiphysiodesis"
    return "lengthening"


def _paley_timing(
    physis: str, d_mm: float, femur_m: float | None, tibia_m: float | None, settings: Settings, now_m: float, sex: str
) -> Timing:
    """M_e for the physis from the bones' lengths at maturity; 'impossible' when that physis cannot correct D."""
    if physis == "femur":
        capacity = settings.femur_share * femur_m
    elif physis == "tibia":
        capacity = settings.tibia_share * tibia_m
    else:
        capacity = settings.femur_share * femur_m + settings.tibia_share * tibia_m
    if d_mm >= capacity:
        return Timing(physis, "paley", "impossible")
    needed = 1 / (1 - d_mm / capacity)
    age = age_for_multiplier(needed, sex)
    if age is None or needed > now_m:
        return Timing(physis, "paley", "passed", multiplier_needed=needed)
    return Timing(physis, "paley", "due", age_years=age, multiplier_needed=needed)


def _white_menelaus(physis: str, d_mm: float, chronological_age: float, sex: str, settings: Settings) -> Timing:
    """Growth stops at a fixed chronological age; each physis grows at a fixed rate until then."""
    stop = settings.wm_stop_age_male if sex == "male" else settings.wm_stop_age_female
    rate = {
        "femur": settings.wm_femur_mm_per_year,
        "tibia": settings.wm_tibia_mm_per_year,
        "both": settings.wm_femur_mm_per_year + settings.wm_tibia_mm_per_year,
    }[physis]
    age = stop - d_mm / rate
    if age < chronological_age:
        return Timing(physis, "white_menelaus", "passed")
    return Timing(physis, "white_menelaus", "due", age_years=age)


def _timings(result: Prediction, latest: Visit, birth: date | None, settings: Settings) -> None:
    """Epiphysiodesis timing by both methods, for a growing child in the epiphysiodesis band."""
    d_mm, sex = result.value_mm, result.sex
    if latest.femur_length_mm is None and latest.tibia_length_mm is None:
        result.notes.append(str(_l("Add the femur and tibia lengths of the long leg to time an epiphysiodesis.")))
        return
    m = result.multiplier
    femur_m = latest.femur_length_mm * m if latest.femur_length_mm is not None else None
    tibia_m = latest.tibia_length_mm * m if latest.tibia_length_mm is not None else None
    physes = [p for p, ok in (("femur", femur_m), ("tibia", tibia_m)) if ok is not None]
    if femur_m is not None and tibia_m is not None:
        physes.append("both")
    for physis in physes:
        timing = _paley_timing(physis, d_mm, femur_m, tibia_m, settings, m, sex)
        if timing.age_years is not None:  # the age is on the same scale as the age used (bone or chronological)
            timing.on = _add_years(latest.on, timing.age_years - result.age_years)
        result.timings.append(timing)
    if birth is None:
        result.notes.append(str(_l("The White-Menelaus cross-check needs the date of birth.")))
        return
    for physis in physes:
        timing = _white_menelaus(physis, d_mm, result.chronological_age_years, sex, settings)
        if timing.age_years is not None:
            timing.on = _add_years(birth, timing.age_years)
        result.timings.append(timing)
    for physis in physes:
        paley, wm = result.timing(physis, "paley"), result.timing(physis, "white_menelaus")
        if paley.on and wm.on and abs(_years_between(paley.on, wm.on)) > settings.disagreement_years:
            result.methods_disagree = True
        elif (paley.status == "due") != (wm.status == "due"):
            result.methods_disagree = True


def _developmental(visits: list[Visit], latest: Visit, m: float) -> tuple[float, float, Visit] | str:
    """(inhibition, growth remaining, first visit used) from the first and the latest visit with both leg lengths,
    or the reason it cannot be computed."""
    with_lengths = [v for v in visits if v.long_leg_mm is not None and v.short_leg_mm is not None]
    if latest.long_leg_mm is None or latest.short_leg_mm is None or len(with_lengths) < 2:
        return str(_l("The developmental prediction needs the lengths of both legs at two visits."))
    first = with_lengths[0]
    long_growth = latest.long_leg_mm - first.long_leg_mm
    short_growth = latest.short_leg_mm - first.short_leg_mm
    if long_growth <= 0:
        return str(_l("The long leg has not grown between the visits: the inhibition cannot be computed."))
    inhibition = 1 - short_growth / long_growth
    return inhibition, latest.long_leg_mm * (m - 1), first


def _value_at(pattern: str, visits: list[Visit], index: int, sex: str, birth: date | None) -> AtVisit | None:
    """What the prediction would have been with the data of visits[0..index] (None where it cannot be made)."""
    visit = visits[index]
    aged = _age_at(visit, birth)
    if aged is None or visit.lld_mm < 0:
        return None
    m = multiplier(aged[0], sex)
    if pattern == "congenital":
        return AtVisit(visit.on, aged[0], visit.lld_mm * m)
    computed = _developmental(visits[: index + 1], visit, m)
    if isinstance(computed, str):
        return None
    inhibition, growth_remaining, _first = computed
    return AtVisit(visit.on, aged[0], visit.lld_mm + inhibition * growth_remaining)


def predict(
    *, pattern: str, sex: str, birth: date | None, visits: list[Visit], settings: Settings | None = None
) -> Prediction:
    """Predict LLD at maturity from the latest visit (the developmental form also from the first with leg lengths),
    place it in the treatment bands and time an epiphysiodesis. Missing inputs give a Prediction without a value
    and notes that say what is missing."""
    settings = settings or Settings()
    result = Prediction(method=pattern if pattern in ("congenital", "developmental") else "none", sex=sex)
    if sex not in SEXES:
        result.notes.append(str(_l("The prediction needs the patient's sex.")))
    if not visits:
        result.notes.append(str(_l("Add a measurement to predict the discrepancy at maturity.")))
    if result.notes:
        return result
    visits = sorted(visits, key=lambda v: v.on)
    latest = visits[-1]
    aged = _age_at(latest, birth)
    if aged is None:
        result.notes.append(str(_l("The prediction needs the date of birth or a bone age.")))
        return result
    age, source = aged
    result.age_years, result.age_source, result.measured_on = age, source, latest.on
    result.bone_age_method = latest.bone_age_method if source == "bone age" else None
    result.chronological_age_years = _years_between(birth, latest.on) if birth is not None else None
    result.maturity_age = maturity_age(sex)
    m = multiplier(age, sex)
    result.multiplier = m
    if m <= 1.0:
        result.grown = True
        result.notes.append(str(_l("Growth is complete at this age: the current discrepancy is the final one.")))
        return result
    if pattern not in ("congenital", "developmental"):
        result.notes.append(str(_l("Set whether the discrepancy is congenital or developmental to predict it.")))
        return result
    if latest.lld_mm < 0:
        result.notes.append(str(_l("The discrepancy is negative: record it as a positive number and the short side.")))
        return result
    if pattern == "congenital":
        result.value_mm = latest.lld_mm * m
        result.visits_used = [latest.on]
    else:
        computed = _developmental(visits, latest, m)
        if isinstance(computed, str):
            result.notes.append(computed)
            return result
        result.inhibition, result.growth_remaining_mm, first = computed
        result.value_mm = latest.lld_mm + result.inhibition * result.growth_remaining_mm
        result.visits_used = [first.on, latest.on]
    result.history = [at for i in range(len(visits)) if (at := _value_at(pattern, visits, i, sex, birth))]
    if result.value_mm <= 0:
        result.notes.append(str(_l("No discrepancy is predicted at maturity.")))
        result.band = "insole"
        return result
    result.band = band_of(result.value_mm, settings)
    if result.band == "epiphysiodesis":
        _timings(result, latest, birth, settings)
    return result
