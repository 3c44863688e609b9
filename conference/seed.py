"""A realistic demo unit for `flask seed-demo`: staff, patients (and, as modules arrive, conferences and cases).

Every identity number is generated with a valid check digit from a serial in the 98xx range, so it will not
belong to a real person in our records; names are invented."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from conference.db import local_today, utcnow
from conference.extensions import db
from conference.patients.identity import parse_identity_number
from conference.people import services as people
from conference.people.models import Role, Specialty, User

DEMO_PASSWORD = "demo-konferens-2026"

DEMO_STAFF = [
    # (email, name, role, specialty, title, locale)
    ("admin@example-hospital.se", "Ingrid Admin", Role.admin, None, "Systemförvaltare", "sv"),
    ("koordinator@example-hospital.se", "Karin Lund", Role.coordinator, None, "MDT-koordinator", "sv"),
    (
        "ortoped1@example-hospital.se",
        "Erik Sandberg",
        Role.specialist,
        Specialty.orthopaedic_surgeon,
        "Överläkare",
        "sv",
    ),
    (
        "ortoped2@example-hospital.se",
        "Maria Holm",
        Role.specialist,
        Specialty.orthopaedic_surgeon,
        "Specialistläkare",
        "sv",
    ),
    (
        "endokrinolog@example-hospital.se",
        "Sara Nyström",
        Role.specialist,
        Specialty.endocrinologist,
        "Överläkare",
        "sv",
    ),
    ("genetiker@example-hospital.se", "Johan Berg", Role.specialist, Specialty.clinical_geneticist, "Överläkare", "sv"),
    ("fysioterapeut@example-hospital.se", "Lisa Ek", Role.specialist, Specialty.physiotherapist, "Fysioterapeut", "sv"),
    (
        "arbetsterapeut@example-hospital.se",
        "Anna Lind",
        Role.specialist,
        Specialty.occupational_therapist,
        "Arbetsterapeut",
        "en",
    ),
]

# (birth date, serial 3 digits, given name, family name)
DEMO_PATIENTS = [
    (date(2019, 3, 14), "981", "Elsa", "Johansson"),  # girl, 7
    (date(2020, 6, 2), "983", "Noah", "Karlsson"),  # boy, 6
    (date(2014, 11, 21), "984", "Alva", "Nilsson"),  # girl, 12
    (date(2012, 1, 9), "985", "Liam", "Eriksson"),  # boy, 14
    (date(1998, 8, 30), "987", "Oskar", "Larsson"),  # adult man
    (date(2016, 5, 17), "982", "Maja", "Persson"),  # girl, 10
    (date(2011, 9, 3), "989", "Hugo", "Svensson"),  # boy, 15
    (date(2001, 2, 26), "986", "Ella", "Gustafsson"),  # adult woman
    (date(2013, 10, 8), "988", "Wilma", "Berglund"),  # girl, 13
    (date(1996, 4, 11), "972", "Sara", "Lind"),  # adult woman, lengthening by nail
    (date(2011, 7, 19), "973", "Arvid", "Holm"),  # boy, 15, lengthening by frame
]


def check_digit(nine_digits: str) -> str:
    total = 0
    for index, char in enumerate(nine_digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def demo_identity(birth: date, serial: str) -> str:
    nine = f"{birth:%y%m%d}{serial}"
    return f"{birth:%Y%m%d}-{serial}{check_digit(nine)}"


def seed_demo(*, history: bool = True) -> list[User] | None:
    """Create the demo unit (with two years of held meetings for the quality page unless history=False). Returns
    the staff created, or None when the demo was already seeded."""
    if db.session.scalar(select(User).where(User.email == DEMO_STAFF[1][0])) is not None:
        return None
    staff = [
        people.create_user(
            email=email, name=name, role=role, specialty=specialty, title=title, locale=locale, password=DEMO_PASSWORD
        )
        for email, name, role, specialty, title, locale in DEMO_STAFF
    ]
    by_email = {user.email: user for user in staff}
    coordinator = by_email["koordinator@example-hospital.se"]

    from conference.patients import services as patients

    demo_patients = []
    for birth, serial, given, family in DEMO_PATIENTS:
        identity = parse_identity_number(demo_identity(birth, serial))
        demo_patients.append(
            patients.create_patient(
                identity=identity, given_name=given, family_name=family, sex=identity.sex, actor=coordinator
            )
        )
    series = seed_conferences(by_email)
    seed_cases(by_email, demo_patients, series)
    seed_images(by_email)
    seed_past_meeting(by_email, demo_patients)
    seed_rehabilitation(by_email, demo_patients)
    if history:
        seed_history(by_email)
    return staff


def seed_conferences(staff: dict[str, User]):
    """The unit's weekly conference: Wednesdays 14:00-16:00, all specialists as standing participants."""
    from datetime import datetime, timedelta

    from conference.conferences import services as conferences
    from conference.conferences.models import InvitationRole

    tz = conferences.unit_tz()
    today = local_today()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7 or 7)
    first = datetime(wednesday.year, wednesday.month, wednesday.day, 14, 0, tzinfo=tz)
    chair = staff["ortoped1@example-hospital.se"]
    participants = [
        conferences.Participant(user, InvitationRole.required)
        for user in staff.values()
        if user.role is Role.specialist and user is not chair
    ]
    return conferences.book_series(
        actor=staff["koordinator@example-hospital.se"],
        title="MDT-konferens benlängdsskillnad och felställning",
        first_start=first,
        duration_minutes=120,
        rrule=conferences.weekly_rrule(first),
        location="Konferensrum Ortopedi 3",
        video_link="https://video.example-hospital.se/mdt-ortopedi",
        capacity=10,
        case_deadline_hours=48,
        chair=chair,
        participants=participants,
    )


