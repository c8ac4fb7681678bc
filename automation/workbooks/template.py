"""Build the empty ledger workbook (`duban init`): every sheet, header, drop-down and colour rule.

The workbook is built in code from `schema`, so the template, the reader and the writers
agree on names. Formats that depend on computed values are conditional formats, so a
refresh only ever writes values.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from automation import __version__, schema, settings
from automation.errors import DubanError
from automation.schema import Light, Status

LEDGER_FILENAME = "督查台账.xlsx"

# Validations and colour rules reach this far down, so rows staff add later are covered.
LAST_ROW = 5000
UNIT_LIST_REF = f"'{schema.UNITS}'!$A$2:$A$1000"
GENERATED_NOTE = "本表由系统刷新时自动生成，请勿在此填写（每次刷新会整表重写）"
CALENDAR_NOTE = (
    "填写说明：每行一个日期。类型填“休”（放假）或“班”（调休上班）。"
    "此表优先于内置节假日；国务院办公厅公布下一年放假安排后，请在此逐日补充。"
)
LOOKBACK_NOTE = (
    "填写说明：对“回头看清单”中的事项回头看后，每次检查登记一行。结论填“巩固”的，该事项不再列入清单；"
    "填“反弹”的，该事项重新打开（计算状态“回头看反弹”，红灯），整改到位后请填写新的办结日期或再登记一行“巩固”。"
)

DATE_FORMAT = "yyyy-mm-dd"
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)

INPUT_HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
COMPUTED_HEADER_FILL = PatternFill("solid", start_color="BFBFBF", end_color="BFBFBF")
GENERATED_TAB_COLOR = "A6A6A6"
THIN = Side(style="thin", color="808080")
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

# 预警 light -> (fill, font colour) for its conditional format.
LIGHT_COLOURS = {
    Light.RED: ("FF0000", "FFFFFF"),
    Light.YELLOW: ("FFFF00", "000000"),
    Light.GREEN: ("00B050", "FFFFFF"),
    Light.BLUE: ("5B9BD5", "FFFFFF"),
    Light.GREY: ("BFBFBF", "000000"),
}
OVERDUE_ROW_FILL = "FFC7CE"
OVERDUE_STATUS = Status.OVERDUE

PROGRESS_INPUT_HINT = "填写完成百分比，如 80%、0.8 或 80 均可"
# A note (comment) on 参数设置's first header: visible on hover, never read as a setting.
VERSION_NOTE = (
    f"本台账由 duban {__version__} 生成（此处只是说明，不是参数）。"
    "本机已安装的 duban 版本可运行 duban --version 查看。"
)


def build_template(directory: Path, *, force: bool = False) -> Path:
    """Write an empty ledger `督查台账.xlsx` into directory; refuse to overwrite unless force."""
    directory = Path(directory)
    path = directory / LEDGER_FILENAME
    refuse_to_overwrite(path, force=force)
    directory.mkdir(parents=True, exist_ok=True)
    write_template_workbook(path)
    return path


def refuse_to_overwrite(path: Path, *, force: bool) -> None:
    """Raise a DubanError when path exists and force is not set."""
    if path.exists() and not force:
        raise DubanError(
            f"文件已存在：{path}，为防止覆盖已录入的台账，未做任何改动",
            "如确需重新生成，请先备份原文件，再加 --force 覆盖",
        )


def write_template_workbook(path: Path) -> None:
    """Save a new empty ledger workbook at path."""
    new_template_workbook().save(path)


def new_template_workbook() -> Workbook:
    """Return the empty ledger workbook (not saved), ready to be filled with rows."""
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    wb.properties.creator = "duban"
    wb.properties.title = "督查台账"
    for name in schema.STAFF_SHEETS:
        ws = wb.create_sheet(name)
        _lay_out_sheet(ws, schema.SHEET_COLUMNS[name])
    _set_up_ledger(wb[schema.LEDGER])
    _set_up_units(wb[schema.UNITS])
    _set_up_progress_log(wb[schema.PROGRESS_LOG])
    _set_up_letter_log(wb[schema.LETTER_LOG])
    _set_up_settings(wb[schema.SETTINGS])
    _set_up_calendar(wb[schema.CALENDAR])
    _set_up_lookback_log(wb[schema.LOOKBACK_LOG])
    for name in schema.GENERATED_SHEETS + schema.FOLDER_SHEETS:
        ws = wb.create_sheet(name)
        ws["A1"] = GENERATED_NOTE
        ws["A1"].font = Font(italic=True, color="808080")
        ws.sheet_properties.tabColor = GENERATED_TAB_COLOR
    wb.active = 0
    return wb


def column_letter(sheet: str, key: str) -> str:
    """Return the template's column letter of a column key on a staff sheet."""
    keys = [c.key for c in schema.SHEET_COLUMNS[sheet]]
    return get_column_letter(keys.index(key) + 1)


