"""Workbooks saved by Microsoft Excel come through a real refresh with nothing lost (issue 12 item 9).

The golden files (tests/golden/, see its README for sources and licences) carry charts,
images, comments with VML, data validation, defined names, rich text, VBA, a table, a
chart sheet, array formulas and shared formulas. A ledger sheet is added to each through
the lossless writer, then ``duban refresh`` runs on it for real; every part not meant to
change must be unchanged, compared part by part (XlsxWriter's way): untouched parts byte
for byte, the parts a new sheet must touch by meaning.
"""

from __future__ import annotations

import shutil
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from automation import schema
from automation.models import CellWrite, GeneratedSheet, WritePlan
from automation.refresh import refresh
from automation.xlsx.xlsxpatch import apply_plan

GOLDEN = Path(__file__).parent / "golden"
FILES = sorted(p.name for p in GOLDEN.glob("*.xls*"))
TODAY = date(2026, 10, 9)
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
# The only parts a refresh that adds sheets may change, and only by additions.
GROWN = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}
LEDGER_ROWS = [
    ["编号", "事项内容", "责任单位", "交办日期", "办结时限", "办理状态"],
    ["DB-2026-001", "修缮城区道路", "县交通运输局", date(2026, 3, 2), date(2026, 9, 30), "办理中"],
    ["DB-2026-002", "建设便民服务中心", "县住建局", date(2026, 3, 2), date(2026, 12, 31), "办理中"],
]


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _refreshed(name: str, tmp_path: Path) -> Path:
    """Add a ledger sheet to a golden file through the lossless writer, then refresh it."""
    path = tmp_path / name
    apply_plan(
        GOLDEN / name,
        WritePlan(sheets=[GeneratedSheet(schema.LEDGER, [list(r) for r in LEDGER_ROWS])]),
        path,
    )
    refresh(path, today=TODAY)
    return path


def _canonical(element) -> bytes:
    return etree.tostring(element, method="c14n")


@pytest.mark.parametrize("name", FILES)
def test_a_refresh_keeps_every_part_of_an_excel_workbook(name, tmp_path):
    before = _parts(GOLDEN / name)
    path = _refreshed(name, tmp_path)
    after = _parts(path)
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
    for part, data in before.items():
        if part not in GROWN:
            assert after.get(part) == data, f"{part} changed"
    assert list(after)[: len(before)] == list(before)  # the original order, new parts after

    # workbook.xml: everything but <sheets> as it was; the sheets only gain ours, at the end.
    old, new = (etree.fromstring(p["xl/workbook.xml"]) for p in (before, after))
    assert [_canonical(e) for e in old if not e.tag.endswith("}sheets")] == [
        _canonical(e) for e in new if not e.tag.endswith("}sheets")
    ]
    old_sheets = old.find("m:sheets", NS)
    new_sheets = list(new.find("m:sheets", NS))
    assert [_canonical(e) for e in new_sheets[: len(old_sheets)]] == [
        _canonical(e) for e in old_sheets
    ]
    added = [e.get("name") for e in new_sheets[len(old_sheets) :]]
    assert added == [schema.LEDGER, *schema.GENERATED_SHEETS, *schema.FOLDER_SHEETS]

    def relationships(parts):
        root = etree.fromstring(parts["xl/_rels/workbook.xml.rels"])
        return {(r.get("Id"), r.get("Type"), r.get("Target")) for r in root}

    assert relationships(before) <= relationships(after)

    def content_types(parts):
        root = etree.fromstring(parts["[Content_Types].xml"])
        return {(e.tag, *sorted(e.attrib.items())) for e in root}

    assert content_types(before) <= content_types(after)
    old_styles, new_styles = (etree.fromstring(p["xl/styles.xml"]) for p in (before, after))
    for section in old_styles:
        grown = new_styles.find(section.tag)
        kept = [_canonical(c) for c in grown][: len(section)]
        assert kept == [_canonical(c) for c in section], section.tag

    wb = openpyxl.load_workbook(path)
    ws = wb[schema.LEDGER]
    headers = [c.value for c in ws[1]]
    assert ws.cell(2, headers.index("计算状态") + 1).value == "逾期"
    assert wb[schema.OVERDUE_LIST]["A2"].value == "DB-2026-001"


