"""Role checks for routes, as named rules of conference.policy (sign-in itself is enforced for every route in
create_app)."""

from __future__ import annotations

from conference.policy import allow

public = allow("public")
token_route = allow("token")
signed_in_required = allow("signed_in")
clinical_staff_required = allow("clinical")
coordinator_required = allow("coordinator")
admin_required = allow("admin")
outbox_staff_required = allow("outbox")
