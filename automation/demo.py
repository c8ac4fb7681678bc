"""Build a realistic demo ledger (`duban demo`): units, items, a feedback history, dirty rows.

Everything comes from ``random.Random(seed)`` and dates relative to ``today``, so the same
seed and today give the same cell values. About 5 % of the rows are deliberately dirty,
one or more for each case of SPEC §3.4; ``DemoData.dirty`` says which cells.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from . import schema
from .errors import DubanError
from .template import (
    LEDGER_FILENAME,
    column_letter,
    new_template_workbook,
    refuse_to_overwrite,
    set_filter_range,
)

# (单位名称, 别名, mailbox): real-sounding county bureaus and townships.
UNITS = (
    ("县发改委", "县发展和改革委员会,发改委", "fgw"),
    ("县财政局", "财政局", "czj"),
    ("县教育局", "县教体局,教育局", "jyj"),
    ("县公安局", "公安局", "gaj"),
    ("县民政局", "民政局", "mzj"),
    ("县人社局", "县人力资源和社会保障局,人社局", "rsj"),
    ("县自然资源局", "自然资源局,县自然资源和规划局", "zrzyj"),
    ("市生态环境局县分局", "县环保局,环保局,生态环境分局", "sthj"),
    ("县住建局", "县住房和城乡建设局,住建局", "zjj"),
    ("县交通运输局", "交通局,县交通局", "jtj"),
    ("县水利局", "水利局", "slj"),
    ("县农业农村局", "农业农村局,县农业局", "nyncj"),
    ("县商务局", "商务局", "swj"),
    ("县文广旅局", "县文化广电和旅游局,文旅局", "wglj"),
    ("县卫健委", "县卫生健康委员会,卫健委", "wjw"),
    ("县应急管理局", "应急局,县应急局", "yjj"),
    ("县市场监管局", "县市场监督管理局,市场监管局", "scjgj"),
    ("县医保局", "县医疗保障局,医保局", "ybj"),
    ("县城管局", "县城市管理局,城管局", "cgj"),
    ("县数据局", "县政务服务和大数据管理局,县政务服务中心", "sjj"),
    ("县工信局", "县工业和信息化局,工信局", "gxj"),
    ("县统计局", "统计局", "tjj"),
    ("城关镇", "城关镇人民政府", "cgz"),
    ("河口镇", "河口镇人民政府", "hkz"),
    ("青石镇", "青石镇人民政府", "qsz"),
    ("桃园乡", "桃园乡人民政府", "tyx"),
    ("柳林乡", "柳林乡人民政府", "llx"),
    ("东湖街道", "东湖街道办事处,东湖办", "dhjd"),
)
TOWNS = tuple(u[0] for u in UNITS[-6:])
# Misspellings a tired clerk types; none is a name or alias of any unit.
TYPOS = {"县住建局": "县住建居", "县发改委": "县发该委", "县人社局": "县人设局", "城关镇": "城官镇"}

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = (
    "建国 海燕 志强 晓东 丽娟 伟 敏 静 磊 军 洋 勇 艳 杰 娜 涛 明 超 秀英 霞 平 刚 桂英 "
    "文斌 红梅 建华 立新 卫东 小龙 春花 国庆 永刚 晓明 俊峰 婷婷 雪梅 志刚 玉兰 宏伟"
).split()
LEADERS = ("王志远", "陈立新", "刘卫东", "张秀兰", "赵建华", "孙海涛")
OWNERS = ("周敏", "吴磊", "郑洁", "冯涛")

# (category, unit or "" for any, content); {n}/{m} become numbers, {town} a township.
TASKS = (
    ("政府工作报告", "县发改委", "谋划储备重大项目{n}个，争取中央预算内投资{m}亿元"),
    ("政府工作报告", "县住建局", "完成城区{n}个老旧小区改造，惠及居民{m}00户"),
    ("政府工作报告", "县交通运输局", "新建改建农村公路{n}公里，实施危桥改造{m}座"),
    ("政府工作报告", "县工信局", "新增规模以上工业企业{n}家，推动{m}家企业智能化改造"),
    ("政府工作报告", "县商务局", "实际利用外资{n}00万美元，新签约亿元以上项目{m}个"),
    ("政府工作报告", "县农业农村局", "新建高标准农田{n}万亩，粮食播种面积稳定在{m}0万亩以上"),
    ("政府工作报告", "县数据局", "推进“高效办成一件事”，{n}项高频事项实现“一网通办”"),
    ("政府工作报告", "市生态环境局县分局", "PM2.5平均浓度下降{n}%，空气优良天数比例达到{m}0%以上"),
    ("民生实事", "县教育局", "新建改扩建公办幼儿园{n}所，新增学位{m}00个"),
    ("民生实事", "县卫健委", "为{n}万名65岁以上老年人提供免费健康体检"),
    ("民生实事", "县民政局", "新建社区嵌入式养老服务站{n}个，新增护理型床位{m}0张"),
    ("民生实事", "县人社局", "城镇新增就业{n}000人，开展职业技能培训{m}000人次"),
    ("民生实事", "县水利局", "实施农村供水提质工程，解决{n}万人饮水安全问题"),
    ("民生实事", "县城管局", "新建改造城区公厕{n}座，新增停车泊位{m}00个"),
    ("民生实事", "县医保局", "实现{n}家村卫生室医保结算全覆盖"),
    ("会议议定", "县自然资源局", "加快{town}片区土地征收，{n}月底前完成地上附着物清点"),
    ("会议议定", "县财政局", "统筹资金{n}000万元保障重点项目建设，按月拨付到位"),
    ("会议议定", "县住建局", "督促{town}安置房项目复工，{n}月底前完成主体封顶"),
    ("会议议定", "县应急管理局", "开展{n}个行业领域安全生产隐患排查整治"),
    ("会议议定", "县市场监管局", "开展校园及周边食品安全专项整治，检查经营主体{n}00家"),
    ("领导批示", "县公安局", "落实县长批示，集中整治城区电动车乱停乱放和“飞线充电”"),
    ("领导批示", "县水利局", "{town}河道清淤及堤防加固，汛前完成{n}公里"),
    ("领导批示", "县人社局", "妥善处置{town}某建设项目拖欠农民工工资问题"),
    ("领导批示", "市生态环境局县分局", "核查群众反映的{town}养殖场异味扰民问题并限期整改"),
    ("领导批示", "县文广旅局", "筹办{town}乡村旅游节，做好安全保障和宣传推介"),
    ("建议提案", "县教育局", "关于解决城区学校“大班额”问题的建议（第{n}号）"),
    ("建议提案", "县交通运输局", "关于增开城乡公交线路方便群众出行的建议（第{n}号）"),
    ("建议提案", "县卫健委", "关于加强乡镇卫生院人才队伍建设的提案（第{n}号）"),
    ("建议提案", "县农业农村局", "关于发展特色农产品深加工的提案（第{n}号）"),
    ("热线交办", "", "12345热线反映{town}某小区雨污管网堵塞，群众出行不便"),
    ("热线交办", "", "12345热线反映{town}部分路段路灯不亮，存在安全隐患"),
    ("热线交办", "", "12345热线反映{town}农贸市场占道经营，影响交通"),
    ("热线交办", "县市场监管局", "12345热线反映城区某商户预付卡退费难"),
    ("上级来文", "县发改委", "落实市政府关于促进民营经济发展的若干措施，梳理惠企政策{n}条"),
    ("上级来文", "县应急管理局", "落实市安委会部署，开展燃气安全专项整治“回头看”"),
    ("上级来文", "县统计局", "做好第五次全国经济普查数据质量核查，抽查单位{n}00家"),
    ("上级来文", "县自然资源局", "落实耕地保护“田长制”，完成{n}处违法占地问题整改"),
    ("其他", "", "配合做好全县营商环境评价迎检，梳理问题清单{n}项"),
    ("其他", "县数据局", "清理规范政务新媒体，关停整合账号{n}个"),
    ("其他", "", "开展“四不两直”暗访发现问题整改，共{n}项"),
)
REQUIREMENTS = (
    "制定工作方案，明确时间节点，按时报送进展情况",
    "主要负责同志亲自抓，分管负责同志具体抓，确保按期完成",
    "细化任务清单，倒排工期，挂图作战",
    "加强与配合单位沟通协调，形成工作合力",
    "办理结果及时答复当事人，做到件件有落实、事事有回音",
    "按要求报送佐证材料（照片、文件、验收报告等）",
)
PROGRESS_TEXTS = (
    (
        30,
        (
            "已制定实施方案，正在开展前期调研",
            "已完成项目立项，正在办理用地等前期手续",
            "已召开专题会议部署，正在摸底排查",
        ),
    ),
    (
        70,
        (
            "已完成约{p}%的工作量，正在加快推进",
            "主体工作已全面铺开，已完成{p}%",
            "已完成招标，施工队伍已进场",
        ),
    ),
    (
        99,
        (
            "主体已完工，正在开展验收准备",
            "已基本完成，正在整理佐证材料",
            "剩余扫尾工作，预计月底前完成",
        ),
    ),
    (
        100,
        ("已全部完成并通过验收", "已办结，已答复当事人，群众表示满意", "已完成整改并报送佐证材料"),
    ),
)
CADENCES = (
    "无", "一次性", "每周五", "每两周", "每月10日", "每月10日、25日", "每季度",
    "每季度末月10日", "4月10日、7月10日、10月10日、12月10日", "每月10日前",
)  # fmt: skip
CATEGORY_CADENCES = {
    "政府工作报告": ("4月10日、7月10日、10月10日、12月10日", "每季度末月10日", "每季度"),
    "民生实事": ("每月10日", "每月10日、25日", "每月10日前"),
    "会议议定": ("每两周", "每周五", "每月10日"),
    "领导批示": ("一次性", "每周五", "每两周"),
    "建议提案": ("每季度", "每月10日前", "一次性"),
    "热线交办": ("一次性", "无"),
    "上级来文": ("每月10日", "每季度", "一次性"),
    "其他": ("无", "每月10日", "一次性"),
}
CATEGORY_WEIGHTS = {"上级来文": 14, "政府工作报告": 12, "民生实事": 14, "会议议定": 14,
                    "领导批示": 9, "建议提案": 16, "热线交办": 12, "其他": 9}  # fmt: skip

# Scenario -> weight; each one decides dates, progress and the typed 办理状态.
SCENARIOS = {
    "normal": 22, "lagging": 6, "due_soon": 6, "overdue": 12, "done": 22, "done_late": 5,
    "closed": 10, "ongoing": 8, "extended": 3, "extension_requested": 2,
    "adjusted": 1, "cancelled": 1, "suspended": 1,
}  # fmt: skip
FIXED_STATUS = {
    "adjusted": "已调整",
    "cancelled": "已取消",
    "suspended": "暂缓",
    "closed": "已销号",
}

# Every case of SPEC §3.4 the demo injects, with what it looks like.
DIRTY_CASES = {
    "date_serial": "交办日期是 Excel 序列号数字",
    "date_dash": "日期写成 2026-3-5",
    "date_slash": "日期写成 2026/03/05",
    "date_dot": "日期写成 2026.3.5",
    "date_chinese": "日期写成 2026年3月5日",
    "date_month_day": "日期只写 3月5日（当年）",
    "date_spaces": "日期前后有空格",
    "date_fullwidth": "日期用全角数字",
    "date_invalid": "无效日期 2026.13.5",
    "unit_typo": "责任单位有错别字",
    "unit_alias": "责任单位写的是别名",
    "unit_spaces": "责任单位末尾有空格",
    "id_duplicate": "编号重复",
    "id_blank": "编号为空",
    "progress_percent": "完成进度写成 80%",
    "progress_fraction": "完成进度写成 0.8",
    "progress_formula": "完成进度是公式（无缓存结果，如未经 Excel 保存的文件）",
    "done_before_assigned": "办结日期早于交办日期",
    "done_without_date": "已办结但没有办结日期",
    "closed_without_date": "已销号但没有办结日期",
    "bad_cadence": "反馈周期无法识别",
    "typed_in_computed": "在系统计算列手工填写",
    "merged_cells": "合并单元格",
    "hidden_row": "隐藏行",
    "empty_rows": "数据中间有空行",
}
# Fewer items cannot hold every category, scenario, cadence and dirty case at once.
MIN_ITEMS = 100
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class DemoData:
    """The demo's rows, sheet by sheet, and where each dirty case was put."""

    ledger: list[dict | None]  # one dict per ledger row by column key; None = an empty row
    units: list[list]
    progress_log: list[list]
    calendar: list[list]
    settings: dict[str, object]
    dirty: dict[str, list[str]] = field(default_factory=dict)  # case -> cells like 督办事项!K12
    hidden_rows: list[int] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)


