"""The cell patcher finds cells by their reference in every form SpreadsheetML allows.

Sheet XML written by hand and by odd generators: single-quoted attributes, any namespace
prefix, attributes in any order, self-closing cells, cells and rows without ``r`` (their
position implied, ECMA-376 §18.3.1.4/§18.3.1.73), whitespace around ``=``, comments and
CDATA. The result is read back by meaning with lxml; a staff cell right of the written
ones must survive in every form.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from automation import schema
from automation.models import CellWrite, WritePlan
from automation.refresh import refresh
from automation.xlsx.cellxml import column_letters, column_number
from automation.xlsx.sheetxml import patch_cells
from automation.xlsx.xlsxpatch import apply_plan
from tests.fixtures_xlsx import TODAY, good_row, write_ledger

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def by_meaning(xml: bytes) -> dict[tuple[int, int], tuple[str | None, str]]:
    """Return (row, col) -> (style, value or text) for every cell, positions implied as Excel does."""
    root = etree.fromstring(xml)
    out = {}
    row_no = 0
    for row in root.iter(f"{{{MAIN}}}row"):
        row_no = int(row.get("r")) if row.get("r") else row_no + 1
        col_no = 0
        for c in row.iter(f"{{{MAIN}}}c"):
            ref = c.get("r")
            col_no = column_number(re.sub(r"\d", "", ref)) if ref else col_no + 1
            v = c.find(f"{{{MAIN}}}v")
            text = "".join(c.itertext()) if v is None else v.text or ""
            if c.find(f"{{{MAIN}}}f") is not None:
                text = "=" + text
            assert (row_no, col_no) not in out, f"two cells at {(row_no, col_no)}"
            out[row_no, col_no] = (c.get("s"), text)
    return out


def patched(xml: str, writes: dict[int, dict[int, object]], **kwargs) -> bytes:
    pieces, _ = patch_cells(
        xml.encode(), writes, lambda col, value, existing: existing or None, **kwargs
    )
    out = b"".join(pieces)
    etree.fromstring(out)  # still well-formed
    return out


def sheet(body: str, root: str = f'worksheet xmlns="{MAIN}"', end: str = "worksheet") -> str:
    return (
        f"<?xml version='1.0'?><{root}><dimension ref='A1'/><sheetData>{body}</sheetData></{end}>"
    )


STAFF = "<is><t>已电话督促</t></is>"


@pytest.mark.parametrize(
    "row",
    [
        # single-quoted attributes (the form that cost a staff column)
        f"<row r='2'><c r='A2' t='inlineStr'><is><t>甲</t></is></c><c r='Z2' t='inlineStr'>{STAFF}</c></row>",
        # attribute order: r last
        f'<row r="2"><c t="inlineStr" r="A2"><is><t>甲</t></is></c><c s="0" t="inlineStr" r="Z2">{STAFF}</c></row>',
        # whitespace and line breaks around attributes
        f'<row\n r = "2" ><c\tr = "A2" t="inlineStr" ><is><t>甲</t></is></c ><c\n r =\n"Z2" t="inlineStr">{STAFF}</c></row >',
        # a self-closing styled cell before the staff cell
        f"<row r='2'><c r='A2' s='1'/><c r='Z2' t='inlineStr'>{STAFF}</c></row>",
        # a '>' inside an attribute value
        f'<row r="2"><c r="A2" t="inlineStr" x:y="a>b" xmlns:x="urn:x"><is><t>甲</t></is></c><c r="Z2" t="inlineStr">{STAFF}</c></row>',
        # a comment and CDATA in the row
        f'<row r="2"><!-- <c r="B2"/> --><c r="A2" t="inlineStr"><is><t><![CDATA[<甲>]]></t></is></c><c r="Z2" t="inlineStr">{STAFF}</c></row>',
    ],
)
def test_a_staff_cell_right_of_the_written_ones_survives_every_syntax(row):
    out = patched(sheet(row), {2: {2: "逾期", 3: 5}})
    cells = by_meaning(out)
    assert cells[2, 2][1] == "逾期" and cells[2, 3][1] == "5"
    assert cells[2, 26][1] == "已电话督促"
    assert cells[2, 1][1] in ("甲", "", "<甲>")


def test_cells_and_rows_without_r_are_found_by_their_implied_position():
    body = (
        "<row><c t='inlineStr'><is><t>A1</t></is></c><c/><c t='inlineStr'><is><t>C1</t></is></c></row>"
        "<row r='3'><c r='B3'><v>1</v></c><c><v>2</v></c><c r='Z3' t='inlineStr'><is><t>Z3</t></is></c></row>"
        "<row><c r='A4'><v>4</v></c></row>"
    )
    out = patched(sheet(body), {1: {2: "乙"}, 3: {3: "丙", 4: "丁"}, 4: {2: 7}})
    cells = by_meaning(out)
    assert {k: v[1] for k, v in cells.items()} == {
        (1, 1): "A1", (1, 2): "乙", (1, 3): "C1",
        (3, 2): "1", (3, 3): "丙", (3, 4): "丁", (3, 26): "Z3",
        (4, 1): "4", (4, 2): "7",
    }  # fmt: skip


def test_any_prefix_bound_to_the_main_namespace_is_followed():
    root = f"ss:worksheet xmlns:ss='{MAIN}' xmlns='urn:not-spreadsheetml'"
    body = (
        "<ss:row r='2'><ss:c r='A2' t='inlineStr'><ss:is><ss:t>甲</ss:t></ss:is></ss:c>"
        "<ss:c r='Z2' t='inlineStr'><ss:is><ss:t>备注</ss:t></ss:is></ss:c></ss:row>"
    )
    xml = sheet(body, root, "ss:worksheet").replace("<dimension", "<ss:dimension")
    xml = xml.replace("<sheetData>", "<ss:sheetData>").replace("</sheetData>", "</ss:sheetData>")
    out = patched(xml, {2: {2: "逾期"}, 3: {1: 1}})
    assert by_meaning(out)[2, 26][1] == "备注"
    assert {k: v[1] for k, v in by_meaning(out).items()} == {
        (2, 1): "甲",
        (2, 2): "逾期",
        (2, 26): "备注",
        (3, 1): "1",
    }
    assert re.search(rb"<c[ >]", out) is None  # new cells carry the ss: prefix


def test_a_document_type_declaration_is_refused():
    xml = sheet("<row r='1'><c r='A1'><v>1</v></c></row>").replace(
        "?>", "?><!DOCTYPE worksheet [<!ENTITY a 'x'>]>", 1
    )
    with pytest.raises(ValueError):
        patched(xml, {1: {2: 1}})


# --- any syntax, any writes: the overlay by meaning ---------------------------------------------

_syntax = st.fixed_dictionaries(
    {
        "quote": st.sampled_from(["'", '"']),
        "r_last": st.booleans(),
        "implied": st.booleans(),  # leave r out where the position is implied
        "space": st.sampled_from(["", " ", "\n  "]),
        "self_close_empty": st.booleans(),
    }
)
_grid = st.dictionaries(
    st.tuples(st.integers(1, 9), st.integers(1, 28)),
    st.one_of(st.none(), st.integers(0, 99)),
    max_size=30,
)
_writes = st.dictionaries(
    st.tuples(st.integers(1, 11), st.integers(1, 30)),
    st.one_of(st.none(), st.integers(-5, 5), st.text(alphabet="甲<&'\" ", min_size=1, max_size=4)),
    max_size=25,
)


def _render(grid: dict, syntax: dict, prefix: str) -> str:
    q, sp = syntax["quote"], syntax["space"]
    rows: dict[int, list[tuple[int, object]]] = {}
    for (r, c), v in sorted(grid.items()):
        rows.setdefault(r, []).append((c, v))
    parts = []
    previous_row = 0
    for r, cells in rows.items():
        attrs_r = "" if syntax["implied"] and r == previous_row + 1 else f" r{sp}={sp}{q}{r}{q}"
        previous_row = r
        out = []
        previous_col = 0
        for c, v in cells:
            ref = (
                ""
                if syntax["implied"] and c == previous_col + 1
                else f" r{sp}={sp}{q}{column_letters(c)}{r}{q}"
            )
            previous_col = c
            style = f" s={q}1{q}"
            attrs = style + ref if syntax["r_last"] else ref + style
            if v is None:
                out.append(
                    f"<{prefix}c{attrs}/>"
                    if syntax["self_close_empty"]
                    else f"<{prefix}c{attrs}></{prefix}c>"
                )
            else:
                out.append(f"<{prefix}c{attrs}{sp}><{prefix}v>{v}</{prefix}v></{prefix}c>")
        parts.append(f"<{prefix}row{attrs_r}>{''.join(out)}</{prefix}row{sp}>")
    ns = f"xmlns:{prefix[:-1]}" if prefix else "xmlns"
    return (
        f"<{prefix}worksheet {ns}={q}{MAIN}{q}><{prefix}sheetData>{''.join(parts)}"
        f"</{prefix}sheetData></{prefix}worksheet>"
    )


@settings(max_examples=150, deadline=None)
@given(grid=_grid, writes=_writes, syntax=_syntax, prefix=st.sampled_from(["", "x:", "main:"]))
def test_any_syntax_and_writes_give_the_overlay_by_meaning(grid, writes, syntax, prefix):
    xml = _render(grid, syntax, prefix)
    grouped: dict[int, dict[int, object]] = {}
    for (r, c), v in writes.items():
        grouped.setdefault(r, {})[c] = v
    out = patched(xml, grouped)
    got = by_meaning(out)
    expected = {k: ("1", "" if v is None else str(v)) for k, v in grid.items()}
    for (r, c), v in writes.items():
        style = "1" if (r, c) in grid else None
        expected[r, c] = (style, "" if v is None else str(v))
    assert got == expected
    root = etree.fromstring(out)
    numbers = [int(r.get("r")) for r in root.iter(f"{{{MAIN}}}row") if r.get("r")]
    assert numbers == sorted(set(numbers))


# --- end to end: a workbook whose sheet XML another program wrote with single quotes --------------


def _requote(path: Path, part: str) -> None:
    """Rewrite one part with single-quoted attributes and r after the other attributes."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts[part].decode()

    def tag(m: re.Match) -> str:
        attrs = re.findall(r'([\w:]+)="([^"]*)"', m.group(2))
        attrs.sort(key=lambda a: a[0] == "r")  # r goes last
        inner = "".join(f" {k}='{v}'" for k, v in attrs)
        return f"<{m.group(1)}{inner}{m.group(3)}>"

    parts[part] = re.sub(r"<([\w:]+)((?:\s+[\w:]+=\"[^\"]*\")*)\s*(/?)>", tag, xml).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_a_refresh_keeps_a_staff_column_of_a_single_quoted_sheet(tmp_path):
    path = write_ledger(tmp_path / "台账.xlsx", [good_row(1), good_row(2), good_row(3)])
    wb = openpyxl.load_workbook(path)
    ws = wb[schema.LEDGER]
    for r in (2, 3, 4):
        ws.cell(r, 40, f"第{r}行备注")  # a staff column far right (AN), after a gap
    wb.save(path)
    _requote(path, "xl/worksheets/sheet1.xml")
    assert b"r='AN2'" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    refresh(path, today=TODAY)
    ws = openpyxl.load_workbook(path)[schema.LEDGER]
    assert [ws.cell(r, 40).value for r in (2, 3, 4)] == ["第2行备注", "第3行备注", "第4行备注"]
    headers = [c.value for c in ws[1]]
    assert "预警" in headers and headers.index("预警") + 1 > 40
    assert ws.cell(2, headers.index("计算状态") + 1).value


