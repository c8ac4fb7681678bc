"""The sheet scan reports exactly the formulas without a usable cached value: never a 档案 link."""

from __future__ import annotations

import zipfile
from pathlib import Path

import xlsxwriter

from automation.ledger.sheet_scan import SheetScan


def test_only_formulas_without_a_cached_value_or_with_an_error_are_found(tmp_path: Path):
    path = tmp_path / "f.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("督办事项")
    ws.write_row(0, 0, ["编号", "事项内容", "档案"])
    for r in range(1, 2001):  # a link in every row, as the 档案 column holds them
        ws.write(r, 0, f"DB-2026-{r:04d}")
        ws.write_formula(r, 2, f'HYPERLINK("事项档案/DB-2026-{r:04d}","打开")', None, "打开")
    ws.write_formula(5, 3, "1+1", None, 2)  # cached: fine
    ws.write_formula(6, 3, "B7*2")  # xlsxwriter stores 0: a number is a value
    ws.write_formula(7, 3, 'IF(1,"是","否")', None, "是")  # a text result
    ws.write_formula(8, 3, "1/0", None, "#DIV/0!")  # an error
    ws.write_formula(9, 4, "A1")
    wb.close()
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml")
    # xlsxwriter writes <v>0</v> for "no value"; take one away as Excel would leave it uncached.
    xml = xml.replace(b'<c r="E10"><f>A1</f><v>0</v></c>', b'<c r="E10"><f>A1</f></c>')
    out = tmp_path / "g.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(
                info, xml if info.filename == "xl/worksheets/sheet1.xml" else src.read(info)
            )
    scan = SheetScan(out)
    assert scan.cells("督办事项") == {(9, 4), (10, 5)}
    links = {(r + 1, 3) for r in range(1, 2001)}
    assert scan.formula_cells("督办事项") == links | {(6, 4), (7, 4), (8, 4), (9, 4), (10, 5)}
