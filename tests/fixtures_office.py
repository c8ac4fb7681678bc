"""Office ledgers as county offices really keep them (issues 13 and 14), written by xlsxwriter.

Not collected by pytest: ``test_office_ledgers.py`` and ``test_office_shapes.py`` build these
workbooks, save some once with LibreOffice, refresh them with a fixed ``--today`` and check
every computed cell against answers worked out by hand there. This module only describes the
workbooks (what staff typed); no expected answer lives here.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import openpyxl
import xlsxwriter
from lxml import etree

# --- building -------------------------------------------------------------------------------


@dataclass
class SheetSpec:
    """One worksheet: an optional merged title row, a header row, then rows as typed.

    ``rows`` are the rows under the header, in order (``None`` = a blank row). ``merges`` are
    vertical merges of data cells as (first row index, last row index, header) over ``rows``;
    the value typed is the first row's.
    """

    name: str
    headers: Sequence[str]
    rows: Sequence[Sequence[object] | None] = ()
    title: str | None = None
    merges: Sequence[tuple[int, int, str]] = ()
    hidden: bool = False

    @property
    def header_row(self) -> int:
        """Return the 1-based sheet row of the header."""
        return 2 if self.title else 1

    def sheet_row(self, index: int) -> int:
        """Return the 1-based sheet row of ``rows[index]``."""
        return self.header_row + 1 + index

    def column(self, header: str) -> int:
        """Return the 1-based column of a header."""
        return list(self.headers).index(header) + 1


@dataclass(frozen=True)
class Formula:
    """A formula cell and the value Excel would have cached for it."""

    text: str
    value: object


# 责任单位: (单位名称, 别名, 类型, 联系人, 联系电话, 邮箱)
UNIT_HEADERS = ("单位名称", "别名", "类型", "联系人", "联系电话", "邮箱")
UNITS = (
    ("县住建局", "县住房和城乡建设局、住建局", "部门", "李明", "0370-6001001", "zj@example.cn"),
    ("县城管局", "县城市管理局", "部门", "赵红", "0370-6001002", "cg@example.cn"),
    ("县交通运输局", "交通局、县交通局", "部门", "钱进", "0370-6001003", "jt@example.cn"),
    ("县发改委", "县发展和改革委员会", "部门", "孙立", "0370-6001004", "fg@example.cn"),
    ("县水利局", "", "部门", "周平", "0370-6001005", "sl@example.cn"),
    ("县农业农村局", "县农业局", "部门", "吴敏", "0370-6001006", "ny@example.cn"),
    ("县教育局", "", "部门", "郑洁", "0370-6001007", "jy@example.cn"),
    ("城关镇", "城关镇人民政府", "乡镇", "王强", "0370-6001008", "cgz@example.cn"),
    ("河口镇", "", "乡镇", "冯军", "0370-6001009", "hkz@example.cn"),
    ("东湖街道", "东湖街道办事处", "街道", "陈静", "0370-6001010", "dh@example.cn"),
)


def write_workbook(
    path: Path,
    sheets: Sequence[SheetSpec],
    *,
    units: Sequence[Sequence[object]] | None = UNITS,
    unit_headers: Sequence[str] = UNIT_HEADERS,
    settings: Sequence[tuple[str, object]] = (),
) -> Path:
    """Write the ledger sheets (in order), then 责任单位 and 参数设置 as staff would."""
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path))
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    title_format = wb.add_format({"bold": True, "align": "center", "font_size": 16})
    header_format = wb.add_format({"bold": True, "border": 1, "text_wrap": True})
    merged_format = wb.add_format({"valign": "vcenter", "text_wrap": True, "border": 1})
    for spec in sheets:
        ws = wb.add_worksheet(spec.name)
        if spec.title:
            ws.merge_range(0, 0, 0, len(spec.headers) - 1, spec.title, title_format)
        header = spec.header_row - 1
        ws.write_row(header, 0, list(spec.headers), header_format)
        merged: dict[tuple[int, int], tuple[int, object]] = {}
        for first, last, name in spec.merges:
            col = spec.column(name) - 1
            for i in range(first, last + 1):
                merged[(i, col)] = (first, spec.rows[first][col])
        for i, values in enumerate(spec.rows):
            for c, value in enumerate(values or ()):
                if (i, c) not in merged:
                    _write(ws, header + 1 + i, c, value, date_format)
        for first, last, name in spec.merges:
            col = spec.column(name) - 1
            value = spec.rows[first][col]
            if isinstance(value, date):
                ws.merge_range(header + 1 + first, col, header + 1 + last, col, "", merged_format)
                ws.write_datetime(header + 1 + first, col, value, date_format)
            else:
                ws.merge_range(
                    header + 1 + first, col, header + 1 + last, col, value, merged_format
                )
        ws.set_column(0, len(spec.headers) - 1, 14)
        if spec.hidden:
            ws.hide()
    if units is not None:
        us = wb.add_worksheet("责任单位")
        us.write_row(0, 0, unit_headers)
        keep = [UNIT_HEADERS.index(h) for h in unit_headers]
        for r, unit in enumerate(units, start=1):
            us.write_row(r, 0, [unit[i] for i in keep])
    if settings:
        ss = wb.add_worksheet("参数设置")
        ss.write_row(0, 0, ["参数", "值", "说明"])
        for r, (name, value) in enumerate(settings, start=1):
            ss.write_row(r, 0, [name, value])
    wb.close()
    return path


def _write(ws, r: int, c: int, value: object, date_format) -> None:
    if value is None or value == "":
        return
    if isinstance(value, Formula):
        ws.write_formula(r, c, value.text, None, value.value)
    elif isinstance(value, date):
        ws.write_datetime(r, c, value, date_format)
    elif isinstance(value, str):
        ws.write_string(r, c, value)  # typed text stays text (a "2026.6" is not a number)
    else:
        ws.write(r, c, value)


# --- issue 13: three layouts of real ledgers --------------------------------------------------

TITLE_A = "XX县2026年重点工作督查台账"
HEADERS_A = (
    "序号", "任务来源", "工作任务", "责任领导", "牵头单位", "责任单位", "完成时限", "进展情况",
    "完成情况", "备注",
)  # fmt: skip


def rows_a() -> list[list[object]]:
    """The 重点工作 layout: no 交办日期, no 编号, deadlines and statuses in words."""
    src = "2026年县政府工作报告"
    return [
        [1, src, "完成城区老旧小区改造12个", "王志远", "县住建局", "县城管局、东湖街道",
         "9月底前", "10月8日：已完成9个，剩余3个正在施工", "推进中", ""],
        [2, "县政府常务会议纪要〔2026〕8号", "推进重点项目前期工作", "陈立新", "县发改委",
         "各乡镇", "年底前", "已完成项目可研编制", "推进中", ""],
        [3, "市政府督查室交办", "完成城区排涝泵站改造", "刘卫东", "县水利局", "",
         "6月30日前", "泵站已投入使用", "已完成", ""],
        [4, "张县长批示", "整治城区主干道占道经营", "张秀兰", "县城管局", "",
         "三季度末", "专项整治已结束", "√", ""],
        [5, "县人大代表建议第12号", "增设城区学校周边交通标志", "赵建华", "县交通运输局",
         "县教育局", "10月中旬", "已完成选址，正在采购", "推进中", ""],
        [6, "2026年县十件民生实事", "新建改造城区公厕20座", "孙海涛", "县住建局、县城管局",
         "", "2026年11月", "截至9月底，完成60%", "推进中", ""],
        [7, "12345热线工单20260815001", "整治农贸市场周边环境", "刘卫东", "城关镇", "",
         "长期坚持", "每周开展巡查", "", ""],
        [8, "县委巡察反馈问题清单", "整改巡察反馈的项目审批问题", "陈立新", "县发改委", "",
         "立行立改", "正在整改", "推进中", ""],
        [9, "县政府常务会议纪要〔2026〕5号", "完成国庆期间交通保障方案", "赵建华",
         "县交通运输局", "", "国庆节前", "方案已印发", "是", ""],
        [10, "2026年县政府工作报告", "建设城东安置小区", "王志远", "县住建局", "",
         "9月底前完成主体，12月底前全面完工", "9月28日：主体已封顶", "推进中", ""],
        [11, "市政府来文", "完成农田水利设施冬修方案", "孙海涛", "县水利局", "县农业农村局",
         "11月上旬", "", "", ""],
        [12, "县领导调研交办", "研究解决城区停车难问题", "张秀兰", "县城管局", "",
         "尽快", "已形成初步方案", "推进中", ""],
        [13, "县政府常务会议纪要〔2026〕9号", "推进县城供热管网改造", "王志远", "县往建局", "",
         "12月20日前", "管材已进场", "推进中", ""],
        [14, "2026年县政府工作报告", "完成中小学校舍维修", "赵建华", "县教育局", "",
         "8月底前", "已全部完工", "基本完成", ""],
    ]  # fmt: skip


TITLE_B = "XX县2026年领导批示件办理台账"
HEADERS_B = (
    "序号",
    "批示时间",
    "批示内容",
    "批示领导",
    "承办单位",
    "办理时限",
    "办理情况",
    "是否办结",
)


def rows_b() -> list[list[object]]:
    """The 领导批示 layout: 批示时间 is 交办日期, 办理情况 holds text, 是否办结 是/否."""
    return [
        [1, date(2026, 9, 1), "排查城区燃气管道安全隐患", "张县长", "县住建局",
         "立行立改", "已组织全面排查", "否"],
        [2, date(2026, 8, 15), "核查群众反映的农村饮水问题", "王副县长", "县水利局",
         "15个工作日内", "已核查并答复群众", "是"],
        [3, date(2026, 9, 10), "制定城区交通拥堵治理方案", "张县长", "县交通运输局",
         "10月底前", "10月15日：已完成方案编制，完成40%", "否"],
        [4, date(2025, 11, 20), "做好冬春农田水利建设", "李副县长", "县农业农村局、县水利局",
         "3月底前", "已完成", "是"],
        [5, date(2026, 9, 10), "做好中秋期间市场保供", "王副县长", "县发改委",
         "中秋前", "正在落实", "否"],
        [6, date(2026, 10, 9), "整治校园周边环境", "张县长", "县教育局、城关镇",
         "11月中旬前", "", "否"],
        [7, date(2026, 10, 12), "研究解决河口镇农民工工资拖欠问题", "李副县长", "各街道",
         "10日内", "【2026.10.16】已召开协调会", "否"],
        [8, "2026.9.3", "加快城区道路改造进度", "王副县长", "县住建局",
         "9月30日前", "", "已办结"],
        [9, "2026.9.31", "督办城区违法建设拆除", "王副县长", "县城管局",
         "12月底前", "", "否"],
        [10, date(2026, 10, 10), "落实惠企资金兑付", "李副县长", "县财政局",
         "11月底前", "", "否"],
    ]  # fmt: skip


TITLE_C = "XX县人民政府常务会议议定事项督办台账（2026年）"
HEADERS_C = ("序号", "议定事项", "纪要位置", "责任单位", "配合单位", "完成时限", "办理状态", "备注")


def rows_c() -> list[list[object]]:
    """The 会议议定 layout: 纪要位置 as 来源, 配合单位, 办理状态 in real ledger words."""
    return [
        [1, "推进城南片区土地征收", "县政府常务会议纪要〔2026〕3号第二项", "城关镇",
         "县发改委", "12月底前", "推进中", ""],
        [2, "完成城区雨污分流一期工程", "县政府常务会议纪要〔2026〕3号第四项", "县住建局",
         "", "上半年", "已办结", ""],
        [3, "完成河道清淤工程", "县政府常务会议纪要〔2026〕4号第一项", "县水利局",
         "县农业农村局", "2026-06", "正在推进", "汛期影响进度"],
        [4, "开展秋冬季农产品产销对接", "县政府常务会议纪要〔2026〕6号第三项",
         "县农业农村局、县发改委", "", "10月下旬", "在办", ""],
        [5, "完成全县校车安全检查", "县政府常务会议纪要〔2026〕6号第五项", "县教育局",
         "县交通运输局", "第四季度", "", ""],
        [6, "落实城区停车场建设资金", "县政府常务会议纪要〔2026〕7号第一项", "县发改委",
         "", "9月底前", "已完成", ""],
        [7, "研究制定物业管理办法", "县政府常务会议纪要〔2026〕7号第二项", "县住建局",
         "", "下月", "推进中", ""],
        [8, "做好元旦春节期间安全生产", "县政府常务会议纪要〔2026〕8号第一项", "县交通运输局",
         "县发该委", "元旦前", "推进中", ""],
        [9, "开展城乡环境综合整治", "县政府常务会议纪要〔2026〕8号第二项", "各乡镇（街道）",
         "", "持续推进", "", "每月通报"],
    ]  # fmt: skip


def sheet_a() -> SheetSpec:
    """Return the 重点工作 layout as one sheet."""
    return SheetSpec("重点工作台账", HEADERS_A, rows_a(), TITLE_A)


def sheet_b() -> SheetSpec:
    """Return the 领导批示 layout as one sheet."""
    return SheetSpec("领导批示", HEADERS_B, rows_b(), TITLE_B)


def sheet_c() -> SheetSpec:
    """Return the 会议议定 layout as one sheet."""
    return SheetSpec("会议议定事项", HEADERS_C, rows_c(), TITLE_C)


# --- issue 14: the shapes real workbooks take ------------------------------------------------

YEARLY_HEADERS = (
    "序号", "事项内容", "牵头单位", "交办日期", "办结时限", "延期至", "办理状态", "办结日期",
    "督查科室",
)  # fmt: skip


def yearly_sheets() -> list[SheetSpec]:
    """Two yearly sheets (2025年督办事项 without 编号, 2026年督办事项 with one) and a readme."""
    last_year = SheetSpec(
        "2025年督办事项",
        YEARLY_HEADERS,
        [
            [1, "完成城区供水管网改造", "县水利局", date(2025, 3, 10), "年底前", None,
             "已办结", date(2025, 12, 20), "一科"],
            [2, "推进农贸市场升级改造", "县城管局", None, "10月底前", date(2026, 11, 30),
             "办理中", None, "二科"],
            [3, "建设城北污水处理厂", "县住建局", None, "2025年12月", None, "推进中", None,
             "一科"],
            [4, "完成年度农村公路养护", "县交通运输局", date(2025, 2, 10), "11月中旬", None,
             "已办结", date(2025, 11, 25), "二科"],
        ],
        "XX县2025年督办事项台账",
    )  # fmt: skip
    this_year = SheetSpec(
        "2026年督办事项",
        ("编号", *YEARLY_HEADERS),
        [
            ["DB-2026-001", 1, "推进城区道路提升改造", "县住建局", date(2026, 3, 2), "9月底前",
             None, "办理中", None, "一科"],
            ["DB-2026-002", 2, "建设智慧停车系统", "县城管局", date(2026, 9, 1), "12月底前",
             None, "办理中", None, "二科"],
            [None, 3, "开展食品安全专项整治", "县发改委", date(2026, 10, 12), "11月30日前",
             None, "", None, "二科"],
            [Formula('="DB-2026-"&TEXT(B6,"000")', "DB-2026-004"), 4, "完成防汛物资储备",
             "县水利局", date(2026, 4, 1), "汛前",
             None, "办理中", None, "一科"],
        ],
        "XX县2026年督办事项台账",
    )  # fmt: skip
    readme = SheetSpec(
        "填表说明", ("填表说明",), [["1. 每月10日前更新进展情况"], ["2. 办结后填写办结日期"]]
    )
    return [last_year, this_year, readme]


QUARTERLY_HEADERS = (
    "序号", "重点任务", "责任单位", "一季度目标", "一季度完成情况", "半年目标", "半年完成情况",
    "三季度目标", "三季度完成情况", "全年目标", "全年完成情况",
)  # fmt: skip


def category_sheets() -> list[SheetSpec]:
    """One sheet per category, each in its own layout, plus a hidden old sheet and a phone list."""
    instructions = SheetSpec(
        "领导批示",
        HEADERS_B,
        [
            [1, date(2026, 9, 1), "排查城区燃气管道安全隐患", "张县长", "县住建局",
             "立行立改", "已组织全面排查", "否"],
            [2, date(2026, 9, 10), "做好中秋期间市场保供", "王副县长", "县发改委",
             "中秋前", "已落实", "是"],
        ],
        "2026年领导批示件办理台账",
    )  # fmt: skip
    meetings = SheetSpec(
        "会议议定",
        HEADERS_C,
        [
            [1, "推进城南片区土地征收", "县政府常务会议纪要〔2026〕3号第二项", "城关镇",
             "县发改委", "12月底前", "推进中", ""],
            [2, "完成河道清淤工程", "县政府常务会议纪要〔2026〕4号第一项", "县水利局",
             "", "2026-06", "正在推进", ""],
        ],
        "2026年县政府常务会议议定事项台账",
    )  # fmt: skip
    report = SheetSpec(
        "政府工作报告",
        QUARTERLY_HEADERS,
        [
            [1, "新建改建农村公路50公里", "县交通运输局", "完成10公里", "完成12公里",
             "完成25公里", "完成26公里", "完成40公里", "完成41公里", "完成50公里", ""],
            [2, "新增规上工业企业10家", "县发改委", "新增2家", "新增2家", "新增5家", "新增4家",
             "新增8家", "", "新增10家", ""],
            [3, "完成老旧小区改造12个", "县住建局", "完成方案", "", "开工6个", "", "完工8个", "",
             "完工12个", ""],
            [4, "建设智慧城管平台", "县城管局", "", "", "完成招标", "已完成", "", "", "", ""],
            [5, "完成义务教育学校改薄工程", "县教育局", "完成设计", "已完成", "开工", "已开工",
             "主体完工", "已完工", "投入使用", "已完成"],
            [6, "完成河道综合治理", "县水利局", "", "", "完成方案", "已完成", "完成60%",
             "完成60%", "全面完成", "未完成"],
            [7, "建设农产品冷链物流中心", "县农业农村局", "完成选址", "已完成", "开工建设",
             "", "主体完工", "主体已完工", "投入运营", ""],
        ],
        "2026年县政府工作报告重点任务分解台账",
    )  # fmt: skip
    old = SheetSpec(
        "2024年台账（旧）",
        ("序号", "事项内容", "责任单位", "办结时限"),
        [[1, "旧事项", "县住建局", "2024-12-31"]],
        hidden=True,
    )
    phones = SheetSpec("通讯录", ("姓名", "单位", "电话"), [["李明", "县住建局", "0370-6001001"]])
    return [instructions, meetings, report, old, phones]


PRINTED_HEADERS = ("序号", "工作任务", "责任单位", "完成时限", "进展情况", "完成情况")


def printed_sheet() -> SheetSpec:
    """A printed ledger: items over several unit rows, a repeated header, 合计, 注 and 落款."""
    return SheetSpec(
        "督查台账",
        PRINTED_HEADERS,
        [
            [1, "开展农村人居环境整治", "城关镇", "9月底前", "已完成", "已完成"],
            [None, None, "河口镇", None, "10月9日：完成80%", "推进中"],
            [None, None, "东湖街道", None, "已完成", "√"],
            [2, "推进高标准农田建设", "县农业农村局", "12月底前", "完成70%", "推进中"],
            None,
            [3, "落实秸秆禁烧", "城关镇", "10月底前", "已完成", "已完成"],
            [3, "落实秸秆禁烧", "河口镇", "10月底前", "10月16日：已巡查3次", "推进中"],
            list(PRINTED_HEADERS),
            [4, "整治城区主干道路", "县住建局", "11月底前", "", ""],
            [5, "推进城区供暖改造", "县住建局", "10月10日前", "已完工", "已完成"],
            None,
            ["合计", "", "", "", "共5项", ""],
            ["注：本表由县政府督查室每月10日前汇总，请各单位如实填报。"],
            ["填报人：张三", "", "审核人：李四", "", "填报日期：2026年10月20日"],
        ],
        "XX县2026年重点工作推进台账",
        merges=[(0, 2, "序号"), (0, 2, "工作任务"), (0, 2, "完成时限")],
    )  # fmt: skip


UNNUMBERED_HEADERS = (
    "序号",
    "工作任务",
    "牵头单位",
    "交办时间",
    "完成时限",
    "进展情况",
    "完成情况",
)


def unnumbered_sheet() -> SheetSpec:
    """A ledger without 编号 that staff will sort between two refreshes."""
    return SheetSpec(
        "督办事项",
        UNNUMBERED_HEADERS,
        [
            [1, "推进城区道路提升改造", "县住建局", date(2026, 9, 1), "9月底前", "", "推进中"],
            [2, "建设智慧停车系统", "县城管局", date(2026, 9, 1), "12月底前", "", "推进中"],
            [3, "整治农贸市场周边环境", "县交通运输局", date(2026, 8, 3), "10月15日前", "",
             "推进中"],
            [4, "完成防汛物资储备", "县水利局", date(2026, 9, 1), "10月23日前", "", "推进中"],
            [5, "落实惠企政策", "县发改委", date(2026, 3, 2), "6月底前", "已完成", "已完成"],
        ],
        "XX县2026年督办事项台账",
    )  # fmt: skip


# --- saving with LibreOffice and reading back ----------------------------------------------


def save_with_libreoffice(sources: Sequence[Path], outdir: Path, soffice: str) -> list[Path]:
    """Open and save each workbook once with headless LibreOffice (one run for all of them)."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="duban-lo-profile-") as profile:
        completed = subprocess.run(
            [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
             "--norestore", "--convert-to", "xlsx", "--outdir", str(outdir),
             *map(str, sources)],
            capture_output=True,
            text=True,
            timeout=300,
        )  # fmt: skip
    saved = [outdir / f"{Path(s).stem}.xlsx" for s in sources]
    missing = [p for p in saved if not p.exists()]
    if completed.returncode != 0 or missing:
        raise AssertionError(f"LibreOffice did not save {missing}:\n{completed.stderr}")
    return saved


