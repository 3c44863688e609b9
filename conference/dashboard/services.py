"""What the signed-in user sees first. Each module contributes through its own services."""
from __future__ import annotations

from typing import Any

from conference.people.models import User


def panels_for(user: User) -> dict[str, Any]:
    """The dashboard's panels for this user: upcoming conferences, cases to prepare, open action items."""
    return {}