def set_filter_range(ws: Worksheet, last_row: int) -> None:
    """Stretch the sheet's autofilter over its header and rows 2..last_row."""
    ws.auto_filter.ref = f"A1:{get_column_letter(ws.max_column)}{max(last_row, 1)}"


# --- layout shared by every staff sheet --------------------------------------------------


def _lay_out_sheet(ws: Worksheet, columns: tuple[schema.Column, ...]) -> None:
    """Write the header row and set widths, column formats, frozen header, filter and print."""
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = HEADER_BORDER
        cell.fill = COMPUTED_HEADER_FILL if column.computed else INPUT_HEADER_FILL
        if column.computed:
            comment = Comment(schema.COMPUTED_MARK, "duban")
            comment.width, comment.height = 180, 40
            cell.comment = comment
        dimension = ws.column_dimensions[letter]
        dimension.width = column.width
        if column.kind == "date":
            dimension.number_format = DATE_FORMAT
        elif column.kind == "int":
            dimension.number_format = "0"
        elif column.kind == "longtext":
            dimension.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "A2"
    set_filter_range(ws, 1)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = True
    for index, column in enumerate(columns, start=1):
        # 办结时限 also accepts 长期 etc., so the ledger gives it its own rule.
        deadline = ws.title == schema.LEDGER and column.key == "deadline"
        if column.kind == "date" and not column.computed and not deadline:
            _add_date_validation(ws, get_column_letter(index), column)


def _rows(letter: str, first: int = 2, last: int = LAST_ROW) -> str:
    return f"{letter}{first}:{letter}{last}"


def _add_validation(ws: Worksheet, rows: str, **options) -> DataValidation:
    """Attach one data validation covering rows (an A1 range) and return it."""
    dv = DataValidation(allow_blank=True, showErrorMessage=True, showInputMessage=True, **options)
    ws.add_data_validation(dv)
    dv.add(rows)
    return dv


def _add_date_validation(ws: Worksheet, letter: str, column: schema.Column) -> None:
    _add_validation(
        ws,
        _rows(letter),
        type="date",
        operator="between",
        formula1=str(int(to_excel(DATE_MIN))),
        formula2=str(int(to_excel(DATE_MAX))),
        errorTitle="日期格式不正确",
        error=f"{column.header}请填写如 2026-03-05 的日期（2000 年至 2100 年之间）",
        promptTitle=column.header,
        prompt="请填写日期，如 2026-03-05",
    )


def _add_list_validation(
    ws: Worksheet, rows: str, values: tuple[str, ...], title: str
) -> DataValidation:
    return _add_validation(
        ws,
        rows,
        type="list",
        formula1='"' + ",".join(values) + '"',
        errorTitle=f"{title}不在列表中",
        error=f"{title}请从下拉列表中选择：" + "、".join(values),
        promptTitle=title,
        prompt="请从下拉列表中选择",
    )


# --- per-sheet set-up ------------------------------------------------------------------


