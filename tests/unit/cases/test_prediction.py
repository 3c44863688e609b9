"""The Paley multiplier method, epiphysiodesis timing and the White-Menelaus cross-check, against the published table
and against timings worked out by hand from DOMAIN.md's formulas (the arithmetic is in each test's comments)."""

from datetime import date

import pytest

from conference.cases.prediction import (
    MULTIPLIERS,
    Settings,
    Visit,
    age_for_multiplier,
    band_of,
    maturity_age,
    multiplier,
    predict,
)

ON = date(2026, 6, 1)

# The published table of DOMAIN.md, typed in again here (not imported) so a slip in either copy fails the test.
PUBLISHED = """
0 5.080 4.630 | 0.25 4.550 4.355 | 0.5 4.050 3.725 | 0.75 3.600 3.300 | 1 3.240 2.970 | 1.25 2.975 2.750
1.5 2.825 2.600 | 1.75 2.700 2.490 | 2 2.590 2.390 | 2.25 2.480 2.295 | 2.5 2.385 2.200 | 2.75 2.300 2.125
3 2.230 2.050 | 3.5 2.110 1.925 | 4 2.000 1.830 | 4.5 1.890 1.740 | 5 1.820 1.660 | 5.5 1.740 1.580
6 1.670 1.510 | 6.5 1.620 1.460 | 7 1.570 1.430 | 7.5 1.520 1.370 | 8 1.470 1.330 | 8.5 1.420 1.290
9 1.380 1.260 | 9.5 1.340 1.220 | 10 1.310 1.190 | 10.5 1.280 1.160 | 11 1.240 1.130 | 11.5 1.220 1.100
12 1.180 1.070 | 12.5 1.160 1.050 | 13 1.130 1.030 | 13.5 1.100 1.010 | 14 1.080 1.000 | 14.5 1.060 1.000
15 1.040 1.000 | 15.5 1.020 1.000 | 16 1.010 1.000 | 16.5 1.010 1.000 | 17 1.000 1.000
"""
ROWS = [tuple(float(x) for x in cell.split()) for line in PUBLISHED.strip().splitlines() for cell in line.split("|")]


def _born(age_years: float, on: date) -> date:
    return date.fromordinal(on.toordinal() - round(age_years * 365.25))


def test_the_table_has_the_41_published_ages():
    assert len(ROWS) == 41 and len(MULTIPLIERS) == 41


@pytest.mark.parametrize("age, boys, girls", ROWS)
def test_every_published_row_is_returned_exactly_at_its_age(age, boys, girls):
    assert multiplier(age, "male") == boys
    assert multiplier(age, "female") == girls


@pytest.mark.parametrize(
    "age, sex, m",
    [
        # Six off-grid ages, interpolated by hand between the two published neighbours.
        (0.125, "male", (5.080 + 4.550) / 2),  # 4.815
        (1.125, "female", (2.970 + 2.750) / 2),  # 2.860 (the old 22-row table gave 2.8775)
        (2.1, "male", 2.590 + 0.4 * (2.480 - 2.590)),  # 2.546
        (8.25, "female", (1.330 + 1.290) / 2),  # 1.310
        (13.75, "male", (1.100 + 1.080) / 2),  # 1.090
        (16.25, "male", 1.010),  # between two equal values
    ],
)
def test_off_grid_ages_interpolate_between_published_neighbours(age, sex, m):
    assert multiplier(age, sex) == pytest.approx(m, abs=1e-9)


def test_the_issue_example_boy_bone_age_1_25_with_20_mm():
    # Published M(1.25 y, boy) = 2.975 -> 20 x 2.975 = 59.5 mm (the old table interpolated 3.0325 -> 60.7 mm).
    result = predict(pattern="congenital", sex="male", birth=_born(2, ON), visits=[Visit(ON, 20, bone_age_years=1.25)])
    assert result.value_mm == pytest.approx(59.5) and result.multiplier == 2.975
    assert result.age_source == "bone age" and result.age_years == 1.25


def test_congenital_boy_six_with_30_mm():
    result = predict(pattern="congenital", sex="male", birth=_born(6, ON), visits=[Visit(ON, 30)])
    assert result.multiplier == pytest.approx(1.67, abs=1e-3)
    assert result.value_mm == pytest.approx(50.1, abs=0.05)
    assert result.age_source == "chronological age" and result.age_years == pytest.approx(6, abs=0.01)
    assert result.band == "lengthening"  # over 50 mm


