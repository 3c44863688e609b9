import logging

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from conference import policy, transaction
from conference.audit import services as audit
from conference.auth.decorators import clinical_staff_required
from conference.conferences import services as conferences
from conference.db import StaleEdit
from conference.documents.pdf import ConversionFailed
from conference.documents.services import DocumentTampered
from conference.extensions import db
from conference.forms import EmptyForm, add_error
from conference.letters import bp, services, texts
from conference.letters.forms import AnswerForm, LetterTextForm, SendForm, TemplateForm
from conference.letters.models import Answer, LetterAction, LetterStatus
from conference.meetings.models import Decision, Treatment

STALE = (StaleEdit, StaleDataError)
log = logging.getLogger(__name__)


def _letter(letter_id: int):
    return services.get_letter(letter_id) or abort(404)


def _can_prepare(letter) -> bool:
    return policy.can_prepare_letter(current_user, letter.decision.conference, letter.decision.case)


def _can_answer(letter) -> bool:
    return policy.can_record_letter_answer(current_user, letter.decision.conference, letter.decision.case)


@bp.route("/")
@clinical_staff_required
def index():
    actions = services.open_actions()
    audit.record_shown(current_user, "letter.actions", "letter", [(a.letter_id, a.letter.patient_id) for a in actions])
    return render_template("letters/index.html", actions=actions, form=EmptyForm())


@bp.route("/conference/<int:conference_id>")
@clinical_staff_required
def conference(conference_id: int):
    meeting = conferences.get_conference(conference_id) or abort(404)
    rows = services.letters_of(meeting)
    audit.record_shown(current_user, "letter.list", "case", [(r.case.id, r.case.patient_id) for r in rows])
    return render_template(
        "letters/conference.html",
        conference=meeting,
        rows=rows,
        locked=services.meetings.is_locked(meeting),
        can_prepare=lambda row: policy.can_prepare_letter(current_user, meeting, row.case),
        form=EmptyForm(),
    )


@bp.route("/decision/<int:decision_id>/prepare", methods=["POST"])
@clinical_staff_required
def prepare(decision_id: int):
    decision = db.session.get(Decision, decision_id) or abort(404)
    policy.require(policy.can_prepare_letter(current_user, decision.conference, decision.case))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        letter = services.prepare(decision, current_user)
    except services.LetterError as error:
        transaction.refuse()
        flash(str(error), "error")
        return redirect(url_for("letters.conference", conference_id=decision.conference_id)), 303
    return redirect(url_for("letters.show", letter_id=letter.id)), 303


def _render(letter, *, text_form=None, answer_form=None, status=200):
    if text_form is None:
        text_form = LetterTextForm(formdata=None, body=letter.body, version=letter.version)
    services.view(letter, current_user)
    return render_template(
        "letters/show.html",
        letter=letter,
        decision=letter.decision,
        patient=letter.patient,
        text_form=text_form,
        send_form=SendForm(formdata=None, version=letter.version),
        answer_form=answer_form or AnswerForm(formdata=None),
        can_prepare=_can_prepare(letter),
        can_answer=_can_answer(letter),
        addressees=services.addressees(letter.patient, letter.decision.conference.starts_at.date()),
        Status=LetterStatus,
    ), status


@bp.route("/<int:letter_id>", methods=["GET", "POST"])
@clinical_staff_required
def show(letter_id: int):
    """The letter for review; POST saves the edited text (the version the page showed is checked)."""
    letter = _letter(letter_id)
    form = LetterTextForm()
    if not form.is_submitted():
        return _render(letter)
    policy.require(_can_prepare(letter))
    if not form.validate():
        return _render(letter, text_form=form, status=400)
    try:
        services.update_text(letter, form.body.data, expected_version=form.version.data, actor=current_user)
        db.session.flush()
    except STALE:
        transaction.refuse()
        letter = _letter(letter_id)
        form.form_errors.append(
            _(
                "Someone else saved this letter while you were editing. Your text is below and was not saved; "
                "the saved text is shown beside it. Save again to replace it."
            )
        )
        form.version.data = letter.version
        return _render(letter, text_form=form, status=409)
    except services.LetterError as error:
        add_error(form, error)
        return _render(letter, text_form=form, status=400)
    flash(_("Letter saved."), "success")
    return redirect(url_for("letters.show", letter_id=letter.id)), 303