def row_values(path: Path, sheet: str, row: int) -> list[object]:
    """Return the values of one sheet row, as openpyxl reads them."""
    return [c.value for c in openpyxl.load_workbook(path)[sheet][row]]


def sheet_rows(path: Path, name: str) -> list[list[object]]:
    """Return a sheet's cells as openpyxl reads them, dates as dates."""
    ws = openpyxl.load_workbook(path)[name]
    return [[c.value.date() if isinstance(c.value, datetime) else c.value for c in row]
            for row in ws.iter_rows()]  # fmt: skip


def block(rows: list[list[object]], title: str) -> dict[str, list[object]]:
    """Return the rows of one 统计汇总 block (under the header row starting with ``title``), by first cell."""
    start = next(i for i, r in enumerate(rows) if r[0] == title) + 1
    out = {}
    for r in rows[start:]:
        if r[0] is None:
            break
        if not r[0].startswith("注："):
            out[r[0]] = r[1:]
    return out


def rows_by_header(path: Path, sheet: str, header_row: int) -> dict[int, dict[str, object]]:
    """Return sheet row -> {header: value} under ``header_row`` (formulas as their cached
    values, dates as dates), as openpyxl reads them."""
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    headers = [c.value for c in ws[header_row]]
    out = {}
    for cells in ws.iter_rows(min_row=header_row + 1):
        values = {}
        for h, c in zip(headers, cells, strict=False):
            if h is None:
                continue
            v = c.value
            values[h] = v.date() if isinstance(v, datetime) else v
        out[cells[0].row] = values
    return out


