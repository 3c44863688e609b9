from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import EmailField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from conference.cases.models import (
    DIAGNOSES,
    CaseStatus,
    GrowthPattern,
    MeasurementMethod,
    Priority,
    Side,
)
from conference.cases.plausibility import RANGES
from conference.cases.prediction import BONE_AGE_METHODS
from conference.forms import DateField, DecimalField, Form, IntegerField, VersionField, options
from conference.patients.identity import InvalidIdentityNumber, parse_identity_number
from conference.patients.models import Sex
from conference.people.models import Specialty


def _mm(label, field, required=False, description=None):
    """A measured value, in the plausible range conference.cases.plausibility gives (the API's too)."""
    low, high = RANGES[field]
    return DecimalField(
        label,
        places=1,
        description=description,
        validators=[
            InputRequired() if required else Optional(),
            NumberRange(min=low, max=high, message=_l("Enter a value from %(min)s to %(max)s.")),
        ],
    )


class MeasurementFields:
    """The measurement part, shared by the referral and the add-measurement form."""

    measured_on = DateField(_l("Measured on"), validators=[Optional()])
    method = SelectField(_l("Method"), validators=[Optional()])
    lld_mm = _mm(_l("LLD total (mm)"), "lld_mm", description=_l("The difference in leg length, in millimetres."))
    femur_mm = _mm(_l("of which femur (mm)"), "femur_mm")
    tibia_mm = _mm(_l("of which tibia (mm)"), "tibia_mm")
    foot_mm = _mm(_l("of which foot height (mm)"), "foot_mm")
    long_leg_mm = _mm(_l("Length of the long leg (mm)"), "long_leg_mm")
    short_leg_mm = _mm(_l("Length of the short leg (mm)"), "short_leg_mm")
    bone_age_years = _mm(_l("Bone age (years)"), "bone_age_years")
    bone_age_method = SelectField(_l("Bone age method"), validators=[Optional()])
    femur_length_mm = _mm(
        _l("Femur length, long leg (mm)"), "femur_length_mm", description=_l("For timing an epiphysiodesis.")
    )
    tibia_length_mm = _mm(
        _l("Tibia length, long leg (mm)"), "tibia_length_mm", description=_l("For timing an epiphysiodesis.")
    )
    mad_mm = _mm(_l("Mechanical axis deviation (mm, + lateral, − medial)"), "mad_mm")
    mldfa_deg = _mm(_l("mLDFA (degrees)"), "mldfa_deg")
    mpta_deg = _mm(_l("MPTA (degrees)"), "mpta_deg")
    measurement_notes = TextAreaField(_l("Measurement notes"), validators=[Optional(), Length(max=2000)])

    def init_measurement_choices(self):
        self.method.choices = options([("", "–")] + [(m.value, m.label) for m in MeasurementMethod])
        self.bone_age_method.choices = options([("", "–")] + list(BONE_AGE_METHODS.items()))

    def measurement_given(self) -> bool:
        return any(
            getattr(self, name).data not in (None, "")
            for name in (
                "measured_on",
                "lld_mm",
                "femur_mm",
                "tibia_mm",
                "long_leg_mm",
                "short_leg_mm",
                "femur_length_mm",
                "tibia_length_mm",
            )
        )

    def validate_bone_age_method(self, field):
        if field.data and self.bone_age_years.data is None:
            raise ValidationError(_l("Give the bone age too, or leave the method empty."))

    def validate_measurement_group(self, required: bool) -> bool:
        """When any measurement value is given (or required), date, method and total LLD are needed."""
        if not required and not self.measurement_given():
            return True
        ok = True
        for name in ("measured_on", "method", "lld_mm"):
            field = getattr(self, name)
            if field.data in (None, "") and not field.errors:
                field.errors = list(field.errors) + [str(_l("Needed with a measurement."))]
                ok = False
        return ok


