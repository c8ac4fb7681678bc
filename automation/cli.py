"""The `duban` command line: a thin skin over the library (one library call per command).

Every command turns a DubanError into its Chinese message and exit code; nothing else is caught.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from .errors import DubanError


def _today(value: str | None) -> date:
    """Parse --today (YYYY-MM-DD), defaulting to the real date: the only clock read in duban."""
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"“{value}”不是有效日期，请写成 YYYY-MM-DD，如 2026-03-05") from None


TODAY = click.option(
    "--today", "today", metavar="YYYY-MM-DD", help="按此日期计算（默认今天）/ compute as of this date"
)


class DubanGroup(click.Group):
    """A group that prints DubanError as a Chinese message with its exit code, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DubanError as e:
            click.secho(f"错误：{e}", fg="red", err=True)
            sys.exit(e.exit_code)


@click.group(cls=DubanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="duban", message="duban %(version)s")
def cli():
    """duban 督办台账自动化：刷新台账、生成文书、发送提醒、看板与反馈收集。

    Supervision-ledger automation for a 督查室.
    """


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--force", is_flag=True, help="覆盖已有文件 / overwrite an existing file")
def init(directory: Path, force: bool):
    """在 DIRECTORY 新建空白台账 督查台账.xlsx / create a new empty ledger workbook."""
    from .template import build_template

    path = build_template(directory, force=force)
    click.echo(f"已创建台账：{path}")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default="demo")
@click.option("--seed", default=2026, show_default=True, help="随机种子 / random seed")
@click.option("--items", default=320, show_default=True, help="事项数 / number of items")
@click.option("--force", is_flag=True, help="覆盖已有演示台账 / overwrite an existing demo")
@TODAY
def demo(directory: Path, seed: int, items: int, force: bool, today: str | None):
    """生成演示台账并运行刷新 / build the demo ledger and run the main job on it."""
    from .demo import build_demo

    path = build_demo(directory, seed=seed, items=items, today=_today(today), force=force)
    click.echo(f"演示台账：{path}")
    _run_main_job(path, _today(today))


def _run_main_job(path: Path, today: date) -> None:
    """Run the refresh on a ledger and print where its outputs are."""
    from .refresh import refresh as do_refresh

    report = do_refresh(path, today=today)
    click.echo(report.summary())


@cli.command()
@click.argument("ledger", type=click.Path(dir_okay=False, path_type=Path))
@TODAY
def check(ledger: Path, today: str | None):
    """校验台账并列出问题（不写入）/ validate the ledger and list problems.

    退出码：0 无问题，1 有问题，2 文件无法读取。
    """
    from .check import check_ledger, render_problems

    result = check_ledger(ledger, today=_today(today))
    render_problems(result)
    sys.exit(1 if result.problems else 0)


@cli.command()
@click.argument("ledger", type=click.Path(dir_okay=False, path_type=Path))
@TODAY
@click.option("--dry-run", is_flag=True, help="只计算不写入 / compute and report, write nothing")
def refresh(ledger: Path, today: str | None, dry_run: bool):
    """刷新台账：计算状态、预警、督办等级并写回汇总表 / refresh the ledger in place."""
    from .refresh import refresh as do_refresh

    report = do_refresh(ledger, today=_today(today), dry_run=dry_run)
    click.echo(report.summary())


def main():
    """Entry point of the `duban` console script."""
    cli(prog_name="duban")