@bp.route("/<int:letter_id>/send", methods=["POST"])
@clinical_staff_required
def send(letter_id: int):
    letter = _letter(letter_id)
    policy.require(_can_prepare(letter))
    form = SendForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.send(letter, expected_version=form.version.data, actor=current_user)
    except STALE:
        transaction.refuse()
        flash(_("Someone else changed this letter since you opened it: read it again before sending."), "error")
        return redirect(url_for("letters.show", letter_id=letter_id)), 303
    except services.LetterError as error:
        transaction.refuse()
        flash(str(error), "error")
        return redirect(url_for("letters.show", letter_id=letter_id)), 303
    except ConversionFailed:
        transaction.refuse()
        log.error("letter %s: the PDF could not be made", letter_id)
        flash(_("The PDF could not be made, so the letter is not marked as sent. Try again in a moment."), "error")
        return redirect(url_for("letters.show", letter_id=letter_id)), 303
    flash(_("Letter marked as sent; the document is stored."), "success")
    return redirect(url_for("letters.show", letter_id=letter.id)), 303


@bp.route("/<int:letter_id>/answer", methods=["POST"])
@clinical_staff_required
def answer(letter_id: int):
    letter = _letter(letter_id)
    policy.require(_can_answer(letter))
    form = AnswerForm()
    if not form.validate_on_submit():
        return _render(letter, answer_form=form, status=400)
    try:
        services.record_answer(letter, Answer(form.answer.data), form.note.data, actor=current_user)
    except services.LetterError as error:
        add_error(form, error)
        return _render(letter, answer_form=form, status=400)
    flash(_("The patient's answer is recorded."), "success")
    return redirect(url_for("letters.show", letter_id=letter.id)), 303


def _file(payload: bytes, mimetype: str, name: str) -> Response:
    return Response(payload, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/<int:letter_id>/draft.docx")
@clinical_staff_required
def draft(letter_id: int):
    letter = _letter(letter_id)
    if letter.status is LetterStatus.sent:
        return redirect(url_for("letters.download", letter_id=letter.id))
    payload = services.draft_document(letter, current_user)
    return _file(payload, services.DOCX, f"letter-{letter.id}-draft.docx")


@bp.route("/<int:letter_id>/letter.docx")
@clinical_staff_required
def download(letter_id: int):
    return _stored(letter_id, "docx")


@bp.route("/<int:letter_id>/letter.pdf")
@clinical_staff_required
def download_pdf(letter_id: int):
    return _stored(letter_id, "pdf")


def _stored(letter_id: int, kind: str):
    """The sent letter as stored (.docx, or the PDF made from it), checked against its SHA-256."""
    letter = _letter(letter_id)
    try:
        payload = services.stored_document(letter, kind, current_user)
    except DocumentTampered:
        transaction.keep(
            lambda _status: audit.record(
                current_user, "letter.integrity_failure", "letter", letter.id, patient_id=letter.patient_id
            )
        )
        return render_template(
            "errors/error.html",
            code=409,
            title=_("The document does not match its signature"),
            message=_("The stored letter differs from what was sent, so it is not served. The event is logged."),
        ), 409
    if payload is None:
        abort(404)
    return _file(payload, services.DOCX if kind == "docx" else services.PDF, services.filename(letter, kind))


@bp.route("/actions/<int:letter_action_id>/done", methods=["POST"])
@clinical_staff_required
def action_done(letter_action_id: int):
    action = db.session.get(LetterAction, letter_action_id) or abort(404)
    policy.require(policy.is_coordinator(current_user))
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.complete_action(action, current_user)
    return redirect(url_for("letters.index")), 303


@bp.route("/templates")
@clinical_staff_required
def templates():
    policy.require(policy.can_edit_letter_templates(current_user))
    rows = [(treatment, {lang: services.template(treatment, lang) for lang in texts.FRAME}) for treatment in Treatment]
    return render_template("letters/templates.html", rows=rows)


@bp.route("/templates/<treatment>/<language>", methods=["GET", "POST"])
@clinical_staff_required
def edit_template(treatment: str, language: str):
    policy.require(policy.can_edit_letter_templates(current_user))
    if treatment not in Treatment._value2member_map_ or language not in texts.FRAME:
        abort(404)
    kind = Treatment(treatment)
    current = services.template(kind, language)
    form = TemplateForm()
    status = 200
    if not form.is_submitted():
        form = TemplateForm(formdata=None, body=current.body, child_text=current.child_text, version=current.version)
    elif form.validate():
        try:
            services.save_template(
                kind,
                language,
                body=form.body.data,
                child_text=form.child_text.data,
                expected_version=form.version.data,
                actor=current_user,
            )
        except STALE:
            transaction.refuse()
            current = services.template(kind, language)
            form.form_errors.append(
                _("Someone else saved this text while you were editing. Yours is below; save again to replace it.")
            )
            form.version.data = current.version
            status = 409
        except services.LetterError as error:
            add_error(form, error)
            status = 400
        else:
            flash(_("Letter text saved."), "success")
            return redirect(url_for("letters.templates")), 303
    else:
        status = 400
    return render_template(
        "letters/template_form.html",
        form=form,
        treatment_label=kind.label,
        language_label=dict(texts.LANGUAGE_NAMES)[language],
        current=current,
    ), status