def test_bone_age_and_its_method_are_used_when_given():
    # chronologically 8, bone age 10: M(10, girl) = 1.19 -> 20 x 1.19 = 23.8
    visit = Visit(ON, 20, bone_age_years=10, bone_age_method="greulich_pyle")
    result = predict(pattern="congenital", sex="female", birth=_born(8, ON), visits=[visit])
    assert result.age_source == "bone age" and result.value_mm == pytest.approx(23.8, abs=0.01)
    assert result.bone_age_method == "greulich_pyle"
    assert result.chronological_age_years == pytest.approx(8, abs=0.01)


def test_the_table_read_backwards():
    assert age_for_multiplier(1.24, "male") == 11.0
    assert age_for_multiplier(1.09, "male") == pytest.approx(13.75)
    assert age_for_multiplier(1.01, "male") == 16.0  # the earliest age of a plateau
    assert age_for_multiplier(1.0, "female") == 14.0
    assert age_for_multiplier(6.0, "male") is None  # more growth than at birth


def _paley(result, physis):
    return result.timing(physis, "paley")


def _wm(result, physis):
    return result.timing(physis, "white_menelaus")


def test_timing_boy_bone_age_11_femur_450_tibia_370_congenital_20_mm():
    # M(11, boy) = 1.24 -> D = 20 x 1.24 = 24.8 mm (epiphysiodesis band, 20-50 mm).
    # Fm = 450 x 1.24 = 558, Tm = 370 x 1.24 = 458.8.
    # Femur: M_e = 558 / (558 - 24.8/0.71) = 558 / 523.070 = 1.06678; boys 14 y -> 1.08, 14.5 y -> 1.06:
    #        age = 14 + (1.08 - 1.06678) / 0.02 x 0.5 = 14.33.
    # Tibia: M_e = 458.8 / (458.8 - 24.8/0.57) = 458.8 / 415.291 = 1.10477; 13 y -> 1.13, 13.5 y -> 1.10:
    #        age = 13 + (1.13 - 1.10477) / 0.03 x 0.5 = 13.42.
    # Both:  1 - 1/M_e = 24.8 / (0.71 x 558 + 0.57 x 458.8) = 24.8 / 657.696 = 0.037708 -> M_e = 1.03919;
    #        15 y -> 1.04, 15.5 y -> 1.02: age = 15 + (1.04 - 1.03919) / 0.02 x 0.5 = 15.02.
    # White-Menelaus (chronological age 11, boys stop at 16): femur 16 - 24.8/10 = 13.52; tibia 16 - 24.8/6 = 11.87;
    #        both 16 - 24.8/16 = 14.45.
    visit = Visit(ON, 20, bone_age_years=11.0, femur_length_mm=450, tibia_length_mm=370)
    result = predict(pattern="congenital", sex="male", birth=_born(11, ON), visits=[visit])
    assert result.value_mm == pytest.approx(24.8) and result.band == "epiphysiodesis"
    assert _paley(result, "femur").multiplier_needed == pytest.approx(1.06678, abs=1e-5)
    assert _paley(result, "femur").age_years == pytest.approx(14.33, abs=0.005)
    assert _paley(result, "tibia").multiplier_needed == pytest.approx(1.10477, abs=1e-5)
    assert _paley(result, "tibia").age_years == pytest.approx(13.42, abs=0.005)
    assert _paley(result, "both").multiplier_needed == pytest.approx(1.03919, abs=1e-5)
    assert _paley(result, "both").age_years == pytest.approx(15.02, abs=0.005)
    # Calendar date: the bone-age scale counted from the measurement, 14.33 - 11 = 3.33 years after it.
    assert _paley(result, "femur").on == date.fromordinal(ON.toordinal() + round((14.3305 - 11) * 365.25))
    assert _wm(result, "femur").age_years == pytest.approx(13.52)
    assert _wm(result, "tibia").age_years == pytest.approx(11.8667, abs=1e-4)
    assert _wm(result, "both").age_years == pytest.approx(14.45)
    # Femur: 14.33 against 13.52 is 0.8 years apart; tibia 13.42 against 11.87 is 1.55 years: the methods disagree.
    assert result.methods_disagree


