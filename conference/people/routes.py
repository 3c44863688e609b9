from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference import transaction
from conference.auth.decorators import admin_required
from conference.db import StaleEdit
from conference.extensions import db
from conference.people import bp, services
from conference.people.forms import ActivationForm, UserEditForm, UserForm
from conference.people.models import User


def _account_fields(form) -> dict:
    return {
        "email": form.email.data,
        "name": form.name.data,
        "role": form.role.data,
        "specialty": form.specialty.data or None,
        "title": form.title.data or None,
        "locale": form.locale.data,
    }


@bp.route("/")
@admin_required
def index():
    return render_template("people/index.html", users=services.list_users(), activation_form=ActivationForm())


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def create():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(**_account_fields(form), password=form.password.data, actor=current_user)
        except services.AccountError as error:
            transaction.refuse()
            getattr(form, error.field or "email").errors.append(str(error))
        else:
            flash(_("Account created for %(name)s.", name=user.name), "success")
            return redirect(url_for("people.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("people/form.html", form=form), status


@bp.route("/<int:user_id>/active", methods=["POST"])
@admin_required
def toggle_active(user_id: int):
    form = ActivationForm()
    if not form.validate_on_submit():
        abort(400)
    user = db.session.get(User, user_id) or abort(404)
    try:
        services.set_active(user, not user.active, actor=current_user)
    except services.AccountError as error:
        transaction.refuse()
        flash(str(error), "error")
        return redirect(url_for("people.index"))
    flash(
        _("%(name)s is now active.", name=user.name) if user.active else _("%(name)s is deactivated.", name=user.name),
        "success",
    )
    return redirect(url_for("people.index"))


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserEditForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.role.data = user.role.value
        form.specialty.data = user.specialty.value if user.specialty else ""
        form.locale.data = user.locale or "sv"
        form.version.data = user.version
    status = 200
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                actor=current_user,
                expected_version=form.version.data,
                **_account_fields(form),
                active=form.active.data,
            )
        except StaleEdit:
            transaction.refuse()
            user = db.session.get(User, user_id)
            form.version.data = user.version
            form.form_errors.append(
                _(
                    "Someone else saved this account while you were editing. Your changes are below and were not "
                    "saved; check the account as it is now, then save again."
                )
            )
            status = 409
        except services.AccountError as error:
            transaction.refuse()
            getattr(form, error.field or "email").errors.append(str(error))
            status = 400
        else:
            flash(_("Account saved for %(name)s.", name=user.name), "success")
            return redirect(url_for("people.index"))
    elif form.is_submitted():
        status = 400
    return render_template("people/edit.html", form=form, user=user), status
