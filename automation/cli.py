"""The `duban` command line: a thin skin over the library (one library call per command).

The contract (Chinese messages, exit codes, --json, shared options) lives in cli_contract.
"""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

import click

from automation.cli_contract import (
    EXIT_PROBLEMS,
    DubanGroup,
    dry_run_option,
    echo_report,
    json_option,
    ledger_argument,
    parse_today,
    today_option,
    unit_option,
)
from automation.errors import UsageError
from automation.schema import LETTER_TYPES


def _letter_types(ctx, param, values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if value not in LETTER_TYPES:
            raise UsageError(
                f"--type：文书类型“{value}”无法识别", f"请写成 {'、'.join(LETTER_TYPES)} 之一"
            )
    return values


def _limit(ctx, param, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise UsageError(f"--limit：“{value}”不是非负整数", "请写成 0、1、2 这样的数，如 --limit 5")
    return int(value)


@click.group(cls=DubanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    package_name="duban", message="duban %(version)s", help="显示版本号后退出 / show the version"
)
def cli():
    """duban 督办台账自动化：刷新台账、生成文书、发送提醒、看板与反馈收集。

    Supervision-ledger automation for a 督查室. 退出码见 README“退出码”一节。
    """


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path), default=".")
@click.option("--force", is_flag=True, help="覆盖已有文件 / overwrite an existing file")
@click.option(
    "--xlsm",
    is_flag=True,
    help="生成带“刷新台账”按钮的 督查台账.xlsm / build the .xlsm with the refresh button",
)
def init(directory: Path, force: bool, xlsm: bool):
    """在 DIRECTORY 新建空白台账 督查台账.xlsx / create a new empty ledger workbook."""
    from automation.workbooks.template import build_template

    path = build_template(directory, force=force)
    if xlsm:
        from automation.workbooks.xlsm import convert_to_xlsm

        path = convert_to_xlsm(path, force=force, replace=True)
    click.echo(f"已创建台账：{path}")


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path), default="demo")
@click.option("--seed", default=2026, type=int, show_default=True, help="随机种子 / random seed")
@click.option("--items", default=320, type=int, show_default=True, help="事项数 / number of items")
@click.option(
    "--force",
    is_flag=True,
    help="覆盖已有演示台账（连同其刷新历史和输出）/ overwrite an existing demo and its outputs",
)
@click.option(
    "--xlsm",
    is_flag=True,
    help="生成带“刷新台账”按钮的 .xlsm 演示台账 / build the demo as .xlsm with the button",
)
@today_option
def demo(directory: Path, seed: int, items: int, force: bool, xlsm: bool, today: str | None):
    """生成演示台账并运行刷新（含当天文书）/ build the demo ledger and run the main job on it.

    演示前一个工作日生成的送审稿中有一份已审定、今天编号发出，其余在“发文登记”中待审定。
    """
    from automation.workbooks.demo import build_demo
    from automation.workbooks.demo_review import run_demo

    day = parse_today(today)
    path = build_demo(directory, seed=seed, items=items, today=day, force=force)
    if xlsm:
        from automation.workbooks.xlsm import convert_to_xlsm

        path = convert_to_xlsm(path, force=force, replace=True)
    click.echo(f"演示台账：{path}")
    click.echo(run_demo(path, today=day).summary())


@cli.command()
@ledger_argument
@today_option
@json_option
def check(ledger: Path, today: str | None, as_json: bool):
    """校验台账并列出问题（不写入）/ validate the ledger and list problems.

    与 refresh --dry-run 用同一套计算，问题完全一致。退出码：0 无问题，1 有问题，2 文件无法读取。
    """
    from automation.check import check_ledger, render_problems

    result = check_ledger(ledger, today=parse_today(today))
    if as_json:
        echo_report(result, as_json=True)
    else:
        render_problems(result)
    sys.exit(EXIT_PROBLEMS if result.problems else 0)


@cli.command()
@ledger_argument
@today_option
@dry_run_option("只计算不写入 / compute and report, write nothing")
@click.option(
    "--letters",
    "with_letters",
    is_flag=True,
    help="同时生成今日应发文书 / also issue the letters due today",
)
@json_option
def refresh(ledger: Path, today: str | None, dry_run: bool, with_letters: bool, as_json: bool):
    """刷新台账：计算状态、预警、督办等级并写回汇总表 / refresh the ledger in place.

    “发文登记”中已审定的送审稿随之编号发出（见 docs/letters.md“审定”）。
    """
    from automation.letters.issue import LetterRequest
    from automation.refresh import refresh as do_refresh

    # Without --letters the refresh still numbers the 送审稿 staff approved (docs/letters.md 审定).
    request = LetterRequest() if with_letters else LetterRequest(due=False)
    report = do_refresh(ledger, today=parse_today(today), dry_run=dry_run, letters=request)
    echo_report(report, as_json)


