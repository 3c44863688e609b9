from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference import policy, transaction
from conference.audit import services as audit
from conference.auth.decorators import admin_required, clinical_staff_required
from conference.extensions import db
from conference.patients import bp, services
from conference.patients.forms import ContactForm, PatientForm, PatientSearchForm
from conference.patients.models import Patient


@bp.route("/", methods=["GET", "POST"])
@clinical_staff_required
def index():
    form = PatientSearchForm()
    found = services.search(form.q.data, current_user) if form.validate_on_submit() and form.q.data else None
    page = render_template("patients/index.html", form=form, found=found)
    return page


def _save(form: PatientForm, patient: Patient | None):
    data = dict(
        identity=form.parsed_identity,
        given_name=form.given_name.data,
        family_name=form.family_name.data,
        sex=form.sex.data,
        actor=current_user,
    )
    if patient is None:
        return services.create_patient(date_of_birth=form.date_of_birth.data, **data)
    return services.update_patient(patient, expected_version=int(form.version.data or 0), **data)


@bp.route("/new", methods=["GET", "POST"])
@clinical_staff_required
def create():
    form = PatientForm()
    if form.validate_on_submit():
        try:
            patient = _save(form, None)
        except services.PatientError as error:
            getattr(form, error.field or "national_id").errors.append(str(error))
        else:
            flash(_("Patient registered."), "success")
            return redirect(url_for("patients.show", patient_id=patient.id))
    return render_template("patients/form.html", form=form, patient=None), 400 if form.is_submitted() else 200


@bp.route("/<int:patient_id>")
@clinical_staff_required
def show(patient_id: int):
    from conference.cases import services as cases

    patient = services.view_patient(patient_id, current_user) or abort(404)
    return render_template("patients/show.html", patient=patient, cases=cases.patient_cases(patient.id))


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
@clinical_staff_required
def edit(patient_id: int):
    patient = db.session.get(Patient, patient_id) or abort(404)
    policy.require(policy.can_edit_patient_identity(current_user, patient))
    form = PatientForm(obj=patient if request.method == "GET" else None)
    if request.method == "GET":
        form.national_id.data = patient.national_id_display
        form.sex.data = patient.sex.value
        form.version.data = patient.version
        audit.record(current_user, "patient.view", "patient", patient.id, patient_id=patient.id)
    status = 200
    if form.validate_on_submit():
        try:
            _save(form, patient)
            db.session.flush()  # a racing save surfaces here, where the typed input is still at hand
        except services.ConcurrentEdit:
            transaction.refuse()
            form.form_errors.append(
                _(
                    "Someone else saved this patient while you were editing. Your changes are below and were not "
                    "saved; check the current record, then save again."
                )
            )
            form.version.data = db.session.get(Patient, patient_id).version
            status = 409
        except services.PatientError as error:
            getattr(form, error.field or "national_id").errors.append(str(error))
            status = 400
        else:
            flash(_("Patient saved."), "success")
            return redirect(url_for("patients.show", patient_id=patient.id))
    elif form.is_submitted():
        status = 400
    return render_template("patients/form.html", form=form, patient=patient), status


@bp.route("/<int:patient_id>/contact", methods=["GET", "POST"])
@clinical_staff_required
def contact(patient_id: int):
    """Letter language, address and a child's guardians (letters to the patient go there)."""
    patient = db.session.get(Patient, patient_id) or abort(404)
    policy.require(policy.can_edit_patient_contact(current_user, patient))
    form = ContactForm()
    status = 200
    if not form.is_submitted():
        guardians = list(patient.guardians) + [None, None]
        form = ContactForm(
            formdata=None,
            language=patient.language,
            address=patient.address,
            guardian1_name=guardians[0].name if guardians[0] else "",
            guardian1_address=guardians[0].address if guardians[0] else "",
            guardian2_name=guardians[1].name if guardians[1] else "",
            guardian2_address=guardians[1].address if guardians[1] else "",
            version=patient.version,
        )
        audit.record_shown(current_user, "patient.view", "patient", [(patient.id, patient.id)])
    elif form.validate():
        try:
            services.update_contact(
                patient,
                expected_version=form.version.data,
                language=form.language.data,
                address=form.address.data,
                guardians=[
                    (form.guardian1_name.data, form.guardian1_address.data),
                    (form.guardian2_name.data, form.guardian2_address.data),
                ],
                actor=current_user,
            )
            db.session.flush()
        except services.ConcurrentEdit:
            transaction.refuse()
            patient = db.session.get(Patient, patient_id)
            form.form_errors.append(
                _(
                    "Someone else saved this patient while you were editing. Your changes are below and were not "
                    "saved; check the current record, then save again."
                )
            )
            form.version.data = patient.version
            status = 409
        except services.PatientError as error:
            getattr(form, error.field or "language").errors.append(str(error))
            status = 400
        else:
            flash(_("Patient saved."), "success")
            return redirect(url_for("patients.show", patient_id=patient.id)), 303
    else:
        status = 400
    return render_template("patients/contact.html", form=form, patient=patient), status


@bp.route("/<int:patient_id>/access-log")
@admin_required
def access_log(patient_id: int):
    from conference.audit.routes import before

    patient = db.session.get(Patient, patient_id) or abort(404)
    events, older = audit.patient_access_log(patient.id, before=before())
    page = render_template("patients/access_log.html", patient=patient, events=events, older=older)
    audit.record(current_user, "patient.access_log", "patient", patient.id, patient_id=patient.id)
    return page
