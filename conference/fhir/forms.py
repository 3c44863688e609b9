from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from conference.fhir.models import SCOPE_READ, SCOPE_WRITE_REFERRALS
from conference.forms import DateField, Form, options

SCOPE_LABELS = {
    SCOPE_READ: _l("Read patients, referrals, measurements, decisions, actions, meetings and signed minutes"),
    SCOPE_WRITE_REFERRALS: _l("Send referrals"),
}


class ApiClientForm(Form):
    name = StringField(
        _l("System"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("The hospital system that will use the token, e.g. the integration engine."),
    )
    scopes = SelectMultipleField(
        _l("May"),
        choices=options(SCOPE_LABELS.items()),
        validators=[DataRequired(_l("Choose at least one."))],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    expires_on = DateField(
        _l("Valid until"),
        validators=[Optional()],
        description=_l("The last day the token works. Empty: until it is revoked."),
    )


class RevokeForm(Form):
    pass
