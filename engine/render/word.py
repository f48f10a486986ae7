"""Word documents as Chinese official documents are set, with python-docx (only here).

A `Writer` holds one document: Word's own styles (Normal, Body Text, Heading 1–3, Title,
Caption, Footer) restyled — headings 黑体/楷体, body 仿宋 小四, tables 宋体 五号, black — plus three
of its own for table text, notes in cells and explanatory paragraphs, so a bureau's template can
restyle everything by style. Every font is set for East Asian text (`w:eastAsia`) as well as
Latin, and the template's theme fonts, which Word would prefer, are removed. A4 portrait, page
numbers (a PAGE field) in the footer of every page but the cover. `save` gives the same bytes
for the same document: no timestamps in its properties, every zip entry dated 1980-01-01.
"""

from __future__ import annotations

import io
import re
import zipfile

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any

    from docx.styles.style import ParagraphStyle
    from docx.table import Table, _Cell
    from docx.text.paragraph import Paragraph

#: Fonts as official documents set them (GB/T 9704 and the usual evaluation report), present
#: on every Chinese Windows; Latin text and digits in Times New Roman.
BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
#: Sizes in points: 小四 body, 三号 first-level headings, 四号 second-level, 小四 third, 五号
#: tables and notes, 小五 notes in cells, 二号 title, 一号 the cover's title.
BODY_PT, H1_PT, H2_PT, H3_PT, TABLE_PT, SMALL_PT, TITLE_PT, COVER_PT = (
    12,
    16,
    14,
    12,
    10.5,
    9,
    22,
    26,
)
#: A4 portrait; margins in centimetres (top, bottom, left, right), left and right as GB/T 9704.
PAGE_CM = (21.0, 29.7)
MARGINS_CM = (2.54, 2.54, 2.8, 2.6)
TEXT_CM = PAGE_CM[0] - MARGINS_CM[2] - MARGINS_CM[3]

#: The document's own paragraph styles, named in the document's language.
STYLE_NAMES = {
    "zh": {"cell": "表格文字", "small": "表格注释", "note": "说明文字"},
    "en": {"cell": "Table Text", "small": "Table Note", "note": "Note Text"},
}