def build_demo(directory: Path, *, seed: int, items: int, today: date, force: bool) -> Path:
    """Write the demo ledger `督查台账.xlsx` into directory and return its path."""
    directory = Path(directory)
    path = directory / LEDGER_FILENAME
    refuse_to_overwrite(path, force=force)
    data = make_demo_data(seed=seed, items=items, today=today)
    directory.mkdir(parents=True, exist_ok=True)
    wb = new_template_workbook()
    fill_workbook(wb, data)
    wb.save(path)
    return path


def make_demo_data(*, seed: int, items: int, today: date) -> DemoData:
    """Generate every demo row from seed and today, touching no file."""
    if items < MIN_ITEMS:
        raise DubanError(
            f"演示事项数 {items} 太少，装不下每种类别、状态和问题示例",
            f"请把 --items 设为 {MIN_ITEMS} 或更大",
        )
    rng = random.Random(seed)
    units = _make_units(rng)
    plan = _plan(rng, items)
    rows = [
        _make_item(rng, today, i, category, scenario) for i, (category, scenario) in enumerate(plan)
    ]
    _cover_cadences(rng, rows)
    rows.sort(key=lambda r: (r["assigned_on"], r["content"]))
    seq: dict[int, int] = {}
    for row in rows:
        year = row["assigned_on"].year
        seq[year] = seq.get(year, 0) + 1
        row["id"] = f"DB-{year}-{seq[year]:03d}"
    log = _make_progress_log(rng, rows, today)
    data = DemoData(
        ledger=list(rows),
        units=units,
        progress_log=log,
        calendar=_make_calendar(today),
        settings={"联系人": "周敏", "联系电话": "0370-5551234",
                  "领导邮箱": "xianzhang@example.gov.cn,dcs-zr@example.gov.cn",
                  "督查室邮箱": "duchashi@example.gov.cn"},
    )  # fmt: skip
    _inject_dirty(rng, data, today)
    return data


