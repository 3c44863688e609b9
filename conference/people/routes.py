from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference import transaction
from conference.auth.decorators import admin_required
from conference.extensions import db
from conference.people import bp, services
from conference.people.forms import ActivationForm, UserForm
from conference.people.models import User


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
            user = services.create_user(
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                specialty=form.specialty.data or None,
                title=form.title.data or None,
                locale=form.locale.data,
                password=form.password.data,
                actor=current_user,
            )
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