class ProformaFields:
    referring_clinician = StringField(_l("Referring clinician"), validators=[InputRequired(), Length(max=200)])
    referring_email = EmailField(
        _l("Referrer's email (for the outcome)"), validators=[Optional(), Email(), Length(max=254)]
    )
    question = TextAreaField(_l("Question for the conference"), validators=[Optional(), Length(max=4000)])
    clinical_summary = TextAreaField(_l("Clinical summary"), validators=[Optional(), Length(max=10000)])
    diagnosis = SelectField(_l("Diagnosis"), validators=[Optional()])
    diagnosis_text = StringField(_l("Diagnosis, free text"), validators=[Optional(), Length(max=300)])
    side = SelectField(_l("Short side"), validators=[Optional()])
    growth_pattern = SelectField(_l("Congenital or developmental"), default="unknown", validators=[Optional()])
    patient_wishes = TextAreaField(_l("The patient's own wishes"), validators=[Optional(), Length(max=4000)])
    symptoms = TextAreaField(_l("Symptoms"), validators=[Optional(), Length(max=4000)])
    priority = SelectField(_l("Priority"))
    required_specialties = SelectMultipleField(_l("Specialties that must be present"), validators=[Optional()])

    def init_proforma_choices(self):
        self.diagnosis.choices = options([("", "–")] + list(DIAGNOSES.items()))
        self.side.choices = options([("", "–")] + [(s.value, s.label) for s in Side])
        self.growth_pattern.choices = options((g.value, g.label) for g in GrowthPattern)
        self.priority.choices = options((p.value, p.label) for p in Priority)
        self.required_specialties.choices = options((s.value, s.label) for s in Specialty)

    def validate_referring_email(self, field):
        """The outcome goes to the referrer by email: only inside the hospital's mail domains."""
        from flask import current_app

        from conference.notifications.mailer import recipient_domain_allowed

        allowed = current_app.config["MAIL_ALLOWED_DOMAINS"]
        if field.data and not recipient_domain_allowed(field.data, allowed):
            raise ValidationError(_l("The outcome can only be emailed inside %(domains)s.", domains=", ".join(allowed)))

    def validate_diagnosis_text(self, field):
        if self.diagnosis.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("Describe the diagnosis."))

    def proforma(self) -> dict:
        return {
            "referring_clinician": self.referring_clinician.data.strip(),
            "referring_email": (self.referring_email.data or "").strip().lower() or None,
            "question": self.question.data or None,
            "clinical_summary": self.clinical_summary.data or None,
            "diagnosis": self.diagnosis.data or None,
            "diagnosis_text": self.diagnosis_text.data or None,
            "side": self.side.data or None,
            "growth_pattern": self.growth_pattern.data or "unknown",
            "patient_wishes": self.patient_wishes.data or None,
            "symptoms": self.symptoms.data or None,
            "priority": self.priority.data,
            "required_specialties": list(self.required_specialties.data or []),
        }


class ReferralForm(ProformaFields, MeasurementFields, Form):
    national_id = StringField(
        _l("Patient's identity number"),
        validators=[InputRequired(), Length(max=20)],
        description=_l("An existing patient is found by number; a new one needs name and sex."),
    )
    given_name = StringField(_l("Given name (new patient)"), validators=[Optional(), Length(max=100)])
    family_name = StringField(_l("Family name (new patient)"), validators=[Optional(), Length(max=100)])
    sex = SelectField(_l("Sex (new patient)"), validators=[Optional()])
    new_case_anyway = BooleanField(_l("Refer as a new case all the same"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_proforma_choices()
        self.init_measurement_choices()
        self.sex.choices = options([("", "–")] + [(s.value, s.label) for s in Sex])
        self.identity = None

    def validate_national_id(self, field):
        try:
            self.identity = parse_identity_number(field.data, allow_reserve=False)
        except InvalidIdentityNumber as error:
            raise ValidationError(str(error)) from None

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return self.validate_measurement_group(required=False) and ok


class CaseEditForm(ProformaFields, Form):
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_proforma_choices()


class MeasurementForm(MeasurementFields, Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_measurement_choices()

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return self.validate_measurement_group(required=True) and ok


class NoteForm(Form):
    text = TextAreaField(_l("Your note"), validators=[InputRequired(), Length(max=5000)])


class ListCaseForm(Form):
    case_id = IntegerField(validators=[InputRequired()])
    minutes = IntegerField(_l("Minutes"), default=5, validators=[InputRequired(), NumberRange(min=1, max=120)])
    override_reason = StringField(
        _l("Override reason (after the deadline or over capacity)"), validators=[Optional(), Length(max=500)]
    )


class MinutesForm(Form):
    minutes = IntegerField(_l("Minutes"), validators=[InputRequired(), NumberRange(min=1, max=120)])
    version = VersionField()


class StatusForm(Form):
    status = SelectField(_l("New status"))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = options((s.value, s.label) for s in CaseStatus)


class CaseSearchForm(Form):
    """Posted, not sent in the URL: identity numbers must not end up in access logs or browser history."""

    q = StringField(_l("Identity number or name"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = options([("", _l("Any status"))] + [(s.value, s.label) for s in CaseStatus])