def fill_workbook(wb: Workbook, data: DemoData) -> None:
    """Write the demo rows into a template workbook, with hidden rows and merged cells."""
    ws = wb[schema.LEDGER]
    keys = [c.key for c in schema.LEDGER_COLUMNS]
    for r, row in enumerate(data.ledger, start=2):
        for c, key in enumerate(keys, start=1):
            if row is not None and row.get(key) not in (None, ""):
                ws.cell(row=r, column=c, value=row[key])
    for r in data.hidden_rows:
        ws.row_dimensions[r].hidden = True
    for cells in data.merged:
        ws.merge_cells(cells)
    set_filter_range(ws, len(data.ledger) + 1)
    for name, rows in ((schema.UNITS, data.units), (schema.PROGRESS_LOG, data.progress_log),
                       (schema.CALENDAR, data.calendar)):  # fmt: skip
        sheet = wb[name]
        for values in rows:
            sheet.append(values)
        set_filter_range(sheet, len(rows) + 1)
    settings = wb[schema.SETTINGS]
    for row in settings.iter_rows(min_row=2, max_col=2):
        if row[0].value in data.settings:
            row[1].value = data.settings[row[0].value]


# --- generation -------------------------------------------------------------------------


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"


def _make_units(rng: random.Random) -> list[list]:
    rows = []
    for name, aliases, mailbox in UNITS:
        cc = f"{mailbox}-bgs@example.gov.cn" if rng.random() < 0.35 else None
        rows.append([name, aliases, _person(rng), _person(rng), _person(rng), _phone(rng),
                     f"{mailbox}@example.gov.cn", cc])  # fmt: skip
    return rows