# (patient index, proforma, [(age in years, LLD mm, long leg mm, short leg mm)], listed?)
DEMO_CASES = [
    (
        1,
        dict(
            diagnosis="congenital_femoral_deficiency",
            side="left",
            growth_pattern="congenital",
            question="Förväntad skillnad vid vuxen ålder över 5 cm: planera förlängning, och när?",
            clinical_summary="Kongenital femurhypoplasi vänster, stabil knä- och höftled. Går obehindrat med 2 cm klack.",
            patient_wishes="Föräldrarna vill veta vad som väntar; Noah vill kunna spela fotboll med kompisarna.",
            symptoms="Tröttnar efter längre promenader.",
            priority="routine",
            required_specialties=["orthopaedic_surgeon", "physiotherapist"],
        ),
        [(4.0, 22, None, None), (5.0, 26, None, None), (6.0, 30, None, None)],
        True,
    ),
    (
        0,
        dict(
            diagnosis="fibular_hemimelia",
            side="right",
            growth_pattern="congenital",
            question="Inlägg nu, och förlängning eller epifysiodes senare?",
            clinical_summary="Fibulär hemimeli höger typ 1, lätt valgus i knät.",
            patient_wishes="Elsa vill slippa klacken i gympaskorna.",
            symptoms="Haltar när hon är trött.",
            priority="soon",
            required_specialties=["orthopaedic_surgeon"],
        ),
        [(5.0, 14, None, None), (6.0, 16, None, None), (7.0, 18, None, None)],
        True,
    ),
    (
        3,
        dict(
            diagnosis="beckwith_wiedemann",
            side="left",
            growth_pattern="developmental",
            question="Epifysiodes av höger ben nu? Tumörkontroller fortsatt?",
            clinical_summary="Beckwith-Wiedemann-spektrum med hemihypertrofi höger. Ultraljud buk utan anmärkning.",
            patient_wishes="Vill bli jämnlång utan stor operation.",
            symptoms="Ryggont efter träning.",
            priority="urgent",
            required_specialties=["clinical_geneticist", "endocrinologist"],
        ),
        [(12.0, 18, 820, 802), (13.0, 22, 845, 823), (14.0, 25, 866, 841)],
        True,
    ),
    (
        2,
        dict(
            diagnosis="physeal_injury",
            side="right",
            growth_pattern="developmental",
            question="Växtplattsskada distala femur efter osteomyelit: epifysiodes vänster?",
            clinical_summary="Osteomyelit distala femur höger vid 8 års ålder, partiell fysärbrygga.",
            patient_wishes="Alva vill inte ha yttre fixatör.",
            symptoms="Inga smärtor.",
            priority="routine",
            required_specialties=["orthopaedic_surgeon"],
        ),
        [(10.0, 8, 700, 692), (11.0, 12, 730, 718), (12.0, 16, 758, 742)],
        False,
    ),
    (
        4,
        dict(
            diagnosis="post_traumatic",
            side="left",
            growth_pattern="congenital",
            question="Förlängning med märgspik 45 mm och samtidig korrektion av varus?",
            clinical_summary="Tibiafraktur vänster vid 19 års ålder, läkt i 6 graders varus med 45 mm förkortning.",
            patient_wishes="Vill förlängas med spik, inte yttre ram; arbetar som snickare.",
            symptoms="Knäsmärta medialt, ländryggsvärk.",
            priority="routine",
            required_specialties=["orthopaedic_surgeon", "physiotherapist", "occupational_therapist"],
        ),
        [(27.5, 45, None, None)],
        False,
    ),
    (
        5,
        dict(
            diagnosis="mhe",
            side="left",
            growth_pattern="unknown",
            question="Exostoser distala femur och proximala tibia; guidad tillväxt?",
            clinical_summary="Multipla hereditära exostoser, ärftligt från far.",
            priority="routine",
            required_specialties=["clinical_geneticist"],
        ),
        [],
        False,
    ),
    (
        6,
        dict(
            diagnosis="ollier",
            side="right",
            growth_pattern="developmental",
            question="Kvarstående skillnad vid 15 år: förlängning eller acceptera?",
            priority="routine",
        ),
        [],
        False,
    ),
]


