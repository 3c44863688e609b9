"""One normaliser finds an identity number however it is written (the forms a booking form let through before)."""

import pytest

from conference.patients.identity import contains_identity_number


@pytest.mark.parametrize(
    "text",
    [
        "Konferens 190314-9811",
        "190314–9811 (en dash)",
        "190314—9811",
        "2019-03-14-9811",
        "190314_9811",
        "20190314 9811",
        "19 03 14 98 11",
        "samordning 190374-9811",  # day + 60
        "https://video.example-hospital.se/room/20190314-9811",
        "1903149811",
    ],
)
def test_identity_numbers_in_any_writing_are_found(text):
    assert contains_identity_number(text)


@pytest.mark.parametrize(
    "text",
    ["MDT benförlängning", "Rum 3, plan 4", "Tel 08-123 456 78", "2026-11-25 14:00", "https://meet.example/123456", ""],
)
def test_ordinary_text_passes(text):
    assert not contains_identity_number(text)
