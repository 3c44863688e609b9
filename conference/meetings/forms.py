from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from conference.forms import DateField, DecimalField, Form, IntegerField, VersionField, as_float, options
from conference.meetings.models import (
    BONE_LABELS,
    DEVICE_LABELS,
    PatientResponse,
    Treatment,
    WeightBearing,
)


class DecisionForm(Form):
    treatment = SelectField(_l("Decision"), validators=[InputRequired()])
    rationale = TextAreaField(_l("Rationale"), validators=[InputRequired(), Length(max=10000)])
    patient_wishes = TextAreaField(_l("The patient's wishes as discussed"), validators=[Optional(), Length(max=4000)])
    follow_up_on = DateField(_l("Follow-up date"), validators=[Optional()])
    patient_response = SelectField(_l("The patient"), validators=[InputRequired()])
    version = VersionField()

    # rehabilitation (optional)
    weight_bearing = SelectField(_l("Weight-bearing"), validators=[Optional()])
    walking_aids = StringField(_l("Walking aids"), validators=[Optional(), Length(max=300)])
    physiotherapy = TextAreaField(
        _l("Physiotherapy (visit frequency and content)"), validators=[Optional(), Length(max=4000)]
    )
    occupational_therapy = TextAreaField(_l("Occupational therapy"), validators=[Optional(), Length(max=4000)])
    home_exercises = TextAreaField(_l("Home exercises"), validators=[Optional(), Length(max=4000)])
    bone = SelectField(_l("Bone"), validators=[Optional()])
    device = SelectField(_l("Device"), validators=[Optional()])
    rhythm = StringField(_l("Rhythm (e.g. 4 x 0.25 mm)"), validators=[Optional(), Length(max=60)])
    surgery_on = DateField(_l("Surgery date"), validators=[Optional()])
    latency_days = IntegerField(_l("Latency (days)"), validators=[Optional(), NumberRange(min=0, max=60)])
    rate_mm_per_day = DecimalField(_l("Rate (mm/day)"), places=2, validators=[Optional(), NumberRange(min=0.1, max=3)])
    target_mm = DecimalField(
        _l("Target lengthening (mm)"), places=1, validators=[Optional(), NumberRange(min=1, max=200)]
    )
    healing_index_days_per_cm = DecimalField(
        _l("Healing index (days per cm; empty: the default for the device and bone)"),
        places=1,
        validators=[Optional(), NumberRange(min=5, max=120)],
    )
    distraction_visit_days = IntegerField(
        _l("Visit every (days) while lengthening"), validators=[Optional(), NumberRange(min=1, max=60)]
    )
    consolidation_visit_days = IntegerField(
        _l("Visit every (days) while consolidating"), validators=[Optional(), NumberRange(min=1, max=120)]
    )

    # one action item (optional)
    action_description = StringField(_l("New action item"), validators=[Optional(), Length(max=1000)])
    action_owner = SelectField(_l("Owner"), coerce=int, validators=[Optional()])
    action_due = DateField(_l("Due"), validators=[Optional()])

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.treatment.choices = options([("", "–")] + [(t.value, t.label) for t in Treatment])
        self.patient_response.choices = options((r.value, r.label) for r in PatientResponse)
        self.weight_bearing.choices = options([("", "–")] + [(w.value, w.label) for w in WeightBearing])
        self.action_owner.choices = options([(0, "–")] + [(u.id, u.name) for u in owners])
        self.bone.choices = options([("", "–")] + list(BONE_LABELS.items()))
        self.device.choices = options([("", "–")] + list(DEVICE_LABELS.items()))

    def decision_input(self):
        from conference.meetings.services import DecisionInput

        return DecisionInput(
            treatment=Treatment(self.treatment.data),
            rationale=self.rationale.data,
            patient_wishes=self.patient_wishes.data or None,
            follow_up_on=self.follow_up_on.data,
            patient_response=PatientResponse(self.patient_response.data),
        )

    def rehab_input(self):
        """The rehabilitation plan, when a weight-bearing instruction is chosen (otherwise no plan)."""
        from conference.meetings.services import RehabInput

        if not self.weight_bearing.data:
            return None
        return RehabInput(
            weight_bearing=WeightBearing(self.weight_bearing.data),
            walking_aids=self.walking_aids.data or None,
            physiotherapy=self.physiotherapy.data or None,
            occupational_therapy=self.occupational_therapy.data or None,
            home_exercises=self.home_exercises.data or None,
            surgery_on=self.surgery_on.data,
            latency_days=self.latency_days.data,
            rate_mm_per_day=as_float(self.rate_mm_per_day.data),
            target_mm=as_float(self.target_mm.data),
            healing_index_days_per_cm=as_float(self.healing_index_days_per_cm.data),
            distraction_visit_days=self.distraction_visit_days.data,
            consolidation_visit_days=self.consolidation_visit_days.data,
            bone=self.bone.data or None,
            device=self.device.data or None,
            rhythm=(self.rhythm.data or "").strip() or None,
        )

    def action_input(self):
        from conference.meetings.services import ActionInput

        if not self.action_description.data:
            return None
        return ActionInput(self.action_description.data, self.action_owner.data or None, self.action_due.data)


class ActionForm(Form):
    description = StringField(_l("Action"), validators=[InputRequired(), Length(max=1000)])
    owner = SelectField(_l("Owner"), coerce=int, validators=[InputRequired()])
    due_on = DateField(_l("Due"), validators=[Optional()])

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = options((u.id, u.name) for u in owners)


class AmendForm(Form):
    reason = StringField(_l("Reason for the amendment"), validators=[InputRequired(), Length(max=1000)])