# Long-leg bone lengths at the latest visit (patient index -> fields), so the demo shows epiphysiodesis timing.
DEMO_LAST_VISIT_EXTRAS = {0: dict(femur_length_mm=330.0, tibia_length_mm=270.0)}


def seed_cases(staff: dict[str, User], patients: list, series):
    """Cases in every state, with measurements over several visits; some listed on the next open conference."""
    from datetime import timedelta

    from conference.cases import services as cases

    coordinator = staff["koordinator@example-hospital.se"]
    referrer = staff["ortoped2@example-hospital.se"]
    now = utcnow()
    open_conferences = [c for c in series.conferences if c.case_deadline > now]
    for index, proforma, visits, listed in DEMO_CASES:
        patient = patients[index]
        case = cases.refer_case(
            patient=patient,
            actor=referrer,
            fields={"referring_clinician": referrer.name, "referring_email": referrer.email, **proforma},
        )
        case.referred_at = now - timedelta(days=20 + 7 * index)
        for number, (age, lld, long_leg, short_leg) in enumerate(visits, start=1):
            measured = patient.date_of_birth + timedelta(days=round(age * 365.25))
            measured = min(measured, local_today())
            extras = DEMO_LAST_VISIT_EXTRAS.get(index, {}) if number == len(visits) else {}
            cases.add_measurement(
                case,
                cases.MeasurementInput(
                    measured_on=measured,
                    method="standing_radiograph" if age >= 6 else "blocks",
                    lld_mm=lld,
                    long_leg_mm=long_leg,
                    short_leg_mm=short_leg,
                    mldfa_deg=87 + (index % 3),
                    mpta_deg=86.0,
                    **extras,
                ),
                referrer,
            )
        if listed and open_conferences:
            cases.list_case(open_conferences[0], case, coordinator, minutes=8 if index == 3 else 5)
            cases.add_note(
                case,
                staff["fysioterapeut@example-hospital.se"],
                "Träffat patienten: god rörlighet, bra motivation. Behöver gånghjälpmedel vid förlängning.",
            )


def seed_images(staff: dict[str, User]) -> None:
    """Synthetic standing long-leg radiographs (drawn by imaging.synthetic, never a real patient) on the cases listed
    for the next conference, and a referral letter on the first: the same bytes at every seed (fixed UIDs)."""
    import io
    from dataclasses import replace

    import pydicom
    from pydicom.uid import generate_uid

    from conference.cases.models import AgendaItem, Case, Side
    from conference.imaging import services as imaging
    from conference.imaging import synthetic
    from conference.imaging.models import ImageKind

    actor = staff["ortoped2@example-hospital.se"]  # the referring surgeon brings the radiographs
    listed = db.session.scalars(
        select(Case).where(Case.id.in_(select(AgendaItem.case_id))).order_by(Case.id).limit(2)
    ).all()
    for number, case in enumerate(listed):
        short = (case.side.value if case.side and case.side.value in ("left", "right") else "left")
        normal = synthetic.LegSpec()
        latest = case.measurements[-1] if case.measurements else None
        if case.patient.age_on(local_today()) < 12:  # a child's legs (about 6-11 years)
            normal = replace(
                normal, femur_mm=300, tibia_mm=245, knee_width_mm=62, ankle_width_mm=34, hip_from_midline_mm=65
            )
        # The radiograph agrees with the typed measurement of the same day: it is measured below (the first case).
        shortening = latest.lld_mm if latest is not None else 15 + 10 * number
        shorter = replace(normal, femur_mm=normal.femur_mm - shortening, mldfa_deg=83.0 + number)
        construction = synthetic.construct(
            right=shorter if short == "right" else normal, left=shorter if short == "left" else normal, mm_per_px=1.0
        )
        taken = case.measurements[-1].measured_on if case.measurements else local_today()
        identity = synthetic.DicomIdentity(
            patient_id=case.patient.national_id,
            patient_name=f"{case.patient.family_name}^{case.patient.given_name}",
            birth_date=case.patient.date_of_birth,
            sex={"female": "F", "male": "M"}.get(case.patient.sex.value, "O"),
            study_date=taken,
        )
        data = synthetic.to_dicom(construction, synthetic.draw(construction), identity, laterality="B")
        dataset = pydicom.dcmread(io.BytesIO(data))
        for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
            setattr(dataset, keyword, generate_uid(entropy_srcs=["conference-demo", str(case.id), keyword]))
        dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
        out = io.BytesIO()
        dataset.save_as(out, enforce_file_format=True)
        image = imaging.add_file(
            case,
            imaging.receive(io.BytesIO(out.getvalue())),
            imaging.ImageInput(kind=ImageKind.long_leg_ap, taken_on=taken, side=Side.bilateral),
            actor,
        )
        if number == 0:
            seed_radiograph_measurement(image, construction, actor, short)
            imaging.add_file(
                case,
                imaging.receive(io.BytesIO(_demo_letter())),
                imaging.ImageInput(kind=ImageKind.letter, taken_on=taken, description="Remiss"),
                actor,
            )


