"""The one base of every refusal a service gives: a message for the user and, where it belongs to one, the form
field it is shown beside. Routes catch DomainError and re-render the form with what was typed."""

from __future__ import annotations


class DomainError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