@cli.command()
@ledger_argument
@click.option(
    "--type",
    "types",
    multiple=True,
    callback=_letter_types,
    metavar="类型",
    help="只生成这类文书（督办通知单、催办函、限期整改通知书、督查通报），可重复；"
    "督查通报只在指定或期末生成 / only this letter type (repeatable)",
)
@unit_option
@today_option
@click.option(
    "--pdf", is_flag=True, help="同时用 LibreOffice 转成 PDF / also convert to PDF with LibreOffice"
)
@dry_run_option("只列出将发的文书，不编号不写入 / list what would be issued")
@json_option
def letters(
    ledger: Path,
    types: tuple[str, ...],
    unit: str | None,
    today: str | None,
    pdf: bool,
    dry_run: bool,
    as_json: bool,
):
    """先刷新台账，再生成今日应发的文书并登记 / refresh, then draft or issue the letters due.

    本命令就是一次带文书的刷新（与 duban refresh --letters 相同，计算列和汇总表一并写回）。
    须审定的文书生成送审稿（输出/<日期>/送审稿/，不编号，“发文登记”状态 待审定）；
    已审定的送审稿和无须审定的文书取本类型本年度下一个文号，保存在 输出/<日期>/<类型>/。
    """
    from automation.letters.issue import LetterRequest
    from automation.refresh import refresh as do_refresh

    request = LetterRequest(types=types, unit=(unit or "").strip(), pdf=pdf)
    report = do_refresh(ledger, today=parse_today(today), dry_run=dry_run, letters=request)
    echo_report(report, as_json)


def _items(ctx, param, values: tuple[str, ...]) -> tuple[str, ...]:
    """Split --item values (repeatable, or several in one separated by 、 or commas)."""
    return tuple(i for v in values for i in re.split(r"[,，、;；\s]+", v) if i)


def _node(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            f"--node：“{value}”不是有效日期", "请写成 YYYY-MM-DD，如 2026-07-10"
        ) from None


@cli.command()
@ledger_argument
@click.option(
    "--source",
    metavar="类别或来源",
    default="",
    help="报告哪些事项：事项类别（如 政府工作报告）或来源依据中的一段文字 / category or source",
)
@click.option(
    "--item",
    "items",
    multiple=True,
    callback=_items,
    metavar="编号",
    help="报告这些编号的事项，可重复或用顿号分隔 / these item numbers",
)
@click.option(
    "--node",
    callback=_node,
    metavar="YYYY-MM-DD",
    help="报送节点（默认 4月10日、7月10日、10月10日、12月10日中的下一个）/ reporting date",
)
@click.option(
    "--to",
    "to",
    default="",
    metavar="机关",
    help="主送机关（默认参数设置“报告主送机关”）/ addressee",
)
@click.option(
    "--subject",
    default="",
    metavar="文字",
    help="标题中“关于…落实情况的报告”的…部分 / title subject",
)
@today_option
@dry_run_option("只列出将生成的报告，不写入 / list what would be written")
@json_option
def report(
    ledger: Path,
    source: str,
    items: tuple[str, ...],
    node: date | None,
    to: str,
    subject: str,
    today: str | None,
    dry_run: bool,
    as_json: bool,
):
    """生成“关于…落实情况的报告”送审稿，审定后编号报送上级 / draft the report upward.

    报告按 --source 或 --item 选定的事项，逐项引用各责任单位最近报送的进展（原文照录），
    统计完成、推进中、滞后事项数，并列出到报送节点仍未报送的单位。送审稿保存在
    输出/<日期>/送审稿/，登记在“发文登记”（状态 待审定）；审定后与其他文书一样编号发出。
    本命令同时完成一次刷新（已审定的送审稿随之编号发出）。
    """
    from automation.letters.issue import LetterRequest
    from automation.letters.report import ReportRequest
    from automation.refresh import refresh as do_refresh

    wanted = ReportRequest(source=source, ids=items, node=node, to=to, subject=subject)
    request = LetterRequest(due=False, report=wanted)
    result = do_refresh(ledger, today=parse_today(today), dry_run=dry_run, letters=request)
    echo_report(result, as_json)


@cli.command()
@ledger_argument
@today_option
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path),
    help="看板文件路径（默认 台账所在文件夹/输出/看板.html）/ where to write the page",
)
def dashboard(ledger: Path, today: str | None, output: Path | None):
    """生成督办看板网页（不改动台账）/ write the one-page HTML dashboard."""
    from automation.dashboard import write_dashboard

    path = write_dashboard(ledger, today=parse_today(today), out=output)
    click.echo(f"已生成看板：{path}")


