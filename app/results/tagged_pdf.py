"""Tagged PDF (PDF/UA-1) for ReportLab's platypus, as fast as the untagged report.

ReportLab writes no structure tree of its own, so this module adds one (issue 16 item 2):

* the flowables below open a marked-content sequence (``/P <</MCID n>> BDC … EMC``) around
  what they draw and record a structure element for it (``P``, ``H1``–``H3``, ``Figure`` with
  its alternative text, ``L``/``LI``/``Lbl``/``LBody``, ``Table``/``TR``/``TH``/``TD``);
* everything else that is drawn (table rules and backgrounds, the page footer, a table header
  repeated on a following page) is marked as an artifact;
* ``TaggedCanvas.save`` writes the structure tree, the parent tree, ``/MarkInfo``,
  ``/ViewerPreferences /DisplayDocTitle``, ``/Tabs /S`` on every page and the XMP metadata
  with the PDF/UA identification and the title.

The elements are written as preformatted PDF text (not ReportLab dictionaries): a report of
20,000 ideas has some 160,000 of them, and generic dictionaries would cost seconds.
Reading order is drawing order, which for platypus is the order of the story.
"""
from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFName, PDFObject, PDFPage, PDFStream
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph


def pdf_text(value: str) -> str:
    """A PDF text string: ASCII as a literal, anything else as UTF-16BE with a byte-order mark."""
    if value.isascii():
        return "(" + value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"
    return "<FEFF" + value.encode("utf-16-be").hex().upper() + ">"


class Element(PDFObject):
    """One structure element; ``kids`` holds elements and (page index, MCID) pairs in reading order."""

    __slots__ = ("role", "parent", "kids", "alt", "lang", "attributes", "number", "tagger")

    def __init__(self, role: str, parent: Element | None, alt: str | None = None, lang: str | None = None,
                 attributes: str = ""):
        self.role, self.parent, self.kids = role, parent, []
        self.alt, self.lang, self.attributes = alt, lang, attributes
        self.number = 0
        self.tagger = None
        if parent is not None:
            parent.kids.append(self)


    def format(self, document):
        return self.tagger._element_text(self).encode("ascii")


class _Raw(PDFObject):
    """An indirect object whose text is made when the file is written (the numbers are known then)."""

    def __init__(self, make):
        self.make = make

    def format(self, document):
        return self.make().encode("ascii")


class Tagger:
    """Collects the structure tree while the pages are drawn (one per canvas)."""

    def __init__(self):
        self.document = Element("Document", None)
        #: Per page: the element of each MCID, in MCID order (the parent tree).
        self.marks: list[list[Element]] = []

    def element(self, role: str, parent: Element | None = None, **kwargs) -> Element:
        return Element(role, parent or self.document, **kwargs)

    def begin(self, canvas, element: Element) -> None:
        page = canvas.getPageNumber() - 1
        while len(self.marks) <= page:
            self.marks.append([])
        mcid = len(self.marks[page])
        self.marks[page].append(element)
        element.kids.append((page, mcid))
        canvas._code.append(f"/{element.role} <</MCID {mcid}>> BDC")

    @staticmethod
    def end(canvas) -> None:
        canvas._code.append("EMC")

    @staticmethod
    def begin_artifact(canvas, kind: str = "Layout", subtype: str | None = None) -> None:
        canvas._code.append(f"/Artifact <</Type /{kind}" + (f" /Subtype /{subtype}" if subtype else "") + ">> BDC")

    # ------------------------------------------------------------------ writing

    def write(self, doc, title: str, lang: str) -> None:
        """Register the tree with ReportLab's document ``doc`` before it is saved."""
        pages = doc.Pages.pages
        numbers = doc.idToObjectNumberAndVersion
        page_numbers = [numbers[doc.Reference(p).name][0] for p in pages]
        while len(self.marks) < len(pages):
            self.marks.append([])

        elements: list[Element] = []
        stack = [self.document]
        while stack:  # pre-order, without recursion (tables are deep and wide)
            element = stack.pop()
            elements.append(element)
            stack.extend(reversed([k for k in element.kids if isinstance(k, Element)]))
        # Registered as ReportLab's Reference() would, without its checks (160,000 elements).
        counter, to_id, to_object = doc.objectcounter, doc.numberToId, doc.idToObject
        for element in elements:
            counter += 1
            name = f"S{counter}"
            numbers[name], to_id[counter], to_object[name] = (counter, 0), name, element
            element.number, element.tagger = counter, self
        doc.objectcounter = counter
        self.page_numbers = page_numbers
        root = _Raw(lambda: f"<</Type /StructTreeRoot /K {self.document.number} 0 R /ParentTree {tree} 0 R "
                            f"/ParentTreeNextKey {len(pages)}>>")
        root_number = numbers[doc.Reference(root).name][0]
        self.root_number = root_number
        arrays = [numbers[doc.Reference(_Raw(lambda m=marks: "[" + " ".join(f"{e.number} 0 R" for e in m) + "]")
                                        ).name][0] for marks in self.marks[:len(pages)]]
        tree = numbers[doc.Reference(_Raw(lambda: "<</Nums [" + " ".join(f"{i} {n} 0 R" for i, n in enumerate(arrays))
                                          + "]>>")).name][0]
        for index, page in enumerate(pages):
            page.StructParents = index
            page.Tabs = PDFName("S")
            page.__NoDefault__ = PDFPage.__NoDefault__ + ["StructParents", "Tabs"]
        catalog = doc.Catalog
        catalog.StructTreeRoot = root
        catalog.MarkInfo = _Raw(lambda: "<</Marked true>>")
        catalog.ViewerPreferences = _Raw(lambda: "<</DisplayDocTitle true>>")
        catalog.Metadata = PDFStream(PDFDictionary({"Type": PDFName("Metadata"), "Subtype": PDFName("XML")}),
                                     xmp(title, lang), filters=[])

    def _element_text(self, element: Element) -> str:
        page_numbers = self.page_numbers
        parent = element.parent.number if element.parent is not None else self.root_number
        parts = [f"<</Type /StructElem /S /{element.role} /P {parent} 0 R"]
        marks = [k for k in element.kids if not isinstance(k, Element)]
        home = marks[0][0] if marks else None
        if home is not None:
            parts.append(f" /Pg {page_numbers[home]} 0 R")
        kids = []
        for kid in element.kids:
            if isinstance(kid, Element):
                kids.append(f"{kid.number} 0 R")
            elif kid[0] == home:
                kids.append(str(kid[1]))
            else:
                kids.append(f"<</Type /MCR /Pg {page_numbers[kid[0]]} 0 R /MCID {kid[1]}>>")
        if len(kids) == 1:
            parts.append(f" /K {kids[0]}")
        elif kids:
            parts.append(" /K [" + " ".join(kids) + "]")
        if element.alt is not None:
            parts.append(" /Alt " + pdf_text(element.alt))
        if element.lang:
            parts.append(" /Lang " + pdf_text(element.lang))
        parts.append(element.attributes)
        parts.append(">>")
        return "".join(parts)


