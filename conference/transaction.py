"""One transaction per request, job and CLI command, committed in one place (as Indico's `RH.process`).

A request: the view runs (services only flush), its answer is made, then `finish` decides:
- an answer below 400 commits everything the request did;
- an answer of 400 or more rolls everything back, then writes what `keep` asked to keep whatever the outcome (what
  a page showed, a refused sign-in, a failed password for throttling, an API call) and commits that alone.
A commit that fails is answered like an error the view raised (409 for a conflict, 503 when the database is gone).
Routes never commit. A route that refuses but answers with a redirect (a flashed message) calls `refuse()`.

Jobs and CLI commands run inside `unit_of_work()`: one commit when the block ends, a rollback on an exception.
The outbox dispatcher is the one deliberate exception: it commits per email (claim, send, result), because an
email that went out must be marked sent even if the next one fails.

Sessions are made with expire_on_commit=False: what a view loaded stays readable after the commit, so a page may be
rendered before or after it without reloading every row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, g, has_request_context

from conference.extensions import db

KeptWrite = Callable[[int], None]


def keep(write: KeptWrite) -> None:
    """Write something whatever the request's outcome: `write(status)` runs at the end of the request (after the
    rollback of a refused one) with the answer's status code. Outside a request it runs at once, in the caller's
    transaction."""
    if has_request_context():
        g.setdefault("_kept_writes", []).append(write)
    else:
        write(200)


def refuse() -> None:
    """The request is refused although its answer is a redirect: undo what it did now (so what the page reads next
    is what is stored), and commit only what was kept."""
    db.session.rollback()
    g._refused = True


def finish(status: int) -> None:
    """Commit or roll back the request's transaction according to its answer (see the module's docstring)."""
    kept: list[KeptWrite] = g.pop("_kept_writes", [])
    if status >= 400 or g.pop("_refused", False):
        db.session.rollback()
        if not kept:
            return
    for write in kept:
        write(status)
    db.session.commit()


@contextmanager
def unit_of_work() -> Iterator[None]:
    """A job's or a CLI command's transaction: committed when the block ends, rolled back if it raises."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


class ConferenceFlask(Flask):
    """Flask with the request's transaction finished in one place, before the answer leaves."""

    def finalize_request(self, rv, from_error_handler: bool = False):
        if from_error_handler:  # an unhandled error's 500 page: its handler rolled back
            return super().finalize_request(rv, from_error_handler=True)
        response = self.make_response(rv)
        try:
            finish(response.status_code)
        except Exception as error:  # noqa: BLE001 - answered by the app's error handlers (409, 503, 500)
            return super().finalize_request(self.handle_user_exception(error), from_error_handler=True)
        return super().finalize_request(response)
