"""The writer keeps everything the staff made: part-by-part comparison with the original.

Fixtures are written by other programs (xlsxwriter with VBA, images, a chart, a button,
comments, validations, conditional formats, a table and defined names; and a file saved
by LibreOffice), refreshed with a hand-built plan, then unzipped and compared.
"""

from __future__ import annotations

import csv
import re
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from python_calamine import CalamineWorkbook

from automation import schema
from automation.models import CellWrite, GeneratedSheet, WritePlan
from automation.xlsx.xlsxpatch import apply_plan
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
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed; run `make sysdeps`")
    return build_libreoffice_ledger(tmp_path_factory.mktemp("lo") / "台账.xlsx", N)


@pytest.fixture(params=["xlsxwriter", "libreoffice"])
def book(request) -> Path:
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
    from automation.xlsx.sheetxml import column_letters

    return {f"{column_letters(w.col)}{w.row}" for w in plan.all_cells() if w.sheet == schema.LEDGER}


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
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None  # every member's CRC checks out, raw-copied ones included
    sheets_before, sheets_after = _sheet_parts(before), _sheet_parts(after)
    ledger_part = sheets_before[schema.LEDGER]
    generated = {sheets_after[g.name] for g in plan.sheets}
    touched = {
        ledger_part,
        "[Content_Types].xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
    }
    for name, data in before.items():
        if name not in touched:
            assert after[name] == data, f"{name} changed"
    # Members keep their order; new parts only come after the original ones.
    assert list(after)[: len(before)] == list(before)
    new_parts = set(after) - set(before)
    assert all(
        p in generated or re.match(r"xl/(drawings|charts|worksheets/_rels|drawings/_rels)/", p)
        for p in new_parts
    ), new_parts
    # workbook.xml, its rels and the content types differ only by the added sheets/parts.
    added_sheet = "|".join(schema.GENERATED_SHEETS).encode()
    assert (
        _without_added(after["xl/workbook.xml"], rb'<sheet name="(?:' + added_sheet + rb')"[^>]*/>')
        == before["xl/workbook.xml"]
    )
    added_rel = (
        rb'<Relationship Id="rId\d+" Type="[^"]*/worksheet" Target="worksheets/sheet\d+\.xml"/>'
    )
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
    for section in (
        "m:numFmts",
        "m:fonts",
        "m:fills",
        "m:borders",
        "m:cellStyleXfs",
        "m:cellXfs",
        "m:cellStyles",
        "m:dxfs",
    ):
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
    assert [ws.cell(2, COMPUTED_FIRST + i).value for i in range(11)] == [
        "红", datetime(2026, 9, 30), "逾期", None, 2, datetime(2026, 10, 8), 100, -40, "催办", 1,
        "2026-10-09 08:30",
    ]  # fmt: skip
    assert ws.cell(2, COMPUTED_FIRST + 1).number_format.lower().startswith("yyyy")
    assert ws.cell(2, COMPUTED_FIRST + 5).number_format.lower().startswith("yyyy")
    assert ws.cell(3, COL["id"]).value == "DB-2026-900"
    assert ws.cell(2, COL["content"]).value == "推进第1项重点工作，确保按期完成"
    assert ws.cell(2, COL["deadline"]).value == datetime(2026, 9, 30)
    assert wb.sheetnames[-5:] == list(schema.GENERATED_SHEETS)
    summary = wb[schema.SUMMARY]
    assert [c.value for c in summary[1]] == ["责任单位", "总数", "已办结", "按期办结率"]
    assert summary["A1"].font.b and summary["A1"].fill.fgColor.rgb == "FFDDEBF7"
    assert summary["D2"].number_format == "0.0%" and summary["D2"].value == 0.6667
    assert summary.freeze_panes == "A2" and summary.auto_filter.ref == "A1:D4"
    assert wb[schema.OVERDUE_LIST]["C2"].value == datetime(2026, 9, 30)


def test_the_chart_points_at_the_summary_range(book, tmp_path):
    out = tmp_path / ("out" + book.suffix)
    apply_plan(book, sample_plan(N), out)
    parts = _parts(out)
    summary = _sheet_parts(parts)[schema.SUMMARY]
    rels = etree.fromstring(parts[summary.replace("worksheets/", "worksheets/_rels/") + ".rels"])
    drawing = "xl/" + rels[0].get("Target").replace("../", "")
    drawing_rels = etree.fromstring(
        parts[drawing.replace("drawings/", "drawings/_rels/") + ".rels"]
    )
    chart = parts["xl/" + drawing_rels[0].get("Target").replace("../", "")]
    refs = re.findall(rb"<c:f>([^<]*)</c:f>", chart)
    assert refs == ["'统计汇总'!$A$2:$A$4".encode(), "'统计汇总'!$D$2:$D$4".encode()]
    assert b'<c:barDir val="bar"/>' in chart and b'<c:grouping val="clustered"/>' in chart


