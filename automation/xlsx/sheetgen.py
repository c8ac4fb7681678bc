"""Generate the XML of a regenerated summary sheet, and of its bar chart (drawing + chart).

The DrawingML is the minimum Excel, WPS and LibreOffice accept for a clustered bar chart
whose series points at a range of the sheet; cached values are included so viewers that
do not recalculate (previewers, LibreOffice before recalculation) still draw the bars.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date

from automation.models import GeneratedSheet
from automation.xlsx.cellxml import column_letters, escape_text, value_tail

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CHART_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
DRAWING_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

StyleOf = Callable[[bool, str | None], int]
"""(is header, number format or None) -> cellXfs index."""


def display_width(value: object) -> float:
    """Return a column width that fits a value; CJK characters count double."""
    if value is None:
        return 0
    text = value.isoformat() if isinstance(value, date) else str(value)
    longest = max(
        (len(line) + sum(unicodedata.east_asian_width(ch) in "WF" for ch in line))
        for line in text.split("\n")
    )
    return longest + 2


def _widths(sheet: GeneratedSheet, ncols: int) -> list[float]:
    widths = list(sheet.widths[:ncols])
    for c in range(len(widths), ncols):
        fitted = max((display_width(row[c]) for row in sheet.rows if c < len(row)), default=8)
        widths.append(min(max(fitted, 8), 50))
    return widths


def _filter_range(sheet: GeneratedSheet, ncols: int) -> str | None:
    if not sheet.header_rows or not sheet.rows:
        return None
    first = sheet.header_rows[0]
    last = first
    for r in range(first + 1, len(sheet.rows)):
        if all(v is None or v == "" for v in sheet.rows[r]):
            break
        last = r
    return f"A{first + 1}:{column_letters(max(ncols, 1))}{last + 1}"


def worksheet_xml(
    sheet: GeneratedSheet,
    style_of: StyleOf,
    *,
    sheet_pr: bytes = b"",
    tab_selected: bool = False,
    drawing_rid: str | None = None,
    date1904: bool = False,
) -> bytes:
    """Return the complete worksheet XML for a generated sheet."""
    ncols = max((len(r) for r in sheet.rows), default=0)
    nrows = len(sheet.rows)
    dim = f"A1:{column_letters(ncols)}{nrows}" if ncols and nrows else "A1"
    parts = [_DECL, f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">']
    if sheet_pr:
        parts.append(sheet_pr.decode("utf-8"))
    parts.append(f'<dimension ref="{dim}"/>')
    selected = ' tabSelected="1"' if tab_selected else ""
    if sheet.freeze_rows > 0:
        top = f"A{sheet.freeze_rows + 1}"
        parts.append(
            f'<sheetViews><sheetView{selected} workbookViewId="0">'
            f'<pane ySplit="{sheet.freeze_rows}" topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/></sheetView></sheetViews>'
        )
    else:
        parts.append(f'<sheetViews><sheetView{selected} workbookViewId="0"/></sheetViews>')
    parts.append('<sheetFormatPr defaultRowHeight="15"/>')
    if ncols:
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'
            for i, w in enumerate(_widths(sheet, ncols), start=1)
        )
        parts.append(f"<cols>{cols}</cols>")
    parts.append("<sheetData>")
    parts.extend(_rows_xml(sheet, ncols, style_of, date1904))
    parts.append("</sheetData>")
    ref = _filter_range(sheet, ncols)
    if ref:
        parts.append(f'<autoFilter ref="{ref}"/>')
    parts.append(
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    )
    parts.append('<pageSetup paperSize="9" orientation="landscape"/>')
    if drawing_rid:
        parts.append(f'<drawing r:id="{drawing_rid}"/>')
    parts.append("</worksheet>")
    return "".join(parts).encode("utf-8")


def _rows_xml(sheet: GeneratedSheet, ncols: int, style_of: StyleOf, date1904: bool) -> list[str]:
    """Return the <row> elements of a generated sheet (tens of thousands of rows for 逾期清单).

    Each value's XML and each style are worked out once: a list repeats its units, leaders,
    levels and dates down the rows.
    """
    headers = set(sheet.header_rows)
    letters = [column_letters(c + 1) for c in range(ncols)]
    styles: dict[tuple[bool, str | None], str] = {}
    tails: dict[tuple[type, object], str] = {}

    def style(header: bool, fmt: str | None) -> str:
        found = styles.get((header, fmt))
        if found is None:
            index = style_of(header, fmt) if (fmt or header) else 0
            found = styles[header, fmt] = f' s="{index}"' if index else ""
        return found

    rows = []
    for r, row in enumerate(sheet.rows):
        header = r in headers
        number = str(r + 1)
        cells = []
        for c, value in enumerate(row):
            if value is None or value == "":
                if header:
                    cells.append(f'<c r="{letters[c]}{number}"{style(True, None)}/>')
                continue
            fmt = None if header else sheet.number_formats.get(c)
            if fmt is None and not header and isinstance(value, date):
                fmt = "yyyy-mm-dd"
            key = (value.__class__, value)
            try:
                tail = tails.get(key)
                if tail is None:
                    tail = tails[key] = value_tail(value, date1904).decode()
            except TypeError:  # an unhashable value: not remembered
                tail = value_tail(value, date1904).decode()
            cells.append(f'<c r="{letters[c]}{number}"{style(header, fmt)}{tail}')
        rows.append(f'<row r="{number}">{"".join(cells)}</row>')
    return rows


def drawing_xml(sheet: GeneratedSheet, chart_rid: str) -> bytes:
    """Return a drawing part anchoring one chart to the right of the sheet's data."""
    ncols = max((len(r) for r in sheet.rows), default=0)
    _, _, _, first, last = _chart(sheet)
    col0, row0 = ncols + 1, max(first - 1, 0)
    # About 1.6 rows per bar keeps every category label readable.
    col1, row1 = col0 + 9, row0 + max(18, int((last - first + 1) * 1.6) + 4)
    return (
        f'{_DECL}<xdr:wsDr xmlns:xdr="{DRAWING_NS}" xmlns:a="{A_NS}">'
        '<xdr:twoCellAnchor editAs="oneCell">'
        f"<xdr:from><xdr:col>{col0}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row0}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
        f"<xdr:to><xdr:col>{col1}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
        '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="图表 1"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
        '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
        f'<a:graphic><a:graphicData uri="{CHART_NS}"><c:chart xmlns:c="{CHART_NS}" xmlns:r="{REL_NS}" r:id="{chart_rid}"/>'
        "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>"
    ).encode()