def seed_radiograph_measurement(image, construction, actor: User, side: str) -> None:
    """The demo's measured radiograph: the landmarks where they were drawn (a clinician's clicks would be a pixel or
    two off), calibrated by the DICOM pixel spacing and magnification factor."""
    from conference.imaging import radiograph

    radiograph.measure_radiograph(
        image,
        landmarks={s: {k: list(v) for k, v in points.items()} for s, points in construction.landmarks.items()},
        calibration=radiograph.CalibrationInput("pixel_spacing"),
        recorded_side=side,
        actor=actor,
        notes="Synthetic demo radiograph, never a real patient.",
    )


def _demo_letter() -> bytes:
    """A one-page referral letter as a plain PDF (no scripts), written by hand: no PDF library needed."""
    text = b"BT /F1 14 Tf 72 760 Td (Remiss: benlangdsskillnad, fraga om behandling. Syntetiskt demodokument.) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _book_past_meeting(coordinator: User, chair: User, start, participants: list[User], capacity: int = 10):
    """A meeting of the unit's usual kind, entered after the fact (record_only: no invitations are sent)."""
    from datetime import timedelta

    from conference.conferences import services as conferences
    from conference.conferences.models import InvitationRole

    return conferences.book_conference(
        actor=coordinator,
        title="MDT-konferens benlängdsskillnad och felställning",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        location="Konferensrum Ortopedi 3",
        video_link=None,
        capacity=capacity,
        case_deadline_hours=48,
        chair=chair,
        participants=[conferences.Participant(u, InvitationRole.required) for u in participants],
        record_only=True,
    )