def _month_end(d: date) -> date:
    first_next = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _plan(rng: random.Random, items: int) -> list[tuple[str, str]]:
    """Pick each item's category and scenario; every one of both appears at least once."""
    weights = [CATEGORY_WEIGHTS[c] for c in schema.CATEGORIES]
    categories = list(schema.CATEGORIES) + rng.choices(schema.CATEGORIES, weights, k=items)
    scenarios = list(SCENARIOS) + rng.choices(list(SCENARIOS), list(SCENARIOS.values()), k=items)
    rng.shuffle(categories)  # the forced ones are not all in the first rows
    return list(zip(categories[:items], scenarios[:items], strict=True))


def _make_item(rng: random.Random, today: date, index: int, category: str, scenario: str) -> dict:
    _, unit, text = rng.choice([t for t in TASKS if t[0] == category])
    town = rng.choice(TOWNS)
    unit = unit or town
    content = text.format(n=rng.randint(2, 30), m=rng.randint(2, 9), town=town)
    assigned = today - timedelta(days=int(rng.triangular(8, 330, 150)))
    if category in ("政府工作报告", "民生实事") and assigned.month > 3:
        assigned = date(assigned.year, 2, rng.randint(18, 28))
    row = {
        "category": category, "content": content, "unit": unit, "leader": rng.choice(LEADERS),
        "requirement": rng.choice(REQUIREMENTS), "person": _person(rng), "phone": _phone(rng),
        "owner": rng.choice(OWNERS), "cadence": rng.choice(CATEGORY_CADENCES[category]),
        "assigned_on": assigned, "typed_status": "办理中" if rng.random() < 0.8 else None,
        "source": _source(rng, category, assigned, index), "_scenario": scenario,
    }  # fmt: skip
    if rng.random() < 0.3:
        row["co_units"] = "、".join(
            rng.sample([u[0] for u in UNITS if u[0] != unit], rng.randint(1, 2))
        )
    _apply_scenario(rng, row, today)
    return row


