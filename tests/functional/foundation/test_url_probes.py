"""Every GET route probed with strange URLs, as a scanner or a hand-edited bookmark sends them: ids of every size,
path segments with NUL, encoded slashes, invalid UTF-8 and right-to-left marks, and query strings with NUL, negative
or 20-digit numbers, impossible dates, repeated and whitespace-only values. No answer is a 5xx, on SQLite and on
PostgreSQL (where a NUL reaching the database is an error of its own).

CONFERENCE_FUZZ_EXAMPLES (the long fuzz's knob) above 12 probes every path with every query string, as a specialist
and signed out too."""

from __future__ import annotations

import os
import traceback

from flask import got_request_exception
from werkzeug.routing import IntegerConverter

from conference import PUBLIC_ENDPOINTS
from conference.extensions import db
from conference.seed import DEMO_PASSWORD, seed_demo
from tests.conftest import login

SEGMENTS = ["x", "%00", "a%00b", "..%2F..%2Fetc", "%FF%FE", "%E2%80%AE", "%20%20", "-1", "9" * 30, "a" * 2000]
IDS = ["0", "1", "27", str(2**31), str(2**63), str(2**64)]
QUERIES = [
    "",
    "?q=%00",
    "?q=%20%20%20&status=%20%20",
    "?page=-1&queue=-5&_count=-1",
    "?queue=99999999999999999999&page=99999999999999999999",
    "?queue=abc&page=%00",
    "?start=9999-12-31&end=0001-01-01&series=abc",
    "?start=2026-02-30&end=%00&series=%20",
    "?series=99999999999999999999999",
    "?before=2147483648&series=2147483648&queue=2147483648&case_id=2147483648&saved=2147483648",
    "?case_id=-1&before=-1&saved=%00",
    "?status=%00&kind=%00&token=%00",
    "?a=1&a=2&q=1&q=2",
    "?%FF=%FF",
    "?next=https://evil.example/&lang=xx",
]


LONG = int(os.environ.get("CONFERENCE_FUZZ_EXAMPLES", "12")) > 12


def _urls(rule) -> list[str]:
    ints = [name for name in rule.arguments if isinstance(rule._converters[name], IntegerConverter)]
    strings = [name for name in rule.arguments if name not in ints]
    paths = []
    base = {name: 1 for name in ints} | {name: "PLACEHOLDER" for name in strings}
    try:
        template = rule.build(base, append_unknown=False)[1]
    except Exception:  # noqa: BLE001 - a rule with converters we cannot fill
        return []
    for value in SEGMENTS if strings else ["x"]:
        path = template.replace("PLACEHOLDER", value)
        if ints:
            paths += [path.replace("/1", f"/{i}", 1) for i in IDS]
        else:
            paths.append(path)
    if LONG:
        return [path + query for path in paths for query in QUERIES]
    # The quick run: each path with the bare URL and one of the strange query strings, in turn.
    return [path + query for n, path in enumerate(paths) for query in ("", QUERIES[1 + n % (len(QUERIES) - 1)])]


def test_no_strange_url_answers_5xx(app):
    with app.app_context():
        seed_demo(history=False)
        db.session.commit()
    emails = ["koordinator@example-hospital.se", "admin@example-hospital.se"]
    if LONG:
        emails += ["ortoped1@example-hospital.se", None]  # a specialist, and nobody signed in
    causes: list[str] = []

    def record(sender, exception, **extra):
        frame = traceback.extract_tb(exception.__traceback__)[-1]
        causes.append(f"{type(exception).__name__}: {str(exception)[:120]} at {frame.filename}:{frame.lineno}")

    got_request_exception.connect(record, app)
    probes, failures = 0, []
    try:
        for email in emails:
            client = app.test_client()
            if email:
                assert login(client, email, DEMO_PASSWORD).status_code == 302
            for rule in app.url_map.iter_rules():
                if "GET" not in rule.methods or rule.endpoint in ("auth.logout", "static"):
                    continue
                if email is None and rule.endpoint not in PUBLIC_ENDPOINTS and probes % 7:
                    continue  # anonymous: every public page, a sample of the rest (all redirect to the login)
                for url in _urls(rule):
                    probes += 1
                    try:
                        status = client.get(url).status_code
                    except Exception:  # noqa: BLE001 - the test app propagates a 500's exception: count it
                        status = 500
                    if status >= 500:
                        failures.append((email, url[:200], status, causes[-1:]))
    finally:
        got_request_exception.disconnect(record, app)
    print(f"url probes: {probes}, 5xx: {len(failures)}, causes: {sorted(set(causes))}")
    assert probes > 500
    assert not failures, failures[:10]
