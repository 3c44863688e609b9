from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from conference.forms import DateField, Form, options
from conference.patients.identity import InvalidIdentityNumber, parse_identity_number
from conference.patients.models import SEX_LABELS


class PatientForm(Form):
    national_id = StringField(
        _l("Identity number"),
        description=_l("Personnummer or samordningsnummer, YYYYMMDD-NNNN."),
        validators=[DataRequired(), Length(max=20)],
    )
    reserve_number = BooleanField(_l("This is a reserve number (no personnummer yet)"))
    given_name = StringField(_l("Given name"), validators=[DataRequired(), Length(max=100)])
    family_name = StringField(_l("Family name"), validators=[DataRequired(), Length(max=100)])
    date_of_birth = DateField(_l("Date of birth (only for reserve numbers)"), validators=[Optional()])
    sex = SelectField(_l("Sex"), choices=[], validators=[DataRequired()])
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sex.choices = options((s.value, label) for s, label in SEX_LABELS.items())
        self.parsed_identity = None

    def validate_national_id(self, field):
        try:
            self.parsed_identity = parse_identity_number(field.data, allow_reserve=bool(self.reserve_number.data))
        except InvalidIdentityNumber as error:
            raise ValidationError(str(error)) from None


class PatientSearchForm(Form):
    """Posted, not sent in the URL: identity numbers must not end up in access logs or browser history."""

    q = StringField(_l("Search"), validators=[Length(max=100)])