def xmp(title: str, lang: str) -> bytes:
    """XMP metadata with the title and the PDF/UA-1 identification (ISO 14289-1, 5)."""
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
   <dc:language><rdf:Bag><rdf:li>{escape(lang)}</rdf:li></rdf:Bag></dc:language>
   <pdfuaid:part>1</pdfuaid:part>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


class TaggedCanvas(Canvas):
    """A canvas that records the structure tree and writes it on save (``canvasmaker=``)."""

    def __init__(self, *args, **kwargs):
        self._lang = kwargs.get("lang") or "de"
        super().__init__(*args, **kwargs)
        self._tagger = Tagger()

    @staticmethod
    def begin_footer(canvas) -> None:
        """The page's running footer is a pagination artifact, not content."""
        if _tagger(canvas) is not None:
            Tagger.begin_artifact(canvas, "Pagination", "Footer")

    @staticmethod
    def end_footer(canvas) -> None:
        if _tagger(canvas) is not None:
            Tagger.end(canvas)

    def save(self):
        if len(self._code):
            self.showPage()
        title = self._doc.info.title or ""
        self._tagger.write(self._doc, title, self._lang)
        self._doc.SaveToFile(self._filename, self)


def _tagger(canvas) -> Tagger | None:
    return getattr(canvas, "_tagger", None)


class TaggedParagraph(Paragraph):
    """A paragraph tagged as ``role`` (``P``, ``H1`` …); ``content_lang`` marks another language."""

    role = "P"
    content_lang: str | None = None

    def drawOn(self, canvas, x, y, _sW=0):
        tagger = _tagger(canvas)
        if tagger is None:
            return super().drawOn(canvas, x, y, _sW)
        tagger.begin(canvas, tagger.element(self.role, lang=self.content_lang))
        super().drawOn(canvas, x, y, _sW)
        tagger.end(canvas)

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        for part in parts:
            part.content_lang = self.content_lang
        return parts


_PARAGRAPH_CLASSES: dict[str, type] = {"P": TaggedParagraph}


def paragraph(text: str, style, role: str = "P", lang: str | None = None) -> TaggedParagraph:
    """A tagged paragraph of markup ``text`` (already escaped)."""
    cls = _PARAGRAPH_CLASSES.get(role)
    if cls is None:
        cls = _PARAGRAPH_CLASSES[role] = type(f"Tagged{role}", (TaggedParagraph,), {"role": role})
    para = cls(text, style)
    para.content_lang = lang
    return para