def _source(rng: random.Random, category: str, assigned: date, index: int) -> str:
    y = assigned.year
    return {
        "政府工作报告": f"{y}年县政府工作报告",
        "民生实事": f"{y}年县十件民生实事",
        "会议议定": f"县政府常务会议纪要〔{y}〕{rng.randint(1, 30)}号",
        "领导批示": f"{rng.choice(LEADERS)}同志{assigned.month}月{assigned.day}日批示",
        "建议提案": rng.choice((f"县人大代表建议（{y}年第{index % 90 + 1}号）", f"县政协提案（{y}年第{index % 90 + 1}号）")),
        "热线交办": f"12345热线工单{assigned:%Y%m%d}{rng.randint(1000, 9999)}",
        "上级来文": f"市政办〔{y}〕{rng.randint(5, 120)}号",
        "其他": rng.choice(("县政府督查室专项督查", "县领导调研交办", "县委县政府联合督查")),
    }[category]  # fmt: skip


def _apply_scenario(rng: random.Random, row: dict, today: date) -> None:
    """Fill deadline, extension, progress, feedback and completion for the row's scenario."""
    s, assigned = row["_scenario"], row["assigned_on"]
    days = lambda a, b: timedelta(days=rng.randint(a, b))  # noqa: E731
    if s in ("normal", "lagging", "extended", "extension_requested", "adjusted", "suspended"):
        deadline = today + days(12, 160)
        deadline = _month_end(deadline) if rng.random() < 0.5 else deadline
    elif s == "due_soon":
        deadline = today + days(1, 5)
    elif s == "overdue":
        deadline = today - days(1, 40)
    elif s == "done_late":
        deadline = today - days(15, 90)
    else:  # done, closed, cancelled
        deadline = assigned + days(30, 200)
    if deadline <= assigned + timedelta(days=10):
        assigned = row["assigned_on"] = deadline - days(30, 120)
    row["deadline"] = deadline
    elapsed = (today - assigned).days / max((deadline - assigned).days, 1)
    progress = int(min(95, max(5, round(elapsed * 100 + rng.randint(-10, 15), -1))))
    if s == "lagging":
        progress = max(0, progress - rng.randint(3, 5) * 10)
    if s == "extended" or s == "extension_requested":
        original = max(assigned + timedelta(days=15), today - days(-5, 20))
        row["extended_to"], row["deadline"] = deadline, original
        row["note"] = f"经{row['leader']}同意延期"
        row["typed_status"] = "申请延期" if s == "extension_requested" else "办理中"
    if s == "ongoing":
        row["deadline"] = rng.choice(schema.ONGOING_WORDS)
        row["cadence"] = rng.choice(("每月10日", "每季度", "每两周", "每月10日前"))
        progress = None
    if s in ("done", "closed", "done_late"):
        latest = min(deadline, today - timedelta(days=1)) if s != "done_late" else deadline
        if s == "done_late":
            done = deadline + days(1, max(1, min(20, (today - deadline).days - 1)))
        else:
            done = assigned + timedelta(days=rng.randint(5, max(5, (latest - assigned).days)))
        row["done_on"], progress = done, 100
        row["typed_status"] = "已办结" if s != "closed" else "已销号"
    if s in FIXED_STATUS and s != "closed":
        row["typed_status"] = FIXED_STATUS[s]
        row["note"] = {"adjusted": "经县政府常务会议研究，调整为年度重点工作",
                       "cancelled": "因上级政策调整，经县领导同意取消",
                       "suspended": "因项目规划调整暂缓实施"}[s]  # fmt: skip
    row["progress"] = progress
    if row["cadence"] not in ("无", "一次性") and rng.random() < 0.85:
        end = row.get("done_on") or today
        row["last_feedback_on"] = max(assigned, end - days(0, 45))
    row["latest_progress"] = _progress_text(rng, progress)


