from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from conference.cases.models import Side
from conference.forms import DateField, HtmlForm, options
from conference.imaging.models import ImageKind


class ImageDetailsFields:
    kind = SelectField(_l("Kind"), validators=[InputRequired()])
    taken_on = DateField(
        _l("Date taken"), validators=[Optional()], description=_l("Empty: the study date in the file, else today.")
    )
    side = SelectField(_l("Side"), validators=[Optional()])
    override_reason = TextAreaField(
        _l("Reason to keep an image that does not match the patient"),
        validators=[Optional(), Length(min=10, max=1000)],
        description=_l("Only if the check refused the image and you are sure it is this patient's."),
    )

    def init_choices(self):
        self.kind.choices = options([(k.value, k.label) for k in ImageKind])
        self.side.choices = options([("", "–")] + [(s.value, s.label) for s in Side])


class ImageUploadForm(ImageDetailsFields, HtmlForm):
    file = FileField(
        _l("File"),
        validators=[FileRequired(message=_l("Choose a file."))],
        description=_l("DICOM, PNG, JPEG or PDF."),
    )
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_choices()


class PacsImportForm(ImageDetailsFields, HtmlForm):
    study_uid = StringField(validators=[InputRequired(), Length(max=64)])
    series_uid = StringField(validators=[InputRequired(), Length(max=64)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_choices()


class PacsSearchForm(HtmlForm):
    class Meta:
        csrf = False
