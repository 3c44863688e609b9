"""What a page costs before it shows anything (bench/pages.py serves this app beside the real one and hello-world).

The product's own app with two routes added for the benchmark only (they are never registered in the product):
- /bench/signed-in: the request machinery every page pays: the session cookie, Flask-Login loading the user and
  checking the session generation, the policy check, the security headers; answers a short text.
- /bench/audited: the same plus what every page showing patient data must do before answering: one audit event
  written and committed (the record of who saw what survives a crash of the worker that answered).
Their share of the hello-world floor is the ceiling for any signed-in page and any audited page of this stack.
"""

from __future__ import annotations

from flask_login import current_user

from conference import create_app
from conference.audit import services as audit
from conference.policy import allow

app = create_app()


@app.route("/bench/signed-in", endpoint="bench_signed_in")
@allow("signed_in")
def signed_in():
    return "signed in"


@app.route("/bench/audited", endpoint="bench_audited")
@allow("clinical")
def audited():
    # Committed where every page's transaction is, in conference.transaction.finish, before the answer leaves.
    audit.record(current_user, "case.view", "case", 1, patient_id=1)
    return "audited"
