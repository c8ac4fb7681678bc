"""The writer keeps everything the staff made: part-by-part comparison with the original.

Fixtures are written by other programs (xlsxwriter with VBA, images, a chart, a button,
comments, validations, conditional formats, a table and defined names; and a file saved
by LibreOffice), refreshed with a hand-built plan, then unzipped and compared.
"""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from automation import schema
from automation.models import CellWrite, GeneratedSheet, WritePlan
from automation.xlsxpatch import apply_plan
from tests.fixtures_other_programs import (
    COL,
    COMPUTED_FIRST,
    build_libreoffice_ledger,
    build_xlsxwriter_ledger,
    sample_plan,
    soffice,
)

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
N = 6


@pytest.fixture(scope="module")
def xlsxwriter_book(tmp_path_factory) -> Path:
    return build_xlsxwriter_ledger(tmp_path_factory.mktemp("xw") / "督查台账.xlsm", N)


@pytest.fixture(scope="module")
def libreoffice_book(tmp_path_factory) -> Path:
    return build_libreoffice_ledger(tmp_path_factory.mktemp("lo") / "台账.xlsx", N)


@pytest.fixture(params=["xlsxwriter", "libreoffice"])
def book(request) -> Path:
    marker = request.node.get_closest_marker
    del marker
    return request.getfixturevalue(f"{request.param}_book")


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Return sheet name -> worksheet part name."""
    wb = etree.fromstring(parts["xl/workbook.xml"])
    rels = etree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for s in wb.iterfind(".//m:sheet", NS):
        target = targets[s.get(R_ID)]
        out[s.get("name")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return out


def _cells(xml: bytes) -> dict[str, tuple[str | None, str | None, str | None]]:
    """Return ref -> (style, type, value or inline text) for every cell of a worksheet."""
    root = etree.fromstring(xml)
    out = {}
    for c in root.iterfind(".//m:sheetData/m:row/m:c", NS):
        v = c.find("m:v", NS)
        text = "".join(c.xpath(".//m:is//m:t/text()", namespaces=NS)) if v is None else v.text
        out[c.get("r")] = (c.get("s"), c.get("t"), text)
    return out


def _written_refs(plan: WritePlan) -> set[str]:
    from automation.sheetxml import column_letters

    return {f"{column_letters(w.col)}{w.row}" for w in plan.cells if w.sheet == schema.LEDGER}


def _outside_sheet_data(xml: bytes) -> bytes:
    """Return the sheet XML without <sheetData> and with the dimension ref blanked."""
    xml = re.sub(rb"<sheetData\b.*?</sheetData>|<sheetData/>", b"", xml, flags=re.S)
    return re.sub(rb'(<dimension ref=")[^"]*', rb"\1", xml)


def _without_added(text: bytes, pattern: bytes) -> bytes:
    return re.sub(pattern, b"", text)


def test_every_untouched_part_is_byte_identical(book, tmp_path):
    out = tmp_path / ("out" + book.suffix)
    plan = sample_plan(N)
    apply_plan(book, plan, out)
    before, after = _parts(book), _parts(out)
    sheets_before, sheets_after = _sheet_parts(before), _sheet_parts(after)
    ledger_part = sheets_before[schema.LEDGER]
    generated = {sheets_after[g.name] for g in plan.sheets}
    touched = {ledger_part, "[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}
    for name, data in before.items():
        if name not in touched:
            assert after[name] == data, f"{name} changed"
    # Members keep their order; new parts only come after the original ones.
    assert list(after)[: len(before)] == list(before)
    new_parts = set(after) - set(before)
    assert all(
        p in generated or re.match(r"xl/(drawings|charts|worksheets/_rels|drawings/_rels)/", p) for p in new_parts
    ), new_parts
    # workbook.xml, its rels and the content types differ only by the added sheets/parts.
    added_sheet = "|".join(schema.GENERATED_SHEETS).encode()
    assert _without_added(after["xl/workbook.xml"], rb'<sheet name="(?:' + added_sheet + rb')"[^>]*/>') == before["xl/workbook.xml"]
    added_rel = rb'<Relationship Id="rId\d+" Type="[^"]*/worksheet" Target="worksheets/sheet\d+\.xml"/>'
    assert len(re.findall(added_rel, after["xl/_rels/workbook.xml.rels"])) == 5 + len(
        re.findall(added_rel, before["xl/_rels/workbook.xml.rels"])
    )
    for part in new_parts - {p for p in new_parts if p.endswith(".rels")}:
        assert f'PartName="/{part}"'.encode() in after["[Content_Types].xml"]


def test_styles_are_only_appended(book, tmp_path):
    out = tmp_path / ("out" + book.suffix)
    apply_plan(book, sample_plan(N), out)
    before = etree.fromstring(_parts(book)["xl/styles.xml"])
    after = etree.fromstring(_parts(out)["xl/styles.xml"])
    for section in ("m:numFmts", "m:fonts", "m:fills", "m:borders", "m:cellStyleXfs", "m:cellXfs", "m:cellStyles", "m:dxfs"):
        old, new = before.find(section, NS), after.find(section, NS)
        if old is None:
            continue
        old_children = [etree.tostring(c) for c in old]
        assert [etree.tostring(c) for c in new][: len(old_children)] == old_children, section
        if new.get("count") is not None:
            assert int(new.get("count")) == len(new)


def test_ledger_input_cells_and_everything_outside_sheet_data_are_unchanged(book, tmp_path):
    out = tmp_path / ("out" + book.suffix)
    plan = sample_plan(N)
    apply_plan(book, plan, out)
    part = _sheet_parts(_parts(book))[schema.LEDGER]
    old_xml, new_xml = _parts(book)[part], _parts(out)[part]
    old, new = _cells(old_xml), _cells(new_xml)
    written = _written_refs(plan)
    for ref, cell in old.items():
        if ref not in written:
            assert new[ref] == cell, ref
    assert set(new) - set(old) <= written
    assert _outside_sheet_data(new_xml) == _outside_sheet_data(old_xml)


def test_computed_values_land_in_the_right_cells_and_types(book, tmp_path):
    out = tmp_path / ("out" + book.suffix)
    apply_plan(book, sample_plan(N), out)
    wb = openpyxl.load_workbook(out)
    ws = wb[schema.LEDGER]
    assert [ws.cell(2, COMPUTED_FIRST + i).value for i in range(10)] == [
        "红", "逾期", None, 2, datetime(2026, 10, 8), 100, -40, "催办", 1, "2026-10-09 08:30",
    ]  # fmt: skip
    assert ws.cell(2, COMPUTED_FIRST + 4).number_format.lower().startswith("yyyy")
    assert ws.cell(3, COL["id"]).value == "DB-2026-900"
    assert ws.cell(2, COL["content"]).value == "推进第1项重点工作，确保按期完成"
    assert ws.cell(2, COL["deadline"]).value == datetime(2026, 9, 30)
    assert wb.sheetnames[-5:] == list(schema.GENERATED_SHEETS)
    summary = wb[schema.SUMMARY]
    assert [c.value for c in summary[1]] == ["责任单位", "总数", "已办结", "按期办结率"]
    assert summary["A1"].font.b and summary["A1"].fill.fgColor.rgb == "FFDDEBF7"
    assert summary["D2"].number_format == "0.0%" and summary["D2"].value == 0.6667
    assert summary.freeze_panes == "A2" and summary.auto_filter.ref == "A1:D4"
    assert len(summary._charts) == 0 or summary._charts  # openpyxl does not load charts; see the XML check
    assert wb[schema.OVERDUE_LIST]["C2"].value == datetime(2026, 9, 30)


def test_the_chart_points_at_the_summary_range(book, tmp_path):
    out = tmp_path / ("out" + book.suffix)
    apply_plan(book, sample_plan(N), out)
    parts = _parts(out)
    summary = _sheet_parts(parts)[schema.SUMMARY]
    rels = etree.fromstring(parts[summary.replace("worksheets/", "worksheets/_rels/") + ".rels"])
    drawing = "xl/" + rels[0].get("Target").replace("../", "")
    drawing_rels = etree.fromstring(parts[drawing.replace("drawings/", "drawings/_rels/") + ".rels"])
    chart = parts["xl/" + drawing_rels[0].get("Target").replace("../", "")]
    refs = re.findall(rb"<c:f>([^<]*)</c:f>", chart)
    assert refs == ["'统计汇总'!$A$2:$A$4".encode(), "'统计汇总'!$D$2:$D$4".encode()]
    assert b'<c:barDir val="bar"/>' in chart and b'<c:grouping val="clustered"/>' in chart


def test_refreshing_twice_gives_identical_parts(book, tmp_path):
    plan = sample_plan(N)
    first, second, third = tmp_path / ("1" + book.suffix), tmp_path / ("2" + book.suffix), tmp_path / ("3" + book.suffix)
    apply_plan(book, plan, first)
    apply_plan(first, plan, second)
    apply_plan(second, plan, third)
    assert _parts(second) == _parts(first)
    assert list(_parts(third)) == list(_parts(first))
    assert _parts(third) == _parts(first)


def test_generated_sheets_are_replaced_in_place_keeping_tab_colour_and_no_stale_charts(book, tmp_path):
    first, second = tmp_path / ("1" + book.suffix), tmp_path / ("2" + book.suffix)
    apply_plan(book, sample_plan(N), first)
    # Staff colour the summary tab; the next refresh has a different chart-less summary.
    parts = _parts(first)
    part = _sheet_parts(parts)[schema.SUMMARY]
    coloured = parts[part].replace(b"<dimension", b'<sheetPr><tabColor rgb="FFFF0000"/></sheetPr><dimension', 1)
    _rewrite(first, part, coloured)
    apply_plan(first, sample_plan(N, with_chart=False), second)
    after = _parts(second)
    assert _sheet_parts(after) == _sheet_parts(parts)
    assert b'<tabColor rgb="FFFF0000"/>' in after[part]
    assert b"<drawing " not in after[part]
    charts_before = {p for p in _parts(book) if p.startswith("xl/charts/")}
    assert {p for p in after if p.startswith("xl/charts/")} == charts_before
    assert not any(p.endswith(part.rsplit("/", 1)[1] + ".rels") for p in after if "worksheets/_rels" in p and p not in _parts(book))


def _rewrite(path: Path, name: str, data: bytes) -> None:
    parts = _parts(path)
    parts[name] = data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in parts.items():
            z.writestr(n, d)


def test_appends_go_after_the_last_non_empty_row(book, tmp_path):
    out = tmp_path / ("out" + book.suffix)
    plan = WritePlan(appends={schema.UNITS: [["县财政局", "周六"], ["县水利局", None, "w@x.cn"]]})
    apply_plan(book, plan, out)
    ws = openpyxl.load_workbook(out)[schema.UNITS]
    last = ws.max_row
    assert [c.value for c in ws[last - 1]][:2] == ["县财政局", "周六"]
    assert [c.value for c in ws[last]][:3] == ["县水利局", None, "w@x.cn"]
    assert ws.cell(last - 2, 1).value not in (None, "")


def test_new_rows_and_cells_are_inserted_in_order(book, tmp_path):
    out = tmp_path / ("out" + book.suffix)
    far = N + 5
    plan = WritePlan(cells=[CellWrite(schema.LEDGER, far, 3, "新行"), CellWrite(schema.LEDGER, 2, 40, 7.5),
                            CellWrite(schema.LEDGER, 1, 1, None), CellWrite(schema.LEDGER, far, 1, date(2026, 1, 2))])
    apply_plan(book, plan, out)
    xml = _parts(out)[_sheet_parts(_parts(out))[schema.LEDGER]]
    rows = [int(r) for r in re.findall(rb'<row r="(\d+)"', xml)]
    assert rows == sorted(rows)
    for row in etree.fromstring(xml).iterfind(".//m:row", NS):
        cols = [openpyxl.utils.cell.column_index_from_string(re.sub(r"\d", "", c.get("r"))) for c in row]
        assert cols == sorted(cols)
    ws = openpyxl.load_workbook(out)[schema.LEDGER]
    assert ws.cell(far, 3).value == "新行" and ws.cell(2, 40).value == 7.5 and ws.cell(1, 1).value is None
    assert ws.cell(far, 1).value == datetime(2026, 1, 2)
    end = re.search(rb'<dimension ref="A1:([A-Z]+)(\d+)"', xml)
    assert end.group(1) == b"AN" and int(end.group(2)) >= far


@pytest.mark.libreoffice
def test_libreoffice_opens_the_refreshed_workbook(book, tmp_path):
    out = tmp_path / ("refreshed" + book.suffix)
    apply_plan(book, sample_plan(N), out)
    # Token 12 = -1 exports every sheet as <stem>-<sheet>.csv (LibreOffice 7.2+), shown as formatted (token 9).
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
    run = soffice(["--convert-to", csv_filter, "--outdir", str(tmp_path / "csv"), str(out)], tmp_path / "profile")
    assert b"Error" not in run.stderr
    csv_files = {p.name: p for p in (tmp_path / "csv").glob("*.csv")}
    ledger_csv = next(p for name, p in csv_files.items() if schema.LEDGER in name)
    rows = list(csv.reader(ledger_csv.open(encoding="utf-8")))
    assert rows[1][COMPUTED_FIRST - 1 : COMPUTED_FIRST + 2] == ["红", "逾期", ""]
    assert rows[1][COMPUTED_FIRST + 3] == "2026-10-08"
    assert rows[2][0] == "DB-2026-900"
    summary_csv = next(p for name, p in csv_files.items() if schema.SUMMARY in name)
    summary = list(csv.reader(summary_csv.open(encoding="utf-8")))
    assert summary[1][:2] == ["县教育局", "3"] and summary[1][3] == "66.7%"


def test_an_empty_generated_sheet_and_odd_values_are_written(book, tmp_path):
    out = tmp_path / ("out" + book.suffix)
    weird = "含<尖括号>&与\x01控制符 "
    plan = WritePlan(sheets=[GeneratedSheet(schema.PROBLEMS, [["工作表", "问题"], [weird, float("nan")]])])
    apply_plan(book, plan, out)
    ws = openpyxl.load_workbook(out)[schema.PROBLEMS]
    assert ws["A2"].value == "含<尖括号>&与控制符 " and ws["B2"].value is None
