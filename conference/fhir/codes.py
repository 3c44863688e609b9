"""Code systems and identifier systems the API speaks.

Where a standard code exists and is certain it is used: the Swedish identity-number systems (Inera's URIs),
UCUM units, SNOMED CT body structure and laterality, HL7's observation category. The unit's own concepts
(the measurements of a leg-length proforma, treatments, diagnoses as the unit groups them) have no SNOMED CT
code that we could confirm, so they are in code systems of ours under one stable base URI, listed in the
CapabilityStatement and the README."""

from __future__ import annotations

BASE = "https://w3id.org/limb-conference/fhir"

PERSONNUMMER = "http://electronichealth.se/identifier/personnummer"
SAMORDNINGSNUMMER = "http://electronichealth.se/identifier/samordningsnummer"
RESERVE_NUMBER = f"{BASE}/sid/reserve-number"
CASE_ID = f"{BASE}/sid/case"

UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
RFC6920 = "urn:ietf:rfc:6920"  # named information: ni:///sha-256;<base64url>

MEASUREMENT = f"{BASE}/CodeSystem/measurement"
MEASUREMENT_METHOD = f"{BASE}/CodeSystem/measurement-method"
DIAGNOSIS = f"{BASE}/CodeSystem/diagnosis"
TREATMENT = f"{BASE}/CodeSystem/treatment"
PATIENT_RESPONSE = f"{BASE}/CodeSystem/patient-response"
CATEGORY = f"{BASE}/CodeSystem/category"

# SNOMED CT: lower limb structure, and the laterality qualifiers.
LOWER_LIMB = ("61685007", "Lower limb structure")
LATERALITY = {
    "left": ("7771000", "Left"),
    "right": ("24028007", "Right"),
    "bilateral": ("51440002", "Right and left"),
}

# Measurement columns -> (our code, display, UCUM unit)
MEASUREMENTS: dict[str, tuple[str, str, str]] = {
    "lld_mm": ("lld", "Leg-length discrepancy", "mm"),
    "femur_mm": ("lld-femur", "Femoral part of the discrepancy", "mm"),
    "tibia_mm": ("lld-tibia", "Tibial part of the discrepancy", "mm"),
    "foot_mm": ("lld-foot", "Foot part of the discrepancy", "mm"),
    "long_leg_mm": ("long-leg-length", "Length of the long leg", "mm"),
    "short_leg_mm": ("short-leg-length", "Length of the short leg", "mm"),
    "femur_length_mm": ("long-femur-length", "Femur length of the long leg", "mm"),
    "tibia_length_mm": ("long-tibia-length", "Tibia length of the long leg", "mm"),
    "bone_age_years": ("bone-age", "Bone age", "a"),
    "mad_mm": ("mad", "Mechanical axis deviation", "mm"),
    "mldfa_deg": ("mldfa", "Mechanical lateral distal femoral angle", "deg"),
    "mpta_deg": ("mpta", "Medial proximal tibial angle", "deg"),
}
MEASUREMENT_BY_CODE = {code: (column, unit) for column, (code, _display, unit) in MEASUREMENTS.items()}

# FHIR request priority <-> the case's priority
PRIORITY_OUT = {"routine": "routine", "soon": "urgent", "urgent": "asap"}
PRIORITY_IN = {"routine": "routine", "urgent": "soon", "asap": "urgent", "stat": "urgent"}

GENDER_OUT = {"female": "female", "male": "male", "unknown": "unknown"}
GENDER_IN = {"female": "female", "male": "male", "other": "unknown", "unknown": "unknown"}
