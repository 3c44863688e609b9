"""Issue 21: where attendance was never recorded for a member, nothing is known about them; it must not count as
absent (the demo chair, never ticked, showed 11 % attendance)."""

from datetime import timedelta

from conference.conferences.models import Conference
from conference.extensions import db
from conference.meetings import services as meetings
from conference.meetings.models import AttendanceStatus
from conference.minutes import services as minutes
from conference.people.models import User
from conference.quality import services as quality
from tests.functional.conferences.helpers import book_series


def test_meetings_without_attendance_records_are_left_out_of_attendance_rates(app, make_user, clock):
    coordinator_id = make_user("coordinator")[0]
    chair_id = make_user("specialist", name="Ordförande Ortoped")[0]
    endo_id = make_user("specialist", "endocrinologist", name="Endo Krinolog")[0]
    with app.app_context():
        series = book_series([chair_id, endo_id], chair_id=chair_id, actor_id=coordinator_id, weeks=1)
        recorded, unrecorded = series.conferences[0], series.conferences[1]
        chair = db.session.get(User, chair_id)
        clock.travel_to(recorded.starts_at + timedelta(minutes=1))
        meetings.set_attendance(
            recorded, {chair_id: AttendanceStatus.present, endo_id: AttendanceStatus.present}, chair
        )
        minutes.sign(recorded, chair, notify=False)
        db.session.commit()
        clock.travel_to(unrecorded.starts_at + timedelta(minutes=1))
        meetings.set_attendance(unrecorded, {chair_id: AttendanceStatus.present}, chair)  # nothing for the endo
        minutes.sign(db.session.get(Conference, unrecorded.id), chair, notify=False)
        db.session.commit()
        first_day = recorded.starts_at.date() - timedelta(days=1)
        report = quality.report(first_day, unrecorded.starts_at.date() + timedelta(days=1))
        rows = {r[0]: r[2:] for r in report.tables["attendance"].rows}
        # Invited to two, recorded at one (present): 1 of 1 = 100 %, not 1 of 2.
        assert rows["Endo Krinolog"] == [2, 1, 0, 0, 100.0]
        assert rows["Ordförande Ortoped"] == [2, 2, 0, 0, 100.0]
