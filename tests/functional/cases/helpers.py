from datetime import date, timedelta

from conference.cases import services
from conference.extensions import db
from conference.patients import services as patients
from conference.patients.identity import parse_identity_number
from conference.people.models import User
from conference.seed import demo_identity

READY_FIELDS = dict(
    referring_clinician="Dr Remiss",
    referring_email="remiss@example-hospital.se",
    question="Epifysiodes eller förlängning?",
    clinical_summary="Benlängdsskillnad sedan födseln.",
    diagnosis="congenital_femoral_deficiency",
    side="left",
    growth_pattern="congenital",
    patient_wishes="Vill kunna spela fotboll.",
    priority="routine",
    required_specialties=["clinical_geneticist"],
)


def make_patient(actor: User, n: int = 0, birth: date = date(2020, 6, 2)):
    """A patient with a unique, valid identity number for each n."""
    identity = parse_identity_number(demo_identity(birth + timedelta(days=n // 1000), f"{n % 1000:03d}"))
    return patients.create_patient(
        identity=identity, given_name=f"Barn{n}", family_name=f"Testsson{n}", sex=identity.sex, actor=actor
    )


def make_ready_case(actor_id: int, n: int = 0, measurements: int = 1, **overrides):
    actor = db.session.get(User, actor_id)
    patient = make_patient(actor, n)
    case = services.refer_case(patient=patient, actor=actor, fields={**READY_FIELDS, **overrides})
    for k in range(measurements):
        services.add_measurement(
            case,
            services.MeasurementInput(
                measured_on=date(2024, 1, 1) + timedelta(days=7 * k),
                method="standing_radiograph",
                lld_mm=20 + k,
                long_leg_mm=500 + k,
                short_leg_mm=480 + k,
            ),
            actor,
        )
    return case
