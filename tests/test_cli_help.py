"""Every `duban` command has Chinese help and a row in the README (the sqlite-utils rule)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from automation.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
COMMANDS = sorted(cli.commands)


def test_there_are_commands():
    assert {"init", "demo", "check", "refresh"} <= set(COMMANDS)


def test_top_level_help_is_chinese_and_lists_every_command():
    result = CliRunner().invoke(cli, ["--help"], prog_name="duban")
    assert result.exit_code == 0, result.output
    assert "督办台账自动化" in result.output
    for name in COMMANDS:
        assert re.search(rf"^\s+{name}\s+\S", result.output, re.M), name


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help_is_chinese(name):
    result = CliRunner().invoke(cli, [name, "--help"], prog_name="duban")
    assert result.exit_code == 0, result.output
    command = cli.commands[name]
    assert CHINESE.search(command.help or ""), f"duban {name} 缺少中文说明"
    for param in command.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert CHINESE.search(param.help or ""), f"duban {name} {param.opts[0]} 缺少中文说明"
            assert param.opts[0] in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_in_readme(name):
    text = README.read_text(encoding="utf-8")
    assert re.search(rf"`duban {name}\b", text), f"README.md 的命令一览缺少 duban {name}"


def test_module_entry_point_prints_help():
    result = subprocess.run(
        [sys.executable, "-m", "automation", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "督办台账自动化" in result.stdout
