"""The hospital's PACS over DICOMweb: QIDO-RS to find a patient's studies and series by identity number, WADO-RS
to fetch a chosen series instance by instance (streamed to disk, bounded in size). Configured by
PACS_DICOMWEB_URL (the DICOMweb root, e.g. https://pacs.example/dicom-web), PACS_USERNAME and PACS_PASSWORD (HTTP
basic), PACS_TIMEOUT; CONFERENCE_PACS_* in the environment. Without a URL the PACS is simply not offered."""

from __future__ import annotations

import mmap
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

import requests
from flask import current_app

from conference.imaging.formats import dicom_date

UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
DICOM_JSON = "application/dicom+json"


class PacsError(RuntimeError):
    """The PACS could not be reached or answered something unusable."""


@dataclass
class Series:
    uid: str
    modality: str | None
    description: str | None
    instances: int | None


@dataclass
class Study:
    uid: str
    date: date | None
    description: str | None
    modalities: list[str]
    series: list[Series]


def configured() -> bool:
    return bool(current_app.config.get("PACS_DICOMWEB_URL"))


def valid_uid(uid: str) -> bool:
    return bool(uid) and len(uid) <= 64 and bool(UID.match(uid))


def _session() -> requests.Session:
    session = requests.Session()
    user, password = current_app.config.get("PACS_USERNAME"), current_app.config.get("PACS_PASSWORD")
    if user:
        session.auth = (user, password or "")
    return session


def _url(*parts: str) -> str:
    base = current_app.config["PACS_DICOMWEB_URL"].rstrip("/")
    return "/".join([base, *parts])


def _get_json(session: requests.Session, url: str, params: dict | None = None) -> list[dict]:
    try:
        response = session.get(
            url, params=params, headers={"Accept": DICOM_JSON}, timeout=current_app.config["PACS_TIMEOUT"]
        )
    except requests.RequestException as error:
        raise PacsError(type(error).__name__) from error
    if response.status_code == 204:
        return []
    if response.status_code != 200:
        raise PacsError(f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as error:
        raise PacsError("not JSON") from error
    if not isinstance(body, list):
        raise PacsError("not a list")
    return [entry for entry in body if isinstance(entry, dict)]


def _value(entry: dict, tag: str):
    values = (entry.get(tag) or {}).get("Value") or []
    if not values:
        return None
    value = values[0]
    if isinstance(value, dict):  # a person name
        return value.get("Alphabetic")
    return value


def _values(entry: dict, tag: str) -> list:
    return list((entry.get(tag) or {}).get("Value") or [])


def search_studies(identity_number: str, limit: int = 50) -> list[Study]:
    """The patient's studies (newest first) with their series, found by PatientID = the identity number."""
    session = _session()
    found = _get_json(
        session,
        _url("studies"),
        {"PatientID": identity_number, "limit": str(limit), "includefield": "00081030,00080061,00080020"},
    )
    studies = []
    for entry in found:
        uid = _value(entry, "0020000D")
        if not uid or not valid_uid(str(uid)):
            continue
        series = []
        for item in _get_json(session, _url("studies", uid, "series")):
            series_uid = _value(item, "0020000E")
            if series_uid and valid_uid(str(series_uid)):
                count = _value(item, "00201209")
                series.append(
                    Series(
                        uid=str(series_uid),
                        modality=_value(item, "00080060"),
                        description=_value(item, "0008103E"),
                        instances=int(count) if isinstance(count, (int, float)) else None,
                    )
                )
        studies.append(
            Study(
                uid=str(uid),
                date=dicom_date(_value(entry, "00080020")),
                description=_value(entry, "00081030"),
                modalities=[str(m) for m in _values(entry, "00080061")],
                series=series,
            )
        )
    studies.sort(key=lambda s: s.date or date.min, reverse=True)
    return studies


def instance_uids(study_uid: str, series_uid: str) -> list[str]:
    if not (valid_uid(study_uid) and valid_uid(series_uid)):
        raise PacsError("not a UID")
    entries = _get_json(_session(), _url("studies", study_uid, "series", series_uid, "instances"))
    uids = [str(_value(e, "00080018")) for e in entries if _value(e, "00080018")]
    return [uid for uid in uids if valid_uid(uid)]


class _Range:
    """A read-only stream over part of a file (one part of a multipart answer)."""

    def __init__(self, source: BinaryIO, start: int, end: int):
        self.source, self.position, self.end = source, start, end

    def read(self, size: int = -1) -> bytes:
        remaining = self.end - self.position
        if remaining <= 0:
            return b""
        size = remaining if size < 0 else min(size, remaining)
        self.source.seek(self.position)
        data = self.source.read(size)
        self.position += len(data)
        return data


def retrieve_instance(study_uid: str, series_uid: str, sop_uid: str, receive) -> object:
    """Fetch one instance (WADO-RS, its original transfer syntax) and pass the DICOM part to `receive(stream)`,
    returning what it returns. The answer is streamed to a temporary file, at most IMAGE_MAX_UPLOAD_BYTES."""
    if not all(valid_uid(uid) for uid in (study_uid, series_uid, sop_uid)):
        raise PacsError("not a UID")
    limit = current_app.config["IMAGE_MAX_UPLOAD_BYTES"] + 65536
    url = _url("studies", study_uid, "series", series_uid, "instances", sop_uid)
    accept = 'multipart/related; type="application/dicom"; transfer-syntax=*'
    try:
        response = _session().get(
            url, headers={"Accept": accept}, stream=True, timeout=current_app.config["PACS_TIMEOUT"]
        )
    except requests.RequestException as error:
        raise PacsError(type(error).__name__) from error
    with response, tempfile.TemporaryFile() as body:
        if response.status_code != 200:
            raise PacsError(f"HTTP {response.status_code}")
        size = 0
        for chunk in response.iter_content(1 << 20):
            size += len(chunk)
            if size > limit:
                raise PacsError("too large")
            body.write(chunk)
        body.flush()
        if size == 0:
            raise PacsError("empty answer")
        start, end = _first_part(response.headers.get("Content-Type", ""), body)
        return receive(_Range(body, start, end))


def _first_part(content_type: str, body: BinaryIO) -> tuple[int, int]:
    """Offsets of the first part's content in a multipart/related body (or the whole body if not multipart)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    size = os.fstat(body.fileno()).st_size
    if not content_type.lower().startswith("multipart/") or not match:
        return 0, size
    boundary = b"--" + match.group(1).encode()
    with mmap.mmap(body.fileno(), 0, access=mmap.ACCESS_READ) as view:
        first = view.find(boundary)
        if first < 0:
            raise PacsError("no part")
        headers_end = view.find(b"\r\n\r\n", first)
        if headers_end < 0:
            raise PacsError("no part")
        start = headers_end + 4
        end = view.find(b"\r\n" + boundary, start)
        if end < 0:
            raise PacsError("unterminated part")
        return start, end
