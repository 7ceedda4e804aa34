"""The council report: one tagged PDF (PDF/UA-1) of a process for the council session (ReportLab).

Contents: a title page; how the process ran (events, dates, seats, the participation
funnel, each lottery with its commitment hash as the audit reference, and the
representativeness of applicants, selected, confirmed and attending people); charts
of the dots per stand and per tag; room and online (issue 18: ideas, dots and online supports
per channel, the supports beside the dots); per stand the ideas ranked by dots with their tags,
their channel and their supports;
the comparison of stakeholder groups; and the status of the strategy measures when
the measures feature is installed.

Fonts are DejaVu from Debian's fonts-dejavu-core (:mod:`app.core.pdf_fonts`); without them the
report falls back to the PDF base fonts (Helvetica), which cover German text.
Everything is read with a fixed number of queries per event; the large part, the
idea tables, is built from plain strings and light table styles so that 20,000 ideas
render in seconds.

The PDF is tagged (``app/results/tagged_pdf.py``, issue 16 item 2): headings H1–H3 in
sequence, the legend as a list, tables with header cells (column scope; row scope in the
key-value tables), every chart a Figure with its numbers as alternative text, the document
language, the title shown by the viewer, and content written in another language than the
report (German titles and ideas in the English report) marked with its language.
"""
from __future__ import annotations

import gc
import io
import re
from collections import defaultdict
from datetime import date
from functools import cached_property
from xml.sax.saxutils import escape, unescape

