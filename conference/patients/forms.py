from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from conference.forms import DateField, Form, VersionField, options
from conference.patients.identity import InvalidIdentityNumber, parse_identity_number
from conference.patients.models import LETTER_LANGUAGES, Sex


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
        self.sex.choices = options((s.value, s.label) for s in Sex)
        self.parsed_identity = None

    def validate_national_id(self, field):
        try:
            self.parsed_identity = parse_identity_number(field.data, allow_reserve=bool(self.reserve_number.data))
        except InvalidIdentityNumber as error:
            raise ValidationError(str(error)) from None


class PatientSearchForm(Form):
    """Posted, not sent in the URL: identity numbers must not end up in access logs or browser history."""

    q = StringField(_l("Search"), validators=[Length(max=100)])


class ContactForm(Form):
    """Where letters reach the patient: language, the patient's address, and a child's guardians."""

    language = SelectField(_l("Language of letters"), choices=[], validators=[DataRequired()])
    address = TextAreaField(_l("Postal address"), validators=[Optional(), Length(max=500)])
    guardian1_name = StringField(_l("Guardian"), validators=[Optional(), Length(max=200)])
    guardian1_address = TextAreaField(_l("Guardian's address"), validators=[Optional(), Length(max=500)])
    guardian2_name = StringField(_l("Second guardian"), validators=[Optional(), Length(max=200)])
    guardian2_address = TextAreaField(_l("Second guardian's address"), validators=[Optional(), Length(max=500)])
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = options(LETTER_LANGUAGES.items())

    def validate_guardian1_address(self, field):
        if field.data and field.data.strip() and not (self.guardian1_name.data or "").strip():
            raise ValidationError(str(_l("Write the guardian's name.")))

    def validate_guardian2_address(self, field):
        if field.data and field.data.strip() and not (self.guardian2_name.data or "").strip():
            raise ValidationError(str(_l("Write the guardian's name.")))
