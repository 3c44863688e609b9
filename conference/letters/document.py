"""The letter as a Word document (python-docx): A4, the unit as sender, the addressees' names and addresses, the
date, what it is about, the reviewed text paragraph by paragraph, the signature, "page X of Y" in the footer, and
the document's properties. Plain data in (LetterData), bytes out: the builder knows nothing of the database. The
PDF is made from these bytes (conference.documents.pdf), so the two never differ."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Mm, Pt

from conference.minutes.document import _INVALID_XML
from conference.minutes.document import _field as _page_field  # the minutes' "page X of Y" field codes


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
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)

    properties = document.core_properties
    properties.title = data.title
    properties.author = data.author
    properties.last_modified_by = data.author
    properties.created = data.created
    properties.modified = data.created
    properties.subject = data.unit
    properties.language = data.language
    properties.revision = 1

    _add_lines(document.add_paragraph(), data.unit, bold=True)
    for name, address in data.addressees:
        _add_lines(document.add_paragraph(), name + ("\n" + address.strip() if address and address.strip() else ""))
    document.add_paragraph(_clean(data.date_line))
    document.add_paragraph(_clean(data.title), style="Title")
    _add_lines(document.add_paragraph(), data.regarding, bold=True)
    for text in paragraphs(data.body):
        _add_lines(document.add_paragraph(), text)
    _add_lines(document.add_paragraph(), "\n".join(data.signature))

    footer = section.footer.paragraphs[0]
    footer_xml = parse_xml(
        f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="Footer"/><w:jc w:val="center"/></w:pPr>'
        f'<w:r><w:t xml:space="preserve">{data.page_label} </w:t></w:r>{_page_field("PAGE")}'
        f'<w:r><w:t xml:space="preserve"> {data.of_label} </w:t></w:r>{_page_field("NUMPAGES")}</w:p>'
    )
    footer._p.addnext(footer_xml)
    footer._p.getparent().remove(footer._p)

    output = io.BytesIO()
    document.save(output)
    return output.getvalue()