import sqlalchemy as sa
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (KeepTogether, LongTable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

from app.core.formatting import format_day, format_moment, format_share
from app.core.labels import labels_for
from app.core.pdf_fonts import Fonts, fonts
from app.core.models import utcnow
from app.events.models import Event, Process
from app import lottery as lottery_feature
from app.events.services import EVENT_STATUS_LABELS, PUBLIC_EVENT, PUBLIC_EVENT_ORDER
from app.invitations import stages as invitation_stages
from app.lottery.base import current_draw
from app.lottery.number import number_source_label
from app.lottery.representativeness import GROUPS, representativeness
from app.extensions import db
from app.results import totals
from app.results.base import Scope, prepared
from app.results.participation import participation
from app.results.ranking import RankedIdea, idea_ranking
from app.results.scope import make_scope
from app.results.stakeholders import group_comparison
from app.results.tagged_pdf import BulletList, Figure, TableTags, TaggedCanvas, paragraph
from app.results.totals import channel_totals, sum_of_stands, tag_totals

#: Bars in a chart and themes in the stakeholder comparison.
CHART_BARS = 15
COMPARISON_THEMES = 20
ACCENT = colors.HexColor("#1f5f8b")
LIGHT = colors.HexColor("#e8eef3")


class Styles:
    def __init__(self, f: Fonts):
        self.fonts = f
        self.body = ParagraphStyle("body", fontName=f.regular, fontSize=9.5, leading=12.5, spaceAfter=4)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8, leading=10, spaceAfter=0)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=8, leading=9.5, spaceAfter=0)
        # Headers never break inside a word: the column widths are fitted to their longest word.
        self.head = ParagraphStyle("head", parent=self.cell, fontName=f.bold, fontSize=7.5, leading=9,
                                   splitLongWords=0)
        #: The header of a column of numbers, aligned with them.
        self.head_number = ParagraphStyle("head_number", parent=self.head, alignment=TA_RIGHT)
        self.key = ParagraphStyle("key", parent=self.cell, fontName=f.bold, splitLongWords=0)
        self.h1 = ParagraphStyle("h1", parent=self.body, fontName=f.bold, fontSize=17, leading=21, spaceBefore=6,
                                 spaceAfter=8, textColor=ACCENT)
        self.h2 = ParagraphStyle("h2", parent=self.h1, fontSize=13, leading=16, spaceBefore=10, spaceAfter=5)
        self.h3 = ParagraphStyle("h3", parent=self.h1, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4,
                                 textColor=colors.black)
        self.title = ParagraphStyle("title", parent=self.h1, fontSize=26, leading=32, alignment=TA_CENTER)
        self.subtitle = ParagraphStyle("subtitle", parent=self.body, fontSize=13, leading=18, alignment=TA_CENTER)
        self.mono = ParagraphStyle("mono", parent=self.small, fontName=f.mono, fontSize=7.5)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph inside a table cell (the cell is tagged, not the paragraph)."""
    return Paragraph(escape(text), style)


#: The structure role of each heading style: the title is H1, the sections H2, within them H3.
HEADING_ROLES = {"title": "H1", "h1": "H2", "h2": "H3", "h3": "H3"}


def _t(text: str, style: ParagraphStyle, lang: str | None = None) -> Paragraph:
    """A tagged paragraph of the story: a heading by its style, else ``P``."""
    return paragraph(escape(text), style, role=HEADING_ROLES.get(style.name, "P"), lang=lang)


#: Width of the page's text column, and the left plus right padding of a table cell.
FRAME_WIDTH = 170 * mm
CELL_PADDING = 6
CELL_FONT_SIZE = 8


def _cell_extent(cell, regular: str) -> tuple[float, float]:
    """(narrowest, widest) width of a cell's text: its longest word, and its longest line unbroken.

    Plain strings are drawn on one line; paragraphs wrap between words, never inside one.
    """
    if isinstance(cell, str):
        width = max((pdfmetrics.stringWidth(line, regular, CELL_FONT_SIZE) for line in cell.split("\n")), default=0)
        return width, width
    if isinstance(cell, Paragraph):
        font, size = cell.style.fontName, cell.style.fontSize
        lines = [unescape(re.sub(r"<[^>]+>", " ", line))
                 for line in re.split(r"<br\s*/?>", cell.text)]
        words = [w for line in lines for w in line.split()]
        narrowest = max((pdfmetrics.stringWidth(w, font, size) for w in words), default=0)
        widest = max((pdfmetrics.stringWidth(" ".join(line.split()), font, size) for line in lines), default=0)
        return narrowest, widest
    return 0, 0


def fit_widths(rows: list[list], total: float, regular: str) -> list[float]:
    """Column widths that keep every word of every cell whole and fill ``total``.

    Each column gets at least its longest word (or plain string); the rest of the width goes to
    the columns in the order of their text's length, each up to the width of its longest line.
    """
    columns = max(len(row) for row in rows)
    narrow, wide = [0.0] * columns, [0.0] * columns
    for row in rows:
        for c, cell in enumerate(row):
            low, high = _cell_extent(cell, regular)
            narrow[c], wide[c] = max(narrow[c], low + CELL_PADDING), max(wide[c], high + CELL_PADDING)
    widths = list(narrow)
    spare = total - sum(widths)
    # The columns with the shortest text first, each as wide as its text: labels and numbers
    # stay on one line, the columns with the most text take the rest and wrap.
    for c in sorted(range(columns), key=lambda c: wide[c]):
        step = min(wide[c] - widths[c], spare)
        if step > 0:
            widths[c] += step
            spare -= step
    if spare > 0:
        widths[0] += spare  # everything fits on one line: the first (text) column takes the rest
    return widths


def _table(rows: list[list], styles: Styles, widths: list[float] | None = None, numeric_from: int | None = None,
           header_rows: int = 1, long: bool = False, lang_columns: tuple[int, ...] = (),
           lang: str | None = None) -> Table:
    """A tagged table of the report; without ``widths`` the columns are fitted to the text (``fit_widths``).

    The header rows are ``TH`` (a key-value table without header rows has its keys as row
    headers); the cells of ``lang_columns`` are marked as written in ``lang``.
    """
    # Header cells wrap between words (long German words in narrow number columns).
    # Over a column of numbers the header is right-aligned like them.
    rows = [[Paragraph(escape(c), styles.head_number if numeric_from is not None and n >= numeric_from
                       else styles.head) if isinstance(c, str) else c for n, c in enumerate(row)]
            for row in rows[:header_rows]] + rows[header_rows:]
    if not header_rows:  # a key-value table: the keys in bold
        rows = [[Paragraph(escape(row[0]), styles.key) if isinstance(row[0], str) else row[0]] + row[1:]
                for row in rows]
    if widths is None:
        widths = fit_widths(rows, FRAME_WIDTH, styles.fonts.regular)
    tags = TableTags(header_rows=header_rows, row_headers=not header_rows,
                     lang_columns=frozenset(lang_columns) if lang else frozenset(), lang=lang)
    table = (LongTable if long else Table)(rows, colWidths=widths, repeatRows=header_rows, renderCB=tags)
    commands = [
        ("FONT", (0, 0), (-1, -1), styles.fonts.regular, CELL_FONT_SIZE, 9.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c9d3db")),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header_rows:
        commands += [("FONT", (0, 0), (-1, header_rows - 1), styles.fonts.bold, CELL_FONT_SIZE),
                     ("BACKGROUND", (0, 0), (-1, header_rows - 1), LIGHT)]
    if numeric_from is not None:
        commands.append(("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"))
    table.setStyle(TableStyle(commands))
    return table


def chart_alt(title: str, items: list[tuple[str, int]]) -> str:
    """The text alternative of a bar chart: its title and every bar with its number."""
    return _("Bar chart: %(title)s. %(bars)s", title=title,
             bars="; ".join(f"{label}: {format_decimal(value)}" for label, value in items[:CHART_BARS]) or "–")


#: A chart's labels: their column, size, line height and most lines.
LABEL_WIDTH, LABEL_SIZE, LABEL_LEADING, LABEL_LINES = 62 * mm, 7.5, 8.5, 3


def label_lines(label: str, font: str) -> list[str]:
    """A bar's label in at most three lines of the label column (a longer one ends in "…"): stand
    names with their event's title in brackets are long, and the council reads them whole."""
    room = LABEL_WIDTH - 4
    lines = wrap(label, room, font, LABEL_SIZE).split("\n")
    if len(lines) <= LABEL_LINES:
        return lines
    last = lines[LABEL_LINES - 1]
    while last and pdfmetrics.stringWidth(last + " …", font, LABEL_SIZE) > room:
        last = last[:-1]
    return [*lines[:LABEL_LINES - 1], last.rstrip() + " …"]


