"""Routes of the imaging module (upload, viewer, derivatives, PACS import)."""

from conference.imaging import bp  # noqa: F401
