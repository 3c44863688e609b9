from datetime import date

import pytest

from conference.meetings.rehab import distraction_plan


def test_issue_example_fifty_days_inclusive():
    plan = distraction_plan(
        surgery_on=date(2027, 1, 11), latency_days=7, rate_mm_per_day=1.0, target_mm=50, healing_index_days_per_cm=45
    )
    assert plan.distraction_start == date(2027, 1, 18)
    assert plan.distraction_end == date(2027, 3, 8)
    assert plan.distraction_days == 50
    # 45 days/cm x 5 cm = 225 days from surgery
    assert plan.consolidation_end == date(2027, 8, 24)
    assert not plan.rate_warning
    distraction_visits = [d for d, phase in plan.visits if phase == "distraction"]
    assert distraction_visits[0] == date(2027, 1, 18) and distraction_visits[-1] == date(2027, 3, 8)
    assert len(distraction_visits) == 8  # weekly: 18 Jan ... 8 Mar
    assert plan.visits[-1] == (date(2027, 8, 24), "consolidation")


@pytest.mark.parametrize(
    "surgery, latency, rate, target, start, end, days",
    [
        (date(2027, 2, 22), 5, 0.75, 30, date(2027, 2, 27), date(2027, 4, 7), 40),  # 30 / 0.75 = 40 days
        (date(2028, 2, 20), 7, 1.0, 10, date(2028, 2, 27), date(2028, 3, 7), 10),  # leap year: 29 Feb counted
        (date(2027, 6, 1), 10, 0.66, 20, date(2027, 6, 11), date(2027, 7, 11), 31),  # 30.3 days -> 31
    ],
)
def test_other_plans_by_hand(surgery, latency, rate, target, start, end, days):
    plan = distraction_plan(
        surgery_on=surgery, latency_days=latency, rate_mm_per_day=rate, target_mm=target, healing_index_days_per_cm=31.3
    )
    assert (plan.distraction_start, plan.distraction_end, plan.distraction_days) == (start, end, days)


def test_rate_above_one_and_a_half_mm_a_day_warns():
    plan = distraction_plan(
        surgery_on=date(2027, 1, 11), latency_days=7, rate_mm_per_day=2.0, target_mm=40, healing_index_days_per_cm=45
    )
    assert plan.rate_warning and plan.distraction_days == 20


def test_nonsense_inputs_are_refused():
    with pytest.raises(ValueError):
        distraction_plan(
            surgery_on=date(2027, 1, 11), latency_days=7, rate_mm_per_day=0, target_mm=40, healing_index_days_per_cm=45
        )
