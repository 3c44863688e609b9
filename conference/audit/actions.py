"""Every kind of audit event, with the label the audit log shows. `audit.record` refuses a name not listed here, so
the log's vocabulary is written down in one place."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from conference.labels import LabelledEnum


class AuditAction(LabelledEnum):
    # reading patient data
    patient_view = "patient.view", _l("Patient viewed")
    patient_search = "patient.search", _l("Patients searched")
    patient_access_log = "patient.access_log", _l("Access log read")
    case_view = "case.view", _l("Case viewed")
    case_search = "case.search", _l("Cases searched")
    case_queue = "case.queue", _l("Ready queue viewed")
    case_duplicate_check = "case.duplicate_check", _l("Open cases shown on a new referral")
    agenda_view = "agenda.view", _l("Case list viewed")
    agenda_print = "agenda.print", _l("Case list printed")
    meeting_view = "meeting.view", _l("Meeting viewed")
    rehab_worklist = "rehab.worklist", _l("Rehabilitation worklist viewed")
    case_rehab_calendar = "case.rehab_calendar", _l("Rehabilitation calendar downloaded")
    minutes_download = "minutes.download", _l("Minutes downloaded")
    minutes_draft_download = "minutes.draft_download", _l("Draft minutes downloaded")
    quality_case_export = "quality.case_export", _l("Per-case export downloaded")
    fhir_read = "fhir.read", _l("Read through the FHIR API")
    fhir_call = "fhir.call", _l("FHIR API call")
    # patients and cases
    patient_create = "patient.create", _l("Patient registered")
    patient_update = "patient.update", _l("Patient corrected")
    case_refer = "case.refer", _l("Case referred")
    fhir_referral = "fhir.referral", _l("Referral received through the FHIR API")
    case_update = "case.update", _l("Referral edited")
    case_status = "case.status", _l("Case status changed")
    case_measurement = "case.measurement", _l("Measurement added")
    case_note = "case.note", _l("Note added")
    # the case list
    case_list = "case.list", _l("Case listed")
    case_unlist = "case.unlist", _l("Case taken off the list")
    case_carry_over = "case.carry_over", _l("Case carried over to the next meeting")
    case_back_to_queue = "case.back_to_queue", _l("Case back in the ready queue")
    agenda_reorder = "agenda.reorder", _l("Case list reordered")
    agenda_minutes = "agenda.minutes", _l("Minutes per case changed")
    # conferences
    conference_book = "conference.book", _l("Meeting booked")
    conference_reschedule = "conference.reschedule", _l("Meeting moved")
    conference_cancel = "conference.cancel", _l("Meeting cancelled")
    conference_held = "conference.held", _l("Meeting held")
    conference_invite = "conference.invite", _l("Invited to a meeting")
    conference_respond = "conference.respond", _l("Invitation answered")
    series_book = "series.book", _l("Series booked")
    series_reschedule = "series.reschedule", _l("Series moved")
    series_cancel = "series.cancel", _l("Series cancelled")
    series_invite = "series.invite", _l("Invited to a series")
    # the meeting and its record
    meeting_attendance = "meeting.attendance", _l("Attendance recorded")
    meeting_decision = "meeting.decision", _l("Decision recorded")
    meeting_rehab_plan = "meeting.rehab_plan", _l("Rehabilitation plan recorded")
    meeting_defer = "meeting.defer", _l("Case deferred")
    meeting_action = "meeting.action", _l("Action added")
    meeting_action_done = "meeting.action_done", _l("Action done")
    meeting_lock = "meeting.lock", _l("Meeting record locked")
    meeting_unlock = "meeting.unlock", _l("Meeting record unlocked for an amendment")
    minutes_sign = "minutes.sign", _l("Minutes signed")
    minutes_amend = "minutes.amend", _l("Minutes amended")
    minutes_defer_unreached = "minutes.defer_unreached", _l("Case not reached, deferred at signing")
    minutes_recipient_refused = "minutes.recipient_refused", _l("Minutes not sent to an address outside the unit")
    minutes_integrity_failure = "minutes.integrity_failure", _l("Stored minutes failed their check")
    # rehabilitation
    rehab_followup = "rehab.followup", _l("Follow-up visit recorded")
    rehab_assign = "rehab.assign", _l("Visit assigned")
    rehab_adaptation = "rehab.adaptation", _l("Adaptation or aid recorded")
    rehab_delivered = "rehab.delivered", _l("Adaptation or aid delivered")
    # accounts, mail and systems
    user_create = "user.create", _l("Account created")
    user_activate = "user.activate", _l("Account activated")
    user_deactivate = "user.deactivate", _l("Account deactivated")
    user_login = "user.login", _l("Signed in")
    user_login_refused = "user.login_refused", _l("Sign-in refused")
    user_claims = "user.claims", _l("Role taken from the identity provider")
    user_sso_bound = "user.sso_bound", _l("Account linked to the hospital sign-in")
    user_password_changed = "user.password_changed", _l("Password changed")
    user_sessions_ended = "user.sessions_ended", _l("Signed out everywhere")
    user_calendar_token_created = "user.calendar_token_created", _l("Calendar feed address created")
    user_calendar_token_revoked = "user.calendar_token_revoked", _l("Calendar feed address revoked")
    email_retry = "email.retry", _l("Email sent again")
    email_retry_all = "email.retry_all", _l("Failed emails sent again")
    api_client_issue = "api_client.issue", _l("Hospital system token issued")
    api_client_revoke = "api_client.revoke", _l("Hospital system token revoked")
    # added with later features
    meeting_defer_confirm = "meeting.defer_confirm", _l("Cases to defer shown for confirmation")
    meeting_pre_reading = "meeting.pre_reading", _l("Pre-reading pack printed")
    minutes_download_pdf = "minutes.download_pdf", _l("Minutes downloaded as PDF")
    minutes_sign_confirm = "minutes.sign_confirm", _l("Signing shown for confirmation")
