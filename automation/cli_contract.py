"""The CLI's contract with its users and scripts: Chinese messages, exit codes, shared options.

Every message a user sees is Chinese, click's own usage errors included (they are
translated from the exception's fields, never from click's English text), and every
outcome has a documented exit code (README, 退出码):

====  =====================================================
0     完成（check：未发现问题）
1     check 发现了校验问题
2     台账无法读取（不存在、不是工作簿、已加密、已损坏）
3     台账正被打开，或读取后被他人改动（稍后重试）
4     写入失败（原台账未受影响）
5     文书或看板模板有误
6     参数设置或 duban.toml 有误
7     有邮件或群消息发送失败（重新运行即补发）
8     其他无法完成的情况（见提示）
64    命令用法有误（选项、参数写错）
70    程序内部错误（详情记入日志）
====  =====================================================
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from automation import paths
from automation.errors import DubanError, UsageError

EXIT_PROBLEMS = 1
EXIT_USAGE = UsageError.exit_code
EXIT_INTERNAL = 70

# Help-page words click prints itself.
_SECTIONS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}
_ARGUMENT_NAMES = {"LEDGER": "台账文件", "DIRECTORY": "目录", "FILES": "反馈表文件", "IDS": "编号"}


class ChineseFormatter(click.HelpFormatter):
    """Write click's help page with Chinese headings."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args.replace("[OPTIONS]", "[选项]"), prefix or "用法：")

    def write_heading(self, heading: str) -> None:
        super().write_heading(_SECTIONS.get(heading, heading))


class ChineseContext(click.Context):
    formatter_class = ChineseFormatter


class _ChineseHelp(click.Command):
    """Explain the help option in Chinese and print help with Chinese headings."""

    context_class = ChineseContext

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "显示本帮助后退出 / show this help"
        return option


class DubanCommand(_ChineseHelp):
    """A `duban` subcommand."""


class DubanGroup(_ChineseHelp, click.Group):
    """The `duban` group: Chinese help, Chinese errors, documented exit codes, never a traceback."""

    command_class = DubanCommand

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            raise UsageError(
                f"没有“{name}”这个命令",
                f"可用的命令：{'、'.join(sorted(self.commands))}；运行 duban -h 查看说明",
            )
        return super().resolve_command(ctx, args)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,  # ignored: errors are always ours to report
        **extra: Any,
    ) -> NoReturn:
        argv = list(sys.argv[1:] if args is None else args)
        wants_json = "--json" in argv
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            _fail("已取消", EXIT_PROBLEMS, wants_json)
        except click.ClickException as e:
            _fail(f"命令用法有误：{chinese_usage_error(e)}", EXIT_USAGE, wants_json)
        except DubanError as e:
            _fail(str(e), e.exit_code, wants_json)
        except Exception as e:  # the CLI's edge: a Chinese line for the user, the details in a log
            log = _log_internal(argv)
            _fail(
                f"程序内部错误（{type(e).__name__}：{e}）。详细信息已记入 {log}，请把该文件发给维护人员",
                EXIT_INTERNAL,
                wants_json,
            )
        sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int, wants_json: bool) -> NoReturn:
    if wants_json:
        click.echo(
            json.dumps({"ok": False, "error": message, "exit_code": code}, ensure_ascii=False)
        )
    else:
        click.secho(f"错误：{message}", fg="red", err=True)
    sys.exit(code)


def _log_internal(argv: list[str]) -> Path:
    """Write the traceback where the user can find it: beside the ledger, else the temp folder."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    ledger = next((Path(a) for a in argv if a.lower().endswith((".xlsx", ".xlsm"))), None)
    folders = [paths.logs_folder(ledger)] if ledger else []
    folders.append(Path(tempfile.gettempdir()))
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"duban-error-{stamp}.log"
            path.write_text(f"duban {' '.join(argv)}\n\n{traceback.format_exc()}", encoding="utf-8")
            return path
        except OSError:
            continue
    return Path("（无法写入日志）")


def chinese_usage_error(e: click.ClickException) -> str:
    """Say what click refused, in Chinese, from the exception's fields."""
    if isinstance(e, click.exceptions.NoSuchOption):
        near = f"，是否为：{'、'.join(sorted(e.possibilities))}？" if e.possibilities else ""
        return f"没有选项 {e.option_name}{near}；运行时加 -h 查看可用选项"
    if isinstance(e, click.exceptions.BadOptionUsage):
        return f"选项 {e.option_name} 后面需要填写值"
    if isinstance(e, click.exceptions.MissingParameter):
        return f"缺少{_param_label(e.param)}"
    if isinstance(e, click.exceptions.BadParameter):
        return f"{_param_label(e.param)}的值无效：{e.message}"
    text = e.format_message()
    if m := re.match(r"Got unexpected extra arguments? \((.*)\)", text):
        return f"多余的参数：{m.group(1)}"
    return text


def _param_label(param: click.Parameter | None) -> str:
    if param is None:
        return "参数"
    if isinstance(param, click.Argument):
        name = (param.name or "").upper()
        return f"参数 {_ARGUMENT_NAMES.get(name, name)}"
    return f"选项 {param.opts[-1]}" if param.opts else "选项"


# --- shared options (sqlite-utils style) -------------------------------------------------


def parse_today(value: str | None) -> date:
    """Parse --today (YYYY-MM-DD), defaulting to the real date: the only clock read in duban."""
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--today：“{value}”不是有效日期", "请写成 YYYY-MM-DD，如 2026-03-05"
        ) from None


def ledger_argument(fn: Callable) -> Callable:
    """The ledger workbook argument (checked by duban itself, so its messages are Chinese)."""
    return click.argument("ledger", type=click.Path(path_type=Path))(fn)


def today_option(fn: Callable) -> Callable:
    """--today: compute as of another date."""
    return click.option(
        "--today",
        "today",
        metavar="YYYY-MM-DD",
        help="按此日期计算（默认今天）/ compute as of this date",
    )(fn)


def json_option(fn: Callable) -> Callable:
    """--json: print the report as JSON for scripts."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="以 JSON 输出结果（供脚本使用）/ print the report as JSON",
    )(fn)


def dry_run_option(help: str) -> Callable[[Callable], Callable]:
    """--dry-run with a command's own explanation."""
    return click.option("--dry-run", is_flag=True, help=help)


def unit_option(fn: Callable) -> Callable:
    """--unit: one responsible unit, by name or alias."""
    return click.option("--unit", help="只处理这个责任单位（名称或别名）/ only this unit")(fn)


def echo_report(report: Any, as_json: bool) -> None:
    """Print a report: its Chinese summary, or its ``as_dict()`` as JSON."""
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(report.summary())