#: Characters XML 1.0 cannot carry (lxml refuses them): written as visible escapes instead.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def safe(text: object) -> str:
    """Text a document can hold: a stray control character from a spreadsheet shows as `\\x01`
    instead of aborting the whole document."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m[0]):02x}", str(text))


class Writer:
    """One document being written, top to bottom."""

    def __init__(self, lang: str, title: str, subject: str, comments: str) -> None:
        import docx

        self.doc = docx.Document()
        self.names = STYLE_NAMES[lang]
        self.zh = lang == "zh"
        self._styles()
        # style ids by name, looked up once: python-docx finds a style by name by scanning all
        # of them, for every paragraph (most of the time a report took)
        self.ids = {s.name: s.style_id for s in self.doc.styles if s.name}
        self._page()
        props = self.doc.core_properties
        props.title, props.subject, props.comments = safe(title), safe(subject), safe(comments)
        props.author = props.last_modified_by = "jixiao"
        props.keywords = ""
        props.revision = 1
        core: Any = props._element
        core._remove_created()  # no timestamps: the same result gives the same bytes
        core._remove_modified()
        core._remove_lastPrinted()

    # ----- writing ------------------------------------------------------------------------------

    def _add(self, style: str, text: str = "", container: Any = None) -> Paragraph:
        """A paragraph of the style named `style` at the end of `container` (the body)."""
        p: Paragraph = (container or self.doc).add_paragraph()
        _style_of(p._p, self.ids[style])
        if text:
            p.add_run(safe(text))
        return p

    def heading(self, text: str, level: int, new_page: bool = False) -> None:
        heading = self._add(f"Heading {level}", text)
        # "page break before", not a break of its own: that leaves an empty page when the page
        # before happens to end full
        heading.paragraph_format.page_break_before = new_page or None

    def title(self, text: str, size: float | None = None, new_page: bool = False) -> None:
        p = self._add("Title")
        p.paragraph_format.page_break_before = new_page or None
        run = p.add_run(safe(text))
        if size is not None:
            from docx.shared import Pt

            run.font.size = Pt(size)

    def para(self, text: str = "", style: str = "body", bold: str = "") -> Paragraph:
        """A paragraph: `body` (indented 2 characters), `note` (smaller, indented as a block),
        `plain` (Normal); `bold` is a lead-in set in bold before `text`."""
        name = {"body": "Body Text", "plain": "Normal"}.get(style) or self.names[style]
        p = self._add(name)
        if bold:
            p.add_run(safe(bold)).bold = True
        if text:
            p.add_run(safe(text))
        return p

    def labelled(self, label: str, text: str, style: str = "body") -> None:
        """`项目名称：…`, the label in bold."""
        self.para(text, style, label + ("：" if self.zh else ": "))

    def cover_line(self, label: str, text: str) -> None:
        """A line of the cover: `项目单位：…` in 四号, indented as a block."""
        from docx.shared import Pt

        p = self.para(text, "plain", label + ("：" if self.zh else ": "))
        hang = len(label) + 1 if self.zh else 0  # wrapped lines align after the label
        p.paragraph_format.left_indent = Pt((2 + hang) * H2_PT)
        p.paragraph_format.first_line_indent = Pt(-hang * H2_PT)
        for run in p.runs:
            run.font.size = Pt(H2_PT)

    def centred(self, text: str) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        p = self.para(text, "plain")
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for run in p.runs:
            run.font.size = Pt(H2_PT)

    def caption(self, text: str) -> None:
        self._add("Caption", text)

    def blank(self, count: int = 1) -> None:
        for _ in range(count):
            self._add("Normal")

    def table(self, rows: int, widths_cm: list[float]) -> Table:
        """A bordered table of fixed column widths (Word reads the cells', LibreOffice and WPS
        the grid's), its first row repeated on every page, no row split across pages."""
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.oxml import OxmlElement
        from docx.shared import Cm

        # the body's own add_table: the document's measures the page by searching the whole
        # document for its sections, at every table
        table: Table = self.doc._body.add_table(rows, len(widths_cm), Cm(sum(widths_cm)))
        table._tbl.tblPr.style = self.ids["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for col, width in zip(table.columns, widths_cm, strict=True):
            col.width = Cm(width)
        cell_style = self.ids[self.names["cell"]]
        for n, tr in enumerate(table._tbl.tr_lst):
            for tc, width in zip(tr.tc_lst, widths_cm, strict=True):
                tc.width = Cm(width)
                _style_of(tc.p_lst[0], cell_style)
            tr_pr = tr.get_or_add_trPr()
            tr_pr.append(OxmlElement("w:cantSplit"))
            if n == 0:
                tr_pr.append(OxmlElement("w:tblHeader"))
        return table

    @staticmethod
    def cell(table: Table, row: int, col: int) -> _Cell:
        """The `w:tc` covering a grid position, as a cell to write or merge. Not python-docx's
        `Table.cell` or `_Row.cells`: they lay out the whole table, or follow each vertical
        merge up to its top, at every call (a 500-indicator report took half a minute)."""
        from docx.table import _Cell

        offset = 0
        for tc in table._tbl.tr_lst[row].tc_lst:
            offset += tc.grid_span
            if col < offset:
                return _Cell(tc, table)
        raise IndexError(f"no cell at row {row}, column {col}")

    def put(
        self,
        cell: _Cell,
        text: str,
        *,
        bold: bool = False,
        align: str = "left",
        note: str | None = None,
    ) -> None:
        """Write a cell (centred vertically): its text, and a smaller second line `note`."""
        # appended as the last child of a fresh cell's properties (where the schema puts them):
        # python-docx's setters search every possible successor, which a long report felt
        tc = cell._tc
        _append(tc.get_or_add_tcPr(), "w:vAlign", "center")
        p = cell.paragraphs[0]
        _append(p._p.get_or_add_pPr(), "w:jc", align)
        p.add_run(safe(text)).bold = bold or None
        if note:
            q = self._add(self.names["small"], note, cell)
            _append(q._p.get_or_add_pPr(), "w:jc", align)

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return _fixed_zip(buffer.getvalue())

    # ----- styles and page ----------------------------------------------------------------------

    def _styles(self) -> None:
        from docx.enum.style import WD_STYLE_TYPE
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml.ns import qn

        styles = self.doc.styles
        # document defaults: Chinese, so Word picks East Asian fonts and punctuation rules
        rpr = styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            _fonts(rpr, BODY_FONT)
            lang = rpr.find(qn("w:lang"))
            if lang is not None:
                lang.set(qn("w:eastAsia"), "zh-CN")
        normal = styles["Normal"]
        _restyle(normal, BODY_FONT, BODY_PT)
        _spacing(normal, 0, 0, 1.5)
        body = styles["Body Text"]
        _spacing(body, 0, 0, 1.5)
        _indent(body, first_line=2)
        for level, (font, size, bold) in enumerate(
            (
                (HEADING_FONT, H1_PT, False),
                (SUBHEADING_FONT, H2_PT, True),
                (BODY_FONT, H3_PT, True),
            ),
            start=1,
        ):
            heading = styles[f"Heading {level}"]
            _restyle(heading, font, size, bold)
            _spacing(heading, 12 if level == 1 else 6, 6 if level == 1 else 3, 1.5)
        title = styles["Title"]
        _restyle(title, HEADING_FONT, TITLE_PT)
        ppr = title.element.get_or_add_pPr()
        for border in ppr.findall(qn("w:pBdr")):
            ppr.remove(border)  # the template underlines titles in blue
        title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _spacing(title, 0, 12, 1.2)
        caption = styles["Caption"]
        _restyle(caption, HEADING_FONT, TABLE_PT, False)
        caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        caption.paragraph_format.keep_with_next = True
        _spacing(caption, 9, 3, 1.0)
        caption.hidden = False  # the template hides it from the style gallery
        cell = styles.add_style(self.names["cell"], WD_STYLE_TYPE.PARAGRAPH)
        cell.base_style = normal
        _restyle(cell, TABLE_FONT, TABLE_PT)
        _spacing(cell, 1.5, 1.5, 1.0)
        cell.quick_style = True
        small = styles.add_style(self.names["small"], WD_STYLE_TYPE.PARAGRAPH)
        small.base_style = cell
        _restyle(small, TABLE_FONT, SMALL_PT)
        note = styles.add_style(self.names["note"], WD_STYLE_TYPE.PARAGRAPH)
        note.base_style = normal
        _restyle(note, BODY_FONT, TABLE_PT)
        _spacing(note, 0, 4, 1.15)
        _indent(note, left=2)
        note.quick_style = True
        _restyle(styles["Footer"], LATIN_FONT, SMALL_PT)

    def _page(self) -> None:
        from docx.enum.section import WD_ORIENT
        from docx.shared import Cm

        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(PAGE_CM[0]), Cm(PAGE_CM[1])
        top, bottom, left, right = MARGINS_CM
        section.top_margin, section.bottom_margin = Cm(top), Cm(bottom)
        section.left_margin, section.right_margin = Cm(left), Cm(right)
        section.footer_distance = Cm(1.5)
        section.different_first_page_header_footer = True  # the cover has no page number
        _page_number(section.footer.paragraphs[0])
        # the template's thumbnail shows an empty page in file browsers: leave it out
        from docx.opc.constants import RELATIONSHIP_TYPE as RT

        package = self.doc.part.package
        for rid, rel in list(package.rels.items()):
            if rel.reltype == RT.THUMBNAIL:
                del package.rels[rid]


def _style_of(p: Any, style_id: str) -> None:
    """Give a new paragraph (`w:p`) its style: its first property."""
    from docx.oxml import OxmlElement

    ppr = OxmlElement("w:pPr")
    _append(ppr, "w:pStyle", style_id)
    p.insert(0, ppr)


def _append(parent: Any, tag: str, value: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    child = OxmlElement(tag)
    child.set(qn("w:val"), value)
    parent.append(child)


def _fonts(rpr: Any, east: str, latin: str = LATIN_FONT) -> None:
    """Set an rPr's fonts explicitly: East Asian text in `east`, the rest in `latin`. The
    template's theme fonts are removed: Word prefers them to explicit names."""
    from docx.oxml.ns import qn

    rfonts = rpr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(theme), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), latin)
    rfonts.set(qn("w:eastAsia"), east)


def _restyle(style: ParagraphStyle, east: str, size: float, bold: bool | None = None) -> None:
    from docx.shared import Pt, RGBColor

    font = style.font
    font.size = Pt(size)
    font.bold = bold
    font.color.rgb = RGBColor(0, 0, 0)
    _fonts(style.element.get_or_add_rPr(), east)


def _spacing(style: ParagraphStyle, before: float, after: float, line: float) -> None:
    from docx.shared import Pt

    pf = style.paragraph_format
    pf.space_before, pf.space_after, pf.line_spacing = Pt(before), Pt(after), line


def _indent(style: ParagraphStyle, first_line: int = 0, left: int = 0) -> None:
    """Indents in characters, as Chinese paragraphs are set (Word's `…Chars` attributes, so
    they follow the font size when a template changes it; the points are for other readers)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    pf = style.paragraph_format
    if first_line:
        pf.first_line_indent = Pt(first_line * BODY_PT)
    if left:
        pf.left_indent = Pt(left * BODY_PT)
    ind = style.element.get_or_add_pPr().find(qn("w:ind"))
    if ind is not None:
        if first_line:
            ind.set(qn("w:firstLineChars"), str(first_line * 100))
        if left:
            ind.set(qn("w:leftChars"), str(left * 100))


def _page_number(paragraph: Paragraph) -> None:
    """`— N —` centred: a PAGE field, so Word and WPS number the pages themselves."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("— ")
    for kind in ("begin", "instr", "separate", "value", "end"):
        run = paragraph.add_run()
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = " PAGE "
            run._r.append(instr)
        elif kind == "value":
            run.text = "1"  # shown until the field is updated
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
    paragraph.add_run(" —")


def _fixed_zip(data: bytes) -> bytes:
    """The package again, every entry dated 1980-01-01 and marked the same on every system:
    python-docx stamps each entry with the time it was saved."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 0
            entry.external_attr = 0
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()
