"""Build ledger workbooks the way other programs write them (xlsxwriter, LibreOffice).

Not collected by pytest: the preservation, safety and bench code import these builders.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zipfile
import zlib
from datetime import date
from pathlib import Path

import xlsxwriter

from automation import schema
from automation.models import CellWrite, GeneratedSheet, WritePlan

HEADERS = [c.header for c in schema.LEDGER_COLUMNS]
N_INPUT = len(schema.LEDGER_INPUT_COLUMNS)
COMPUTED_FIRST = N_INPUT + 1  # 1-based column of 预警
COL = {c.key: i for i, c in enumerate(schema.LEDGER_COLUMNS, start=1)}


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """Return a small valid RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + bytes([200, 30, 30] * width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def vba_project_bin(folder: Path) -> Path:
    """Extract a real vbaProject.bin from the .xlsm that ships in the xlwings wheel."""
    import xlwings

    xlsm = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    target = folder / "vbaProject.bin"
    with zipfile.ZipFile(xlsm) as z:
        target.write_bytes(z.read("xl/vbaProject.bin"))
    return target


def ledger_rows(n: int) -> list[list[object]]:
    """Return n input rows for 督办事项 (row 3 of the sheet has a blank 编号)."""
    units = ["县发展改革局", "县教育局", "县住建局", "县交通运输局", "县卫健局"]
    rows = []
    for i in range(n):
        rows.append(
            [
                "" if i == 1 else f"DB-2026-{i + 1:03d}",
                schema.CATEGORIES[i % len(schema.CATEGORIES)],
                f"县政府常务会议纪要〔2026〕{i % 9 + 1}号",
                f"推进第{i + 1}项重点工作，确保按期完成",
                "按月报送进展",
                "张副县长",
                units[i % len(units)],
                "",
                "李四",
                "13800000000",
                date(2026, 3, 1),
                date(2026, 9, 30),
                None,
                "每月5日",
                "正在推进",
                date(2026, 9, 4),
                0.6,
                "办理中",
                None,
                "王五",
                "",
            ]
        )
    return rows


def build_xlsxwriter_ledger(path: Path, n: int = 6) -> Path:
    """Write an .xlsm ledger with images, a chart, a macro button, comments, validations,
    conditional formats, a table, defined names, an autofilter and print settings."""
    path = Path(path)
    png = path.parent / "logo.png"
    png.write_bytes(tiny_png())
    wb = xlsxwriter.Workbook(str(path))
    wb.add_vba_project(str(vba_project_bin(path.parent)))
    wb.set_vba_name("ThisWorkbook")
    header = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    computed = wb.add_format({"bold": True, "bg_color": "#E2EFDA", "border": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    pct = wb.add_format({"num_format": "0%"})
    ws = wb.add_worksheet(schema.LEDGER)
    ws.set_vba_name("Sheet1")
    for c, h in enumerate(HEADERS):
        ws.write(0, c, h, computed if c >= N_INPUT else header)
    ws.set_column(10, 12, 12, date_fmt)
    ws.set_column(15, 15, 12, date_fmt)
    ws.set_column(COL["next_feedback_on"] - 1, COL["next_feedback_on"] - 1, 12, date_fmt)
    rows = ledger_rows(n)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if isinstance(v, date):
                ws.write_datetime(r, c, v, date_fmt)
            elif c == COL["progress"] - 1:
                ws.write_number(r, c, v, pct)
            elif v not in (None, ""):
                ws.write(r, c, v)
    # Staff typed into a computed column, and one stale formula sits there too.
    ws.write(1, COL["light"] - 1, "绿")
    ws.write_formula(2, COL["reminder_count"] - 1, "=1+1", None, 2)
    ws.write_comment(1, 0, "编号由督查室统一编排", {"author": "督查室"})
    ws.data_validation(
        1,
        COL["typed_status"] - 1,
        500,
        COL["typed_status"] - 1,
        {"validate": "list", "source": list(schema.TYPED_STATUSES)},
    )
    ws.conditional_format(
        1,
        COL["light"] - 1,
        500,
        COL["light"] - 1,
        {
            "type": "cell",
            "criteria": "==",
            "value": '"红"',
            "format": wb.add_format({"bg_color": "#FF0000"}),
        },
    )
    ws.autofilter(0, 0, n, len(HEADERS) - 1)
    ws.freeze_panes(1, 1)
    ws.insert_image("X2", str(png))
    ws.insert_button(
        "Z2", {"macro": "SampleCall", "caption": "刷新台账", "width": 96, "height": 30}
    )
    ws.set_landscape()
    ws.set_paper(9)
    ws.repeat_rows(0)
    ws.set_header("&C督查事项台账")
    units = wb.add_worksheet(schema.UNITS)
    units.add_table(
        0,
        0,
        3,
        2,
        {
            "name": "单位表",
            "columns": [{"header": "单位名称"}, {"header": "联系人"}, {"header": "邮箱"}],
            "data": [
                ["县教育局", "赵一", "a@x.cn"],
                ["县住建局", "钱二", "b@x.cn"],
                ["县卫健局", "孙三", "c@x.cn"],
            ],
        },
    )
    charts = wb.add_worksheet("图表")
    charts.write_column(0, 0, ["一月", "二月", "三月"])
    charts.write_column(0, 1, [3, 5, 2])
    chart = wb.add_chart({"type": "column"})
    chart.add_series(
        {"categories": "=图表!$A$1:$A$3", "values": "=图表!$B$1:$B$3", "name": "办结数"}
    )
    charts.insert_chart("D2", chart)
    wb.define_name("单位列表", "=责任单位!$A$2:$A$4")
    wb.define_name("督办事项!本表标题", "=督办事项!$A$1")
    wb.set_properties({"title": "督查事项台账", "author": "督查室"})
    wb.close()
    return path


def build_libreoffice_ledger(path: Path, n: int = 5, timeout: int = 120) -> Path:
    """Write a plain ledger with xlsxwriter, then have LibreOffice re-save it as .xlsx."""
    path = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "src" / path.name
        src.parent.mkdir()
        wb = xlsxwriter.Workbook(str(src))
        ws = wb.add_worksheet(schema.LEDGER)
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        ws.write_row(0, 0, HEADERS)
        for r, row in enumerate(ledger_rows(n), start=1):
            for c, v in enumerate(row):
                if isinstance(v, date):
                    ws.write_datetime(r, c, v, date_fmt)
                elif v not in (None, ""):
                    ws.write(r, c, v)
        ws.write_comment(1, 0, "LibreOffice 保存的批注")
        ws.data_validation(
            1,
            COL["typed_status"] - 1,
            100,
            COL["typed_status"] - 1,
            {"validate": "list", "source": list(schema.TYPED_STATUSES)},
        )
        other = wb.add_worksheet(schema.UNITS)
        other.write_row(0, 0, ["单位名称", "联系人"])
        other.write_row(1, 0, ["县教育局", "赵一"])
        wb.close()
        out = tmp / "out"
        soffice(["--convert-to", "xlsx", "--outdir", str(out), str(src)], tmp / "profile", timeout)
        shutil.copyfile(out / path.name, path)
    return path


def soffice(args: list[str], profile: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run LibreOffice headless in a private profile directory."""
    cmd = [
        "soffice",
        f"-env:UserInstallation=file://{Path(profile).resolve()}",
        "--headless",
        "--norestore",
        *args,
    ]
    env = {**os.environ, "HOME": str(profile)}
    return subprocess.run(cmd, check=True, capture_output=True, timeout=timeout, env=env)


def sample_plan(n: int, *, blank_id_row: int | None = 3, with_chart: bool = True) -> WritePlan:
    """Return a hand-built plan: computed columns for rows 2..n+1, one 编号, five sheets."""
    cells = []
    for row in range(2, n + 2):
        values = ["红", date(2026, 9, 30), "逾期", None, 2, date(2026, 10, 8), 100, -40, "催办", 1,
                  "2026-10-09 08:30"]  # fmt: skip
        for offset, value in enumerate(values):
            cells.append(CellWrite(schema.LEDGER, row, COMPUTED_FIRST + offset, value))
    if blank_id_row:
        cells.append(CellWrite(schema.LEDGER, blank_id_row, COL["id"], "DB-2026-900"))
    summary = GeneratedSheet(
        schema.SUMMARY,
        [
            ["责任单位", "总数", "已办结", "按期办结率"],
            ["县教育局", 3, 2, 0.6667],
            ["县住建局", 2, 1, 0.5],
            ["县卫健局", 1, 0, 0.0],
            [],
            ["事项类别", "总数"],
            ["民生实事", 4],
        ],
        header_rows=(0, 5),
        number_formats={3: "0.0%"},
        chart=("各单位按期办结率", 0, 3, 1, 3) if with_chart else None,
    )
    ranking = GeneratedSheet(
        schema.RANKING,
        [["排名", "责任单位", "得分"], [1, "县教育局", 99.5], [2, "县住建局", 97]],
        number_formats={2: "0.0"},
    )
    overdue = GeneratedSheet(
        schema.OVERDUE_LIST,
        [
            ["编号", "事项内容", "办结时限", "逾期工作日"],
            ["DB-2026-001", "推进第1项重点工作", date(2026, 9, 30), 2],
        ],
    )
    due_soon = GeneratedSheet(
        schema.DUE_SOON_LIST, [["编号", "事项内容", "办结时限", "剩余工作日"]]
    )
    problems = GeneratedSheet(
        schema.PROBLEMS,
        [
            ["工作表", "单元格", "问题", "修改建议"],
            [schema.LEDGER, "督办事项!A3", "编号为空，已自动分配 DB-2026-900", "无需处理"],
        ],
    )
    computed = frozenset(
        range(COMPUTED_FIRST, COMPUTED_FIRST + len(schema.LEDGER_COMPUTED_COLUMNS))
    )
    return WritePlan(
        cells=cells,
        sheets=[summary, ranking, overdue, due_soon, problems],
        formula_columns={schema.LEDGER: computed},
    )
