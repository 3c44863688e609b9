"""The image store: files outside the database, in a content-addressed folder (CONFERENCE_IMAGE_STORE, default
instance/images), each named by its SHA-256 and nothing else, so a region's images can live on shared storage.

    <root>/files/ab/abcdef...   the file as received, never changed
    <root>/derived/abcdef.../   renderings for the viewer (a cache: deleting it costs only a re-render)
    <root>/incoming/            uploads being received and checked; nothing stays here
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

CHUNK = 1 << 20


class UploadTooLarge(ValueError):
    """The file is larger than IMAGE_MAX_UPLOAD_BYTES."""


class StoredFileTampered(RuntimeError):
    """The stored bytes no longer match the SHA-256 they were stored under."""


@dataclass
class Incoming:
    """A received file, hashed, waiting in incoming/ until it is kept (keep()) or thrown away (discard())."""

    path: Path
    sha256: str
    size: int
    head: bytes  # the first bytes, for recognising the file's type


class ImageStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def file_path(self, sha256: str) -> Path:
        _check_digest(sha256)
        return self.root / "files" / sha256[:2] / sha256

    def derived_dir(self, sha256: str) -> Path:
        _check_digest(sha256)
        return self.root / "derived" / sha256

    def receive(self, stream: BinaryIO, limit: int) -> Incoming:
        """Copy a stream into incoming/, hashing it on the way, in bounded memory; refuse past `limit` bytes."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        path = incoming / uuid.uuid4().hex
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            with open(path, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise UploadTooLarge(size)
                    if len(head) < 4096:
                        head += chunk[: 4096 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Incoming(path=path, sha256=digest.hexdigest(), size=size, head=head)

    def keep(self, incoming: Incoming) -> bool:
        """Move a received file to its place; True if it was not there before (the caller's to undo on failure)."""
        target = self.file_path(incoming.sha256)
        if target.exists():
            incoming.path.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(incoming.path, target)
        return True

    @staticmethod
    def discard(incoming: Incoming) -> None:
        incoming.path.unlink(missing_ok=True)

    def remove(self, sha256: str) -> None:
        """Remove a file and its renderings (only when no image refers to it any more: the caller checks)."""
        self.file_path(sha256).unlink(missing_ok=True)
        shutil.rmtree(self.derived_dir(sha256), ignore_errors=True)

    def open_verified(self, sha256: str) -> BinaryIO:
        """The stored file, opened for reading after checking its bytes still hash to its name."""
        return open(self.verified_path(sha256), "rb")

    def verified_path(self, sha256: str) -> Path:
        """The stored file's path, after checking its bytes still hash to its name."""
        path = self.file_path(sha256)
        digest = hashlib.sha256()
        with open(path, "rb") as source:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != sha256:
            current_app.logger.error("image store: a stored file does not match its SHA-256: refused")
            raise StoredFileTampered(sha256)
        return path

    @staticmethod
    def stream(path: Path):
        """The file's bytes in chunks, opened only when the answer is sent and closed after it."""
        with open(path, "rb") as source:
            while chunk := source.read(CHUNK):
                yield chunk

    def files(self) -> list[Path]:
        """Every file under the store's root (tests check that refused uploads leave nothing)."""
        return [p for p in self.root.rglob("*") if p.is_file()] if self.root.exists() else []


def _check_digest(sha256: str) -> None:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")


def image_store() -> ImageStore:
    """The configured store (CONFERENCE_IMAGE_STORE; default instance/images)."""
    root = current_app.config.get("IMAGE_STORE") or os.path.join(current_app.instance_path, "images")
    return ImageStore(root)
