"""`duban check` end to end: the problems table, the count line and the exit codes 0/1/2."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures_xlsx import HEADERS, TODAY, good_row, write_ledger
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation.check import check_ledger, summary_line
from automation.cli import cli

WIDE = {"COLUMNS": "240"}  # rich wraps at the terminal width; keep each row on one line


def run(*args: str):
    return CliRunner().invoke(cli, ["check", *args, "--today", TODAY.isoformat()], env=WIDE)


def test_clean_ledger_exits_0_with_the_count_line(tmp_path):
    path = write_ledger(
        tmp_path / "t.xlsx",
        [
            good_row(1, 办结时限=date(2026, 10, 1)),  # overdue: a status, not a problem
            good_row(2, 最近反馈日期=date(2026, 9, 30), 完成进度=0.8),
            good_row(3, 办理状态="已办结", 办结日期=date(2026, 9, 1)),
        ],
    )
    result = run(str(path))
    assert result.exit_code == 0, result.output
    assert "校验问题" not in result.output
    assert (
        result.output.strip().splitlines()[-1]
        == "共 3 个事项：已办结 1，逾期 1，正常推进 1；未发现问题。"
    )


def test_problems_are_listed_and_exit_1(tmp_path):
    path = write_ledger(
        tmp_path / "t.xlsx",
        [good_row(1), good_row(2, 办结时限="2026.13.5"), good_row(3, 责任单位="县交通运局")],
    )
    result = run(str(path))
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(
        "表" in line and "单元格" in line and "问题" in line and "修改建议" in line
        for line in lines
    )
    g3 = next(line for line in lines if " G3 " in line)
    assert (
        "督办事项" in g3
        and "办结时限“2026.13.5”不是有效日期：没有 13 月" in g3
        and "请填写如 2026-03-05" in g3
    )
    d4 = next(line for line in lines if " D4 " in line)
    assert "责任单位“县交通运局”不在“责任单位”表中" in d4 and "是否为：县交通运输局？" in d4
    assert lines[-1].endswith("发现 2 个问题。")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "不存在.xlsx", "找不到台账文件"),
        (lambda d: _write(d / "t.xlsx", "纯文本".encode()), "这不是有效的 Excel 工作簿"),
        (lambda d: _encrypted(d), "文件已加密（设置了打开密码）"),
    ],
    ids=["missing", "not-a-workbook", "encrypted"],
)
def test_unreadable_files_exit_2_with_their_own_message(tmp_path, make, message):
    path = make(tmp_path)
    result = run(str(path))
    assert result.exit_code == 2
    assert result.output.startswith(f"错误：{message}")
    assert str(path) in result.output and "Traceback" not in result.output


def test_check_result_counts_and_keeps_reader_and_rule_problems(tmp_path):
    path = write_ledger(tmp_path / "t.xlsx", [good_row(1), good_row(0, 编号=None)])
    result = check_ledger(path, today=TODAY)
    assert [p.cell for p in result.problems] == ["A3"]
    assert sum(result.status_counts.values()) == 2
    assert summary_line(result).startswith("共 2 个事项：")


def test_installed_command_runs_as_a_process(tmp_path):
    path = write_ledger(tmp_path / "t.xlsx", [good_row(1, 完成进度="过半")])
    completed = subprocess.run(
        [sys.executable, "-m", "automation", "check", str(path), "--today", "2026-10-09"],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "COLUMNS": "240",
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(Path(__file__).parent.parent),
        },
    )
    assert completed.returncode == 1, completed.stderr
    assert "完成进度“过半”无效：不是数字或百分比" in completed.stdout


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _encrypted(directory: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_ledger(directory / "plain.xlsx", [good_row(1)])
    target = directory / "t.xlsx"
    with plain.open("rb") as f, target.open("wb") as out:
        OOXMLFile(f).encrypt("mima123", out)
    return target


junk = st.one_of(
    st.none(),
    st.text(max_size=10).filter(lambda s: not s.startswith("=")),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2200, 1, 1)),
    st.sampled_from(["长期", "2026.13.5", "80%", "已办结", "已销号", "交通局", "每周五", "每季度"]),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.lists(junk, min_size=len(HEADERS), max_size=len(HEADERS)), min_size=1, max_size=3)
)
def test_check_never_crashes_on_junk(tmp_path, rows):
    result = check_ledger(write_ledger(tmp_path / "junk.xlsx", rows), today=TODAY)
    assert len(result.outcome.results) == len(result.ledger.items)
    assert sum(result.status_counts.values()) == len(result.ledger.items)
