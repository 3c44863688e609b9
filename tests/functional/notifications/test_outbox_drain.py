"""A sweep drains everything that was due when it began, batch after batch (bounded by time, not by a batch size),
and the SQL it runs per email does not grow with the number of emails."""

from __future__ import annotations

from sqlalchemy import event

from conference.extensions import db
from conference.notifications import outbox
from tests.functional.notifications.test_outbox_faults import queue, received, statuses


def _sweep(app):
    with app.app_context():
        statements = {"count": 0}

        def count(*_args):
            statements["count"] += 1

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            result = outbox.dispatch_outbox()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
            db.session.remove()
        return result, statements["count"]


def test_one_sweep_drains_the_queue_batch_after_batch(app, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_BATCH_SIZE", 7)
    queue(app, 30)
    result, _statements = _sweep(app)
    assert result.sent == 30 and result.claimed == 30
    assert statuses(app) == {"sent": 30} and sorted(set(received(smtp).values())) == [1]


def test_the_sql_per_email_does_not_grow_with_the_queue(app, smtp):
    costs = []
    for n, prefix in ((10, "a"), (30, "b"), (50, "c")):
        queue(app, n, prefix=prefix)
        result, statements = _sweep(app)
        assert result.sent == n
        costs.append(statements)
    # linear: twenty more emails cost the same whether the queue held 10 or 30
    assert costs[1] - costs[0] == costs[2] - costs[1]
    assert (costs[1] - costs[0]) / 20 == 2  # a read and an update (attachments are read only for emails that have some)
