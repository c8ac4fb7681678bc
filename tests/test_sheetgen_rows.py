"""Generated sheets' rows are the very XML of writing each cell with cell_xml, as before."""

import random
from datetime import date, datetime

from automation.models import GeneratedSheet
from automation.xlsx.cellxml import cell_xml, column_letters
from automation.xlsx.sheetgen import _rows_xml

VALUES = [None, "", "县住建局", "a<b&c", " 前后空格 ", "两\n行", 0, 3, -2, 1.5, 2.0, True, False,
          date(2026, 9, 30), datetime(2026, 9, 30, 8, 30), "逾期", float("nan")]  # fmt: skip


def cell_by_cell(sheet: GeneratedSheet, style_of, date1904: bool) -> list[str]:
    # The loop sheetgen ran before issue 19, kept here as the reference.
    headers = set(sheet.header_rows)
    rows = []
    for r, row in enumerate(sheet.rows):
        cells = []
        for c, value in enumerate(row):
            if value is None or value == "":
                if r in headers:
                    style = str(style_of(True, None))
                    cells.append(cell_xml(f"{column_letters(c + 1)}{r + 1}", None, style).decode())
                continue
            fmt = None if r in headers else sheet.number_formats.get(c)
            if fmt is None and r not in headers and isinstance(value, date):
                fmt = "yyyy-mm-dd"
            style = style_of(r in headers, fmt) if (fmt or r in headers) else 0
            cells.append(
                cell_xml(f"{column_letters(c + 1)}{r + 1}", value, str(style), date1904).decode()
            )
        rows.append(f'<row r="{r + 1}">{"".join(cells)}</row>')
    return rows


def test_rows_equal_cell_by_cell_xml():
    rng = random.Random(5)
    styles = {}

    def style_of(header, fmt):
        return styles.setdefault((header, fmt), len(styles))  # the first style is 0

    for date1904 in (False, True):
        rows = [[rng.choice(VALUES) for _ in range(rng.randrange(0, 30))] for _ in range(300)]
        sheet = GeneratedSheet(
            "逾期清单", rows, (0, 7), number_formats={2: "0.0%", 4: "yyyy-mm-dd"}
        )
        ncols = max(len(r) for r in rows)
        assert _rows_xml(sheet, ncols, style_of, date1904) == cell_by_cell(
            sheet, style_of, date1904
        )