def seed_past_meeting(staff: dict[str, User], patients: list):
    """A meeting held two weeks ago and signed: attendance, two decisions, a distraction plan, action items,
    so the Word minutes can be downloaded at once."""
    from datetime import datetime, timedelta

    from conference.cases import services as cases
    from conference.conferences import services as conferences
    from conference.meetings import services as meetings
    from conference.meetings.models import AttendanceStatus, PatientResponse, Treatment, WeightBearing
    from conference.minutes import services as minutes

    tz = conferences.unit_tz()
    day = local_today() - timedelta(days=14)
    day -= timedelta(days=(day.weekday() - 2) % 7)  # the Wednesday before
    start = datetime(day.year, day.month, day.day, 14, 0, tzinfo=tz)
    coordinator = staff["koordinator@example-hospital.se"]
    chair = staff["ortoped1@example-hospital.se"]
    members = [u for u in staff.values() if u.role is Role.specialist and u is not chair]
    conference = _book_past_meeting(coordinator, chair, start, members)

    referrer = staff["ortoped2@example-hospital.se"]
    plans = [
        (
            patients[7],
            dict(
                diagnosis="nf1",
                side="right",
                growth_pattern="congenital",
                question="Förlängning av höger tibia 40 mm: märgspik eller ram?",
                clinical_summary="NF1 med kongenital tibiadysplasi, läkt. 40 mm kortare höger ben.",
                patient_wishes="Vill slippa yttre ram; studerar och vill kunna fortsätta.",
                symptoms="Ryggvärk, haltar.",
                priority="routine",
                required_specialties=["clinical_geneticist", "orthopaedic_surgeon", "physiotherapist"],
            ),
            [(23.0, 38), (25.5, 40)],
            Treatment.lengthening_nail,
        ),
        (
            patients[8],
            dict(
                diagnosis="hemihypertrophy",
                side="left",
                growth_pattern="congenital",
                question="Epifysiodes av vänster knä nu?",
                clinical_summary="Isolerad hemihypertrofi vänster. Skelettålder 12,5 år.",
                patient_wishes="Vill inte bli opererad mer än en gång.",
                priority="routine",
                required_specialties=["orthopaedic_surgeon", "endocrinologist"],
            ),
            [(11.0, 15), (12.0, 18), (13.0, 21)],
            Treatment.epiphysiodesis,
        ),
    ]
    items = []
    for patient, proforma, visits, _ in plans:
        case = cases.refer_case(
            patient=patient,
            actor=referrer,
            fields={"referring_clinician": referrer.name, "referring_email": referrer.email, **proforma},
        )
        case.referred_at = conference.starts_at - timedelta(days=30)
        for age, lld in visits:
            measured = min(patient.date_of_birth + timedelta(days=round(age * 365.25)), day)
            cases.add_measurement(
                case,
                cases.MeasurementInput(measured_on=measured, method="eos", lld_mm=lld, mpta_deg=84.0, mldfa_deg=88.0),
                referrer,
            )
        items.append(cases.list_case(conference, case, coordinator, override_reason="Registrerat i efterhand (demo)"))
    meetings.set_attendance(
        conference,
        {
            i.user_id: AttendanceStatus.remote
            if i.user.email.startswith("arbetsterapeut")
            else AttendanceStatus.present
            for i in conference.invitations
        },
        coordinator,
    )

    nail = meetings.record_decision(
        items[0],
        meetings.DecisionInput(
            treatment=Treatment.lengthening_nail,
            rationale="40 mm kvarstående skillnad hos vuxen; märgspik ger bättre komfort och lägre risk för "
            "knäkontraktur än ram. Genetiker bedömer att NF1 inte hindrar förlängning.",
            patient_wishes="Vill ha märgspik, inte ram.",
            follow_up_on=day + timedelta(days=90),
            patient_response=PatientResponse.accepted,
        ),
        chair,
    )
    meetings.save_rehab_plan(
        nail,
        meetings.RehabInput(
            weight_bearing=WeightBearing.partial,
            walking_aids="Kryckor under förlängning och konsolidering",
            physiotherapy="Fysioterapi från dag 1; varje vecka under förlängning, var fjärde vecka under konsolidering.",
            occupational_therapy="Bedömning av hjälpmedel i hemmet och för studier.",
            home_exercises="Knä- och fotledsrörlighet dagligen; stretch av vadmuskulatur.",
            surgery_on=day + timedelta(days=56),
            latency_days=7,
            rate_mm_per_day=1.0,
            target_mm=40,
            healing_index_days_per_cm=31.3,
        ),
        chair,
    )
    meetings.add_action(
        conference,
        owner=chair,
        description="Boka operation och preoperativt besök",
        due_on=day + timedelta(days=21),
        actor=chair,
        decision=nail,
    )
    meetings.add_action(
        conference,
        owner=staff["fysioterapeut@example-hospital.se"],
        description="Preoperativ fysioterapibedömning",
        due_on=day + timedelta(days=42),
        actor=chair,
        decision=nail,
    )
    epiphysiodesis = meetings.record_decision(
        items[1],
        meetings.DecisionInput(
            treatment=Treatment.epiphysiodesis,
            rationale="Förväntad skillnad vid vuxen ålder cirka 22 mm; epifysiodes av vänster distala femur nu.",
            patient_wishes="En operation.",
            follow_up_on=day + timedelta(days=180),
            patient_response=PatientResponse.will_be_told,
        ),
        chair,
    )
    meetings.add_action(
        conference,
        owner=staff["endokrinolog@example-hospital.se"],
        description="Bedöm pubertetsstadium och skelettålder före operationen",
        due_on=local_today() + timedelta(days=10),
        actor=chair,
        decision=epiphysiodesis,
    )
    meetings.add_action(
        conference,
        owner=coordinator,
        description="Skicka besked till remittenten",
        due_on=local_today() + timedelta(days=3),
        actor=chair,
    )
    minutes.sign(conference, chair)
    return conference