def test_refreshing_twice_gives_identical_parts(book, tmp_path):
    plan = sample_plan(N)
    first, second, third = (
        tmp_path / ("1" + book.suffix),
        tmp_path / ("2" + book.suffix),
        tmp_path / ("3" + book.suffix),
    )
    apply_plan(book, plan, first)
    apply_plan(first, plan, second)
    apply_plan(second, plan, third)
    assert _parts(second) == _parts(first)
    assert list(_parts(third)) == list(_parts(first))
    assert _parts(third) == _parts(first)


def test_generated_sheets_are_replaced_in_place_keeping_tab_colour_and_no_stale_charts(
    book, tmp_path
):
    first, second = tmp_path / ("1" + book.suffix), tmp_path / ("2" + book.suffix)
    apply_plan(book, sample_plan(N), first)
    # Staff colour the summary tab; the next refresh has a different chart-less summary.
    parts = _parts(first)
    part = _sheet_parts(parts)[schema.SUMMARY]
    coloured = parts[part].replace(
        b"<dimension", b'<sheetPr><tabColor rgb="FFFF0000"/></sheetPr><dimension', 1
    )
    _rewrite(first, part, coloured)
    apply_plan(first, sample_plan(N, with_chart=False), second)
    after = _parts(second)
    assert _sheet_parts(after) == _sheet_parts(parts)
    assert b'<tabColor rgb="FFFF0000"/>' in after[part]
    assert b"<drawing " not in after[part]
    charts_before = {p for p in _parts(book) if p.startswith("xl/charts/")}
    assert {p for p in after if p.startswith("xl/charts/")} == charts_before
    assert not any(
        p.endswith(part.rsplit("/", 1)[1] + ".rels")
        for p in after
        if "worksheets/_rels" in p and p not in _parts(book)
    )


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
    plan = WritePlan(
        cells=[
            CellWrite(schema.LEDGER, far, 3, "新行"),
            CellWrite(schema.LEDGER, 2, 40, 7.5),
            CellWrite(schema.LEDGER, 1, 1, None),
            CellWrite(schema.LEDGER, far, 1, date(2026, 1, 2)),
        ]
    )
    apply_plan(book, plan, out)
    xml = _parts(out)[_sheet_parts(_parts(out))[schema.LEDGER]]
    rows = [int(r) for r in re.findall(rb'<row r="(\d+)"', xml)]
    assert rows == sorted(rows)
    for row in etree.fromstring(xml).iterfind(".//m:row", NS):
        cols = [
            openpyxl.utils.cell.column_index_from_string(re.sub(r"\d", "", c.get("r"))) for c in row
        ]
        assert cols == sorted(cols)
    ws = openpyxl.load_workbook(out)[schema.LEDGER]
    assert (
        ws.cell(far, 3).value == "新行"
        and ws.cell(2, 40).value == 7.5
        and ws.cell(1, 1).value is None
    )
    assert ws.cell(far, 1).value == datetime(2026, 1, 2)
    end = re.search(rb'<dimension ref="A1:([A-Z]+)(\d+)"', xml)
    assert end.group(1) == b"AN" and int(end.group(2)) >= far


@pytest.mark.libreoffice
def test_libreoffice_opens_the_refreshed_workbook(book, tmp_path):
    out = tmp_path / ("refreshed" + book.suffix)
    apply_plan(book, sample_plan(N), out)
    # Token 12 = -1 exports every sheet as <stem>-<sheet>.csv (LibreOffice 7.2+), shown as formatted (token 9).
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
    run = soffice(
        ["--convert-to", csv_filter, "--outdir", str(tmp_path / "csv"), str(out)],
        tmp_path / "profile",
    )
    assert b"Error" not in run.stderr
    csv_files = {p.name: p for p in (tmp_path / "csv").glob("*.csv")}
    ledger_csv = next(p for name, p in csv_files.items() if schema.LEDGER in name)
    rows = list(csv.reader(ledger_csv.open(encoding="utf-8")))
    assert rows[1][COMPUTED_FIRST - 1 : COMPUTED_FIRST + 3] == ["红", "2026-09-30", "逾期", ""]
    assert rows[1][COMPUTED_FIRST + 4] == "2026-10-08"
    assert rows[2][0] == "DB-2026-900"
    summary_csv = next(p for name, p in csv_files.items() if schema.SUMMARY in name)
    summary = list(csv.reader(summary_csv.open(encoding="utf-8")))
    assert summary[1][:2] == ["县教育局", "3"] and summary[1][3] == "66.7%"


