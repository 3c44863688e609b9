"""Swedish national identity numbers: personnummer and samordningsnummer (Luhn-checked), and reserve numbers."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from conference.db import local_today


class IdentityKind(str, enum.Enum):
    personnummer = "personnummer"
    samordningsnummer = "samordningsnummer"
    reserve = "reserve"


class InvalidIdentityNumber(ValueError):
    pass


@dataclass(frozen=True)
class IdentityNumber:
    normalised: str  # 12 digits YYYYMMDDNNNC, or the reserve number as typed (upper case, no spaces)
    kind: IdentityKind
    birth_date: date | None
    sex: str | None  # "male" | "female", from the second-last digit

    @property
    def display(self) -> str:
        if self.kind is IdentityKind.reserve:
            return self.normalised
        return f"{self.normalised[:8]}-{self.normalised[8:]}"


_PATTERN = re.compile(r"^(\d{2})?(\d{6})([-+]?)(\d{4})$")
_RESERVE = re.compile(r"^[A-Z0-9]{6,20}$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def parse_identity_number(raw: str, *, today: date | None = None, allow_reserve: bool = False) -> IdentityNumber:
    """Validate and normalise a personnummer or samordningsnummer (or a reserve number when allowed).

    Accepts YYMMDD-NNNN, YYMMDD+NNNN (100 years or older), YYYYMMDDNNNN and YYYYMMDD-NNNN.
    Raises InvalidIdentityNumber with a message fit to show beside the field.
    """
    today = today or local_today()
    text = re.sub(r"\s", "", raw or "").upper()
    if not text:
        raise InvalidIdentityNumber(str(_l("Enter the patient's identity number.")))
    match = _PATTERN.match(text)
    if not match:
        if allow_reserve and _RESERVE.match(text.replace("-", "")):
            return IdentityNumber(text.replace("-", ""), IdentityKind.reserve, None, None)
        raise InvalidIdentityNumber(str(_l("Use the form YYYYMMDD-NNNN (or YYMMDD-NNNN).")))
    century, yymmdd, separator, tail = match.groups()
    if not luhn_ok(yymmdd + tail):
        raise InvalidIdentityNumber(str(_l("The check digit is wrong: check the number for a typing error.")))

    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    kind = IdentityKind.personnummer
    if day > 60:  # samordningsnummer: day of birth + 60
        kind = IdentityKind.samordningsnummer
        day -= 60
    if century:
        year = int(century) * 100 + yy
    else:
        year = (today.year // 100) * 100 + yy
        if year > today.year:
            year -= 100
        if separator == "+":
            year -= 100
    try:
        birth = date(year, month, day)
    except ValueError:
        raise InvalidIdentityNumber(str(_l("The date of birth in the number does not exist."))) from None
    if birth > today:
        raise InvalidIdentityNumber(str(_l("The date of birth in the number is in the future.")))
    if today.year - birth.year > 130:
        raise InvalidIdentityNumber(str(_l("The date of birth in the number is too far in the past.")))
    sex = "male" if int(tail[2]) % 2 else "female"
    return IdentityNumber(f"{birth:%Y%m%d}"[:4] + f"{yymmdd[2:]}" + tail, kind, birth, sex)


# Digits written with any separator people use between groups: spaces, hyphens and dashes, underscores, plus, dots.
_SEPARATED_DIGITS = re.compile(r"\d(?:[\s\-\u2010-\u2015\u2212_+./]*\d)+")


def contains_identity_number(text: str | None) -> bool:
    """Whether free text holds something that reads as a personnummer or samordningsnummer: 10 or 12 digits however
    they are separated (190314-9811, 190314–9811, 2019-03-14-9811, 190314_9811, 20190314 9811), whose date part is a
    possible date (the day plus 60 for a samordningsnummer). The check digit is not required: a mistyped number
    still identifies."""
    if not text:
        return False
    for match in _SEPARATED_DIGITS.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        for start in range(0, max(len(digits) - 9, 0)):
            for length in (12, 10):
                candidate = digits[start : start + length]
                if len(candidate) == length and _possible_date(candidate[: length - 4]):
                    return True
    return False


def _possible_date(part: str) -> bool:
    year = int(part[:-4]) if len(part) == 8 else 2000
    month, day = int(part[-4:-2]), int(part[-2:])
    if day > 60:
        day -= 60
    try:
        date(year if year > 0 else 2000, month, day)
    except ValueError:
        return False
    return True
