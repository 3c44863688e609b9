"""Benchmark: build the Word minutes of a 40-case meeting and compare with python-docx's floor.

The floor is what any python-docx document costs in the same run: open the default document and save it empty.
Prints median times (ms) over N runs, the ratio (target: at most 3x) and the document size.
Run: .venv/bin/python bench/minutes.py [runs]
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docx import Document  # noqa: E402

from conference.minutes.document import Action, CaseSection, MinutesData, build_minutes  # noqa: E402

LABELS = {
    key: key.replace("_", " ").capitalize()
    for key in (
        "draft_notice",
        "attendance",
        "specialty",
        "name",
        "attendance_status",
        "cases",
        "question",
        "measurement",
        "value",
        "decision",
        "rationale",
        "patient_wishes",
        "patient_response",
        "follow_up",
        "rehab",
        "actions",
        "action",
        "owner",
        "due",
        "open_actions",
        "status",
        "no_open_actions",
        "signature",
        "page",
        "of",
        "category",
        "case",
    )
}


def meeting(cases: int = 40) -> MinutesData:
    sections = []
    for n in range(1, cases + 1):
        sections.append(
            CaseSection(
                position=n,
                heading=f"Patient {n} Testsson, 2015{n:04d}-{n:04d}",
                question="Epifysiodes eller förlängning? Förväntad skillnad vid vuxen ålder över 5 cm.",
                measurements=[
                    ("LLD", f"{20 + n % 30} mm (standing long-leg radiograph, 2026-05-02)"),
                    ("Femur / tibia", "18 / 12 mm"),
                    ("mLDFA / MPTA", "88 / 86°"),
                    ("Predicted at maturity", f"{35 + n % 40:.1f} mm (congenital, M 1.67 at 6.0 y)"),
                ],
                outcome="Lengthening with intramedullary nail",
                rationale="Predicted discrepancy over 5 cm; the patient prefers a nail to an external frame. " * 2,
                patient_wishes="Vill kunna spela fotboll och slippa klack.",
                patient_response="Patient accepted",
                follow_up="2027-03-01",
                rehab=[
                    ("Weight-bearing", "Partial weight-bearing"),
                    ("Walking aids", "Crutches"),
                    ("Distraction", "2027-01-18 to 2027-03-08 (50 days, 1.0 mm/day)"),
                    ("End of consolidation (estimate)", "2027-08-24"),
                    ("Visits", "weekly, then every 4 weeks"),
                ],
                actions=[
                    Action("Book surgery and pre-operative visit", "Erik Sandberg", "2026-12-15"),
                    Action("Physiotherapy assessment", "Lisa Ek", "2027-01-05"),
                ],
            )
        )
    return MinutesData(
        title="MDT-konferens 2026-11-25",
        author="Erik Sandberg",
        unit="Limb deformity unit",
        created=datetime(2026, 11, 25, 16, 0),
        facts=[
            ("Date", "2026-11-25 14:00-16:00"),
            ("Room", "Konferensrum 3"),
            ("Chair", "Erik Sandberg"),
            ("Version", "1"),
        ],
        attendance=[(f"Specialty {k % 6}", f"Person {k}", "Present") for k in range(12)],
        cases=sections,
        open_actions=[Action(f"Earlier action {k}", "Karin Lund", "2026-12-01", "open") for k in range(10)],
        signature=["Signed by Erik Sandberg, 2026-11-25 16:05"],
        labels=LABELS,
    )


def floor() -> bytes:
    buffer = io.BytesIO()
    Document().save(buffer)
    return buffer.getvalue()


def median_ms(func, runs: int) -> tuple[float, object]:
    result, times = None, []
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main(runs: int = 30) -> None:
    data = meeting(40)
    build_minutes(data), floor()  # warm up imports and caches
    floor_ms, _ = median_ms(floor, runs)
    build_ms, document = median_ms(lambda: build_minutes(data), runs)
    print(f"python-docx floor (open default, save empty): {floor_ms:7.2f} ms median of {runs}")
    print(f"minutes, 40 cases:                            {build_ms:7.2f} ms median of {runs}")
    print(f"ratio:                                        {build_ms / floor_ms:7.2f}x (target <= 3x)")
    print(f"document size:                                {len(document) / 1024:7.1f} KiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
