"""One row per stored file (signed minutes); emails and minutes versions refer to it instead of copying it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from conference.db import UTCDateTime, utcnow
from conference.extensions import db


class StoredDocument(db.Model):
    __tablename__ = "stored_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # loaded only when the bytes are read
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
