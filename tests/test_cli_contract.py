"""The CLI contract: Chinese messages for every refusal, a distinct exit code for usage errors, --json."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from automation.cli import cli
from automation.cli_contract import EXIT_USAGE
from tests.fixtures_xlsx import TODAY, good_row, write_ledger

README = Path(__file__).resolve().parents[1] / "README.md"
ENGLISH_CLICK = re.compile(r"Usage:|Error:|Invalid value|No such|Missing argument|Try '")


def run(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="duban")


@pytest.fixture
def ledger(tmp_path):
    return write_ledger(tmp_path / "台账.xlsx", [good_row(1), good_row(2)])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["refrsh", "x.xlsx"], "没有“refrsh”这个命令"),
        (["check", "--todya", "2026-10-09", "x.xlsx"], "没有选项 --todya"),
        (["check"], "缺少参数 台账文件"),
        (["check", "--today"], "选项 --today 后面需要填写值"),
        (["check", "a.xlsx", "b.xlsx"], "多余的参数"),
        (["check", "--today", "2026-13-01", "x.xlsx"], "“2026-13-01”不是有效日期"),
        (["letters", "--type", "通知", "x.xlsx"], "文书类型“通知”无法识别"),
        (["notify", "--limit", "-1", "x.xlsx"], "“-1”不是非负整数"),
        (["demo", "--items", "5"], "演示事项数 5 太少"),
    ],
)
def test_usage_errors_are_chinese_with_their_own_exit_code(args, says):
    result = run(*args)
    assert result.exit_code == EXIT_USAGE, result.output
    assert says in result.output
    assert not ENGLISH_CLICK.search(result.output), result.output


def test_a_folder_or_missing_file_is_a_chinese_message_with_exit_2(tmp_path):
    for args in (["check", str(tmp_path)], ["refresh", str(tmp_path / "无.xlsx")],
                 ["letters", str(tmp_path / "无.xlsx")]):  # fmt: skip
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert "台账" in result.output and "Traceback" not in result.output


def test_unknown_unit_is_a_usage_error_for_every_command(ledger):
    for command in ("letters", "notify", "forms"):
        result = run(command, str(ledger), "--unit", "县交警队", "--today", TODAY.isoformat())
        assert result.exit_code == EXIT_USAGE, (command, result.output)
        assert "找不到单位“县交警队”" in result.output


def test_unit_with_a_stray_space_works_for_every_command(ledger):
    for command in ("letters", "notify", "forms"):
        args = [command, str(ledger), "--unit", "县 财政局", "--today", TODAY.isoformat()]
        result = run(*args, "--dry-run") if command == "letters" else run(*args)
        assert result.exit_code == 0, (command, result.output)


def test_json_reports(ledger):
    checked = run("check", str(ledger), "--today", TODAY.isoformat(), "--json")
    data = json.loads(checked.output)
    assert data["items"] == 2 and data["problems"] == [] and checked.exit_code == 0
    dry = json.loads(run("refresh", str(ledger), "--today", TODAY.isoformat(), "--dry-run",
                         "--json").output)  # fmt: skip
    assert dry["dry_run"] is True and dry["status_counts"] == data["status_counts"]
    sent = json.loads(run("notify", str(ledger), "--today", TODAY.isoformat(), "--json").output)
    assert sent["send"] is False and isinstance(sent["messages"], list)
    failed = run("check", str(ledger.parent / "无.xlsx"), "--json")
    assert failed.exit_code == 2
    assert json.loads(failed.output) == {
        "ok": False,
        "error": json.loads(failed.output)["error"],
        "exit_code": 2,
    }


def test_help_pages_have_chinese_headings():
    result = run("refresh", "--help")
    assert result.exit_code == 0
    assert "用法：" in result.output and "选项" in result.output
    assert "Usage:" not in result.output and "Show this message" not in result.output


def test_readme_documents_every_exit_code():
    from automation import errors

    text = README.read_text(encoding="utf-8")
    section = text[text.index("### 退出码") :]
    codes = {0, 1, EXIT_USAGE, 70} | {
        cls.exit_code for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.DubanError)
    }  # fmt: skip
    for code in codes:
        assert re.search(rf"^\|\s*{code}\s*\|", section, re.M), code


def test_an_internal_error_is_one_chinese_line_and_a_log(tmp_path):
    # A workbook whose zip holds a broken sheet part reaches code that is not ready for it.
    script = (
        "import sys\n"
        "import automation.check as c\n"
        "def boom(*a, **k):\n"
        "    raise RuntimeError('模拟的内部错误')\n"
        "c.check_ledger = boom\n"
        "from automation.cli import main\n"
        "sys.argv = ['duban', 'check', sys.argv[1]]\n"
        "main()\n"
    )
    target = tmp_path / "台账.xlsx"
    target.write_bytes(b"")
    done = subprocess.run(
        [sys.executable, "-c", script, str(target)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 70
    assert "Traceback" not in done.stderr and "程序内部错误" in done.stderr
    log = Path(re.search(r"记入 (\S+\.log)", done.stderr).group(1))
    assert "模拟的内部错误" in log.read_text(encoding="utf-8")
