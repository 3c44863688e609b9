from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField, TimeField
from wtforms.fields import URLField
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from conference.forms import DateField, Form, IntegerField, VersionField, options

REPEAT_CHOICES = (("1", _l("Every week")), ("2", _l("Every second week")), ("4", _l("Every fourth week")))


class UntilMixin:
    """The series' last date: asked when booking and kept (offered again) when the series moves."""

    until = DateField(_l("Last date (optional)"), validators=[Optional()])

    def validate_until(self, field):
        if field.data and self.date.data and field.data < self.date.data:
            raise ValidationError(_l("The last date must be on or after the first."))


class TimesMixin:
    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The end must be after the start."))


class BookingForm(UntilMixin, TimesMixin, Form):
    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=200)], default=_l("MDT conference, limb deformity")
    )
    kind = RadioField(
        _l("Kind"),
        default="series",
        choices=options((("series", _l("Recurring series")), ("single", _l("Single meeting")))),
    )
    date = DateField(_l("Date (first meeting)"), validators=[InputRequired()])
    start_time = TimeField(_l("Start"), validators=[InputRequired()])
    end_time = TimeField(_l("End"), validators=[InputRequired()])
    repeat = SelectField(_l("Repeats"), choices=options(REPEAT_CHOICES), default="1")
    location = StringField(_l("Room"), validators=[Optional(), Length(max=200)])
    video_link = URLField(_l("Video link"), validators=[Optional(), URL(), Length(max=500)])
    capacity = IntegerField(_l("Capacity (cases)"), validators=[InputRequired(), NumberRange(min=1, max=100)])
    case_deadline_hours = IntegerField(
        _l("Case deadline (hours before start)"), validators=[InputRequired(), NumberRange(min=0, max=24 * 14)]
    )
    chair = SelectField(_l("Chair"), coerce=int, validators=[Optional()])
    participants = SelectMultipleField(_l("Standing participants"), coerce=int, validators=[Optional()])

    def validate_kind(self, field):
        if field.data == "single" and self.until.data:
            self.until.data = None


class RescheduleForm(TimesMixin, Form):
    date = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Start"), validators=[InputRequired()])
    end_time = TimeField(_l("End"), validators=[InputRequired()])
    location = StringField(_l("Room"), validators=[Optional(), Length(max=200)])
    video_link = URLField(_l("Video link"), validators=[Optional(), URL(), Length(max=500)])
    version = VersionField()


class SeriesRescheduleForm(UntilMixin, TimesMixin, Form):
    date = DateField(_l("New date of the next meeting"), validators=[InputRequired()])
    start_time = TimeField(_l("Start"), validators=[InputRequired()])
    end_time = TimeField(_l("End"), validators=[InputRequired()])
    repeat = SelectField(_l("Repeats"), choices=options(REPEAT_CHOICES), default="1")
    version = VersionField()


class CancelForm(Form):
    reason = TextAreaField(_l("Reason (sent to no one; kept in the record)"), validators=[Optional(), Length(max=1000)])
    cases_to = RadioField(
        _l("The listed cases go to"),
        choices=options((("next", _l("the next meeting of the series")), ("queue", _l("back to the ready queue")))),
        validators=[Optional()],
    )


class SeriesCancelForm(Form):
    """Cancelling a whole series: the coordinator confirms how many meetings go."""

    count = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=10_000)])
    version = VersionField()


class InviteForm(Form):
    user = SelectField(_l("Invite"), coerce=int, validators=[InputRequired()])
    role = SelectField(
        _l("Role"),
        default="required",
        choices=options((("required", _l("Required")), ("optional", _l("Optional")))),
    )


class RespondForm(Form):
    response = SelectField(
        _l("Your answer"),
        choices=options((("accepted", _l("Attending")), ("tentative", _l("Maybe")), ("declined", _l("Not attending")))),
    )


class ArchiveForm(Form):
    """The archive's filter (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    series = SelectField(_l("Series"), coerce=int, validators=[Optional()])

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end is before the start."))
