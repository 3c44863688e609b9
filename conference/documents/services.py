"""Store a file once and read it back only if it still matches its SHA-256."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import select

from conference.documents.models import StoredDocument
from conference.extensions import db

log = logging.getLogger(__name__)


class DocumentTampered(RuntimeError):
    """The stored bytes no longer match the SHA-256 recorded when they were stored."""


def store(data: bytes, content_type: str) -> StoredDocument:
    """Keep `data` once (the same bytes stored twice are one row)."""
    digest = hashlib.sha256(data).hexdigest()
    existing = db.session.scalar(select(StoredDocument).where(StoredDocument.sha256 == digest))
    if existing is not None:
        return existing
    document = StoredDocument(sha256=digest, content_type=content_type, size=len(data), data=data)
    db.session.add(document)
    db.session.flush()
    return document


def read(document_id: int, expected_sha256: str | None = None) -> bytes:
    """The document's bytes, verified against the hash stored with it (and against `expected_sha256`, the hash
    the referring record holds). Raises DocumentTampered, and logs at ERROR, on any mismatch."""
    document = db.session.get(StoredDocument, document_id)
    if document is None:
        raise DocumentTampered(f"stored document {document_id} is missing")
    actual = hashlib.sha256(document.data).hexdigest()
    if actual != document.sha256 or (expected_sha256 is not None and actual != expected_sha256):
        log.error("stored document %s does not match its SHA-256: refused", document_id)
        raise DocumentTampered(f"stored document {document_id} does not match its SHA-256")
    return document.data
