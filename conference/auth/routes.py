from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from conference import transaction
from conference.audit import services as audit
from conference.auth import bp, devices, sso
from conference.auth.decorators import public, signed_in_required
from conference.auth.forms import LanguageForm, LoginForm, PasswordForm
from conference.people import services as people


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: an open redirect on a login page is a phishing aid.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.index")


def _signed_in(user, *, via: str):
    audit.record(user, "user.login", "user", user.id, detail={"via": via} if via != "password" else None)
    login_user(user)
    session["auth_gen"] = user.session_generation


def _login_page(form, status: int = 200, sso_error: str | None = None):
    return render_template("auth/login.html", form=form, sso=sso.enabled(), sso_error=sso_error), status


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    status = 200
    if request.method == "POST" and not current_app.config["LOCAL_PASSWORD_LOGIN"]:
        # Passwords are turned off: the hospital's identity provider is the only way in.
        return _login_page(form, 403)
    if form.validate_on_submit():
        result = people.authenticate(
            form.email.data,
            form.password.data,
            address=request.remote_addr,
            known_device=devices.knows(request, form.email.data),
        )
        if result.throttled:
            form.password.errors.append(
                _("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=result.retry_after_minutes)
            )
            status = 429
        elif result.user is None:
            form.password.errors.append(_("Wrong email or password."))
            status = 401
        else:
            _signed_in(result.user, via="password")
            response = redirect(_safe_next(request.args.get("next")))
            devices.remember(response, request, result.user.email)
            return response
    elif request.method == "POST":
        status = 400
    return _login_page(form, status)


@bp.route("/login/sso", methods=["GET"])
@public
def sso_login():
    """Off to the hospital's identity provider; it sends the browser back to sso_callback."""
    if not sso.enabled():
        abort(404)
    session["sso_next"] = _safe_next(request.args.get("next"))
    # From the configured address, never from the request's Host header (which a client chooses).
    callback = current_app.config["CONFERENCE_BASE_URL"].rstrip("/") + url_for("auth.sso_callback")
    return sso.client().authorize_redirect(callback)


@bp.route("/login/sso/callback", methods=["GET"])
@public
def sso_callback():
    """Back from the provider: Authlib checks state, nonce and the ID token; the claims pick the local user.
    An answer that does not prove who signed in (a forged, stale or missing ID token) is refused with 400."""
    import requests
    from authlib.integrations.base_client import OAuthError
    from joserfc.errors import JoseError

    if not sso.enabled():
        abort(404)
    client = sso.client()
    try:
        token = client.authorize_access_token()
        claims = sso.identity_claims(token, dict(client.userinfo(token=token)))
        user = sso.user_for_claims(claims)
    except (OAuthError, JoseError, sso.IdentityUnproven) as error:
        current_app.logger.warning("single sign-on failed: %s: %s", type(error).__name__, error)
        audit.record_refusal(
            None, "user.login_refused", "user", None, detail={"via": "oidc", "why": type(error).__name__}
        )
        return _login_page(LoginForm(formdata=None), 400, _("The hospital sign-in did not complete. Try again."))
    except requests.RequestException as error:
        # The provider went away (or answered with an HTTP error) between the sign-in page and the way back.
        current_app.logger.warning("single sign-on: the provider cannot be reached: %s", type(error).__name__)
        message = _("The hospital sign-in service cannot be reached. Try again in a while.")
        return _login_page(LoginForm(formdata=None), 502, message)
    except sso.SignInRefused as error:
        audit.record_refusal(None, "user.login_refused", "user", None, detail={"via": "oidc"})
        return _login_page(LoginForm(formdata=None), 403, str(error))
    _signed_in(user, via="oidc")
    return redirect(session.pop("sso_next", None) or url_for("dashboard.index"))


@bp.route("/logout", methods=["POST"])
@signed_in_required
def logout():
    user = current_user._get_current_object()
    people.end_sessions(user)  # a copy of this session's cookie no longer signs anyone in
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
@signed_in_required
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        current_user.locale = form.locale.data
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in_required
def change_password():
    """Change one's own password; every other session ends, this one goes on."""
    if not current_app.config["LOCAL_PASSWORD_LOGIN"]:
        abort(404)  # passwords are the identity provider's
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            people.change_password(user, current=form.current_password.data, new=form.new_password.data)
        except people.AccountError as error:
            transaction.refuse()
            getattr(form, error.field if error.field in ("current_password",) else "new_password").errors.append(
                str(error)
            )
            status = 400
        else:
            session["auth_gen"] = user.session_generation
            flash(_("Your password is changed; you are signed out everywhere else."), "success")
            return redirect(url_for("dashboard.index"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/password.html", form=form), status