def seed_rehabilitation(staff: dict[str, User], patients: list):
    """Two patients in distraction, decided at a meeting eight weeks ago: Sara (tibial magnetic nail, on plan)
    and Arvid (femoral circular frame, behind plan and losing knee flexion), with visits assigned to the demo
    physiotherapist, recorded follow-ups and an occupational therapy adaptation, so the worklist and the flags show
    at once."""
    from datetime import datetime, timedelta

    from conference.cases import services as cases
    from conference.conferences import services as conferences
    from conference.meetings import services as meetings
    from conference.meetings.models import AttendanceStatus, PatientResponse, Treatment, WeightBearing
    from conference.minutes import services as minutes
    from conference.rehab import services as rehab

    today = local_today()
    day = today - timedelta(days=56)
    day -= timedelta(days=(day.weekday() - 2) % 7)
    tz = conferences.unit_tz()
    start = datetime(day.year, day.month, day.day, 14, 0, tzinfo=tz)
    coordinator, chair = staff["koordinator@example-hospital.se"], staff["ortoped1@example-hospital.se"]
    physio, ot = staff["fysioterapeut@example-hospital.se"], staff["arbetsterapeut@example-hospital.se"]
    conference = _book_past_meeting(coordinator, chair, start, [physio, ot])
    referrer = staff["ortoped2@example-hospital.se"]
    lengthenings = [
        (
            patients[9],
            "right",
            30,
            "magnetic_nail",
            "tibia",
            35,
            "Förlängning av höger tibia 30 mm med magnetisk märgspik?",
            [(14, 5.0, 125, 10), (28, 15.5, 120, 8)],
        ),
        (
            patients[10],
            "left",
            50,
            "circular_frame",
            "femur",
            30,
            "Förlängning av vänster femur 50 mm med cirkulär ram?",
            [(14, 10.0, 125, 10), (21, 17.0, 110, 6), (28, 18.0, 95, 2)],
        ),
    ]
    items = []
    for patient, side, target, device, bone, surgery_days_ago, question, _visits in lengthenings:
        case = cases.refer_case(
            patient=patient,
            actor=referrer,
            fields={
                "referring_clinician": referrer.name,
                "referring_email": referrer.email,
                "diagnosis": "post_traumatic" if bone == "tibia" else "congenital_femoral_deficiency",
                "side": side,
                "growth_pattern": "congenital",
                "question": question,
                "clinical_summary": "Demo: förlängning pågår.",
                "patient_wishes": "Vill gå utan kryckor till sommaren.",
                "priority": "routine",
                "required_specialties": ["orthopaedic_surgeon", "physiotherapist"],
            },
        )
        case.referred_at = conference.starts_at - timedelta(days=30)
        cases.add_measurement(
            case, cases.MeasurementInput(measured_on=day - timedelta(days=3), method="eos", lld_mm=target), referrer
        )
        items.append(cases.list_case(conference, case, coordinator, override_reason="Registrerat i efterhand (demo)"))
    meetings.set_attendance(
        conference, {i.user_id: AttendanceStatus.present for i in conference.invitations}, coordinator
    )
    for item, (patient, _side, target, device, bone, surgery_days_ago, _q, visits) in zip(items, lengthenings):
        decision = meetings.record_decision(
            item,
            meetings.DecisionInput(
                treatment=Treatment.lengthening_nail if device.endswith("nail") else Treatment.lengthening_frame,
                rationale=f"Förlängning {target} mm; patientens önskan och god prognos.",
                patient_wishes="Vill gå utan kryckor till sommaren.",
                follow_up_on=today + timedelta(days=60),
                patient_response=PatientResponse.accepted,
            ),
            chair,
        )
        plan = meetings.save_rehab_plan(
            decision,
            meetings.RehabInput(
                weight_bearing=WeightBearing.partial,
                walking_aids="Kryckor",
                physiotherapy="Dagligen på vardagar under förlängning, 2-3 gånger i veckan under konsolidering.",
                occupational_therapy="Hjälpmedel i hemmet; anpassning i skolan.",
                home_exercises="Knäböjning och sträckning dagligen.",
                surgery_on=today - timedelta(days=surgery_days_ago),
                target_mm=target,
                device=device,
                bone=bone,
                rhythm="4 x 0.25 mm" if device.endswith("frame") else "3 x 0.25 mm",
            ),
            chair,
        )
        scheduled = rehab.schedule_visits(plan)
        for visit in scheduled:
            visit.therapist_id = physio.id
        for days_after_surgery, achieved, flexion, dorsiflexion in visits:
            seen = plan.surgery_on + timedelta(days=days_after_surgery)
            rehab.record_followup(
                plan,
                rehab.FollowUpInput(
                    seen_on=seen,
                    achieved_mm=achieved,
                    knee_flexion_deg=flexion,
                    ankle_dorsiflexion_deg=dorsiflexion,
                    weight_bearing="partial",
                    pin_sites="calm" if device.endswith("frame") else "not_applicable",
                    pain=3,
                ),
                physio,
            )
        if device.endswith("frame"):
            rehab.add_adaptation(
                plan,
                kind="school",
                description="Hiss och extra tid mellan lektioner",
                ordered_on=plan.surgery_on - timedelta(days=10),
                delivered_on=plan.surgery_on,
                actor=ot,
            )
    minutes.sign(conference, chair)
    return conference