@cli.command()
@ledger_argument
@today_option
@click.option(
    "--send",
    is_flag=True,
    help="真正发送（默认只试运行，写出 .eml 和 .json）/ really send (default: dry run)",
)
@click.option(
    "--limit",
    callback=_limit,
    metavar="N",
    help="每个渠道最多发送几条 / send at most N messages per channel",
)
@unit_option
@click.option(
    "--channel",
    "channels",
    multiple=True,
    metavar="渠道",
    help="只用这个渠道：mail（邮件）、robot（全部群机器人）或 duban.toml 中的机器人名称，可重复"
    "（默认全部已配置的渠道）/ only this channel (repeatable)",
)
@json_option
def notify(
    ledger: Path,
    today: str | None,
    send: bool,
    limit: int | None,
    unit: str | None,
    channels: tuple[str, ...],
    as_json: bool,
):
    """按单位发送逾期、临期、反馈逾期提醒（邮件、钉钉/企业微信/飞书群机器人），并向领导发送汇总 / send the day's reminders.

    不加 --send 时只把邮件（.eml）和群消息（.json）写入 输出/<日期>/邮件/ 并列出，不发送。
    --limit 限制每个渠道的条数。有提醒发送失败时退出码为 7。
    """
    from automation.mail.notify import notify as do_notify

    report = do_notify(
        ledger,
        today=parse_today(today),
        send=send,
        limit=limit,
        unit=unit,
        channels=channels,
    )
    echo_report(report, as_json)
    report.raise_for_failures()


@cli.command()
@ledger_argument
@click.option(
    "--at", "at", metavar="HH:MM", help="每天几点运行（默认参数设置“每日发送时间”）/ time of day"
)
@click.option(
    "--once", is_flag=True, help="立即运行一次后退出（供计划任务调用）/ run one cycle now and exit"
)
def daily(ledger: Path, at: str | None, once: bool):
    """每个工作日：刷新台账 → 生成文书 → 发送提醒（邮件、群机器人）；日志在 .duban/logs/ / the daily job.

    节假日不发送，调休上班日照常发送。--once 运行一次（非工作日直接退出），失败时退出码非 0。
    """
    from automation.mail.daily import run_daily

    result = run_daily(ledger, at=at, once=once)
    if result is not None and not result.ok:
        sys.exit(EXIT_PROBLEMS)


@cli.command()
@ledger_argument
@unit_option
@today_option
def forms(ledger: Path, unit: str | None, today: str | None):
    """为各责任单位生成反馈表（输出/<日期>/反馈表/）/ write one feedback form per unit."""
    from automation.feedback.forms import make_forms

    report = make_forms(ledger, today=parse_today(today), unit=unit)
    click.echo(report.summary())


@cli.command()
@ledger_argument
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@today_option
@dry_run_option("只核对不写入 / check and report, write nothing")
@json_option
def collect(ledger: Path, files: tuple[Path, ...], today: str | None, dry_run: bool, as_json: bool):
    """收回各单位填好的反馈表，记入进展记录并更新台账 / merge returned feedback forms.

    拒收或有冲突的条目逐条列出，并写入“校验问题”表。
    """
    from automation.feedback.collect import collect as do_collect

    report = do_collect(ledger, list(files), today=parse_today(today), dry_run=dry_run)
    echo_report(report, as_json)


@cli.command()
@ledger_argument
@click.argument("ids", nargs=-1, metavar="[编号]...")
@today_option
@dry_run_option("只列出将归档的事项，不写入 / list what would be archived, write nothing")
@json_option
def archive(ledger: Path, ids: tuple[str, ...], today: str | None, dry_run: bool, as_json: bool):
    """把已办结事项的档案文件夹打包归档（事项档案/已归档/<年度>/<编号>.zip）/ pack finished items' folders.

    不写编号时归档全部已销号的事项（刷新时也会自动归档）；写了编号的，每项都须已办结（办结方能归档），
    否则不做任何改动并说明原因。压缩包内附归档清单和 SHA-256 校验值。本命令同时刷新台账。
    """
    from automation.archive.office import OfficeRequest
    from automation.refresh import refresh as do_refresh

    request = OfficeRequest(archive=tuple(i.strip() for i in ids if i.strip()))
    report = do_refresh(ledger, today=parse_today(today), dry_run=dry_run, office=request)
    echo_report(report, as_json)


@cli.command()
@ledger_argument
@today_option
@dry_run_option("只计算不写入 / compute and report, write nothing")
@json_option
def weekly(ledger: Path, today: str | None, dry_run: bool, as_json: bool):
    """生成本周的周例会通报：各督办人本周登记的差错 / write this week's 周例会通报 (.docx).

    每周最后一个工作日，生成文书的运行（duban daily、duban letters）会自动生成；本命令随时按需生成。
    保存在 台账所在文件夹/输出/<日期>/周例会通报/。本命令同时刷新台账（差错登记随之更新）。
    """
    from automation.archive.office import OfficeRequest
    from automation.refresh import refresh as do_refresh

    request = OfficeRequest(weekly=True)
    report = do_refresh(ledger, today=parse_today(today), dry_run=dry_run, office=request)
    echo_report(report, as_json)


def main():
    """Entry point of the `duban` console script."""
    cli(prog_name="duban")
