from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from conference.forms import DateField, DecimalField, Form, IntegerField, VersionField, as_float, options
from conference.meetings.models import WeightBearing
from conference.rehab.models import COMPLICATIONS, AdaptationKind, PinSites


def _degrees(label, low, high):
    return DecimalField(label, places=0, validators=[Optional(), NumberRange(min=low, max=high)])


class FollowUpForm(Form):
    seen_on = DateField(_l("Seen on"), validators=[InputRequired()])
    visit_id = SelectField(_l("Planned visit"), coerce=int, validators=[Optional()])
    achieved_mm = DecimalField(
        _l("Achieved lengthening (mm)"), places=1, validators=[Optional(), NumberRange(min=0, max=200)]
    )
    knee_flexion_deg = _degrees(_l("Knee flexion (degrees)"), 0, 170)
    knee_extension_deficit_deg = _degrees(_l("Knee extension deficit (degrees)"), 0, 90)
    ankle_dorsiflexion_deg = _degrees(_l("Ankle dorsiflexion (degrees, − plantar)"), -60, 60)
    weight_bearing = SelectField(_l("Weight-bearing"), validators=[Optional()])
    pin_sites = SelectField(_l("Pin sites"), validators=[Optional()])
    pain = IntegerField(_l("Pain (0-10)"), validators=[Optional(), NumberRange(min=0, max=10)])
    complications = SelectMultipleField(_l("Complications"), validators=[Optional()])
    consolidated = BooleanField(_l("Consolidated (frame off, or full weight-bearing with a nail)"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])

    def __init__(self, *args, visits=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.visit_id.choices = options([(0, "–")] + [(v.id, v.planned_on.isoformat()) for v in visits])
        self.weight_bearing.choices = options([("", "–")] + [(w.value, w.label) for w in WeightBearing])
        self.pin_sites.choices = options([("", "–")] + [(p.value, p.label) for p in PinSites])
        self.complications.choices = options(COMPLICATIONS.items())

    def followup_input(self):
        from conference.rehab.services import FollowUpInput

        return FollowUpInput(
            seen_on=self.seen_on.data,
            visit_id=self.visit_id.data or None,
            achieved_mm=as_float(self.achieved_mm.data),
            knee_flexion_deg=as_float(self.knee_flexion_deg.data),
            knee_extension_deficit_deg=as_float(self.knee_extension_deficit_deg.data),
            ankle_dorsiflexion_deg=as_float(self.ankle_dorsiflexion_deg.data),
            weight_bearing=self.weight_bearing.data or None,
            pin_sites=self.pin_sites.data or None,
            pain=self.pain.data,
            complications=list(self.complications.data or []),
            consolidated=bool(self.consolidated.data),
            notes=self.notes.data,
        )


class AssignForm(Form):
    therapist = SelectField(_l("Therapist"), coerce=int, validators=[Optional()])
    version = VersionField()

    def __init__(self, *args, therapists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.therapist.choices = options([(0, _l("Not assigned"))] + [(u.id, u.name) for u in therapists])


class AdaptationForm(Form):
    kind = SelectField(_l("Kind"), validators=[InputRequired()])
    description = StringField(_l("Adaptation or aid"), validators=[InputRequired(), Length(max=500)])
    ordered_on = DateField(_l("Ordered"), validators=[Optional()])
    delivered_on = DateField(_l("Delivered"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = options((k.value, k.label) for k in AdaptationKind)


class ReviewForm(Form):
    reason = StringField(_l("Why the conference should see the case again"), validators=[Optional(), Length(max=500)])


class CorrectionReason:
    reason = StringField(_l("Why it is corrected"), validators=[InputRequired(), Length(max=500)])


class FollowUpCorrectionForm(CorrectionReason, FollowUpForm):
    pass


class AdaptationCorrectionForm(CorrectionReason, AdaptationForm):
    pass
