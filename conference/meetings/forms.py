from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from conference.forms import options
from conference.meetings.models import PATIENT_RESPONSE_LABELS, TREATMENT_LABELS, WEIGHT_BEARING_LABELS


class DecisionForm(FlaskForm):
    treatment = SelectField(_l("Decision"), validators=[InputRequired()])
    rationale = TextAreaField(_l("Rationale"), validators=[InputRequired(), Length(max=10000)])
    patient_wishes = TextAreaField(_l("The patient's wishes as discussed"), validators=[Optional(), Length(max=4000)])
    follow_up_on = DateField(_l("Follow-up date"), validators=[Optional()])
    patient_response = SelectField(_l("The patient"), validators=[InputRequired()])
    version = HiddenField()

    # rehabilitation (optional)
    weight_bearing = SelectField(_l("Weight-bearing"), validators=[Optional()])
    walking_aids = StringField(_l("Walking aids"), validators=[Optional(), Length(max=300)])
    physiotherapy = TextAreaField(
        _l("Physiotherapy (visit frequency and content)"), validators=[Optional(), Length(max=4000)]
    )
    occupational_therapy = TextAreaField(_l("Occupational therapy"), validators=[Optional(), Length(max=4000)])
    home_exercises = TextAreaField(_l("Home exercises"), validators=[Optional(), Length(max=4000)])
    surgery_on = DateField(_l("Surgery date"), validators=[Optional()])
    latency_days = IntegerField(_l("Latency (days)"), validators=[Optional(), NumberRange(min=0, max=60)])
    rate_mm_per_day = DecimalField(_l("Rate (mm/day)"), places=2, validators=[Optional(), NumberRange(min=0.1, max=3)])
    target_mm = DecimalField(
        _l("Target lengthening (mm)"), places=1, validators=[Optional(), NumberRange(min=1, max=200)]
    )
    healing_index_days_per_cm = DecimalField(
        _l("Healing index (days per cm; empty: unit default)"),
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
        self.treatment.choices = options([("", "–")] + [(t.value, label) for t, label in TREATMENT_LABELS.items()])
        self.patient_response.choices = options((r.value, label) for r, label in PATIENT_RESPONSE_LABELS.items())
        self.weight_bearing.choices = options(
            [("", "–")] + [(w.value, label) for w, label in WEIGHT_BEARING_LABELS.items()]
        )
        self.action_owner.choices = options([(0, "–")] + [(u.id, u.name) for u in owners])


class AttendanceForm(FlaskForm):
    pass


class ActionForm(FlaskForm):
    description = StringField(_l("Action"), validators=[InputRequired(), Length(max=1000)])
    owner = SelectField(_l("Owner"), coerce=int, validators=[InputRequired()])
    due_on = DateField(_l("Due"), validators=[Optional()])

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = options((u.id, u.name) for u in owners)


class AmendForm(FlaskForm):
    reason = StringField(_l("Reason for the amendment"), validators=[InputRequired(), Length(max=1000)])