def test_apply_plan_on_a_single_quoted_sheet_with_a_prefix(tmp_path):
    path = write_ledger(tmp_path / "台账.xlsx", [good_row(1)])
    _requote(path, "xl/worksheets/sheet1.xml")
    out = tmp_path / "out.xlsx"
    apply_plan(
        path,
        WritePlan(cells=[CellWrite(schema.LEDGER, 2, 15, date(2026, 1, 2))]),
        out,
    )
    ws = openpyxl.load_workbook(out)[schema.LEDGER]
    assert ws.cell(2, 15).value.date() == date(2026, 1, 2)
    assert ws.cell(2, 1).value == "DB-2026-001"


def test_a_workbook_whose_every_part_is_single_quoted_is_refreshed_twice(tmp_path, soffice):
    path = write_ledger(tmp_path / "台账.xlsx", [good_row(1), good_row(2)])
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.endswith((".xml", ".rels"))]
    for name in names:
        _requote(path, name)
    assert b"PartName='" in zipfile.ZipFile(path).read("[Content_Types].xml")
    refresh(path, today=TODAY)
    refresh(path, today=TODAY)
    with zipfile.ZipFile(path) as z:
        types = etree.fromstring(z.read("[Content_Types].xml"))
        rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    part_names = [o.get("PartName") for o in types if o.get("PartName")]
    assert len(part_names) == len(set(part_names))
    ids = [r.get("Id") for r in rels]
    assert len(ids) == len(set(ids))
    wb = openpyxl.load_workbook(path)
    generated = [*schema.GENERATED_SHEETS, *schema.FOLDER_SHEETS]
    assert wb.sheetnames[-len(generated) :] == generated
    assert wb[schema.LEDGER]["A2"].value == "DB-2026-001"
    csv = soffice(path, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path / "csv")
    assert csv.read_text(encoding="utf-8").startswith("编号")