def test_an_empty_generated_sheet_and_odd_values_are_written(book, tmp_path):
    out = tmp_path / ("out" + book.suffix)
    weird = "含<尖括号>&与\x01控制符 "
    plan = WritePlan(
        sheets=[GeneratedSheet(schema.PROBLEMS, [["工作表", "问题"], [weird, float("nan")]])]
    )
    apply_plan(book, plan, out)
    ws = openpyxl.load_workbook(out)[schema.PROBLEMS]  # a strict XML parser takes it
    # The control character is kept the way Excel writes it (openpyxl does not decode it) ...
    assert ws["A2"].value == "含<尖括号>&与_x0001_控制符 " and ws["B2"].value is None
    # ... so the reader (and Excel) get back exactly what was written.
    with CalamineWorkbook.from_path(str(out)) as wb:
        assert wb.get_sheet_by_name(schema.PROBLEMS).to_python()[1][0] == weird


def _patched(
    xml: str, writes: dict[int, dict[int, object]], formula_columns=()
) -> tuple[dict[str, tuple], bytes]:
    from automation.xlsx.sheetxml import patch_cells

    pieces, report = patch_cells(
        xml.encode(),
        writes,
        lambda col, value, existing: existing or None,
        formula_columns=formula_columns,
    )
    out = b"".join(pieces)
    root = etree.fromstring(out)
    cells = {}
    for c in root.iter(f"{{{NS['m']}}}c"):
        v = c.find("m:v", NS)
        text = "".join(c.xpath(".//m:t/text()", namespaces=NS)) if v is None else v.text
        cells[c.get("r")] = (c.get("s"), text)
    return cells, out


_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def test_patching_rows_without_refs_self_closed_rows_and_rich_text():
    xml = (
        f'<worksheet {_MAIN}><dimension ref="A1:C3"/><sheetData>'
        '<row r="1"><c r="A1" s="2"><v>1</v></c><c><v>2</v></c><c s="4"><v>3</v></c></row>'
        '<row r="2"/>'
        '<row r="3"><c r="A3" t="inlineStr"><is><r><rPr><color rgb="FFFF0000"/></rPr><t>红字</t></r></is></c>'
        '<c r="C3" s="5"><f>A1+1</f><v>2</v></c></row>'
        "</sheetData></worksheet>"
    )
    cells, out = _patched(
        xml,
        {1: {3: "新"}, 2: {2: 5}, 3: {3: None, 4: date(2026, 1, 2)}, 5: {1: "末行"}},
        formula_columns={3},
    )
    # The middle cell has no r: it stays as it was, and the third is known to be C1.
    assert b'<c r="A1" s="2"><v>1</v></c><c><v>2</v></c><c r="C1" s="4" t="inlineStr">' in out
    assert cells["A1"] == ("2", "1") and cells["C1"] == ("4", "新")
    assert cells["B2"] == (None, "5")
    assert (
        cells["A3"] == (None, "红字")
        and cells["C3"] == ("5", "")
        and cells["D3"] == (None, "46024")
    )
    assert b"<f>" not in out and cells["A5"] == (None, "末行")
    assert b'<dimension ref="A1:D5"/>' in out