def _draw_label(drawing: Drawing, lines: list[str], middle: float, font: str) -> None:
    """The label's lines, centred on ``middle`` (the bar's or the bar group's centre)."""
    top = middle + (len(lines) - 1) * LABEL_LEADING / 2 - LABEL_SIZE / 3
    for n, line in enumerate(lines):
        drawing.add(String(0, top - n * LABEL_LEADING, line, fontName=font, fontSize=LABEL_SIZE))


def bar_chart(title: str, items: list[tuple[str, int]], styles: Styles, width: float = 170 * mm) -> Figure:
    """Horizontal bars, labelled with their numbers (the numbers are in the tables too), tagged as a figure."""
    items = items[:CHART_BARS]
    bar, gap, label_width = 11, 4, LABEL_WIDTH
    labels = [label_lines(label, styles.fonts.regular) for label, _value in items]
    rows = [max(bar, len(lines) * LABEL_LEADING) for lines in labels]
    height = 18 + sum(row + gap for row in rows)
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 11, title, fontName=styles.fonts.bold, fontSize=9.5))
    biggest = max((value for _, value in items), default=0) or 1
    span = width - label_width - 30
    y = height - 18
    for (label, value), lines, row in zip(items, labels, rows):
        y -= row + gap
        middle = y + row / 2
        _draw_label(drawing, lines, middle, styles.fonts.regular)
        y_bar = middle - bar / 2
        length = span * value / biggest
        drawing.add(Rect(label_width, y_bar, max(length, 0.5), bar, fillColor=ACCENT, strokeColor=None))
        drawing.add(String(label_width + length + 3, y_bar + 2.5, format_decimal(value), fontName=styles.fonts.regular,
                           fontSize=7.5))
    return Figure(drawing, chart_alt(title, items))


#: Bar colours of the stages in a stage chart (light to dark: register to attended).
STAGE_COLOURS = ("#b8cfe0", "#8fb3cf", "#6596bd", "#3f7aa8", "#1f5f8b", "#12405f")