def _set_up_ledger(ws: Worksheet) -> None:
    """Add the ledger's drop-downs, deadline rule, progress hint and colour rules."""
    ws.freeze_panes = "C2"  # header row plus 编号 and 事项类别 stay in view
    letter = partial(column_letter, schema.LEDGER)
    _add_list_validation(ws, _rows(letter("category")), schema.CATEGORIES, "事项类别")
    _add_list_validation(ws, _rows(letter("typed_status")), schema.TYPED_STATUSES, "办理状态")
    _add_validation(
        ws,
        _rows(letter("unit")),
        type="list",
        formula1=UNIT_LIST_REF,
        errorStyle="warning",  # aliases are legitimate; the refresh matches them
        errorTitle="责任单位不在单位名单中",
        error="该单位不在“责任单位”表中。请从下拉列表选择，或先在“责任单位”表中添加该单位（或其别名）",
        promptTitle="责任单位",
        prompt="请从下拉列表选择；新单位请先加入“责任单位”表",
    )
    deadline = letter("deadline")
    ongoing = ",".join(f'{deadline}2="{w}"' for w in schema.ONGOING_WORDS)
    _add_validation(
        ws,
        _rows(deadline),
        type="custom",
        formula1=(
            f"OR(AND(ISNUMBER({deadline}2),{deadline}2>={int(to_excel(DATE_MIN))},"
            f"{deadline}2<={int(to_excel(DATE_MAX))}),{ongoing})"
        ),
        errorTitle="办结时限格式不正确",
        error="办结时限请填写如 2026-03-05 的日期；长期任务填写“长期”“持续推进”或“常态化”",
        promptTitle="办结时限",
        prompt="填写日期如 2026-03-05；长期任务填“长期”",
    )
    _add_validation(
        ws, _rows(letter("progress")), promptTitle="完成进度", prompt=PROGRESS_INPUT_HINT
    )
    _add_validation(
        ws,
        _rows(letter("cadence")),
        promptTitle="反馈周期",
        prompt="如：一次性、每周五、每两周、每月10日、每月10日、25日、每季度、4月10日、7月10日",
    )
    computed = schema.LEDGER_COMPUTED_COLUMNS
    first = column_letter(schema.LEDGER, computed[0].key)
    last = column_letter(schema.LEDGER, computed[-1].key)
    _add_validation(
        ws,
        f"{first}2:{last}{LAST_ROW}",
        promptTitle="系统计算列",
        prompt=schema.COMPUTED_MARK,
    )
    ws.column_dimensions[
        column_letter(schema.LEDGER, "updated_at")
    ].number_format = "yyyy-mm-dd hh:mm"
    _add_colour_rules(ws)


def _add_colour_rules(ws: Worksheet) -> None:
    """Colour the 预警 cell by its light and the whole row when 计算状态 is 逾期."""
    light = column_letter(schema.LEDGER, "light")
    for word, (fill, font) in LIGHT_COLOURS.items():
        ws.conditional_formatting.add(
            _rows(light),
            CellIsRule(
                operator="equal",
                formula=[f'"{word}"'],
                fill=PatternFill("solid", start_color=fill, end_color=fill),
                font=Font(color=font, bold=True),
            ),
        )
    status = column_letter(schema.LEDGER, "status")
    last = get_column_letter(len(schema.LEDGER_COLUMNS))
    ws.conditional_formatting.add(
        f"A2:{last}{LAST_ROW}",
        FormulaRule(
            formula=[f'${status}2="{OVERDUE_STATUS}"'],
            fill=PatternFill("solid", start_color=OVERDUE_ROW_FILL, end_color=OVERDUE_ROW_FILL),
        ),
    )


