from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import InputRequired, ValidationError

from conference.forms import DateField, Form, options


class PeriodForm(Form):
    """The period and series of the quality page: a GET form (no patient data in it), so no CSRF token."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[InputRequired()])
    end = DateField(_l("To"), validators=[InputRequired()])
    series = SelectField(_l("Series"), coerce=int, default=0)

    def __init__(self, *args, series_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.series.choices = options([(0, _l("All meetings"))] + list(series_choices))

    def validate_end(self, field):
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The end must be on or after the start."))
        if self.start.data and field.data and (field.data - self.start.data).days > 366 * 10:
            raise ValidationError(_l("Choose ten years at most."))