def _progress_text(rng: random.Random, progress: int | None) -> str:
    p = 50 if progress is None else progress
    texts = next(t for limit, t in PROGRESS_TEXTS if p <= limit)
    return rng.choice(texts).format(p=p)


def _cover_cadences(rng: random.Random, rows: list[dict]) -> None:
    """Give every cadence form of SPEC §4.3 to at least one open item."""
    open_rows = [r for r in rows if r["_scenario"] in ("normal", "lagging", "overdue", "due_soon")]
    chosen = rng.sample(open_rows, len(CADENCES))
    for row, cadence in zip(chosen, CADENCES, strict=True):
        row["cadence"] = cadence
        row["_covered"] = True


def _make_progress_log(rng: random.Random, rows: list[dict], today: date) -> list[list]:
    """Write each item's feedback history back from its latest feedback, oldest first."""
    log = []
    for row in rows:
        last = row.get("last_feedback_on")
        if last is None:
            continue
        assigned, final = row["assigned_on"], row["progress"]
        when, reports = last, []
        while when > assigned + timedelta(days=7) and len(reports) < 5:
            reports.append(when)
            when -= timedelta(days=rng.randint(20, 45))
        for when in reversed(reports):
            share = (when - assigned).days / max((last - assigned).days, 1)
            progress = None if final is None else int(round(final * share, -1))
            evidence = rng.choice(("", "", "现场照片", "工作方案", "会议纪要", "验收报告"))
            log.append([when, row["id"], row["unit"], _progress_text(rng, progress), progress,
                        evidence or None, row["person"]])  # fmt: skip
        if rng.random() < 0.2:  # the latest date lives only in 进展记录, as after `duban collect`
            row["last_feedback_on"] = None
    log.sort(key=lambda r: (r[0], r[1]))
    return log


def _make_calendar(today: date) -> list[list]:
    """Next year's fixed statutory holidays, as an office adds them before chinesecalendar does."""
    y = today.year + 1
    note = "法定节假日（调休安排待国务院办公厅通知公布后补充）"
    return [
        [date(y, 1, 1), "休", f"元旦 {note}"],
        [date(y, 5, 1), "休", f"劳动节 {note}"],
        *[[date(y, 10, d), "休", f"国庆节 {note}"] for d in (1, 2, 3)],
    ]


# --- dirty rows (SPEC §3.4) ------------------------------------------------------------