@pytest.mark.parametrize("name", FILES)
def test_refreshing_an_excel_workbook_again_changes_nothing(name, tmp_path):
    path = _refreshed(name, tmp_path)
    first = _parts(path)
    refresh(path, today=TODAY)
    assert _parts(path) == first


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", ["chart_bar01.xlsx", "comment01.xlsx", "macro01.xlsm"])
def test_libreoffice_opens_a_refreshed_excel_workbook(name, tmp_path, soffice):
    path = _refreshed(name, tmp_path)
    resaved = soffice(path, "xlsx", tmp_path / "lo")
    wb = openpyxl.load_workbook(resaved)
    added = [schema.LEDGER, *schema.GENERATED_SHEETS, *schema.FOLDER_SHEETS]
    assert wb.sheetnames[-len(added) :] == added
    assert wb[schema.OVERDUE_LIST]["A2"].value == "DB-2026-001"


# --- Excel's shared formulas, their master rewritten ---------------------------------------------


def _master_replaced(name: str, sheet: str, cell: tuple[int, int], tmp_path: Path) -> Path:
    out = tmp_path / name
    row, col = cell
    apply_plan(
        GOLDEN / name,
        WritePlan(
            cells=[CellWrite(sheet, row, col, 5)],
            formula_columns={sheet: frozenset({col})},
        ),
        out,
    )
    return out


def _formulas(path: Path, sheet: str) -> dict[str, str]:
    ws = openpyxl.load_workbook(path)[sheet]
    return {
        c.coordinate: c.value
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    }


def _valid_shared_groups(path: Path) -> None:
    root = etree.fromstring(_parts(path)["xl/worksheets/sheet1.xml"])
    masters = set()
    for f in root.iter(f"{{{NS['m']}}}f"):
        if f.get("t") == "shared":
            if f.get("ref"):
                assert f.text
                masters.add(f.get("si"))
            else:
                assert f.get("si") in masters, "a shared formula cell without its master"


def test_an_excel_fill_down_keeps_its_formulas_when_its_first_cell_is_rewritten(tmp_path):
    path = _master_replaced("shared_formula_simple.xlsx", "Sheet1", (1, 2), tmp_path)
    _valid_shared_groups(path)
    assert _formulas(path, "Sheet1") == {"B2": "=A2*2", "B3": "=A3*2"}
    assert openpyxl.load_workbook(path)["Sheet1"]["B1"].value == 5
    assert "xl/calcChain.xml" not in _parts(path)  # a formula went: Excel rebuilds the chain


def test_an_excel_fill_right_and_down_keeps_its_formulas(tmp_path):
    before = _formulas(GOLDEN / "issue_565_multi_axis_shared.xlsx", "Sheet1")
    path = _master_replaced("issue_565_multi_axis_shared.xlsx", "Sheet1", (1, 2), tmp_path)
    _valid_shared_groups(path)
    after = _formulas(path, "Sheet1")
    assert "B1" in before and "B1" not in after
    assert after == {k: v for k, v in before.items() if k != "B1"}


@pytest.mark.libreoffice
def test_libreoffice_recalculates_an_excel_fill_down_whose_first_cell_was_rewritten(
    tmp_path, soffice
):
    path = _master_replaced("shared_formula_simple.xlsx", "Sheet1", (1, 2), tmp_path)
    resaved = soffice(shutil.copy(path, tmp_path / "lo-in.xlsx"), "xlsx", tmp_path / "lo")
    assert _formulas(resaved, "Sheet1") == {"B2": "=A2*2", "B3": "=A3*2"}
    values = openpyxl.load_workbook(resaved, data_only=True)["Sheet1"]
    assert [values[f"B{r}"].value for r in (1, 2, 3)] == [5, 4, 6]