# --- comparing a workbook before and after a refresh ----------------------------------------

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


@dataclass
class Package:
    """An xlsx package as parts, with each worksheet's part name by sheet name."""

    parts: dict[str, bytes]
    sheets: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Package:
        """Read every part of the package at ``path``."""
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        book = etree.fromstring(parts["xl/workbook.xml"])
        rels = etree.fromstring(parts["xl/_rels/workbook.xml.rels"])
        targets = {r.get("Id"): r.get("Target") for r in rels}
        sheets = {}
        for s in book.iterfind(".//m:sheet", NS):
            target = targets[s.get(_R_ID)]
            sheets[s.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        return cls(parts, sheets)

    def cells(self, sheet: str) -> dict[tuple[int, int], tuple[str | None, str | None, str]]:
        """Return (row, col) -> (style, type, value or inline text) of a worksheet's cells."""
        root = etree.fromstring(self.parts[self.sheets[sheet]])
        out = {}
        for c in root.iterfind(".//m:sheetData/m:row/m:c", NS):
            v = c.find("m:v", NS)
            text = "".join(c.xpath(".//m:is//m:t/text()", namespaces=NS)) if v is None else v.text
            out[_ref(c.get("r"))] = (c.get("s"), c.get("t"), text or "")
        return out

    def outside_cells(self, sheet: str) -> bytes:
        """Return the worksheet XML without <sheetData> and with the dimension blanked."""
        xml = self.parts[self.sheets[sheet]]
        xml = re.sub(rb"<sheetData\b.*?</sheetData>|<sheetData/>", b"", xml, flags=re.S)
        return re.sub(rb'(<dimension ref=")[^"]*', rb"\1", xml)


def _ref(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


GENERATED = ("统计汇总", "考评排名", "逾期清单", "临期清单", "校验问题",
             "督办人工作量", "差错登记", "回头看清单")  # fmt: skip
_NEW_PART = re.compile(r"xl/(?:worksheets|charts|drawings|worksheets/_rels|drawings/_rels)/")


def changes_outside(
    before: Path, after: Path, allowed: dict[str, set[int]], added: Sequence[str] = GENERATED
) -> list[str]:
    """List what a refresh changed beyond the allowed columns of each ledger sheet.

    ``allowed`` maps each ledger sheet to the 1-based columns the refresh may write (its
    computed columns, and the 编号 column it added). Everything else must be as it was: every
    other part byte for byte, the sheets' cells (value, type and style) and everything
    outside their cells (merges, widths, views); only the sheets in ``added`` (the generated
    ones, and 发文登记 when letters are issued) may be added, after the staff's.
    """
    old, new = Package.read(before), Package.read(after)
    found: list[str] = []
    touched = {old.sheets[s] for s in allowed} | {
        "[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"
    }  # fmt: skip
    for name, data in old.parts.items():
        if name not in touched and new.parts.get(name) != data:
            found.append(f"part {name} changed")
    if list(new.parts)[: len(old.parts)] != list(old.parts):
        found.append("parts reordered")
    found += [f"new part {p}" for p in set(new.parts) - set(old.parts) if not _NEW_PART.match(p)]
    kept, extra = list(new.sheets)[: len(old.sheets)], list(new.sheets)[len(old.sheets) :]
    if kept != list(old.sheets) or not set(extra) <= set(added):
        found.append(f"sheets {list(old.sheets)} became {list(new.sheets)}")
    for sheet, columns in allowed.items():
        was, now = old.cells(sheet), new.cells(sheet)
        for ref in set(was) | set(now):
            if ref[1] not in columns and was.get(ref) != now.get(ref):
                found.append(f"{sheet}!{ref}: {was.get(ref)} -> {now.get(ref)}")
        if old.outside_cells(sheet) != new.outside_cells(sheet):
            found.append(f"{sheet}: outside the cells changed")
    return found
