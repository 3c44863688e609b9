from datetime import date

import pytest

from conference.cases.prediction import Visit, maturity_age, multiplier, predict


def _born(age_years: float, on: date) -> date:
    return date.fromordinal(on.toordinal() - round(age_years * 365.25))


ON = date(2026, 6, 1)


def test_congenital_boy_six_with_30_mm():
    result = predict(pattern="congenital", sex="male", birth=_born(6, ON), visits=[Visit(ON, 30)])
    assert result.multiplier == pytest.approx(1.67, abs=1e-3)
    assert result.value_mm == pytest.approx(50.1, abs=0.05)
    assert result.age_source == "chronological age" and result.age_years == pytest.approx(6, abs=0.01)


@pytest.mark.parametrize(
    "age, sex, m",
    [
        (0, "male", 5.080),
        (0, "female", 4.630),
        (6, "female", 1.510),
        (6.5, "male", 1.62),
        (13.5, "female", 1.015),
        (0.125, "male", (5.080 + 4.550) / 2),
        (1.25, "female", (2.970 + 2.600) / 2),
        (17, "male", 1.0),
        (19, "male", 1.0),
        (15, "female", 1.0),
    ],
)
def test_multiplier_interpolates_linearly(age, sex, m):
    assert multiplier(age, sex) == pytest.approx(m, abs=1e-6)


def test_bone_age_is_used_when_given():
    # chronologically 8, bone age 10: M(10, girl) = 1.19 -> 20 x 1.19 = 23.8
    result = predict(pattern="congenital", sex="female", birth=_born(8, ON), visits=[Visit(ON, 20, bone_age_years=10)])
    assert result.age_source == "bone age" and result.value_mm == pytest.approx(23.8, abs=0.01)


def test_developmental_formula_by_hand():
    # Boy aged 10 at the latest visit. Between visits the long leg grew 20 mm and the short 15 mm: I = 0.25.
    # G = 520 x (1.31 - 1) = 161.2 mm; LLD at maturity = 15 + 0.25 x 161.2 = 55.3 mm.
    visits = [
        Visit(date(2025, 6, 1), 10, long_leg_mm=500, short_leg_mm=490),
        Visit(ON, 15, long_leg_mm=520, short_leg_mm=505),
    ]
    result = predict(pattern="developmental", sex="male", birth=_born(10, ON), visits=visits)
    assert result.inhibition == pytest.approx(0.25)
    assert result.growth_remaining_mm == pytest.approx(161.2, abs=0.1)
    assert result.value_mm == pytest.approx(55.3, abs=0.05)


def test_missing_inputs_explain_themselves():
    result = predict(pattern="developmental", sex="male", birth=_born(10, ON), visits=[Visit(ON, 15)])
    assert result.value_mm is None and any("two visits" in note for note in result.notes)
    result = predict(pattern="unknown", sex="unknown", birth=None, visits=[])
    assert result.value_mm is None and len(result.notes) == 3


def test_after_maturity_the_discrepancy_stays():
    result = predict(pattern="congenital", sex="female", birth=_born(15, ON), visits=[Visit(ON, 22)])
    assert result.value_mm == pytest.approx(22) and result.notes


def test_maturity_ages():
    assert maturity_age("male") == 17 and maturity_age("female") == 14
