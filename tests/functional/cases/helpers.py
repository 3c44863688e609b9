"""Case helpers: the builders live in tests/factories.py, shared by every test."""

from tests.factories import READY_FIELDS, make_patient, make_ready_case

__all__ = ["READY_FIELDS", "make_patient", "make_ready_case"]
