"""The Word minutes (python-docx): A4, title and meeting data, attendance by specialty, a section per case,
open actions, signature block, "page X of Y" footer, document properties.

Speed: python-docx's proxies (add_paragraph with a style name, table.add_row, cell access) cost a style look-up
or an XPath walk per call, and a 40-case document makes thousands of them. So the body is written as one
WordprocessingML fragment that refers to the template's style ids directly, parsed once and placed before the
section properties. Styles are set once on Normal, never per run. The builder takes plain data (MinutesData),
so it knows nothing of the database.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Mm, Pt

_INVALID_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class Action:
    description: str
    owner: str
    due: str
    status: str = ""
    case: str = ""  # the case it is about: number and initials (see Case.reference)


@dataclass
class CaseSection:
    position: int
    heading: str
    question: str
    measurements: list[tuple[str, str]]
    outcome: str  # decision label, or "deferred"
    rationale: str = ""
    patient_wishes: str = ""
    patient_response: str = ""
    follow_up: str = ""
    rehab: list[tuple[str, str]] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    diagnosis: str = ""
    side: str = ""
    referrer: str = ""
    pictures: list[Picture] = field(default_factory=list)


@dataclass
class Picture:
    """A PNG printed under the case's measurements (a radiograph with its axes drawn), with a caption."""

    png: bytes
    caption: str
    height_mm: float = 110.0


@dataclass
class MinutesData:
    title: str
    author: str
    unit: str
    created: datetime
    facts: list[tuple[str, str]]  # (label, value): date, place, chair, version ...
    attendance: list[tuple[str, str, str]]  # (specialty, name, attendance)
    cases: list[CaseSection]
    open_actions: list[Action]
    signature: list[str]
    labels: dict[str, str]  # translated headings: attendance, specialty, name, attendance_status, cases ...
    language: str = "sv-SE"
    draft: bool = False
    other_matters: list[Action] = field(default_factory=list)  # the meeting's actions about no case


def _text(value: str) -> str:
    return escape(_INVALID_XML.sub("", value or ""))


def _runs(text: str, bold: bool = False) -> str:
    props = "<w:rPr><w:b/></w:rPr>" if bold else ""
    lines = (text or "").split("\n")
    parts = []
    for index, line in enumerate(lines):
        if index:
            parts.append("<w:r><w:br/></w:r>")
        parts.append(f'<w:r>{props}<w:t xml:space="preserve">{_text(line)}</w:t></w:r>')
    return "".join(parts)


def _p(text: str = "", style: str | None = None, bold: bool = False, keep_next: bool = False) -> str:
    props = ""
    if style or keep_next:
        props = (
            "<w:pPr>"
            + (f'<w:pStyle w:val="{style}"/>' if style else "")
            + ("<w:keepNext/>" if keep_next else "")
            + "</w:pPr>"
        )
    return f"<w:p>{props}{_runs(text, bold)}</w:p>"


def _labelled(label: str, value: str) -> str:
    return f"<w:p>{_runs(label + ': ', bold=True)}{_runs(value)}</w:p>"


def _table(header: list[str], rows: list[list[str]], widths: list[int]) -> str:
    """A full-width grid table; the header row repeats on each page. Widths in fiftieths of a percent."""
    grid = "".join(f'<w:gridCol w:w="{w * 2}"/>' for w in widths)

    def row(cells: list[str], head: bool) -> str:
        tr_pr = "<w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>" if head else "<w:trPr><w:cantSplit/></w:trPr>"
        tcs = "".join(
            f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="pct"/></w:tcPr><w:p>{_runs(c, bold=head)}</w:p></w:tc>'
            for c, w in zip(cells, widths)
        )
        return f"<w:tr>{tr_pr}{tcs}</w:tr>"

    body = row(header, True) + "".join(row(r, False) for r in rows)
    return (
        f'<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="5000" w:type="pct"/>'
        f'<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" '
        f'w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{body}</w:tbl>'
    )


_PICTURE = "picture-placeholder-"


