"""Feedback forms out, replies merged back: forms → replies written by other programs → collect.

Replies are written by xlsxwriter (copying the form and its hidden signature, as a unit's
Excel would save it) and, in one test, filled and saved by a real headless LibreOffice.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
import xlsxwriter
from fixtures_xlsx import good_row, write_ledger
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from automation.feedback import collect as collect_mod
from automation.feedback import replies
from automation.feedback.collect import collect
from automation.feedback.forms import SIGNATURE_SHEET, load_key, make_forms
from automation.ledger import reader

TODAY = date(2026, 10, 9)
ISSUED = date(2026, 10, 9)
COLLECT_DAY = date(2026, 10, 16)
NOW = datetime(2026, 10, 16, 9, 0)


# --- fixtures ----------------------------------------------------------------------------------


def ledger_with_items(folder: Path) -> Path:
    """Five open items of 县财政局 and one of 县交通运输局, one progress-log row."""
    rows = [
        good_row(1, 最近反馈日期=date(2026, 9, 10), 完成进度=40),
        good_row(2, 完成进度=30),
        good_row(3, 完成进度=20),
        good_row(4, 完成进度=10),
        good_row(5, 完成进度=50),
        good_row(6, 责任单位="交通局", 完成进度=60),
        good_row(7, 办理状态="已办结", 办结日期=date(2026, 5, 6)),
    ]
    headers = (*_headers(), "最新进展")
    rows = [[*r, f"第{i}项原进展"] for i, r in enumerate(rows, start=1)]
    return write_ledger(
        folder / "台账.xlsx",
        rows,
        headers=headers,
        progress=[[date(2026, 9, 10), "DB-2026-001", "县财政局", "九月进展", 40]],
    )


def _headers():
    from fixtures_xlsx import HEADERS

    return HEADERS


def read_grid(path: Path, sheet: str) -> list[list[object]]:
    with CalamineWorkbook.from_path(str(path)) as wb:
        return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def fill_reply(
    form: Path,
    dest: Path,
    *,
    day: object = None,
    fills: dict[str, dict[str, object]] | None = None,
    extra: list[dict[str, object]] = (),
    drop: tuple[str, ...] = (),
    reverse: bool = False,
    tamper: bool = False,
) -> Path:
    """Rewrite a form with xlsxwriter as a unit would return it: values filled by header name."""
    grid = read_grid(form, "反馈表")
    signature = read_grid(form, SIGNATURE_SHEET)
    header_at = next(i for i, row in enumerate(grid) if row and row[0] == "编号")
    header = [h for h in grid[header_at]]
    keep = [c for c, h in enumerate(header) if h not in drop]
    body = [row for row in grid[header_at + 1 :] if row[0]]
    if reverse:
        body.reverse()
    rows = []
    for row in body:
        values = dict(zip(header, row, strict=False))
        values.update((fills or {}).get(row[0], {}))
        rows.append(values)
    rows.extend(extra)
    wb = xlsxwriter.Workbook(str(dest))
    ws = wb.add_worksheet("反馈表")
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(grid[:header_at]):
        for c, v in enumerate(row):
            if v != "":
                _put(ws, r, c, v, datef)
    if day is not None:
        _put(ws, 3, 1, day, datef)
    for c_out, c in enumerate(keep):
        ws.write_string(header_at, c_out, header[c])
    for r, values in enumerate(rows, start=header_at + 1):
        for c_out, c in enumerate(keep):
            _put(ws, r, c_out, values.get(header[c], ""), datef)
    sig = wb.add_worksheet(SIGNATURE_SHEET)
    for r, row in enumerate(signature):
        for c, v in enumerate(row):
            if tamper and r == 2 and c == 1:
                v = "县教育局"
            sig.write_string(r, c, str(v))
    sig.very_hidden()
    wb.close()
    return dest


def _put(ws, r: int, c: int, v: object, datef) -> None:
    if v in ("", None):
        return
    if isinstance(v, date):
        ws.write_datetime(r, c, datetime(v.year, v.month, v.day), datef)
    elif isinstance(v, str):
        ws.write_string(r, c, v)  # a leading "=" stays text, as a unit typing '=... would
    else:
        ws.write(r, c, v)


@pytest.fixture
def issued(tmp_path):
    """A ledger and the forms issued for it on ISSUED."""
    path = ledger_with_items(tmp_path)
    report = make_forms(path, today=ISSUED)
    forms = {p.name.split("-")[0]: p for p in report.files}
    return path, forms


def ledger_rows(path: Path) -> dict[str, dict[str, object]]:
    grid = read_grid(path, "督办事项")
    head = grid[0]
    return {row[0]: dict(zip(head, row, strict=False)) for row in grid[1:] if row[0]}


def log_rows(path: Path) -> list[list[object]]:
    grid = read_grid(path, "进展记录")
    return [row[:7] + [""] * (7 - len(row[:7])) for row in grid[1:] if any(v != "" for v in row)]


# --- forms ---------------------------------------------------------------------------------------


def test_forms_one_per_unit_with_open_items_protected_and_signed(issued):
    path, forms = issued
    assert sorted(forms) == ["县交通运输局", "县财政局"]
    form = forms["县财政局"]
    assert form.parent == path.parent / "输出" / "2026-10-09" / "反馈表"
    grid = read_grid(form, "反馈表")
    header_at = next(i for i, row in enumerate(grid) if row and row[0] == "编号")
    assert grid[header_at] == ["编号", "事项内容", "办结时限", "下次反馈日", "上次进展", "本次进展", "完成进度",
                               "是否办结", "办结日期", "佐证材料", "填报人", "联系电话"]  # fmt: skip
    ids = [row[0] for row in grid[header_at + 1 :] if row[0]]
    assert ids == ["DB-2026-001", "DB-2026-002", "DB-2026-003", "DB-2026-004", "DB-2026-005"]
    assert grid[header_at + 1][2] == date(2026, 12, 31)
    assert grid[header_at + 1][4] == "第1项原进展"
    assert "填表说明" in grid[2][0]

    wb = load_workbook(form)
    ws = wb["反馈表"]
    assert wb[SIGNATURE_SHEET].sheet_state == "veryHidden"
    assert wb.security.lockStructure
    assert ws.protection.sheet
    first = header_at + 2
    assert ws.cell(first, 1).protection.locked  # 编号 is read-only
    assert not ws.cell(first, 6).protection.locked  # 本次进展 is editable
    assert not ws["B4"].protection.locked  # 填报日期
    kinds = {dv.type: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert kinds["whole"].startswith("G")
    assert kinds["list"].startswith("H")
    assert "B4" in kinds["date"] and "I" in kinds["date"]


def test_forms_for_one_unit_by_alias_and_unknown_unit(tmp_path):
    path = ledger_with_items(tmp_path)
    report = make_forms(path, today=ISSUED, unit="交通局")
    assert [p.name for p in report.files] == ["县交通运输局-反馈表.xlsx"]
    with pytest.raises(Exception, match="找不到单位“县交警队”"):
        make_forms(path, today=ISSUED, unit="县交警队")


def test_form_keeps_a_ledger_formula_like_text_as_text(tmp_path):
    text = '=HYPERLINK("http://x","y")'

    def as_text(wb, ws, header_row):
        ws.write_string(header_row + 1, 2, text)  # 事项内容 typed as text ('=...)

    path = write_ledger(tmp_path / "台账.xlsx", [good_row(1)], hook=as_text)
    form = make_forms(path, today=ISSUED).files[0]
    with zipfile.ZipFile(form) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    assert read_grid(form, "反馈表")[6][1] == text


# --- the round trip -----------------------------------------------------------------------------


def test_round_trip_valid_stale_conflicting_and_malicious(issued, tmp_path):
    path, forms = issued
    replies_dir = tmp_path / "回收"
    replies_dir.mkdir()
    caizheng = fill_reply(
        forms["县财政局"],
        replies_dir / "财政局反馈（最终版）.xlsx",  # renamed
        day=date(2026, 10, 15),
        reverse=True,  # rows reordered
        drop=("佐证材料",),  # a column deleted
        fills={
            "DB-2026-001": {
                "本次进展": "完成招标，进入施工",
                "完成进度": 70,
                "填报人": "王五",
                "联系电话": "13800000001",
            },
            "DB-2026-002": {"本次进展": '=HYPERLINK("http://evil","点我")', "完成进度": 35},
            "DB-2026-003": {"本次进展": "+cmd|' /C calc'!A0"},
            "DB-2026-004": {
                "本次进展": "已全部完成",
                "是否办结": "是",
                "办结日期": date(2026, 10, 12),
            },
            "DB-2026-005": {"本次进展": "进度", "完成进度": "很多"},
        },
        extra=[
            {
                "编号": "DB-2026-001",
                "本次进展": "补充：资金已拨付",
            },  # an added row, same item, same day
            {"编号": "DB-2026-006", "本次进展": "越权填报别家事项"},
            {"编号": "", "本次进展": "没有编号的一行"},
        ],
    )
    tampered = fill_reply(
        forms["县交通运输局"], replies_dir / "交通.xlsx", day=date(2026, 10, 15), tamper=True,
        fills={"DB-2026-006": {"本次进展": "改了签名"}},
    )  # fmt: skip
    bomb = replies_dir / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<x>" + b"0" * (30 * 1024 * 1024) + b"</x>")
    not_form = write_ledger(replies_dir / "别的表.xlsx", [good_row(9)])

    report = collect(path, [tampered, bomb, caizheng, not_form], today=COLLECT_DAY, now=NOW)

    rows = ledger_rows(path)
    # DB-2026-001: two different entries on the same day -> both logged, row left alone.
    assert rows["DB-2026-001"]["最新进展"] == "第1项原进展"
    assert rows["DB-2026-001"]["完成进度"] == 40
    # DB-2026-002: newer than the ledger -> applied; formula-like text stays text.
    assert rows["DB-2026-002"]["最新进展"] == '=HYPERLINK("http://evil","点我")'
    assert rows["DB-2026-002"]["最近反馈日期"] == date(2026, 10, 15)
    assert rows["DB-2026-002"]["完成进度"] == 35
    assert rows["DB-2026-003"]["最新进展"] == "+cmd|' /C calc'!A0"
    assert rows["DB-2026-003"]["完成进度"] == 20  # no progress given: unchanged
    assert rows["DB-2026-004"]["最新进展"] == "已全部完成"
    assert rows["DB-2026-004"]["完成进度"] == 100
    assert rows["DB-2026-004"]["办理状态"] == "办理中"  # completion is for staff to confirm
    assert rows["DB-2026-005"]["最新进展"] == "第5项原进展"
    assert rows["DB-2026-006"]["最新进展"] == "第6项原进展"

    day = date(2026, 10, 15)
    grid = read_grid(path, "进展记录")
    assert grid[0] == ["日期", "编号", "责任单位", "进展内容", "完成进度", "录入人"]  # 录入人 added
    assert grid[1:] == [
        [date(2026, 9, 10), "DB-2026-001", "县财政局", "九月进展", 40, ""],
        [
            day,
            "DB-2026-004",
            "县财政局",
            "已全部完成（单位申报已办结，办结日期：2026-10-12）",
            100,
            "",
        ],
        [day, "DB-2026-003", "县财政局", "+cmd|' /C calc'!A0", "", ""],
        [day, "DB-2026-002", "县财政局", '=HYPERLINK("http://evil","点我")', 35, ""],
        [day, "DB-2026-001", "县财政局", "完成招标，进入施工", 70, "王五 13800000001"],
        [day, "DB-2026-001", "县财政局", "补充：资金已拨付", "", ""],
    ]
    # No formula anywhere in the written sheets but duban's own 档案 links to item folders:
    # formula-like text is an inline string.
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    xml = re.sub(r'<f>HYPERLINK\("事项档案/DB-2026-00\d [^"<]*","打开"\)</f>', "", xml)
    assert "<f>" not in xml and "<f " not in xml
    assert re.search(r't="inlineStr"><is><t>=HYPERLINK', xml.replace("&quot;", '"'))

    lines = [(p.sheet, p.cell, p.message) for p in report.problems]
    messages = "\n".join(f"{s}!{c} {m}" for s, c, m in lines)
    assert ("交通.xlsx", "", "反馈表签名校验失败，隐藏的签名页被改动过") in lines
    assert ("bomb.xlsx", "", "文件解压后异常巨大（疑似压缩炸弹）") in lines
    assert ("别的表.xlsx", "", "不是本系统生成的反馈表（缺少隐藏的签名页）") in lines
    assert "财政局反馈（最终版）.xlsx!G7 事项 DB-2026-005 的完成进度“很多”无效" in messages
    assert "编号“DB-2026-006”不在发给“县财政局”的反馈表中" in messages
    assert "该行填写了进展但没有编号" in messages
    assert "事项 DB-2026-001 在 2026-10-15 有 2 条不同的反馈" in messages
    assert "单位申报事项 DB-2026-004 已办结（办结日期：2026-10-12）" in messages
    assert len(report.problems) == 8

    # Every line is in 校验问题, after the refresh's own rows.
    problems_grid = read_grid(path, "校验问题")
    written = {(row[0], row[2]) for row in problems_grid[1:]}
    assert ("bomb.xlsx", "文件解压后异常巨大（疑似压缩炸弹）") in written
    assert all((p.sheet, p.message) in written for p in report.problems)
    # The refresh ran: the computed columns see the new feedback date.
    assert rows["DB-2026-002"]["更新时间"] == "2026-10-16 09:00"

    # A second collect of the same files changes nothing at all.
    before = path.read_bytes()
    again = collect(path, [caizheng, tampered, bomb, not_form], today=COLLECT_DAY, now=NOW)
    assert path.read_bytes() == before
    assert again.merge.log_rows == [] and again.merge.updates == {}
    assert again.merge.duplicates == 5


def test_stale_reply_and_newer_staff_edit_are_never_applied(issued, tmp_path):
    path, forms = issued
    first = fill_reply(forms["县财政局"], tmp_path / "a.xlsx", day=date(2026, 10, 12),
                       fills={"DB-2026-002": {"本次进展": "十月中旬进展", "完成进度": 45}})  # fmt: skip
    collect(path, [first], today=COLLECT_DAY, now=NOW)
    assert ledger_rows(path)["DB-2026-002"]["完成进度"] == 45

    # An older reply (a form from the same issue, dated earlier) arrives later: logged only.
    older = fill_reply(forms["县财政局"], tmp_path / "b.xlsx", day=date(2026, 10, 10),
                       fills={"DB-2026-002": {"本次进展": "更早的进展", "完成进度": 40}})  # fmt: skip
    report = collect(path, [older], today=COLLECT_DAY, now=NOW)
    assert ledger_rows(path)["DB-2026-002"]["最新进展"] == "十月中旬进展"
    assert [p.message for p in report.problems] == [
        "事项 DB-2026-002 的反馈日期 2026-10-10 不晚于台账已有的反馈（2026-10-12），已记入进展记录，未更新督办事项"
    ]
    assert log_rows(path)[-1][:4] == [date(2026, 10, 10), "DB-2026-002", "县财政局", "更早的进展"]


def test_undated_staff_edit_after_issue_is_not_overwritten(tmp_path):
    path = ledger_with_items(tmp_path)
    form = make_forms(path, today=ISSUED).files[1]
    assert form.name.startswith("县财政局")
    # Staff edit 最新进展 of DB-2026-003 (row 4) by hand after the form went out, no new date
    # (saved by openpyxl, another program than ours).
    wb = load_workbook(path)
    ws = wb["督办事项"]
    col = next(c.column for c in ws[1] if c.value == "最新进展")
    ws.cell(row=4, column=col, value="督查室电话核实：已开工")
    wb.save(path)
    reply = fill_reply(form, tmp_path / "r.xlsx", day=date(2026, 10, 14),
                       fills={"DB-2026-003": {"本次进展": "单位报：准备开工", "完成进度": 25}})  # fmt: skip
    report = collect(path, [reply], today=COLLECT_DAY, now=NOW)
    row = ledger_rows(path)["DB-2026-003"]
    assert row["最新进展"] == "督查室电话核实：已开工"
    assert row["完成进度"] == 20
    assert "为免覆盖" in report.problems[0].message
    assert log_rows(path)[-1][3] == "单位报：准备开工"


def test_dry_run_writes_nothing(issued, tmp_path):
    path, forms = issued
    reply = fill_reply(forms["县财政局"], tmp_path / "r.xlsx", day=date(2026, 10, 14),
                       fills={"DB-2026-002": {"本次进展": "进展", "完成进度": 33}})  # fmt: skip
    before = path.read_bytes()
    report = collect(path, [reply], today=COLLECT_DAY, dry_run=True)
    assert path.read_bytes() == before
    assert report.merge.updates and "试运行" in report.summary()


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (None, "未填写填报日期"),
        ("2026.13.5", "填报日期“2026.13.5”不是有效日期"),
        (date(2026, 10, 20), "填报日期 2026-10-20 晚于今天"),
        (date(2026, 10, 1), "填报日期 2026-10-01 早于反馈表发出日期 2026-10-09"),
    ],
)
def test_report_date_is_required_and_checked(issued, tmp_path, day, message):
    path, forms = issued
    reply = fill_reply(forms["县财政局"], tmp_path / "r.xlsx", day=day,
                       fills={"DB-2026-002": {"本次进展": "进展"}})  # fmt: skip
    report = collect(path, [reply], today=COLLECT_DAY, dry_run=True)
    assert [p.message[: len(message)] for p in report.problems] == [message]


def test_size_limit_and_forged_zip_sizes_are_refused(tmp_path, monkeypatch):
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK" + b"\0" * (replies.MAX_FILE_BYTES + 1))
    with pytest.raises(replies.ReplyRefused, match="文件过大"):
        replies.check_package(big)
    # A member whose central directory claims a tiny size: inflating it for real fails the CRC.
    forged = tmp_path / "forged.xlsx"
    with zipfile.ZipFile(forged, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.xml", b"1" * 5000)
    data = bytearray(forged.read_bytes())
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (10).to_bytes(
        4, "little"
    )  # uncompressed size in the central directory
    forged.write_bytes(bytes(data))
    with pytest.raises(replies.ReplyRefused):
        replies.check_package(forged)
    dense = tmp_path / "dense.xlsx"  # small when inflated, but inflating ~1000x: refused
    with zipfile.ZipFile(dense, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (8 * 1024 * 1024))
    with pytest.raises(replies.ReplyRefused, match="压缩炸弹"):
        replies.check_package(dense)
    text = tmp_path / "x.xlsx"
    text.write_text("hello")
    with pytest.raises(replies.ReplyRefused, match="不是 Excel 工作簿"):
        replies.check_package(text)


def test_ledger_without_progress_log_gets_one(tmp_path):
    path = write_ledger(tmp_path / "台账.xlsx", [good_row(1)])
    form = make_forms(path, today=ISSUED).files[0]
    reply = fill_reply(form, tmp_path / "r.xlsx", day=date(2026, 10, 14),
                       fills={"DB-2026-001": {"本次进展": "已开工", "完成进度": 1, "佐证材料": "照片3张"}})  # fmt: skip
    report = collect(path, [reply], today=COLLECT_DAY, now=NOW)
    assert [(p.where, p.message) for p in report.problems] == [
        ("督办事项!1:1", "表头中没有“最新进展”列，回复的这部分内容只记入了进展记录")
    ]
    assert log_rows(path) == [
        [date(2026, 10, 14), "DB-2026-001", "县财政局", "已开工", "1%", "照片3张", ""]
    ]
    ledger = reader.read_ledger(path, today=COLLECT_DAY)
    assert ledger.items[0].progress == 1
    assert ledger.feedback[0].progress == 1


def test_key_is_made_once_and_forms_of_another_ledger_are_refused(tmp_path):
    a = ledger_with_items(tmp_path / "a" if (tmp_path / "a").mkdir() is None else None)
    b = ledger_with_items(tmp_path / "b" if (tmp_path / "b").mkdir() is None else None)
    key = load_key(a, create=True)
    assert load_key(a) == key
    form = make_forms(b, today=ISSUED).files[1]
    reply = fill_reply(form, tmp_path / "r.xlsx", day=date(2026, 10, 14),
                       fills={"DB-2026-002": {"本次进展": "x"}})  # fmt: skip
    report = collect(a, [reply], today=COLLECT_DAY, dry_run=True)
    assert [p.message for p in report.problems] == ["该反馈表不是由本台账生成的（台账标识不符）"]


def test_progress_value_representation():
    assert collect_mod.progress_value(80.0) == 80
    assert collect_mod.progress_value(0.0) == 0
    assert collect_mod.progress_value(1.0) == "1%"
    assert collect_mod.progress_value(12.5) == 12.5


FILL_MACRO = """
Sub FillForm(src As String, dest As String)
    Dim args(0) As New com.sun.star.beans.PropertyValue
    args(0).Name = "Hidden"
    args(0).Value = True
    doc = StarDesktop.loadComponentFromURL(ConvertToURL(src), "_blank", 0, args())
    sheet = doc.Sheets.getByIndex(0)
    sheet.getCellRangeByName("B4").setValue(DateSerial(2026, 10, 15))
    sheet.getCellRangeByName("F7").setString("LibreOffice 填报：已完成设计")
    sheet.getCellRangeByName("G7").setValue(55)
    sheet.getCellRangeByName("K7").setString("赵六")
    sheet.getCellRangeByName("F8").setString("@SUM(1+1)*cmd")
    Dim out(1) As New com.sun.star.beans.PropertyValue
    out(0).Name = "FilterName"
    out(0).Value = "Calc MS Excel 2007 XML"
    out(1).Name = "Overwrite"
    out(1).Value = True
    doc.storeToURL(ConvertToURL(dest), out())
    doc.close(True)
    StarDesktop.terminate()