def stage_chart(title: str, groups: list[tuple[str, list[tuple[str, float]]]], styles: Styles,
                width: float = 170 * mm) -> Figure:
    """Grouped horizontal bars: per option one bar per stage, its share in per cent (the shares are in
    the table too), a legend of the stages on top; tagged as a figure with every share as text."""
    stage_names = [name for name, _share in groups[0][1]] if groups else []
    bar, gap, label_width = 5, 6, LABEL_WIDTH
    labels = [label_lines(label, styles.fonts.regular) for label, _bars in groups]
    rows_height = sum(max(len(bars) * bar, len(lines) * LABEL_LEADING) + gap
                      for (_label, bars), lines in zip(groups, labels))
    height = 30 + rows_height
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 11, title, fontName=styles.fonts.bold, fontSize=9.5))
    x = 0
    for n, name in enumerate(stage_names):  # the legend
        colour = colors.HexColor(STAGE_COLOURS[n % len(STAGE_COLOURS)])
        drawing.add(Rect(x, height - 24, 7, 7, fillColor=colour, strokeColor=None))
        drawing.add(String(x + 9, height - 23, name, fontName=styles.fonts.regular, fontSize=7))
        x += 14 + pdfmetrics.stringWidth(name, styles.fonts.regular, 7)
    span = width - label_width - 30
    y = height - 30
    for (label, bars), lines in zip(groups, labels):
        row = max(len(bars) * bar, len(lines) * LABEL_LEADING)
        _draw_label(drawing, lines, y - row / 2, styles.fonts.regular)
        y -= (row - len(bars) * bar) / 2  # the bars centred in the row
        for n, (_name, share) in enumerate(bars):
            y -= bar
            colour = colors.HexColor(STAGE_COLOURS[n % len(STAGE_COLOURS)])
            drawing.add(Rect(label_width, y, max(span * share, 0.5), bar - 0.6, fillColor=colour, strokeColor=None))
            drawing.add(String(label_width + span * share + 3, y + 0.6, f"{format_decimal(round(100 * share))} %",
                               fontName=styles.fonts.regular, fontSize=5.5))
        y -= (row - len(bars) * bar) / 2 + gap
    alt = _("Bar chart: %(title)s. %(bars)s", title=title, bars="; ".join(
        f"{label}: " + ", ".join(f"{name} {format_decimal(round(100 * share))} %" for name, share in bars)
        for label, bars in groups) or "–")
    return Figure(drawing, alt)


def wrap(text: str, width: float, font: str, size: float) -> str:
    """``text`` broken into lines of at most ``width`` points (words longer than a line are cut)."""
    space = pdfmetrics.stringWidth(" ", font, size)
    lines: list[str] = []
    for text_line in text.splitlines() or [""]:
        line, used = [], 0.0
        for word in text_line.split():
            w = pdfmetrics.stringWidth(word, font, size)
            while w > width:  # a very long word: cut it to fit
                cut = max(1, int(len(word) * width / w))
                if line:
                    lines.append(" ".join(line))
                    line, used = [], 0.0
                lines.append(word[:cut])
                word = word[cut:]
                w = pdfmetrics.stringWidth(word, font, size)
            if line and used + space + w > width:
                lines.append(" ".join(line))
                line, used = [], 0.0
            used += (space if line else 0) + w
            line.append(word)
        lines.append(" ".join(line))
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return format_share(value)


def date_text(value) -> str:
    """A date in the one format of the language (app.core.formatting); "–" for none."""
    return format_day(value) or "–"


def datetime_text(value, long: bool = False) -> str:
    """A stored (naive UTC) time in the city's time zone, e.g. "01.04.2019, 18:00"; "–" for none."""
    return format_moment(value, "long" if long else "short") or "–"


