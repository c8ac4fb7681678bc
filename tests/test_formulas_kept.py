"""A formula staff typed is never written over; a shared formula in a computed column stays valid.

Ledgers are written by openpyxl (formulas without a cached value), xlsxwriter (error
results) and hand-edited XML (a formula filled down as one shared formula, as Excel saves
it); the refreshed files are read back by openpyxl and opened by a real LibreOffice.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from automation import errors, schema
from automation.ledger.reader import read_ledger
from automation.models import CellWrite, WritePlan
from automation.refresh import refresh
from automation.xlsx.xlsxpatch import apply_plan
from tests.fixtures_xlsx import HEADERS, TODAY, Formula, good_row, write_ledger

ID_FORMULA = '="DB-2026-"&TEXT(ROW()-1,"000")'
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _rewrite(path: Path, part: str, edit) -> None:
    parts = _parts(path)
    parts[part] = edit(parts[part])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def _openpyxl_ledger(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = schema.LEDGER
    ws.append(list(HEADERS))
    for n in (1, 2, 3):
        ws.append(good_row(n))
    ws["A3"] = ID_FORMULA  # saved without a cached value, as openpyxl and generators do
    wb.save(path)
    return path


def _xlsxwriter_ledger(path: Path, cached: object) -> Path:
    return write_ledger(
        path, [good_row(1), good_row(2, 编号=Formula(ID_FORMULA, cached)), good_row(3)]
    )


def _text_result_ledger(path: Path) -> Path:
    """A formula whose cached result is the empty string, typed as text (t="str")."""
    path = write_ledger(
        path, [good_row(1), good_row(2, 编号=Formula('=IF(B3="","","x")', "")), good_row(3)]
    )
    _rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<c r="A3"([^>]*)><f>', rb'<c r="A3"\1 t="str"><f>', xml),
    )
    return path


LEDGERS = {
    "openpyxl-no-cached-value": _openpyxl_ledger,
    "xlsxwriter-error-result": lambda p: _xlsxwriter_ledger(p, "#REF!"),
    "empty-text-result": _text_result_ledger,
}


@pytest.mark.parametrize("kind", list(LEDGERS))
def test_a_formula_in_the_id_column_is_reported_and_never_written_over(tmp_path, kind):
    path = LEDGERS[kind](tmp_path / "台账.xlsx")
    before = _parts(path)["xl/worksheets/sheet1.xml"]
    assert re.search(rb'<c r="A3"[^>]*><f>', before)
    report = refresh(path, today=TODAY)
    ws = openpyxl.load_workbook(path)[schema.LEDGER]
    formula = ws["A3"].value
    assert (
        isinstance(formula, str)
        and formula.startswith("=")
        and "ROW()" in formula
        or "IF(" in formula
    )
    problems = [p for p in report.problems if p.cell == "A3"]
    assert problems and all("公式" in p.message for p in problems)
    assert not any("已自动编号" in p.message for p in problems)
    # The row is still computed, under a number used for this run only.
    item = next(i for i in report.ledger.items if i.row == 3)
    assert item.id and not item.id_assigned
    headers = [c.value for c in ws[1]]
    assert ws.cell(3, headers.index("计算状态") + 1).value
    # The other items keep their own numbers; no one else got the temporary one written.
    assert [ws["A2"].value, ws["A4"].value] == ["DB-2026-001", "DB-2026-003"]


def test_check_reports_the_formula_id_once(tmp_path):
    ledger = read_ledger(_openpyxl_ledger(tmp_path / "台账.xlsx"), today=TODAY)
    at_a3 = [p for p in ledger.problems if p.cell == "A3"]
    assert len(at_a3) == 1 and "公式" in at_a3[0].message and "未写回" in at_a3[0].message


def test_the_writer_refuses_to_replace_a_formula_outside_the_computed_columns(tmp_path):
    path = _openpyxl_ledger(tmp_path / "台账.xlsx")
    original = path.read_bytes()
    out = tmp_path / "out.xlsx"
    plan = WritePlan(cells=[CellWrite(schema.LEDGER, 3, 1, "DB-2026-009")])
    with pytest.raises(errors.WriteFailed, match="A3") as caught:
        apply_plan(path, plan, out)
    assert "公式" in str(caught.value)
    assert path.read_bytes() == original
    # Declared as a computed column, the same write goes through.
    plan.formula_columns = {schema.LEDGER: frozenset({1})}
    apply_plan(path, plan, out)
    assert openpyxl.load_workbook(out)[schema.LEDGER]["A3"].value == "DB-2026-009"


# --- shared formulas in a computed column ------------------------------------------------------

LIGHT_HEADERS = (*HEADERS, "预警")
LIGHT_COL = "N"  # 14th column
LAST_FORMULA_ROW = 8  # filled down past the three items, as staff fill a whole block


def _shared_formula_ledger(path: Path, master_text: str = 'IF(G2&lt;TODAY(),"红","绿")') -> Path:
    rows = [good_row(n) + [Formula('=IF(G2<TODAY(),"红","绿")', "绿")] for n in (1, 2, 3)]
    path = write_ledger(path, rows, headers=LIGHT_HEADERS)

    def share(xml: bytes) -> bytes:
        # Replace the light cells with one shared formula N2:N8, as Excel saves a fill-down.
        xml = re.sub(rb'<c r="N[2-9]"[^>]*>.*?</c>', b"", xml)
        cells = {
            r: (
                f'<c r="N{r}" t="str"><f t="shared" ref="N2:N{LAST_FORMULA_ROW}" si="0">'
                f"{master_text}</f><v>绿</v></c>"
                if r == 2
                else f'<c r="N{r}" t="str"><f t="shared" si="0"/><v>绿</v></c>'
            ).encode()
            for r in range(2, LAST_FORMULA_ROW + 1)
        }
        for r in range(2, 5):
            xml = re.sub(
                rb'(<row r="%d"[^>]*>.*?)(</row>)' % r,
                lambda m, r=r: m.group(1) + cells[r] + m.group(2),
                xml,
                flags=re.S,
            )
        extra = b"".join(
            b'<row r="%d">%s</row>' % (r, cells[r]) for r in range(5, LAST_FORMULA_ROW + 1)
        )
        return xml.replace(b"</sheetData>", extra + b"</sheetData>")

    _rewrite(path, "xl/worksheets/sheet1.xml", share)
    return path


def _shared_groups_are_valid(xml: bytes) -> dict[str, str]:
    """Assert every shared formula cell has a master before it covering it; return ref -> formula."""
    root = etree.fromstring(xml)
    masters: dict[str, tuple[int, int, int, int]] = {}
    formulas = {}
    for c in root.iter(f"{MAIN}c"):
        f = c.find(f"{MAIN}f")
        if f is None:
            continue
        formulas[c.get("r")] = f.text or ""
        if f.get("t") != "shared":
            continue
        row, col = openpyxl.utils.cell.coordinate_to_tuple(c.get("r"))
        if f.get("ref"):
            assert f.text, f"master {c.get('r')} without formula"
            (c1, r1, c2, r2) = openpyxl.utils.cell.range_boundaries(f.get("ref"))
            masters[f.get("si")] = (r1, c1, r2, c2)
        else:
            assert f.get("si") in masters, f"{c.get('r')} points at a shared formula with no master"
            r1, c1, r2, c2 = masters[f.get("si")]
            assert r1 <= row <= r2 and c1 <= col <= c2, f"{c.get('r')} outside its master's ref"
    return formulas


def test_a_shared_formula_in_a_computed_column_is_handed_on(tmp_path):
    path = _shared_formula_ledger(tmp_path / "台账.xlsx")
    _shared_groups_are_valid(_parts(path)["xl/worksheets/sheet1.xml"])
    refresh(path, today=TODAY)
    formulas = _shared_groups_are_valid(_parts(path)["xl/worksheets/sheet1.xml"])
    assert not {"N2", "N3", "N4"} & set(formulas)  # the items' lights are duban's values now
    assert formulas["N5"] == 'IF(G5<TODAY(),"红","绿")'  # the new master, translated
    ws = openpyxl.load_workbook(path)[schema.LEDGER]
    assert all(ws[f"N{r}"].value in schema.LIGHTS for r in (2, 3, 4))
    assert [ws[f"N{r}"].value for r in range(5, LAST_FORMULA_ROW + 1)] == [
        f'=IF(G{r}<TODAY(),"红","绿")' for r in range(5, LAST_FORMULA_ROW + 1)
    ]


@pytest.mark.libreoffice
def test_libreoffice_reads_the_handed_on_shared_formula(tmp_path, soffice):
    path = _shared_formula_ledger(tmp_path / "台账.xlsx")
    refresh(path, today=TODAY)
    resaved = soffice(shutil.copy(path, tmp_path / "lo.xlsx"), "xlsx", tmp_path / "lo")
    ws = openpyxl.load_workbook(resaved)[schema.LEDGER]
    assert [ws[f"N{r}"].value for r in range(5, LAST_FORMULA_ROW + 1)] == [
        f'=IF(G{r}<TODAY(),"红","绿")' for r in range(5, LAST_FORMULA_ROW + 1)
    ]
    values = openpyxl.load_workbook(resaved, data_only=True)[schema.LEDGER]
    assert all(values[f"N{r}"].value in schema.LIGHTS for r in (2, 3, 4))


def test_a_shared_formula_that_cannot_be_handed_on_is_refused_naming_its_cell(tmp_path):
    path = _shared_formula_ledger(tmp_path / "台账.xlsx", master_text='IF(G2&lt;TODAY(),"红')
    original = path.read_bytes()
    with pytest.raises(errors.WriteFailed, match="N2"):
        refresh(path, today=TODAY)
    assert path.read_bytes() == original