End Sub
"""


@pytest.mark.libreoffice
def test_form_filled_and_saved_by_libreoffice_is_collected(issued, tmp_path, soffice_macro):
    path, forms = issued
    reply = tmp_path / "LibreOffice 保存的反馈表.xlsx"
    soffice_macro(FILL_MACRO, "FillForm", str(forms["县财政局"]), str(reply))
    assert reply.exists()
    report = collect(path, [reply], today=COLLECT_DAY, now=NOW)
    assert report.problems == []
    rows = ledger_rows(path)
    assert rows["DB-2026-001"]["最新进展"] == "LibreOffice 填报：已完成设计"
    assert rows["DB-2026-001"]["最近反馈日期"] == date(2026, 10, 15)
    assert rows["DB-2026-001"]["完成进度"] == 55
    assert rows["DB-2026-002"]["最新进展"] == "@SUM(1+1)*cmd"
    assert log_rows(path)[-2:] == [
        [
            date(2026, 10, 15),
            "DB-2026-001",
            "县财政局",
            "LibreOffice 填报：已完成设计",
            55,
            "赵六",
            "",
        ],
        [date(2026, 10, 15), "DB-2026-002", "县财政局", "@SUM(1+1)*cmd", "", "", ""],
    ]


def test_formula_cells_in_a_reply_are_taken_as_their_text(issued, tmp_path):
    path, forms = issued
    reply = fill_reply(forms["县财政局"], tmp_path / "r.xlsx", day=date(2026, 10, 14),
                       fills={"DB-2026-003": {"本次进展": "-1 资金缺口", "完成进度": 22}})  # fmt: skip
    # Re-save the reply with a real formula in 本次进展 of DB-2026-002 (row 8), cached value shown.
    grid = read_grid(reply, "反馈表")
    signature = read_grid(reply, SIGNATURE_SHEET)
    wb = xlsxwriter.Workbook(str(tmp_path / "f.xlsx"))
    ws = wb.add_worksheet("反馈表")
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            _put(ws, r, c, v, wb.add_format({"num_format": "yyyy-mm-dd"}))
    ws.write_formula(7, 5, '=HYPERLINK("http://evil","点此查看")', None, "点此查看")
    sig = wb.add_worksheet(SIGNATURE_SHEET)
    for r, row in enumerate(signature):
        sig.write_row(r, 0, [str(v) for v in row])
    sig.very_hidden()
    wb.close()
    collect(path, [tmp_path / "f.xlsx"], today=COLLECT_DAY, now=NOW)
    rows = ledger_rows(path)
    assert rows["DB-2026-002"]["最新进展"] == "点此查看"
    assert rows["DB-2026-003"]["最新进展"] == "-1 资金缺口"
    assert rows["DB-2026-003"]["完成进度"] == 22


def test_cli_forms_and_collect(tmp_path):
    from click.testing import CliRunner

    from automation.cli import cli

    path = ledger_with_items(tmp_path)
    runner = CliRunner()
    made = runner.invoke(cli, ["forms", str(path), "--today", "2026-10-09", "--unit", "县财政局"])
    assert made.exit_code == 0, made.output
    assert "已生成反馈表 1 份（共 5 个未办结事项）" in made.output
    form = path.parent / "输出" / "2026-10-09" / "反馈表" / "县财政局-反馈表.xlsx"
    reply = fill_reply(form, tmp_path / "r.xlsx", day=date(2026, 10, 14),
                       fills={"DB-2026-002": {"本次进展": "进展", "完成进度": 33}})  # fmt: skip
    args = ["collect", str(path), str(reply), "--today", "2026-10-16", "--dry-run"]
    dry = runner.invoke(cli, args)
    assert dry.exit_code == 0, dry.output
    assert "新增进展记录 1 条，更新督办事项 1 项" in dry.output
    assert "试运行" in dry.output
    bad = runner.invoke(cli, ["forms", str(path), "--unit", "县交警队"])
    assert bad.exit_code == 64 and "找不到单位“县交警队”" in bad.output


def test_last_months_form_filled_late_is_applied_when_newest(tmp_path):
    path = ledger_with_items(tmp_path)
    september = make_forms(path, today=date(2026, 9, 11)).files[1]
    october = make_forms(path, today=ISSUED).files[1]
    first = fill_reply(october, tmp_path / "a.xlsx", day=date(2026, 10, 12),
                       fills={"DB-2026-002": {"本次进展": "十月进展", "完成进度": 45}})  # fmt: skip
    collect(path, [first], today=COLLECT_DAY, now=NOW)
    # The September form, filled only now: the ledger changed since (with a date), the reply is newer.
    late = fill_reply(september, tmp_path / "b.xlsx", day=date(2026, 10, 15),
                      fills={"DB-2026-002": {"本次进展": "用九月的表报十月中旬进展", "完成进度": 50}})  # fmt: skip
    report = collect(path, [late], today=COLLECT_DAY, now=NOW)
    assert report.problems == []
    row = ledger_rows(path)["DB-2026-002"]
    assert (row["最新进展"], row["最近反馈日期"], row["完成进度"]) == (
        "用九月的表报十月中旬进展",
        date(2026, 10, 15),
        50,
    )