def test_timing_girl_bone_age_11_femur_450_tibia_370_congenital_20_mm():
    # M(11, girl) = 1.13 -> D = 22.6 mm. For a congenital discrepancy M_e = L / (L - d/s), whatever M is now:
    # femur 450 / (450 - 20/0.71) = 1.06678; tibia 370 / (370 - 20/0.57) = 1.10477; both 1.03919 (as for the boy).
    # Girls: femur 12 y -> 1.07, 12.5 y -> 1.05: 12 + (1.07 - 1.06678)/0.02 x 0.5 = 12.08;
    #        tibia 11 y -> 1.13, 11.5 y -> 1.10: 11 + (1.13 - 1.10477)/0.03 x 0.5 = 11.42;
    #        both 12.5 y -> 1.05, 13 y -> 1.03: 12.5 + (1.05 - 1.03919)/0.02 x 0.5 = 12.77.
    # White-Menelaus (girls stop at 14): femur 14 - 2.26 = 11.74; tibia 14 - 3.767 = 10.23 (before 11: passed).
    visit = Visit(ON, 20, bone_age_years=11.0, femur_length_mm=450, tibia_length_mm=370)
    result = predict(pattern="congenital", sex="female", birth=_born(11, ON), visits=[visit])
    assert result.value_mm == pytest.approx(22.6)
    assert _paley(result, "femur").age_years == pytest.approx(12.08, abs=0.005)
    assert _paley(result, "tibia").age_years == pytest.approx(11.42, abs=0.005)
    assert _paley(result, "both").age_years == pytest.approx(12.77, abs=0.005)
    assert _wm(result, "femur").age_years == pytest.approx(11.74)
    assert _wm(result, "tibia").status == "passed"
    assert result.methods_disagree  # one method says the tibial window has passed, the other not


def test_femur_only_and_tibia_only():
    # Boy, bone age 11, femur 450 only: only the femoral timing (and no combined one) can be given.
    femur_only = predict(
        pattern="congenital",
        sex="male",
        birth=_born(11, ON),
        visits=[Visit(ON, 20, bone_age_years=11.0, femur_length_mm=450)],
    )
    assert [(t.physis, t.method) for t in femur_only.timings] == [("femur", "paley"), ("femur", "white_menelaus")]
    assert _paley(femur_only, "femur").age_years == pytest.approx(14.33, abs=0.005)
    # Tibia 370 only: 13.42 as above.
    tibia_only = predict(
        pattern="congenital",
        sex="male",
        birth=_born(11, ON),
        visits=[Visit(ON, 20, bone_age_years=11.0, tibia_length_mm=370)],
    )
    assert {t.physis for t in tibia_only.timings} == {"tibia"}
    assert _paley(tibia_only, "tibia").age_years == pytest.approx(13.42, abs=0.005)


def test_a_window_that_has_passed_is_said_plainly():
    # Boy, bone age 14 (M 1.08), congenital 30 mm -> D = 32.4 mm. Femur 480: M_e = 480 / (480 - 30/0.71)
    # = 480 / 437.75 = 1.0965, above his M now (1.08): the operation was due when M was 1.0965 (age 13.56): passed.
    # Tibia 390: M_e = 390 / (390 - 30/0.57) = 1.1560, also passed. Both: 1 - 1/M_e = 32.4 / (0.71 x 518.4 +
    # 0.57 x 421.2) = 32.4 / 608.1 -> M_e = 1.0563, below 1.08: due at 14 + (1.08 - 1.0563)/0.02 x 0.5 = 14.59.
    visit = Visit(ON, 30, bone_age_years=14.0, femur_length_mm=480, tibia_length_mm=390)
    result = predict(pattern="congenital", sex="male", birth=_born(14, ON), visits=[visit])
    assert _paley(result, "femur").status == "passed" and _paley(result, "femur").on is None
    assert _paley(result, "tibia").status == "passed"
    assert _paley(result, "both").status == "due"
    assert _paley(result, "both").age_years == pytest.approx(14.59, abs=0.01)


def test_a_discrepancy_one_physis_cannot_correct():
    # Girl aged 4 (M 1.83), 27 mm congenital -> 49.4 mm; tibia 150 mm -> Tm 274.5, 0.57 x 274.5 = 156.5 > 49.4,
    # so possible; with a tibia of 40 mm (implausible, but the arithmetic must hold): 0.57 x 73.2 = 41.7 < 49.4.
    visit = Visit(ON, 27, tibia_length_mm=40)
    result = predict(pattern="congenital", sex="female", birth=_born(4, ON), visits=[visit])
    assert _paley(result, "tibia").status == "impossible"


def test_timing_only_in_the_epiphysiodesis_band_and_shares_from_settings():
    # 10 mm x 1.24 = 12.4 mm: below 20, no timing.
    small = predict(
        pattern="congenital",
        sex="male",
        birth=_born(11, ON),
        visits=[Visit(ON, 10, bone_age_years=11.0, femur_length_mm=450)],
    )
    assert small.band == "insole" and small.timings == []
    # With the femoral share set to 0.70 (Pritchett): M_e = 450 / (450 - 20/0.70) = 1.06780.
    settings = Settings(femur_share=0.70)
    result = predict(
        pattern="congenital",
        sex="male",
        birth=_born(11, ON),
        visits=[Visit(ON, 20, bone_age_years=11.0, femur_length_mm=450)],
        settings=settings,
    )
    assert _paley(result, "femur").multiplier_needed == pytest.approx(1.06780, abs=1e-5)