def test_patching_a_sheet_with_a_namespace_prefix_and_empty_sheet_data():
    prefixed = (
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
        '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    )
    cells, out = _patched(prefixed, {1: {2: "乙"}, 2: {1: 3}})
    assert cells == {"A1": (None, "1"), "B1": (None, "乙"), "A2": (None, "3")}
    assert b"<c " not in out  # every new element carries the x: prefix
    empty = f'<worksheet {_MAIN}><dimension ref="A1"/><sheetData/></worksheet>'
    cells, out = _patched(empty, {2: {2: "甲"}})
    assert cells == {"B2": (None, "甲")} and b'<dimension ref="A1:B2"/>' in out


def test_overwriting_a_formula_drops_the_calc_chain(tmp_path):
    book = build_xlsxwriter_ledger(tmp_path / "台账.xlsm", N)
    parts = _parts(book)
    parts["xl/calcChain.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><c r="AE3" i="1"/></calcChain>'
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/calcChain" Target="calcChain.xml"/></Relationships>',
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    out = tmp_path / "out.xlsm"
    apply_plan(book, sample_plan(N), out)  # AE3 held =1+1 (已催办次数)
    after = _parts(out)
    assert "xl/calcChain.xml" not in after
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in after["[Content_Types].xml"]
    assert openpyxl.load_workbook(out)[schema.LEDGER]["AE3"].value == 1


def test_a_broken_package_is_refused_in_chinese(tmp_path):
    from automation import errors

    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(errors.LedgerUnreadable, match="不是有效的 Excel 工作簿"):
        apply_plan(bad, sample_plan(N), tmp_path / "out.xlsx")


@pytest.mark.parametrize(
    ("part", "old", "new"),
    [
        ("xl/workbook.xml", rb'sheetId="1"', b""),  # a <sheet> without its sheetId
        ("[Content_Types].xml", b"Types", b"ct:Types"),  # a prefix the writer cannot follow
    ],
)
def test_a_damaged_part_is_refused_in_chinese_not_a_crash(tmp_path, part, old, new):
    from automation import errors

    src = tmp_path / "openpyxl.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = schema.LEDGER
    wb.active.append(["编号", "事项内容"])
    wb.save(src)
    parts = _parts(src)
    if part == "[Content_Types].xml":
        parts[part] = parts[part].replace(b'xmlns="', b'xmlns:ct="')
    assert old in parts[part]
    parts[part] = parts[part].replace(old, new)
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    with pytest.raises(errors.LedgerUnreadable, match="工作簿内部结构无法识别"):
        apply_plan(src, sample_plan(1), tmp_path / "out.xlsx")


def test_a_workbook_written_by_openpyxl_gets_valid_new_sheets(tmp_path):
    """openpyxl declares xmlns:r on each <sheet>, not on <workbook>; added sheets must still parse."""
    src = tmp_path / "openpyxl.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = schema.LEDGER
    wb.active.append(["编号", "事项内容"])
    wb.active.append(["DB-2026-001", "修路"])
    wb.save(src)
    out = tmp_path / "out.xlsx"
    apply_plan(
        src,
        WritePlan(cells=[CellWrite(schema.LEDGER, 2, 3, "逾期")], sheets=sample_plan(1).sheets),
        out,
    )
    etree.fromstring(_parts(out)["xl/workbook.xml"])
    result = openpyxl.load_workbook(out)
    assert result.sheetnames == [schema.LEDGER, *schema.GENERATED_SHEETS]
    assert result[schema.LEDGER]["C2"].value == "逾期"


_small_values = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 3)),
    st.text(alphabet="甲乙丙<&> ab", min_size=1, max_size=6),
)
_grid = st.dictionaries(
    st.tuples(st.integers(1, 12), st.integers(1, 30)), st.integers(0, 99), max_size=40
)
_writes = st.dictionaries(
    st.tuples(st.integers(1, 14), st.integers(1, 32)), _small_values, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(existing=_grid, writes=_writes)
def test_patching_any_writes_gives_the_overlay_with_sorted_rows_and_cells(existing, writes):
    from automation.xlsx.cellxml import column_letters

    rows: dict[int, list[str]] = {}
    for (r, c), v in sorted(existing.items()):
        rows.setdefault(r, []).append(f'<c r="{column_letters(c)}{r}" s="1"><v>{v}</v></c>')
    body = "".join(f'<row r="{r}">{"".join(cells)}</row>' for r, cells in rows.items())
    xml = f'<worksheet {_MAIN}><dimension ref="A1"/><sheetData>{body}</sheetData></worksheet>'
    grouped: dict[int, dict[int, object]] = {}
    for (r, c), v in writes.items():
        grouped.setdefault(r, {})[c] = v
    cells, out = _patched(xml, grouped)
    expected = {f"{column_letters(c)}{r}": ("1", str(v)) for (r, c), v in existing.items()}
    for (r, c), v in writes.items():
        if v is None:
            text = ""  # the value goes, the cell and its style stay
        elif isinstance(v, float):
            text = str(int(v)) if v.is_integer() else repr(v)
        else:
            text = str(v)
        expected[f"{column_letters(c)}{r}"] = ("1" if (r, c) in existing else None, text)
    assert cells == expected
    root = etree.fromstring(out)
    row_numbers = [int(r.get("r")) for r in root.iterfind(".//m:row", NS)]
    assert row_numbers == sorted(set(row_numbers))
    for row in root.iterfind(".//m:row", NS):
        cols = [
            openpyxl.utils.cell.column_index_from_string(re.sub(r"\d", "", c.get("r"))) for c in row
        ]
        assert cols == sorted(set(cols))
