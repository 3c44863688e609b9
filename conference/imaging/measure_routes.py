"""The measuring page of a standing long-leg radiograph: the clinician places the landmarks on the picture
(static/measure.js: click, drag, keyboard), chooses the calibration, sees the values with their flags ("Show the
values") and saves them as a case measurement. Without the script the form still works: every landmark is a
text input "x, y" in the original image's pixels."""

from __future__ import annotations

import math

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from conference import policy, transaction
from conference.auth.decorators import clinical_staff_required
from conference.forms import DecimalField, Form, add_error, as_float, options
from conference.imaging import bp, geometry, radiograph
from conference.imaging import services as images

POINT_ERROR = _l("Enter the point as two numbers, x and y in pixels of the image.")


def _parse_point(text: str | None) -> tuple[float, float] | None:
    text = (text or "").strip()
    if not text:
        return None
    parts = [p for p in text.replace(";", ",").split(",") if p.strip()]
    if len(parts) != 2:
        raise ValueError(text)
    x, y = (float(p) for p in parts)
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(text)
    return (x, y)


class PointField(StringField):
    """A point "x, y" in the original image's pixels (the script fills it; a keyboard user may type it)."""

    def pre_validate(self, form):
        try:
            _parse_point(self.data)
        except ValueError:
            raise ValidationError(str(POINT_ERROR)) from None

    @property
    def point(self):
        try:
            return _parse_point(self.data)
        except ValueError:
            return None


class MeasureForm(Form):
    calibration = RadioField(
        _l("Calibration"),
        choices=options(radiograph.CALIBRATION_LABELS.items()),
        default="pixel_spacing",
    )
    magnification = DecimalField(
        _l("Magnification factor"),
        places=3,
        description=_l("Detector size / size at bone level (DICOM 0018,1114); often 1.05-1.15."),
        validators=[Optional(), NumberRange(min=0.5, max=2, message=_l("Enter a value from %(min)s to %(max)s."))],
    )
    marker_a = PointField(_l("Marker, one end of its diameter"))
    marker_b = PointField(_l("Marker, the other end"))
    marker_mm = DecimalField(
        _l("Marker size (mm)"),
        places=1,
        default=25,
        validators=[Optional(), NumberRange(min=1, max=200, message=_l("Enter a value from %(min)s to %(max)s."))],
    )
    recorded_side = SelectField(_l("Leg whose MAD, mLDFA and MPTA the case records"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])

    def landmark_fields(self):
        return [(side, name, getattr(self, f"{side}_{name}")) for side in geometry.SIDES for name in geometry.LANDMARKS]

    def landmarks(self) -> dict:
        return {
            side: {name: field.point for s, name, field in self.landmark_fields() if s == side and field.point}
            for side in geometry.SIDES
        }

    def calibration_input(self) -> radiograph.CalibrationInput:
        return radiograph.CalibrationInput(
            self.calibration.data,
            magnification=as_float(self.magnification.data),
            marker_a=self.marker_a.point,
            marker_b=self.marker_b.point,
            marker_mm=as_float(self.marker_mm.data),
        )


for _side in geometry.SIDES:
    for _name in geometry.LANDMARKS:
        setattr(
            MeasureForm,
            f"{_side}_{_name}",
            PointField(
                _l(
                    "%(side)s: %(landmark)s",
                    side=radiograph.SIDE_NAMES[_side],
                    landmark=radiograph.LANDMARK_LABELS[_name],
                )
            ),
        )


def _measurable_image(image_id: int):
    image = images.get(image_id) or abort(404)
    policy.require(policy.can_see_images(current_user, image.case))
    policy.require(policy.can_measure_radiograph(current_user, image))
    if not radiograph.measurable(image):
        abort(404)
    return image


def _page(image, form, result=None, status=200):
    case = image.case
    images.record_access(current_user, image, "image.view")
    page = render_template(
        "imaging/measure.html",
        image=image,
        case=case,
        form=form,
        result=result,
        rows=radiograph.value_rows(result.as_record()) if result else [],
        picture_url=url_for("imaging.rendering", image_id=image.id, preset=0, name="screen.png"),
        earlier=radiograph.of_image(image.id),
        describe_source=radiograph.describe_source,
        ranges_source=radiograph.ranges_source(),
    )
    response = current_app.make_response((page, status))
    response.headers["Cache-Control"] = "no-store"
    return response


def _form(image) -> MeasureForm:
    form = MeasureForm()
    form.recorded_side.choices = options(radiograph.SIDE_NAMES.items())
    if not form.is_submitted():
        form.recorded_side.data = (
            image.case.side.value if image.case.side and image.case.side.value in geometry.SIDES else "right"
        )
        form.magnification.data = image.magnification_factor
        if not (image.pixel_spacing_row and image.pixel_spacing_column):
            form.calibration.data = "marker"
    return form


@bp.route("/<int:image_id>/measure", methods=["GET", "POST"])
@clinical_staff_required
def measure(image_id: int):
    image = _measurable_image(image_id)
    form = _form(image)
    if not form.is_submitted():
        return _page(image, form)
    if not form.validate_on_submit():
        return _page(image, form, status=400)
    pixels = radiograph.image_pixels(image) if form.calibration.data == "marker" else None
    try:
        if request.form.get("action") == "save":
            radiograph.measure_radiograph(
                image,
                landmarks=form.landmarks(),
                calibration=form.calibration_input(),
                recorded_side=form.recorded_side.data,
                actor=current_user,
                pixels=pixels,
                notes=form.notes.data,
            )
        else:
            result, _clean = radiograph.compute(image, form.landmarks(), form.calibration_input(), pixels)
            return _page(image, form, result)
    except radiograph.RadiographError as error:
        transaction.refuse()
        add_error(form, error)
        return _page(image, form, status=400)
    flash(_("The radiograph measurement is saved as a measurement of the case."), "success")
    return redirect(url_for("cases.show", case_id=image.case_id))


# The case summary shows each radiograph measurement (templates/imaging/_radiograph_measurements.html).
bp.add_app_template_global(radiograph.describe_source, "radiograph_source")
bp.add_app_template_global(radiograph.value_rows, "radiograph_rows")