def test_bands_are_configurable():
    settings = Settings(band_insole_below_mm=10, band_lengthening_above_mm=40)
    assert band_of(9.9, settings) == "insole"
    assert band_of(10, settings) == "epiphysiodesis"
    assert band_of(40, settings) == "epiphysiodesis"
    assert band_of(40.1, settings) == "lengthening"


def test_developmental_formula_by_hand_uses_the_first_and_the_latest_visit():
    # Boy aged 10 at the latest visit. Between the first (2024) and the latest visit the long leg grew 40 mm and
    # the short 30 mm: I = 1 - 30/40 = 0.25 (the middle visit is not used for I).
    # G = 520 x (1.31 - 1) = 161.2 mm; LLD at maturity = 15 + 0.25 x 161.2 = 55.3 mm.
    visits = [
        Visit(date(2024, 6, 1), 5, long_leg_mm=480, short_leg_mm=475),
        Visit(date(2025, 6, 1), 10, long_leg_mm=500, short_leg_mm=490),
        Visit(ON, 15, long_leg_mm=520, short_leg_mm=505),
    ]
    result = predict(pattern="developmental", sex="male", birth=_born(10, ON), visits=visits)
    assert result.inhibition == pytest.approx(0.25)
    assert result.growth_remaining_mm == pytest.approx(161.2, abs=0.1)
    assert result.value_mm == pytest.approx(55.3, abs=0.05)
    assert result.visits_used == [date(2024, 6, 1), ON]
    # The prediction at each visit: none at the first (one visit only), then from visits 1-2 and 1-3.
    # At the second visit (age ~9, M 1.38): I = 1 - 15/20 = 0.25, G = 500 x 0.38 = 190 -> 10 + 47.5 = 57.5 mm.
    assert [h.on for h in result.history] == [date(2025, 6, 1), ON]
    assert result.history[0].value_mm == pytest.approx(57.5, abs=0.2)
    assert result.history[1].value_mm == pytest.approx(result.value_mm)


def test_missing_inputs_explain_themselves():
    result = predict(pattern="developmental", sex="male", birth=_born(10, ON), visits=[Visit(ON, 15)])
    assert result.value_mm is None and any("two visits" in note for note in result.notes)
    result = predict(pattern="unknown", sex="unknown", birth=None, visits=[])
    assert result.value_mm is None and len(result.notes) == 2  # sex, and a measurement
    result = predict(pattern="congenital", sex="female", birth=None, visits=[Visit(ON, 10)])
    assert result.value_mm is None and any("date of birth or a bone age" in n for n in result.notes)


def test_after_maturity_there_is_no_prediction_and_no_request_for_two_visits():
    result = predict(pattern="developmental", sex="female", birth=_born(15, ON), visits=[Visit(ON, 22)])
    assert result.value_mm is None and result.grown
    assert len(result.notes) == 1 and "Growth is complete" in result.notes[0]
    adult = predict(pattern="unknown", sex="male", birth=_born(27.5, ON), visits=[Visit(ON, 45)])
    assert adult.grown and adult.value_mm is None and len(adult.notes) == 1


def test_zero_and_negative_discrepancy():
    zero = predict(pattern="congenital", sex="male", birth=_born(8, ON), visits=[Visit(ON, 0, femur_length_mm=380)])
    assert zero.value_mm == 0 and zero.band == "insole" and zero.timings == []
    negative = predict(pattern="congenital", sex="male", birth=_born(8, ON), visits=[Visit(ON, -5)])
    assert negative.value_mm is None and any("negative" in n for n in negative.notes)


def test_the_record_is_json_ready():
    import json

    visit = Visit(ON, 20, bone_age_years=11.0, femur_length_mm=450, tibia_length_mm=370)
    record = predict(pattern="congenital", sex="male", birth=_born(11, ON), visits=[visit]).as_record()
    again = json.loads(json.dumps(record))
    assert again["value_mm"] == pytest.approx(24.8) and again["measured_on"] == ON.isoformat()
    assert {t["physis"] for t in again["timings"]} == {"femur", "tibia", "both"}


def test_maturity_ages():
    assert maturity_age("male") == 17 and maturity_age("female") == 14
