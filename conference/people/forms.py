from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from conference.forms import LANGUAGE_NAMES, Form, VersionField, options
from conference.people.models import Role, Specialty


class UserForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    specialty = SelectField(_l("Specialty"), validators=[Optional()])
    locale = SelectField(_l("Language"), choices=options(LANGUAGE_NAMES))
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=10, max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = options((role.value, role.label) for role in Role)
        self.specialty.choices = options([("", _l("None"))] + [(s.value, s.label) for s in Specialty])


class ActivationForm(Form):
    pass


class UserEditForm(UserForm):
    """The admin's correction of an account: no password here (the user changes their own)."""

    password = None
    active = BooleanField(_l("Active"))
    version = VersionField()
