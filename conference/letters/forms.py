from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from conference.forms import Form, VersionField, options
from conference.letters.models import Answer


class LetterTextForm(Form):
    """The clinician's review of the letter's text (blank lines separate paragraphs)."""

    body = TextAreaField(_l("The letter's text"), validators=[InputRequired(), Length(max=20000)])
    version = VersionField()


class SendForm(Form):
    version = VersionField()


class AnswerForm(Form):
    answer = SelectField(_l("The patient's answer"), validators=[InputRequired()])
    note = TextAreaField(
        _l("Reason or note"),
        description=_l("When the patient declines: the reason, for the case's history and the next conference."),
        validators=[Optional(), Length(max=4000)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answer.choices = options((a.value, a.label) for a in Answer)


class TemplateForm(Form):
    body = TextAreaField(_l("Text of the proposal"), validators=[InputRequired(), Length(max=20000)])
    child_text = TextAreaField(_l("Text a child can be told"), validators=[Optional(), Length(max=4000)])
    version = VersionField()