def _set_up_units(ws: Worksheet) -> None:
    aliases = column_letter(schema.UNITS, "aliases")
    _add_validation(
        ws,
        _rows(aliases, last=1000),
        promptTitle="别名",
        prompt="多个别名用逗号分隔，如：县发改委,发改委",
    )
    for key in ("email", "cc"):
        _add_validation(
            ws,
            _rows(column_letter(schema.UNITS, key), last=1000),
            promptTitle="邮箱",
            prompt="多个邮箱用逗号分隔",
        )
    # 类型 lets a cell say 各乡镇 / 县直各单位 and mean every unit of that kind; other words allowed.
    kind = _add_list_validation(
        ws, _rows(column_letter(schema.UNITS, "kind"), last=1000), schema.UNIT_KINDS, "类型"
    )
    kind.errorStyle = "information"
    kind.promptTitle, kind.prompt = (
        "类型",
        "部门、乡镇或街道：台账中写“各乡镇”“县直各单位”时按类型展开",
    )
    _add_validation(
        ws,
        _rows(column_letter(schema.UNITS, "phone"), last=1000),
        promptTitle="联系电话",
        prompt="填联系人的手机号，钉钉、企业微信群提醒时会@此人",
    )
    _add_validation(
        ws,
        _rows(column_letter(schema.UNITS, "group"), last=1000),
        promptTitle="通知群",
        prompt="填 duban.toml 中群机器人的名称（[robot.名称]），多个用逗号分隔；"
        "留空发到第一个机器人所在的群，填“无”不发群消息",
    )


def _set_up_progress_log(ws: Worksheet) -> None:
    _add_validation(
        ws,
        _rows(column_letter(schema.PROGRESS_LOG, "progress")),
        promptTitle="完成进度",
        prompt=PROGRESS_INPUT_HINT,
    )


def _set_up_letter_log(ws: Worksheet) -> None:
    """Offer 状态 as a drop-down: staff approve (已审定) or send back (退回) a 送审稿 there."""
    state = column_letter(schema.LETTER_LOG, "state")
    _add_list_validation(ws, _rows(state), schema.LETTER_STATES, "状态")


def _set_up_settings(ws: Worksheet) -> None:
    """Fill 参数设置 with every setting and its default, one validated value per row."""
    value = column_letter(schema.SETTINGS, "value")
    for row, (key, spec) in enumerate(settings.SPECS.items(), start=2):
        ws.cell(row=row, column=1, value=spec.name)
        default = getattr(settings.DEFAULTS, key)
        ws.cell(
            row=row,
            column=2,
            value=settings.default_text(key) if isinstance(default, tuple) else default,
        )
        ws.cell(row=row, column=3, value=f"{spec.help}（{spec.describe()}）").alignment = Alignment(
            wrap_text=True
        )
        cell = f"{value}{row}"
        if spec.kind in ("int", "float"):
            what = "整数" if spec.kind == "int" else "数字"
            _add_validation(
                ws, cell, type="whole" if spec.kind == "int" else "decimal", operator="between",
                formula1=settings.number_text(spec.minimum or 0),
                formula2=settings.number_text(spec.maximum if spec.maximum is not None else 10**9),
                errorTitle=f"应为{what}", error=f"{spec.name}请填写{spec.describe()}",
            )  # fmt: skip
        elif spec.kind in ("choice", "yesno"):
            _add_list_validation(ws, cell, spec.choices, spec.name)
    ws.freeze_panes = "B2"
    set_filter_range(ws, len(settings.SPECS) + 1)
    ws["A1"].comment = Comment(VERSION_NOTE, "duban", width=260, height=80)


def _set_up_lookback_log(ws: Worksheet) -> None:
    """回头看记录: a 结论 drop-down (巩固/反弹) and a note on what each does (docs/rules.md §15)."""
    verdict = column_letter(schema.LOOKBACK_LOG, "verdict")
    _add_list_validation(ws, _rows(verdict), tuple(schema.Verdict), "结论")
    note = ws.cell(row=1, column=len(schema.LOOKBACK_COLUMNS) + 2, value=LOOKBACK_NOTE)
    note.font = Font(italic=True, color="808080")
    note.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions[note.column_letter].width = 60


def _set_up_calendar(ws: Worksheet) -> None:
    kind = column_letter(schema.CALENDAR, "kind")
    _add_list_validation(ws, _rows(kind), schema.CALENDAR_KINDS, "类型")
    note = ws.cell(row=1, column=len(schema.CALENDAR_COLUMNS) + 2, value=CALENDAR_NOTE)
    note.font = Font(italic=True, color="808080")
    note.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions[note.column_letter].width = 60