class Report:
    """Collects the data of a process and lays it out as platypus flowables."""

    def __init__(self, process: Process):
        self.process = process
        self.styles = Styles(fonts())
        #: The language of what people wrote (titles, ideas, tags): German; marked where the
        #: report is in another language (WCAG 3.1.2).
        self.content_lang = content_language(process)
        self.lang = self.content_lang if self.content_lang != str(get_locale() or "de") else None
        # Drafts never happened: the report covers every event from "open" on.
        self.events = list(db.session.execute(
            sa.select(Event).where(Event.process_id == process.id, PUBLIC_EVENT)
            .order_by(*PUBLIC_EVENT_ORDER)).scalars())
        self.scope: Scope = make_scope(process, event_ids=[e.id for e in self.events] or None,
                                       public=False)
        if not self.events:
            self.scope = Scope(process_id=process.id, event_ids=(), public=False)

    @cached_property
    def stand_totals(self):
        return totals.stand_totals(self.scope)

    # -------------------------------------------------------------- sections

    def title_page(self) -> list:
        s = self.styles
        generated = datetime_text(utcnow())
        story = [Spacer(1, 60 * mm), _t(self.process.title, s.title, self.lang), Spacer(1, 6 * mm),
                 _t(_("Report for the council"), s.subtitle), Spacer(1, 4 * mm),
                 _t(_("Results of the participation process"), s.subtitle), Spacer(1, 30 * mm)]
        rows = [[_("Event"), _("Date"), _("Stakeholder group")]]
        rows += [[_p(e.title, s.cell), _p(datetime_text(e.starts_at, long=True), s.cell),
                  _p(e.stakeholder_group or "–", s.cell)] for e in self.events]
        story += [_table(rows, s, lang_columns=(0, 2), lang=self.lang), Spacer(1, 10 * mm),
                  _t(_("Generated on %(date)s.", date=generated), s.small), PageBreak()]
        return story

    def how_it_ran(self) -> list:
        s = self.styles
        story = [_t(_("How the process ran"), s.h1)]
        funnel = participation([e.id for e in self.events])
        # One row per event: its title, date and status in the first cell, then the funnel's numbers.
        rows = [[_("Event"), _("Seats"), _("Applications"), _("Selected"), _("Confirmed"), _("Checked in"),
                 _("Voters")]]
        for e in self.events:
            p = funnel[e.id]
            status = str(EVENT_STATUS_LABELS.get(e.status, e.status))
            rows.append([Paragraph(f"{escape(e.title)}<br/>{escape(datetime_text(e.starts_at))} · {escape(status)}",
                                   s.cell)]
                        + [format_decimal(n) for n in (e.seats, p.valid, p.selected, p.seat_confirmed, p.checked_in,
                                                       p.voters)])
        story.append(_table(rows, s, numeric_from=1, lang_columns=(0,), lang=self.lang))
        total = sum_of_stands(self.stand_totals)
        story.append(Spacer(1, 3 * mm))
        story.append(_t(ngettext("%(ideas)s idea received dots: %(total)s in total, %(room)s in the room, %(board)s on "
                                 "the boards and %(online)s online.",
                                 "%(ideas)s ideas received dots: %(total)s in total, %(room)s in the room, %(board)s "
                                 "on the boards and %(online)s online.", total.ideas, ideas=format_decimal(total.ideas),
                                 total=format_decimal(total.total), room=format_decimal(total.room),
                                 board=format_decimal(total.board), online=format_decimal(total.online)), s.body))
        story += self.channels_section(total.supports)
        story.append(bar_chart(_("Participation (all events)"), [
            (_("Applications"), sum(p.valid for p in funnel.values())),
            (_("Selected"), sum(p.selected for p in funnel.values())),
            (_("Confirmed"), sum(p.seat_confirmed for p in funnel.values())),
            (_("Checked in"), sum(p.checked_in for p in funnel.values())),
            (_("Voters"), sum(p.voters for p in funnel.values())),
        ], s))
        for event in self.events:
            story += self.lottery_section(event)
        return story

    def channels_section(self, supports: int) -> list:
        """Room and online (issue 18): ideas, dots and supports per channel and together, with the
        supports beside the dots, never added into them."""
        s = self.styles
        by_channel = channel_totals(self.scope)
        labels = labels_for("idea.channel") or {}
        rows = [[_("Channel"), _("Ideas"), _("Dots"), _("Supports online")]]
        for code in ("room", "online"):
            row = by_channel[code]
            rows.append([str(labels.get(code, code)), format_decimal(row.ideas), format_decimal(row.dots),
                         format_decimal(row.supports)])
        rows.append([_("Together"), format_decimal(sum(r.ideas for r in by_channel.values())),
                     format_decimal(sum(r.dots for r in by_channel.values())), format_decimal(supports)])
        return [Spacer(1, 2 * mm), _t(_("Room and online"), s.h3), _table(rows, s, numeric_from=1),
                _t(_("Supports online: residents who back an idea on the participation pages, one per person and "
                     "idea (merged ideas together). They are not dots and not part of the total."), s.small)]

    def lottery_section(self, event: Event) -> list:
        s = self.styles
        draw = current_draw(event)
        if draw is None:  # a council still answering its invitations: whom the letters reached so far
            return self.stages_section(event, _("Invitation from the residents' register: %(event)s",
                                                event=event.title))
        story = [_t(_("Lottery: %(event)s", event=event.title), s.h3)]
        facts = [
            [_("Seats"), str(draw.seats)],
            [_("How the number was drawn"), _p(number_source_label(draw), s.cell)],
            [_("Number drawn"), str(draw.number) if draw.number is not None else "–"],
            [_("Drawn on"), datetime_text(draw.drawn_at)],
            [_("Attempt"), str(draw.attempt)],
            [_("Audit reference (commitment hash)"), Paragraph(draw.commitment, s.mono)],
        ]
        story.append(_table(facts, s, header_rows=0))
        reports, sizes = representativeness(event)
        groups = [g for g in GROUPS if g == "population" or sizes.get(g)]
        for report in reports:
            header = [report.label] + [f"{lottery_feature.GROUP_LABELS[g]}" + (f" ({sizes[g]})" if g in sizes else "")
                                       for g in groups]
            rows = [header] + [[_p(o.label, s.cell)] + [_share(o.shares.get(g)) for g in groups]
                               for o in report.options]
            story.append(Spacer(1, 2 * mm))
            story.append(KeepTogether([_table(rows, s, numeric_from=1, lang_columns=(0,), lang=self.lang)]))
        if reports:
            story.append(_t(_("Shares of each group with this answer; the population share as entered by the city."),
                            s.small))
        return story + self.stages_section(event)

    def stages_section(self, event: Event, heading: str | None = None) -> list:
        """A council drawn from the residents' register: its stages per criterion option and the answer
        rate per stratum (app/invitations/stages.py, as on the lottery's representativeness page);
        ``heading`` (with the event's name) when no seat lottery section comes before it."""
        funnel = invitation_stages.stages(event)
        if funnel is None:
            return []
        s = self.styles
        labels = invitation_stages.STAGE_LABELS
        shown = [g for g in invitation_stages.STAGES if funnel.sizes[g] is not None]
        story = [_t(heading or _("Stages of the invitation from the residents' register"), s.h3),
                 _table([[str(labels[g]) for g in shown] + [_("Answer rate")],
                         [format_decimal(funnel.sizes[g]) for g in shown] + [_share(funnel.answer_rate)]],
                        s, numeric_from=0),
                 Spacer(1, 2 * mm), bar_chart(_("People per stage"), [(str(labels[g]), funnel.sizes[g]) for g in shown],
                                              s)]
        for criterion in funnel.criteria:
            columns = [g for g in shown if any(o.counts[g] is not None for o in criterion.options)]
            rows = [[criterion.label] + [str(labels[g]) for g in columns]]
            rows += [[_p(o.label, s.cell)] + [_share(o.shares[g]) for g in columns] for o in criterion.options]
            charted = [g for g in columns if all(o.shares[g] is not None for o in criterion.options)]
            chart = [stage_chart(_("Stages for “%(label)s”", label=criterion.label),
                                 [(o.label, [(str(labels[g]), o.shares[g]) for g in charted])
                                  for o in criterion.options], s)] if charted and criterion.options else []
            story.append(Spacer(1, 2 * mm))
            story.append(KeepTogether([_table(rows, s, numeric_from=1, lang_columns=(0,), lang=self.lang), *chart]))
        rows = [[_("Stratum"), str(labels["register"]), str(labels["invited"]), str(labels["answered"]),
                 _("Answer rate")]]
        rows += [[r.stratum, format_decimal(r.register), format_decimal(r.invited), format_decimal(r.answered),
                  _share(r.rate)] for r in funnel.strata]
        story += [Spacer(1, 2 * mm), _t(_("Answer rate per stratum"), s.small),
                  KeepTogether([_table(rows, s, numeric_from=1)])]
        if funnel.register_deleted:
            story.append(_t(_("The register data has been deleted (retention). The residents of the register and "
                              "the invited can no longer be counted by criterion; what is still known is shown: the "
                              "invitations with their stratum, the register's strata in the pseudonymous audit "
                              "record, and the answers of those who answered."), s.small))
        return story

    def charts(self) -> list:
        s = self.styles
        stands = self.stand_totals
        stand_bars = sorted(((f"{t.title} ({t.event_title})" if len(self.events) > 1 else t.title, t.total)
                             for t in stands), key=lambda item: -item[1])
        tags = tag_totals(self.scope, limit=CHART_BARS)
        return [PageBreak(), _t(_("Charts"), s.h1),
                bar_chart(_("Dots per stand"), stand_bars, s), Spacer(1, 6 * mm),
                bar_chart(_("Dots per tag"), [(t.label, t.total) for t in tags], s)]

    def ideas_by_stand(self) -> list:
        s = self.styles
        story = [PageBreak(), _t(_("Ideas by stand, ranked by dots"), s.h1),
                 BulletList([_t(_("Room: dots given with tickets at the event."), s.small),
                             _t(_("Board: paper dots counted by the moderators."), s.small),
                             _t(_("Online: dots given online afterwards."), s.small),
                             _t(_("Supports online: residents who back the idea on the participation pages, one "
                                  "per person; not dots, not in the total."), s.small)], s.fonts.regular, 8),
                 _t(_("Merged ideas count for the idea they were merged into."), s.small)]
        ranking = idea_ranking(self.scope, limit=None)
        # "Online" in both languages: the mark needs no language of its own in the idea's cell.
        online_label = str((labels_for("idea.channel") or {}).get("online", "Online"))
        by_stand: dict[int, list[RankedIdea]] = defaultdict(list)
        for idea in ranking:
            by_stand[idea.stand_id].append(idea)
        header = ["#", _("Idea"), _("Tags"), _("Room"), _("Board"), _("Online"), _("Total"), _("Supports online")]
        widths = [9 * mm, 52 * mm, 23 * mm, 15 * mm, 15 * mm, 15 * mm, 15 * mm, 26 * mm]
        for stand in self.stand_totals:
            ideas = by_stand.get(stand.stand_id, [])
            title = stand.title if len(self.events) < 2 else f"{stand.title} – {stand.event_title}"
            story.append(_t(title, s.h2, self.lang))
            story.append(_t(_("Ideas: %(ideas)s · dots: %(dots)s · supports online: %(supports)s",
                              ideas=format_decimal(stand.ideas), dots=format_decimal(stand.total),
                              supports=format_decimal(stand.supports)), s.small))
            if not ideas:
                continue
            rank, previous = 0, None
            rows = []
            # Plain wrapped strings, not Paragraphs: ten times faster for thousands of rows.
            text_width, tags_width = widths[1] - 6, widths[2] - 6
            for n, idea in enumerate(ideas, start=1):
                if idea.total != previous:
                    rank, previous = n, idea.total
                text = idea.text if idea.channel != "online" else f"{idea.text} [{online_label}]"
                rows.append([str(rank), wrap(text, text_width, s.fonts.regular, 8),
                             wrap(", ".join(t.label for t in idea.tags), tags_width, s.fonts.regular, 8),
                             str(idea.room), str(idea.board), str(idea.online), str(idea.total),
                             str(idea.supports)])
            # One table per stand, its header repeated at the top of every page it runs over
            # (LongTable splits long tables in linear time).
            story.append(_table([header] + rows, s, widths=widths, numeric_from=3, long=True, lang_columns=(1, 2),
                                lang=self.lang))
        return story

    def comparison(self) -> list:
        s = self.styles
        data = group_comparison(self.scope, dimension="tag")
        if len(data.groups) < 1 or not data.themes:
            return []
        story = [PageBreak(), _t(_("Comparison of stakeholder groups"), s.h1),
                 _t(_("Share of each group's dots that went to ideas with this tag (and the number of ideas)."),
                    s.small)]
        groups = data.groups
        header = [_("Tag")] + [f"{g.group or _('no group')} ({format_decimal(g.dots)})" for g in groups]
        rows = [[_p(h, s.cell) for h in header]]
        for theme in data.themes[:COMPARISON_THEMES]:
            row = [_p(theme, s.cell)]
            for g in groups:
                cell = data.cell(theme, g.group)
                row.append(f"{_share(cell.dot_share)} ({cell.ideas})" if cell.ideas else "–")
            rows.append(row)
        story.append(_table(rows, s, numeric_from=1, lang_columns=(0,), lang=self.lang))
        return story

    def measures(self) -> list:
        try:
            # The measures feature may be left out (FEATURES): then the report has no measures section.
            from app.measures.base import status_label
            from app.measures.outcome import process_measures
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith("app.measures"):
                raise
            return []
        s = self.styles
        items = process_measures(self.process.id)
        story = [PageBreak(), _t(_("Status of the measures"), s.h1)]
        if not items:
            return story + [_t(_("No measures have been recorded yet."), s.body)]
        rows = [[_("Measure"), _("Chapter"), _("Status"), _("Since"), _("Progress"), _("Ideas")]]
        for m in items:
            rows.append([_p(m["title"], s.cell), _p(m["chapter"] or "–", s.cell),
                         _p(status_label(m["status"]), s.cell),
                         date_text(_date(m["status_date"])), format_share(m["progress"] / 100, digits=0), str(len(m["idea_ids"]))])
        story.append(_table(rows, s, numeric_from=4, lang_columns=(0, 1), lang=self.lang))
        return story

    # -------------------------------------------------------------- the document

    def story(self) -> list:
        """All flowables; the dots are counted once for every aggregation (``app.results.base.prepared``)."""
        plain = self.scope
        with prepared(plain) as self.scope:
            try:
                return (self.title_page() + self.how_it_ran() + self.charts() + self.ideas_by_stand()
                        + self.comparison() + self.measures())
            finally:
                self.scope = plain

    def render(self, output, tagged: bool = True) -> None:
        """Lay out the report into ``output``; ``tagged=False`` only for the bench's reference."""
        s = self.styles
        footer = _("%(process)s – report for the council", process=self.process.title)

        def decorate(canvas, doc):
            TaggedCanvas.begin_footer(canvas)
            canvas.saveState()
            canvas.setFont(s.fonts.regular, 7.5)
            canvas.setFillColor(colors.HexColor("#555555"))
            canvas.drawString(20 * mm, 10 * mm, footer[:110])
            canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, _("Page %(n)d", n=doc.page))
            canvas.restoreState()
            TaggedCanvas.end_footer(canvas)

        doc = SimpleDocTemplate(output, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                                bottomMargin=18 * mm, title=f"{self.process.title} – {_('Report for the council')}",
                                author="Ideenmarkt", lang=str(get_locale() or "de"))
        # Hundreds of thousands of short-lived objects and no cycles worth collecting: the
        # cyclic garbage collector would only scan them again and again (a third of the time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            doc.build(self.story(), onFirstPage=decorate, onLaterPages=decorate,
                      canvasmaker=TaggedCanvas if tagged else Canvas)
        finally:
            if collecting:
                gc.enable()


def content_language(process: Process) -> str:
    """The language the process's content is written in (German unless the process says otherwise)."""
    return getattr(process, "content_language", None) or "de"


def _date(value: str):
    return date.fromisoformat(value)


def council_report(process: Process) -> bytes:
    """The PDF of the process in the current locale (use ``force_locale`` for another)."""
    buffer = io.BytesIO()
    Report(process).render(buffer)
    return buffer.getvalue()