HISTORY_NAMES = [
    ("Astrid", "Åberg"),
    ("Ebba", "Blom"),
    ("Freja", "Dahl"),
    ("Saga", "Ek"),
    ("Tyra", "Falk"),
    ("Vera", "Hedlund"),
    ("Alice", "Isaksson"),
    ("Olivia", "Jonsson"),
    ("Selma", "Kvist"),
    ("Stella", "Lund"),
    ("Ines", "Moberg"),
    ("Lilly", "Nord"),
    ("William", "Öberg"),
    ("Elias", "Palm"),
    ("Lucas", "Quist"),
    ("Adam", "Roos"),
    ("Oliver", "Sjöberg"),
    ("Matteo", "Törnqvist"),
    ("Vincent", "Ungh"),
    ("Alexander", "Vik"),
    ("Theo", "Wall"),
    ("Leo", "Ygberg"),
    ("Charlie", "Zetterberg"),
    ("Harry", "Alm"),
]


def seed_history(staff: dict[str, User], meetings_count: int = 25, seed: int = 2026) -> None:
    """Two years of held and signed meetings (every four weeks), deterministically random: referrals that wait,
    get listed and decided; attendance with some absences; a few deferrals; predictions for growing children with a
    measurement after maturity; lengthenings with follow-ups, consolidation and complications. The app's clock is
    moved to each moment so every timestamp is where it would have been; history sends no email."""
    import random
    from datetime import datetime, timedelta

    from flask import current_app

    from conference.cases import services as cases
    from conference.conferences import services as conferences
    from conference.meetings import services as meetings
    from conference.meetings.models import AttendanceStatus, PatientResponse, Treatment, WeightBearing
    from conference.minutes import services as minutes
    from conference.patients import services as patients
    from conference.rehab import services as rehab

    rng = random.Random(seed)
    clock = current_app.extensions["clock"]
    tz = conferences.unit_tz()
    coordinator, chair = staff["koordinator@example-hospital.se"], staff["ortoped1@example-hospital.se"]
    referrer = staff["ortoped2@example-hospital.se"]
    members = [u for u in staff.values() if u.role is Role.specialist and u is not chair]
    physio = staff["fysioterapeut@example-hospital.se"]
    today = local_today()
    first = today - timedelta(days=730)
    first -= timedelta(days=(first.weekday() - 2) % 7)  # a Wednesday
    serial = 100
    try:
        for k in range(meetings_count):
            day = first + timedelta(days=28 * k)
            if day > today - timedelta(days=21):
                break
            start = datetime(day.year, day.month, day.day, 14, 0, tzinfo=tz)
            clock.travel_to(start - timedelta(days=70))
            conference = _book_past_meeting(coordinator, chair, start, members, capacity=6)
            listed = []
            for _n in range(rng.randint(3, 5)):
                serial += 1
                growing = rng.random() < 0.6
                girl = rng.random() < 0.5
                age = (
                    rng.uniform(10.5, 13.0)
                    if growing and girl
                    else rng.uniform(12.5, 15.0)
                    if growing
                    else rng.uniform(19, 45)
                )
                birth = (start - timedelta(days=round(age * 365.25))).date()
                digits = f"{serial % 1000:03d}"
                digits = digits[:2] + str((int(digits[2]) // 2) * 2 + (0 if girl else 1))
                given, family = HISTORY_NAMES[serial % len(HISTORY_NAMES)]
                try:
                    patient = patients.create_patient(
                        identity=parse_identity_number(demo_identity(birth, digits)),
                        given_name=given,
                        family_name=family,
                        sex="female" if girl else "male",
                        actor=coordinator,
                    )
                except patients.PatientError:
                    continue
                referred = start - timedelta(days=rng.randint(25, 80))
                clock.travel_to(referred)
                lld = rng.randint(8, 45)
                case = cases.refer_case(
                    patient=patient,
                    actor=referrer,
                    fields={
                        "referring_clinician": referrer.name,
                        "referring_email": referrer.email,
                        "question": "Behandling av benlängdsskillnad?",
                        "clinical_summary": "Historik (demo).",
                        "diagnosis": rng.choice(list(DIAGNOSES_FOR_HISTORY)),
                        "side": rng.choice(["left", "right"]),
                        "growth_pattern": "congenital",
                        "patient_wishes": "Vill kunna röra sig utan besvär.",
                        "priority": "routine",
                        "required_specialties": rng.sample(
                            ["orthopaedic_surgeon", "physiotherapist", "endocrinologist", "clinical_geneticist"], 2
                        ),
                    },
                )
                clock.travel_to(referred + timedelta(days=rng.choice([0, 0, 3, 7, 14])))
                cases.add_measurement(
                    case,
                    cases.MeasurementInput(
                        measured_on=local_today(),
                        method="eos",
                        lld_mm=lld,
                        bone_age_years=round(age, 1) if growing else None,
                    ),
                    referrer,
                )
                clock.travel_to(start - timedelta(days=rng.randint(3, 12)))
                listed.append((cases.list_case(conference, case, coordinator), growing, girl, birth, lld))
            clock.travel_to(start + timedelta(minutes=5))
            meetings.set_attendance(
                conference,
                {u.id: AttendanceStatus.absent if rng.random() < 0.15 else AttendanceStatus.present for u in members},
                coordinator,
            )
            for item, growing, girl, birth, lld in listed:
                if rng.random() < 0.12:
                    continue  # not reached: deferred at signing
                if growing:
                    treatment = Treatment.epiphysiodesis if lld >= 20 else Treatment.insoles
                else:
                    treatment = rng.choice([Treatment.lengthening_nail, Treatment.lengthening_frame, Treatment.insoles])
                decision = meetings.record_decision(
                    item,
                    meetings.DecisionInput(
                        treatment=treatment,
                        rationale="Beslut enligt konferensens bedömning (historik).",
                        patient_wishes=None,
                        follow_up_on=None,
                        patient_response=rng.choice(
                            [PatientResponse.accepted] * 5 + [PatientResponse.declined, PatientResponse.will_be_told]
                        ),
                    ),
                    chair,
                )
                mature_on = birth + timedelta(days=round((14.5 if girl else 17.2) * 365.25))
                if growing and mature_on <= today:
                    grown_lld = round(max(0.0, (decision.prediction or {}).get("value_mm") or lld) + rng.gauss(0, 3), 1)
                    clock.travel_to(datetime.combine(mature_on, datetime.min.time(), tzinfo=tz))
                    cases.add_measurement(
                        item.case,
                        cases.MeasurementInput(measured_on=mature_on, method="eos", lld_mm=max(0.0, grown_lld)),
                        referrer,
                    )
                    clock.travel_to(start + timedelta(minutes=30))
                if treatment in (Treatment.lengthening_nail, Treatment.lengthening_frame):
                    target = float(min(60, max(20, lld)))
                    device = "magnetic_nail" if treatment is Treatment.lengthening_nail else "circular_frame"
                    plan = meetings.save_rehab_plan(
                        decision,
                        meetings.RehabInput(
                            weight_bearing=WeightBearing.partial,
                            surgery_on=day + timedelta(days=30),
                            target_mm=target,
                            device=device,
                            bone=rng.choice(["femur", "tibia"]),
                        ),
                        chair,
                    )
                    rehab.schedule_visits(plan)
                    consolidated_after = round(plan.healing_index_days_per_cm * target / 10 * rng.uniform(0.8, 1.3))
                    for days_after, achieved, done in (
                        (30, target * 0.5, False),
                        (60, target * rng.uniform(0.85, 1.0), False),
                        (consolidated_after, None, True),
                    ):
                        seen = plan.surgery_on + timedelta(days=days_after)
                        if seen > today:
                            break
                        clock.travel_to(datetime.combine(seen, datetime.min.time(), tzinfo=tz) + timedelta(hours=12))
                        rehab.record_followup(
                            plan,
                            rehab.FollowUpInput(
                                seen_on=seen,
                                achieved_mm=round(achieved, 1) if achieved is not None else round(target * 0.97, 1),
                                complications=["pin_site_infection"]
                                if device == "circular_frame" and rng.random() < 0.3
                                else [],
                                consolidated=done,
                            ),
                            physio,
                        )
                    clock.travel_to(start + timedelta(minutes=30))
            clock.travel_to(start + timedelta(hours=2))
            minutes.sign(conference, chair, notify=False)
    finally:
        clock.reset()


DIAGNOSES_FOR_HISTORY = (
    "congenital_femoral_deficiency",
    "fibular_hemimelia",
    "hemihypertrophy",
    "physeal_injury",
    "post_traumatic",
    "mhe",
)
