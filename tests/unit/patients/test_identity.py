from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conference.patients.identity import IdentityKind, InvalidIdentityNumber, luhn_ok, parse_identity_number
from conference.seed import check_digit

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    "raw, normalised, birth, sex",
    [
        ("19811218-9876", "198112189876", date(1981, 12, 18), "male"),  # Skatteverket's published example
        ("811218-9876", "198112189876", date(1981, 12, 18), "male"),
        ("198112189876", "198112189876", date(1981, 12, 18), "male"),
        ("201003142385", "201003142385", date(2010, 3, 14), "female"),
    ],
)
def test_valid_personnummer(raw, normalised, birth, sex):
    parsed = parse_identity_number(raw, today=TODAY)
    assert (parsed.normalised, parsed.birth_date, parsed.sex, parsed.kind) == (
        normalised,
        birth,
        sex,
        IdentityKind.personnummer,
    )


def test_samordningsnummer_day_plus_sixty():
    nine = "701063" + "238"  # born 1970-10-03
    number = f"{nine[:6]}-{nine[6:]}{check_digit(nine)}"
    parsed = parse_identity_number(number, today=TODAY)
    assert parsed.kind is IdentityKind.samordningsnummer
    assert parsed.birth_date == date(1970, 10, 3)
    assert parsed.normalised.startswith("19701063")


def test_plus_separator_means_a_hundred_years_or_older():
    nine = "150412" + "123"
    parsed = parse_identity_number(f"150412+123{check_digit(nine)}", today=TODAY)
    assert parsed.birth_date == date(1915, 4, 12)


@pytest.mark.parametrize(
    "raw, message",
    [
        ("19811218-9875", "check digit"),
        ("19810230-1234", None),  # 30 February: impossible date (checksum fixed below)
        ("abc", "YYYYMMDD"),
        ("", "Enter"),
    ],
)
def test_invalid_numbers_explain_why(raw, message):
    if raw == "19810230-1234":
        nine = "810230123"
        raw = f"19810230-123{check_digit(nine)}"
        message = "does not exist"
    with pytest.raises(InvalidIdentityNumber, match=message):
        parse_identity_number(raw, today=TODAY)


def test_future_birth_date_refused():
    nine = "301224123"
    with pytest.raises(InvalidIdentityNumber, match="future"):
        parse_identity_number(f"20301224-123{check_digit(nine)}", today=TODAY)


def test_reserve_number_only_when_allowed():
    with pytest.raises(InvalidIdentityNumber):
        parse_identity_number("RES1234567", today=TODAY)
    parsed = parse_identity_number("RES1234567", today=TODAY, allow_reserve=True)
    assert parsed.kind is IdentityKind.reserve and parsed.birth_date is None


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY), st.integers(0, 999))
def test_every_generated_number_parses_and_any_single_digit_change_fails(birth, serial):
    nine = f"{birth:%y%m%d}{serial:03d}"
    number = f"{birth:%Y%m%d}{serial:03d}{check_digit(nine)}"
    assert parse_identity_number(number, today=TODAY).birth_date == birth
    wrong_check = (int(number[-1]) + 1) % 10
    assert not luhn_ok(number[2:-1] + str(wrong_check))