def _inject_dirty(rng: random.Random, data: DemoData, today: date) -> None:
    """Spoil a few rows the way real ledgers are spoiled, recording each case's cells."""
    rows: list[dict] = data.ledger  # type: ignore[assignment]
    logged = {entry[1] for entry in data.progress_log}
    pool = [r for r in rows if not r.get("_covered")]
    rng.shuffle(pool)
    marks: list[tuple[str, dict, str]] = []

    def take(case: str, key: str, when=lambda r: True) -> dict:
        row = next(r for r in pool if when(r))
        pool.remove(row)
        marks.append((case, row, key))
        return row

    def dated(r: dict) -> bool:
        return isinstance(r.get("deadline"), date) and r["_scenario"] in ("normal", "overdue")

    for case, form in (("date_dash", "{y}-{m}-{d}"), ("date_dot", "{y}.{m}.{d}"),
                       ("date_chinese", "{y}年{m}月{d}日"), ("date_fullwidth", "{y}-{m}-{d}")):  # fmt: skip
        row = take(case, "deadline", dated)
        d = row["deadline"]
        text = form.format(y=d.year, m=d.month, d=d.day)
        row["deadline"] = text.translate(FULLWIDTH) if case == "date_fullwidth" else text
    row = take(
        "date_month_day", "deadline", lambda r: dated(r) and r["deadline"].year == today.year
    )
    row["deadline"] = f"{row['deadline'].month}月{row['deadline'].day}日"
    row = take("date_invalid", "deadline", dated)
    row["deadline"] = f"{row['deadline'].year}.13.{row['deadline'].day}"
    row = take("date_slash", "assigned_on")
    row["assigned_on"] = f"{row['assigned_on']:%Y/%m/%d}"
    row = take("date_spaces", "assigned_on")
    row["assigned_on"] = f" {row['assigned_on'].isoformat()}  "
    row = take("date_serial", "assigned_on")
    row["assigned_on"] = (row["assigned_on"] - date(1899, 12, 30)).days

    take("unit_typo", "unit")["unit"] = rng.choice(list(TYPOS.values()))
    row = take("unit_alias", "unit")
    row["unit"] = next(a for name, a, _ in UNITS if name == row["unit"]).split(",")[0]
    row = take("unit_spaces", "unit")
    row["unit"] += "  "

    def unlogged(r: dict) -> bool:  # its 编号 has no 进展记录 rows to orphan
        return r["id"] not in logged

    take("id_duplicate", "id", unlogged)["id"] = rng.choice(rows[:50])["id"]
    take("id_blank", "id", unlogged)["id"] = None

    def partial(r: dict) -> bool:
        return isinstance(r.get("progress"), int) and 0 < r["progress"] < 100

    row = take("progress_percent", "progress", partial)
    row["progress"] = f"{row['progress']}%"
    row = take("progress_fraction", "progress", partial)
    row["progress"] = row["progress"] / 100
    row = take("progress_formula", "progress", partial)
    row["progress"] = f"={row['progress'] - 20}+20"

    row = take("done_before_assigned", "done_on", lambda r: r["_scenario"] == "done")
    row["done_on"] = row["assigned_on"] - timedelta(days=rng.randint(3, 30))
    take("done_without_date", "done_on", lambda r: r["_scenario"] == "done")["done_on"] = None
    take("closed_without_date", "done_on", lambda r: r["_scenario"] == "closed")["done_on"] = None
    take("bad_cadence", "cadence")["cadence"] = rng.choice(("看情况报送", "随时", "每月上旬末"))
    row = take("typed_in_computed", "light")
    row["light"], row["status"] = "绿", "正常推进"
    hidden = take("hidden_row", "id", lambda r: r["_scenario"] in ("cancelled", "done", "closed"))

    merged_at = rows.index(next(r for r in pool if rows.index(r) < len(rows) - 1))
    rows[merged_at + 1]["leader"] = rows[merged_at]["leader"]
    marks.append(("merged_cells", rows[merged_at], "leader"))

    gap = len(rows) * 3 // 5
    data.ledger = rows[:gap] + [None, None] + rows[gap:]
    sheet_row = {id(r): n for n, r in enumerate(data.ledger, start=2) if r is not None}
    data.dirty = {case: [] for case in DIRTY_CASES}
    for case, row, key in marks:
        data.dirty[case].append(
            f"{schema.LEDGER}!{column_letter(schema.LEDGER, key)}{sheet_row[id(row)]}"
        )
    data.dirty["empty_rows"] = [f"{schema.LEDGER}!A{gap + 2}", f"{schema.LEDGER}!A{gap + 3}"]
    data.hidden_rows = [sheet_row[id(hidden)]]
    leader = column_letter(schema.LEDGER, "leader")
    first = sheet_row[id(rows[merged_at])]
    data.merged = [f"{leader}{first}:{leader}{first + 1}"]
