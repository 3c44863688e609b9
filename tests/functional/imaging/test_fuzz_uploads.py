"""Uploads fuzzed with hypothesis (seeded, bounded): valid DICOM, PNG, JPEG and PDF files truncated, with bytes
flipped or overwritten, headers claiming huge sizes, random bytes behind real magic numbers, under any name and
claimed type. No answer is a 5xx; a refused file leaves nothing in the database or the image store."""

from __future__ import annotations

import io
import shutil
import struct
from datetime import date

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from conference.extensions import db
from conference.imaging.models import CaseImage
from conference.imaging.store import image_store
from tests.conftest import csrf_token
from tests.functional.cases.helpers import make_ready_case
from tests.functional.imaging.helpers import dicom_bytes, jpeg_bytes, jpeg_dicom_bytes, pdf_bytes, png_bytes


class _Patient:
    national_id, given_name, family_name, date_of_birth = "201006022384", "Barn0", "Testsson0", date(2020, 6, 2)


def _png_claiming(width: int, height: int) -> bytes:
    data = bytearray(png_bytes(8, 8))
    data[16:24] = struct.pack(">II", width, height)  # IHDR width/height, CRC left wrong
    return bytes(data)


SEEDS = [
    dicom_bytes(_Patient, rows=64, columns=32),
    dicom_bytes(_Patient, rows=64, columns=32, photometric="MONOCHROME1"),
    jpeg_dicom_bytes(_Patient, rows=48, columns=24),
    png_bytes(16, 12),
    jpeg_bytes(16, 12),
    pdf_bytes(),
    _png_claiming(100_000, 100_000),
]


@st.composite
def hostile(draw):
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["truncate", "flip", "overwrite", "insert", "garbage"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if action == "truncate":
            del data[at:]
        elif action == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[at : at + len(chunk)] = chunk
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            data = bytearray(
                draw(st.sampled_from([b"\0" * 128 + b"DICM", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"%PDF-1.7"]))
            )
            data += draw(st.binary(max_size=512))
    name = draw(st.sampled_from(["x.dcm", "x.png", "x.pdf", "", "../../etc/passwd", "Åsa Öberg 201006022384.jpg"]))
    mimetype = draw(st.sampled_from(["application/dicom", "image/png", "application/pdf", "text/html", ""]))
    fields = {
        "kind": draw(st.sampled_from(["long_leg_ap", "photo", "letter", "", "nonsense"])),
        "side": draw(st.sampled_from(["", "left", "right", "bilateral", "up"])),
        "taken_on": draw(st.sampled_from(["", "2024-01-15", "9999-12-31", "x"])),
    }
    return bytes(data), name, mimetype, fields


def test_fuzzed_uploads_never_answer_5xx_and_leave_nothing_behind(app, client, signed_in):
    user = signed_in("specialist")
    with app.app_context():
        case_id = make_ready_case(user, 0).id
        db.session.commit()
    store = app.config["IMAGE_STORE"]
    token = csrf_token(client, f"/imaging/case/{case_id}/add")
    seen: dict[int, int] = {}

    @seed(22)
    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(hostile())
    def run(example):
        data, name, mimetype, fields = example
        form = {"csrf_token": token, **fields, "file": (io.BytesIO(data), name, mimetype or None)}
        response = client.post(f"/imaging/case/{case_id}/add", data=form, content_type="multipart/form-data")
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, (response.status_code, name, data[:64])
        with app.app_context():
            rows = db.session.scalar(select(func.count()).select_from(CaseImage))
            files = [p for p in image_store().files() if "/files/" in str(p)]
            if response.status_code == 302:  # accepted (a flipped pixel is still an image): one row, one file
                assert rows == 1 and len(files) == 1
                db.session.execute(delete(CaseImage))
                db.session.commit()
            else:
                assert rows == 0 and image_store().files() == [], response.status_code
        shutil.rmtree(store, ignore_errors=True)

    run()
    assert sum(n for status, n in seen.items() if 400 <= status < 500) >= 40, seen
