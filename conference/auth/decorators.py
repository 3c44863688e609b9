"""Role checks for routes (sign-in itself is enforced for every route in create_app)."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from conference.people.models import Role

CLINICAL_ROLES = (Role.coordinator, Role.specialist)


def roles_required(*roles: Role):
    """Allow only signed-in users holding one of the roles; others get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated or not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


clinical_staff_required = roles_required(*CLINICAL_ROLES)
coordinator_required = roles_required(Role.coordinator)
admin_required = roles_required(Role.admin)
