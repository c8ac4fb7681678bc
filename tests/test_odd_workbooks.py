"""Workbooks that are no ledger, or a format duban cannot write: a Chinese message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner

from automation.cli import cli
from automation.workbooks.template import build_template
from tests.conftest import convert_with_soffice

TODAY = "2026-11-20"


def run(*args: str):
    return CliRunner().invoke(cli, [*args, "--today", TODAY], prog_name="duban")


def empty(path: Path) -> Path:
    wb = xlsxwriter.Workbook(path)
    wb.add_worksheet()
    wb.close()
    return path


def chart_only(path: Path) -> Path:
    wb = xlsxwriter.Workbook(path)
    data = wb.add_worksheet("数据")
    data.write_column("A1", [1, 2, 3])
    chart = wb.add_chart({"type": "bar"})
    chart.add_series({"values": "=数据!$A$1:$A$3"})
    wb.add_chartsheet("图").set_chart(chart)
    data.hide()
    wb.get_worksheet_by_name("图").activate()
    wb.close()
    return path


def header_below_row_10(path: Path) -> Path:
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("台账")
    ws.write_row(12, 0, ["编号", "事项内容", "责任单位", "办结时限"])
    ws.write_row(13, 0, ["DB-2026-001", "修路", "县财政局", "2026-12-31"])
    wb.close()
    return path


@pytest.mark.parametrize("make", [empty, chart_only, header_below_row_10])
def test_no_ledger_in_the_workbook_is_one_chinese_problem(tmp_path, make):
    path = make(tmp_path / "台账.xlsx")
    checked = run("check", str(path))
    assert checked.exit_code == 1, checked.output
    assert "没有找到台账" in checked.output and "Traceback" not in checked.output
    refreshed = run("refresh", str(path))
    assert refreshed.exit_code == 0, refreshed.output
    assert "校验问题 1 条" in refreshed.output


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_a_format_duban_cannot_write_back_is_refused_but_can_be_checked(tmp_path, fmt):
    xlsx = build_template(tmp_path / "src")
    other = convert_with_soffice(xlsx, fmt, tmp_path / "out")
    refused = run("refresh", str(other))
    assert refused.exit_code == 2, refused.output
    assert "只能写回 .xlsx 或 .xlsm" in refused.output and "另存为" in refused.output
    before = other.read_bytes()
    assert run("check", str(other)).exit_code == 0
    assert other.read_bytes() == before