def _body(data: MinutesData, pictures: list[Picture]) -> str:
    """The document's body; `pictures` collects the pictures whose placeholders it wrote, in order."""
    L = data.labels
    out = [_p(data.title, "Title")]
    if data.draft:
        out.append(_p(L["draft_notice"], bold=True))
    out.append(_p(data.unit, "Subtitle"))
    out += [_labelled(label, value) for label, value in data.facts]

    out.append(_p(L["attendance"], "Heading1"))
    out.append(
        _table(
            [L["specialty"], L["name"], L["attendance_status"]],
            [list(row) for row in data.attendance],
            [1700, 2000, 1300],
        )
    )

    out.append(_p(L["cases"], "Heading1"))
    for case in data.cases:
        out.append(_p(f"{case.position}. {case.heading}", "Heading2", keep_next=True))
        for key, value in (("diagnosis", case.diagnosis), ("side", case.side), ("referrer", case.referrer)):
            if value:
                out.append(_labelled(L[key], value))
        out.append(_labelled(L["question"], case.question or "–"))
        if case.measurements:
            out.append(_table([L["measurement"], L["value"]], [list(m) for m in case.measurements], [2500, 2500]))
        for picture in case.pictures:
            # A placeholder the builder replaces with the picture (python-docx adds the image part and relation).
            pictures.append(picture)
            out.append(f"<w:p><w:pPr><w:keepNext/></w:pPr><w:r><w:t>{_PICTURE}{len(pictures) - 1}</w:t></w:r></w:p>")
            out.append(_p(picture.caption, "Caption"))
        out.append(_labelled(L["decision"], case.outcome))
        if case.rationale:
            out.append(_labelled(L["rationale"], case.rationale))
        if case.patient_wishes:
            out.append(_labelled(L["patient_wishes"], case.patient_wishes))
        if case.patient_response:
            out.append(_labelled(L["patient_response"], case.patient_response))
        if case.follow_up:
            out.append(_labelled(L["follow_up"], case.follow_up))
        if case.rehab:
            out.append(_p(L["rehab"], "Heading3", keep_next=True))
            out += [_labelled(label, value) for label, value in case.rehab]
        if case.actions:
            out.append(_p(L["actions"], "Heading3", keep_next=True))
            out.append(
                _table(
                    [L["action"], L["owner"], L["due"]],
                    [[a.description, a.owner, a.due] for a in case.actions],
                    [2800, 1300, 900],
                )
            )

    if data.other_matters:
        out.append(_p(L["other_matters"], "Heading1"))
        out.append(
            _table(
                [L["action"], L["owner"], L["due"]],
                [[a.description, a.owner, a.due] for a in data.other_matters],
                [2800, 1300, 900],
            )
        )

    out.append(_p(L["open_actions"], "Heading1"))
    if data.open_actions:
        out.append(
            _table(
                [L["case"], L["action"], L["owner"], L["due"], L["status"]],
                [[a.case or "–", a.description, a.owner, a.due, a.status] for a in data.open_actions],
                [2400, 1200, 700, 700],
            )
        )
    else:
        out.append(_p(L["no_open_actions"]))

    out.append(_p(L["signature"], "Heading1"))
    out += [_p(line) for line in data.signature]
    return "".join(out)


def _place_pictures(document, pictures: list[Picture]) -> None:
    """Replace each picture's placeholder paragraph's text with the picture (found by XPath, once)."""
    from docx.text.paragraph import Paragraph

    for t in document.element.body.xpath(f'.//w:t[starts-with(., "{_PICTURE}")]'):
        run = t.getparent()
        paragraph = Paragraph(run.getparent(), document._body)
        picture = pictures[int(t.text[len(_PICTURE) :])]
        run.getparent().remove(run)
        paragraph.add_run().add_picture(io.BytesIO(picture.png), height=Mm(picture.height_mm))


def _field(instruction: str) -> str:
    return (
        f'<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'
        f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
        f'<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def a4_document(
    *, margin_mm: float, font_size: float, title: str, author: str, created: datetime, subject: str, language: str
):
    """A new A4 document with the unit's Normal style (styles on Normal, never per run) and its core properties
    (title, author, created): what every Word document the application writes starts from."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(margin_mm)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)

    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(font_size)

    properties = document.core_properties
    properties.title = title
    properties.author = author
    properties.last_modified_by = author
    properties.created = created
    properties.modified = created
    properties.subject = subject
    properties.language = language
    properties.revision = 1
    return document


def page_x_of_y_footer(document, page: str, of: str) -> None:
    """The footer "page X of Y", as field codes Word and LibreOffice fill in."""
    footer = document.sections[0].footer.paragraphs[0]
    footer_xml = parse_xml(
        f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="Footer"/><w:jc w:val="center"/></w:pPr>'
        f"{_runs(page + ' ')}{_field('PAGE')}{_runs(' ' + of + ' ')}{_field('NUMPAGES')}"
        f"</w:p>"
    )
    footer._p.addnext(footer_xml)
    footer._p.getparent().remove(footer._p)


def build_minutes(data: MinutesData) -> bytes:
    """Build the .docx and return its bytes."""
    document = a4_document(
        margin_mm=22,
        font_size=10.5,
        title=data.title,
        author=data.author,
        created=data.created,
        subject=data.unit,
        language=data.language,
    )
    document.core_properties.category = data.labels["category"]

    body = document.element.body
    pictures: list[Picture] = []
    fragment = parse_xml(f"<w:body {nsdecls('w')}>{_body(data, pictures)}</w:body>")
    anchor = body.sectPr
    for element in list(fragment):
        anchor.addprevious(element)
    if pictures:
        _place_pictures(document, pictures)

    page_x_of_y_footer(document, data.labels["page"], data.labels["of"])

    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def _libc():
    import ctypes
    import ctypes.util

    try:
        library = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return library if hasattr(library, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _libc()


def release_memory() -> None:
    """Give back what builds left behind. python-docx's proxies make reference cycles that reach the oldest
    generation, which Python collects rarely in a large process: a worker grew from 41 to over 600 MiB in 80 builds
    (bench/memory.py). A full collection frees them, and glibc's malloc_trim hands the pages back to the system.
    Costs 10-20 ms, so the routes run it after the response has gone (call_on_close)."""
    import gc

    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