def _chart(sheet: GeneratedSheet) -> tuple[str, int, int, int, int]:
    if sheet.chart is None:
        raise ValueError(f"sheet {sheet.name!r} has no chart")
    return sheet.chart


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def chart_xml(sheet: GeneratedSheet) -> bytes:
    """Return a clustered bar chart part for ``sheet.chart`` with cached values."""
    title, cat_col, val_col, first, last = _chart(sheet)
    q = escape_text(_quote_sheet(sheet.name))
    cat_l, val_l = column_letters(cat_col + 1), column_letters(val_col + 1)
    cat_ref = f"{q}!${cat_l}${first + 1}:${cat_l}${last + 1}"
    val_ref = f"{q}!${val_l}${first + 1}:${val_l}${last + 1}"
    rows = sheet.rows[first : last + 1]
    n = len(rows)
    cats = "".join(
        f'<c:pt idx="{i}"><c:v>{escape_text(str(_cell(r, cat_col) or ""))}</c:v></c:pt>'
        for i, r in enumerate(rows)
    )
    vals = "".join(
        f'<c:pt idx="{i}"><c:v>{_cell(r, val_col)!r}</c:v></c:pt>'
        for i, r in enumerate(rows)
        if isinstance(_cell(r, val_col), int | float) and not isinstance(_cell(r, val_col), bool)
    )
    fmt = escape_text(sheet.number_formats.get(val_col, "General"))
    return (
        f'{_DECL}<c:chartSpace xmlns:c="{CHART_NS}" xmlns:a="{A_NS}" xmlns:r="{REL_NS}">'
        '<c:roundedCorners val="0"/><c:chart>'
        "<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr/></a:pPr>"
        f'<a:r><a:t>{escape_text(title)}</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title>'
        '<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>'
        '<c:barChart><c:barDir val="bar"/><c:grouping val="clustered"/><c:varyColors val="0"/>'
        '<c:ser><c:idx val="0"/><c:order val="0"/>'
        f"<c:tx><c:v>{escape_text(title)}</c:v></c:tx>"
        '<c:invertIfNegative val="0"/>'
        f'<c:cat><c:strRef><c:f>{cat_ref}</c:f><c:strCache><c:ptCount val="{n}"/>{cats}</c:strCache></c:strRef></c:cat>'
        f'<c:val><c:numRef><c:f>{val_ref}</c:f><c:numCache><c:formatCode>{fmt}</c:formatCode><c:ptCount val="{n}"/>{vals}</c:numCache></c:numRef></c:val>'
        '</c:ser><c:gapWidth val="80"/><c:axId val="50010001"/><c:axId val="50010002"/></c:barChart>'
        '<c:catAx><c:axId val="50010001"/><c:scaling><c:orientation val="maxMin"/></c:scaling><c:delete val="0"/>'
        '<c:axPos val="l"/><c:numFmt formatCode="General" sourceLinked="0"/><c:tickLblPos val="nextTo"/>'
        '<c:crossAx val="50010002"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/></c:catAx>'
        '<c:valAx><c:axId val="50010002"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
        f'<c:axPos val="t"/><c:majorGridlines/><c:numFmt formatCode="{fmt}" sourceLinked="0"/><c:tickLblPos val="nextTo"/>'
        '<c:crossAx val="50010001"/><c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx>'
        '</c:plotArea><c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
    ).encode()


def _cell(row: list[object], col: int) -> object:
    return row[col] if col < len(row) else None
