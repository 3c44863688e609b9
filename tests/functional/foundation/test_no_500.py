"""Every route, for every role, with the demo data in place: a GET and an empty POST never end in a 500."""

import pytest
from werkzeug.routing import IntegerConverter

from conference import PUBLIC_ENDPOINTS
from conference.extensions import db
from conference.seed import DEMO_PASSWORD, seed_demo
from tests.conftest import csrf_token, login


def _url(rule, value) -> str:
    values = {}
    for name in rule.arguments:
        values[name] = value if isinstance(rule._converters[name], IntegerConverter) else "x"
    try:
        return rule.build(values, append_unknown=False)[1]
    except ValueError:  # an id past 2^63 cannot even be built: it matches no route (404), as the client sees
        values = {k: (1 if isinstance(v, int) else v) for k, v in values.items()}
        return rule.build(values, append_unknown=False)[1].replace("/1", f"/{value}", 1)


@pytest.mark.parametrize(
    "email",
    ["koordinator@example-hospital.se", "ortoped1@example-hospital.se", "admin@example-hospital.se"],
)
def test_no_route_answers_500(app, email):
    with app.app_context():
        seed_demo()
        db.session.commit()
    client = app.test_client()
    login(client, email, DEMO_PASSWORD)
    token = csrf_token(client, "/")
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint in ("auth.logout",):
            continue
        for value in (1, 2, 27, 999999, 2**63, 2**64):
            url = _url(rule, value)
            if "GET" in rule.methods:
                status = client.get(url).status_code
                if status >= 500:
                    failures.append(("GET", url, status))
            if "POST" in rule.methods:
                status = client.post(url, data={"csrf_token": token}).status_code
                if status >= 500:
                    failures.append(("POST", url, status))
    assert not failures
