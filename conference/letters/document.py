"""The letter as a Word document (python-docx): A4, the unit as sender, the addressees' names and addresses, the
date, what it is about, the reviewed text paragraph by paragraph, the signature, "page X of Y" in the footer, and
the document's properties. Plain data in (LetterData), bytes out: the builder knows nothing of the database. The
PDF is made from these bytes (conference.documents.pdf), so the two never differ."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime

from conference.minutes.document import _INVALID_XML, a4_document, page_x_of_y_footer


@dataclass
class LetterData:
    title: str
    unit: str
    author: str
    created: datetime  # naive UTC (python-docx writes core properties without a zone)
    language: str  # "sv-SE" | "en-GB"
    date_line: str
    addressees: list[tuple[str, str]]  # (name, address with line breaks)
    regarding: str
    body: str  # paragraphs separated by blank lines
    signature: list[str]
    page_label: str = "Page"
    of_label: str = "of"


def paragraphs(body: str) -> list[str]:
    """The body's paragraphs: blank lines separate them, single line breaks stay inside one."""
    return [part.strip() for part in re.split(r"\n\s*\n", (body or "").replace("\r\n", "\n")) if part.strip()]


def _clean(text: str) -> str:
    return _INVALID_XML.sub("", text or "")


def _add_lines(paragraph, text: str, bold: bool = False) -> None:
    for index, line in enumerate(_clean(text).split("\n")):
        run = paragraph.add_run(line)
        run.bold = bold
        if index < text.count("\n"):
            run.add_break()


def build_letter(data: LetterData) -> bytes:
    """Build the .docx and return its bytes."""
    document = a4_document(
        margin_mm=25,
        font_size=11,
        title=data.title,
        author=data.author,
        created=data.created,
        subject=data.unit,
        language=data.language,
    )
    _add_lines(document.add_paragraph(), data.unit, bold=True)
    for name, address in data.addressees:
        _add_lines(document.add_paragraph(), name + ("\n" + address.strip() if address and address.strip() else ""))
    document.add_paragraph(_clean(data.date_line))
    document.add_paragraph(_clean(data.title), style="Title")
    _add_lines(document.add_paragraph(), data.regarding, bold=True)
    for text in paragraphs(data.body):
        _add_lines(document.add_paragraph(), text)
    _add_lines(document.add_paragraph(), "\n".join(data.signature))

    page_x_of_y_footer(document, data.page_label, data.of_label)

    output = io.BytesIO()
    document.save(output)
    return output.getvalue()
