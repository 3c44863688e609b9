"""With local passwords turned off, the password form is gone and posting one is refused (the identity provider
is the only way in); the single sign-on routes do not exist while no provider is configured."""

from tests.conftest import PASSWORD, csrf_token


def test_passwords_turned_off(app, client, make_user, monkeypatch):
    _user_id, email = make_user("coordinator")
    token = csrf_token(client, "/login")
    monkeypatch.setitem(app.config, "LOCAL_PASSWORD_LOGIN", False)
    page = client.get("/login").get_data(as_text=True)
    assert 'name="password"' not in page and "turned off" in page
    refused = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert refused.status_code == 403
    assert client.get("/").status_code == 302  # not signed in
    assert client.get("/login/sso").status_code == 404  # no provider configured
    monkeypatch.setitem(app.config, "LOCAL_PASSWORD_LOGIN", True)
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    monkeypatch.setitem(app.config, "LOCAL_PASSWORD_LOGIN", False)
    assert client.get("/account/password").status_code == 404