class Figure(Flowable):
    """A drawing (a chart) tagged as ``Figure`` with its alternative text and bounding box."""

    def __init__(self, drawing, alt: str):
        super().__init__()
        self.drawing, self.alt = drawing, alt

    def wrap(self, availWidth, availHeight):
        self.width, self.height = self.drawing.wrap(availWidth, availHeight)
        return self.width, self.height

    def draw(self):
        self.drawing.drawOn(self.canv, 0, 0)

    def drawOn(self, canvas, x, y, _sW=0):
        tagger = _tagger(canvas)
        if tagger is None:
            return super().drawOn(canvas, x, y, _sW)
        box = f"/A <</O /Layout /BBox [{x:.1f} {y:.1f} {x + self.width:.1f} {y + self.height:.1f}]>>"
        tagger.begin(canvas, tagger.element("Figure", alt=self.alt, attributes=" " + box))
        super().drawOn(canvas, x, y, _sW)
        tagger.end(canvas)


class BulletList(Flowable):
    """A short list (it does not split across pages) tagged ``L`` > ``LI`` > ``Lbl`` + ``LBody``."""

    indent = 10

    def __init__(self, items: list[Paragraph], bullet_font: str, font_size: float = 9.5):
        super().__init__()
        self.items, self.bullet_font, self.font_size = items, bullet_font, font_size

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.heights = [item.wrap(availWidth - self.indent, availHeight)[1] + item.style.spaceAfter
                        for item in self.items]
        self.height = sum(self.heights)
        return self.width, self.height

    def drawOn(self, canvas, x, y, _sW=0):
        tagger = _tagger(canvas)
        top = y + self.height
        list_element = tagger.element("L", attributes=" /A <</O /List /ListNumbering /Disc>>") if tagger else None
        for item, height in zip(self.items, self.heights):
            top -= height
            if tagger:
                entry = tagger.element("LI", list_element)
                tagger.begin(canvas, tagger.element("Lbl", entry))
            canvas.setFont(self.bullet_font, self.font_size)
            canvas.drawString(x, top + height - item.style.leading * 0.8, "•")
            if tagger:
                tagger.end(canvas)
                tagger.begin(canvas, tagger.element("LBody", entry, lang=getattr(item, "content_lang", None)))
            Paragraph.drawOn(item, canvas, x + self.indent, top + item.style.spaceAfter)
            if tagger:
                tagger.end(canvas)


class TableTags:
    """The ``renderCB`` of one logical table: tags its cells and survives ReportLab's page splits.

    ``header_rows`` rows are ``TH`` with column scope; with ``row_headers`` the first cell of
    every other row is a ``TH`` with row scope (key-value tables). The header rows that ReportLab
    repeats on a following page are artifacts. ``lang_columns`` are in ``lang`` (content in
    another language than the report's).
    """

    def __init__(self, header_rows: int = 1, row_headers: bool = False, lang_columns: frozenset[int] = frozenset(),
                 lang: str | None = None):
        self.header_rows, self.row_headers = header_rows, row_headers
        self.lang_columns, self.lang = lang_columns, lang
        self.table: Element | None = None
        self.first_part = True
        self.row: Element | None = None
        self.repeated = False
        self.tagger: Tagger | None = None

    def __call__(self, table, event, *args):
        canvas = table.canv
        if event == "startTable":
            self.tagger = _tagger(canvas)
            if self.tagger is None:
                return
            if self.table is None:
                self.table = self.tagger.element("Table")
            else:
                self.first_part = False
            return
        tagger = self.tagger
        if tagger is None:
            return
        if event in ("startBG", "startLines"):
            tagger.begin_artifact(canvas)
        elif event in ("endBG", "endLines"):
            tagger.end(canvas)
        elif event == "startRow":
            row = args[0]
            self.repeated = not self.first_part and row < self.header_rows
            self.current_header = self.first_part and row < self.header_rows
            if self.repeated:
                tagger.begin_artifact(canvas, "Pagination")
            else:
                self.row = tagger.element("TR", self.table)
        elif event == "endRow":
            if self.repeated:
                tagger.end(canvas)
        elif event == "startCell":
            if self.repeated:
                return
            column = args[1]
            lang = self.lang if column in self.lang_columns and not self.current_header else None
            if self.current_header:
                cell = tagger.element("TH", self.row, attributes=" /A <</O /Table /Scope /Column>>")
            elif self.row_headers and column == 0:
                cell = tagger.element("TH", self.row, lang=lang, attributes=" /A <</O /Table /Scope /Row>>")
            else:
                cell = tagger.element("TD", self.row, lang=lang)
            tagger.begin(canvas, cell)
        elif event == "endCell":
            if not self.repeated:
                tagger.end(canvas)

