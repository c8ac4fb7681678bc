"""Ledgers too big to read are refused in Chinese before anything is inflated or allocated.

A zip bomb (1 MiB inflating to 1 GiB), a member that lies about its size, a value in the
very last cell XFD1048576 (calamine would try to allocate 17 billion cells and abort the
process: so these run the real ``duban`` in a subprocess), and a value in column XFD that
leaves no room for the computed columns. The limit for genuinely huge ledgers is set
beside the ledger (``duban.toml``) or in the environment.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from automation import errors, schema
from automation.cli import cli
from automation.ledger.limits import ENV_VAR, Limits, limits_for
from automation.ledger.reader import read_ledger
from automation.ledger.sheet_scan import SheetScan
from automation.refresh import refresh
from tests.fixtures_xlsx import HEADERS, TODAY, good_row, write_ledger
from tests.test_sheet_xml_forms import _render, by_meaning

ROOT = Path(__file__).resolve().parent.parent


def duban(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the real command in its own process: an abort there cannot take the test run down."""
    return subprocess.run(
        [sys.executable, "-m", "automation", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def _ledger(tmp_path: Path, hook=None, name: str = "台账.xlsx") -> Path:
    return write_ledger(tmp_path / name, [good_row(1), good_row(2)], hook=hook)


# --- zip bombs ---------------------------------------------------------------------------------


def _add_raw_member(path: Path, name: str, data: bytes, size: int, crc: int) -> None:
    """Append a deflated member given as its compressed bytes (how a bomb is built cheaply)."""
    with zipfile.ZipFile(path, "a") as z:
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.CRC, info.compress_size, info.file_size = crc, len(data), size
        z.fp.seek(z.start_dir)
        info.header_offset = z.fp.tell()
        z.fp.write(info.FileHeader(size > zipfile.ZIP64_LIMIT))
        z.fp.write(data)
        z.filelist.append(info)
        z.NameToInfo[name] = info
        z.start_dir = z.fp.tell()
        z._didModify = True


def _bomb(path: Path, mib: int) -> None:
    """Add a part of ``mib`` MiB of spaces that takes about 1 KB per MiB in the zip."""
    block = b" " * (1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)  # the same bytes every MiB
    data = segment * (mib - 1) + c.compress(block) + c.flush()
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(block, crc)
    _add_raw_member(path, "customXml/item9.xml", data, mib << 20, crc)


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = _ledger(tmp_path)
    _bomb(path, 1024)
    assert path.stat().st_size < 2 << 20
    with zipfile.ZipFile(path) as z:  # a genuine bomb: the member checks out
        assert z.getinfo("customXml/item9.xml").file_size == 1 << 30
    original = path.read_bytes()
    for command in ("refresh", "check"):
        result = CliRunner().invoke(cli, [command, str(path), "--today", TODAY.isoformat()])
        assert result.exit_code == errors.LedgerUnreadable.exit_code, result.output
        assert "解压后共约 1024 MB" in result.output and "max_mb" in result.output
        assert "Traceback" not in result.output
    assert path.read_bytes() == original


def test_the_limit_is_set_beside_the_ledger_or_in_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    path = _ledger(tmp_path)
    _bomb(path, 24)
    assert read_ledger(path, today=TODAY).items  # 24 MB is within the default 512 MB
    (tmp_path / "duban.toml").write_text("[ledger]\nmax_mb = 16\n", encoding="utf-8")
    with pytest.raises(errors.LedgerUnreadable, match="超过了允许的 16 MB"):
        read_ledger(path, today=TODAY)
    monkeypatch.setenv(ENV_VAR, "16")
    with pytest.raises(errors.LedgerUnreadable, match="超过了允许的 16 MB"):
        read_ledger(path, today=TODAY)
    (tmp_path / "duban.toml").write_text("[ledger]\nmax_mb = 64\n", encoding="utf-8")
    with pytest.raises(errors.LedgerUnreadable):  # the environment wins over the file
        read_ledger(path, today=TODAY)
    monkeypatch.delenv(ENV_VAR)
    assert limits_for(path) == Limits(64 << 20)
    refresh(path, today=TODAY)  # a genuinely big ledger goes through, its parts kept
    with zipfile.ZipFile(path) as z:
        assert z.getinfo("customXml/item9.xml").file_size == 24 << 20


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "true"])
def test_a_bad_limit_is_refused_naming_where_it_was_set(tmp_path, value):
    path = _ledger(tmp_path)
    (tmp_path / "duban.toml").write_text(f"[ledger]\nmax_mb = {value!r}\n", encoding="utf-8")
    with pytest.raises(errors.ConfigError, match="duban.toml 中 \\[ledger\\] 的 max_mb"):
        limits_for(path, env={})
    with pytest.raises(errors.ConfigError, match=ENV_VAR):
        limits_for(path, env={ENV_VAR: value})


def test_the_default_limit_applies_without_settings(tmp_path):
    assert limits_for(_ledger(tmp_path), env={}) == Limits(512 << 20)


@pytest.mark.parametrize("target", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"])
def test_a_member_that_lies_about_its_size_is_refused(tmp_path, target):
    path = _ledger(tmp_path)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    assert target in names
    # Declare 100 bytes for shared strings that really are much longer: patch both headers.
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(target)
    real = info.file_size
    assert real > 100
    struct.pack_into("<I", data, info.header_offset + 22, 100)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_len] == target.encode():
            struct.pack_into("<I", data, central + 24, 100)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(errors.LedgerUnreadable, match="已损坏"):
        read_ledger(path, today=TODAY)


# --- the real used range -------------------------------------------------------------------------


def _last_cell(wb, ws, header_row):
    ws.write(1048575, 16383, "误填")


def test_a_value_in_the_last_cell_is_refused_not_a_crash(tmp_path):
    path = _ledger(tmp_path, _last_cell)
    original = path.read_bytes()
    for command in ("refresh", "check"):
        done = duban(command, str(path), "--today", TODAY.isoformat())
        assert done.returncode == errors.LedgerUnreadable.exit_code, done.stderr
        assert "XFD1048576" in done.stderr and "Traceback" not in done.stderr
        assert "删除" in done.stderr
    assert path.read_bytes() == original


def test_a_far_cell_in_another_sheet_is_refused_too_even_when_dimension_lies(tmp_path):
    def far(wb, ws, header_row):
        wb.worksheets()[1].write(1048575, 25, "x")  # 责任单位!Z1048576

    path = _ledger(tmp_path, far)
    parts = {}
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            parts[n] = z.read(n)
    parts["xl/worksheets/sheet2.xml"] = parts["xl/worksheets/sheet2.xml"].replace(
        b'<dimension ref="A1:Z1048576"/>', b'<dimension ref="A1:C5"/>'
    )
    assert b'<dimension ref="A1:C5"/>' in parts["xl/worksheets/sheet2.xml"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in parts.items():
            z.writestr(n, d)
    with pytest.raises(errors.LedgerUnreadable, match="“责任单位”表的 Z1048576"):
        read_ledger(path, today=TODAY)


def test_formatting_without_values_at_the_far_end_is_read(tmp_path):
    def styled(wb, ws, header_row):
        ws.write_blank(1048575, 16383, None, wb.add_format({"bold": True}))
        ws.set_row(1048575, 30)

    path = _ledger(tmp_path, styled)
    assert b"XFD1048576" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    done = duban("refresh", str(path), "--today", TODAY.isoformat())
    assert done.returncode == 0, done.stderr
    assert openpyxl.load_workbook(path, read_only=True)[schema.LEDGER]["A2"].value == "DB-2026-001"


_cells = st.dictionaries(
    st.tuples(st.integers(1, 12), st.integers(1, 40)),
    st.one_of(st.none(), st.integers(0, 9)),
    max_size=40,
)
_syntax = st.fixed_dictionaries(
    {
        "quote": st.sampled_from(["'", '"']),
        "r_last": st.booleans(),
        "implied": st.booleans(),
        "space": st.sampled_from(["", " "]),
        "self_close_empty": st.booleans(),
    }
)


@settings(max_examples=120, deadline=None)
@given(grid=_cells, syntax=_syntax, prefix=st.sampled_from(["", "x:"]))
def test_the_used_range_is_found_from_the_cells_holding_something(grid, syntax, prefix):
    xml = _render(grid, syntax, prefix).encode()
    import io

    from automation.ledger.sheet_scan import _scan_stream

    facts = _scan_stream(io.BytesIO(xml))
    held = [k for k, (_, text) in by_meaning(xml).items() if text != ""]
    assert facts.max_row == max((r for r, _ in held), default=0)
    assert facts.max_col == max((c for _, c in held), default=0)
    assert facts.min_row == min((r for r, _ in held), default=0)


def test_the_scan_reads_a_big_sheet_in_chunks_and_finds_formulas(tmp_path):
    rows = [good_row(n) for n in range(1, 3001)]
    path = write_ledger(tmp_path / "大.xlsx", rows)
    wb = openpyxl.load_workbook(path)
    ws = wb[schema.LEDGER]
    ws["N2000"] = "=A1"  # no cached value
    ws.cell(2999, 30, "远处")  # AD2999
    wb.save(path)
    facts = SheetScan(path).facts(schema.LEDGER)
    assert facts.max_row == 3001 and facts.max_col == 30 and facts.last_col_cell == "AD2999"
    assert facts.formulas == {(2000, 14): True}
    assert len(HEADERS) < 30


# --- no room for the computed columns ------------------------------------------------------------


def test_a_value_in_column_xfd_that_leaves_no_room_is_refused_naming_the_cell(tmp_path):
    def far(wb, ws, header_row):
        ws.write(1, 16383, "备注")  # XFD2, in a ledger without computed columns yet

    path = _ledger(tmp_path, far)
    original = path.read_bytes()
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat()])
    assert result.exit_code == errors.WriteFailed.exit_code, result.output
    assert "XFD2" in result.output and "Traceback" not in result.output
    assert path.read_bytes() == original
    ledger = read_ledger(path, today=TODAY)
    assert any(p.cell == "XFD2" and "放不下" in p.message for p in ledger.problems)


def test_a_value_in_column_xfd_is_fine_when_the_computed_columns_are_there(tmp_path):
    headers = [c.header for c in schema.LEDGER_COLUMNS]

    def far(wb, ws, header_row):
        ws.write(1, 16383, "备注")

    path = write_ledger(
        tmp_path / "台账.xlsx",
        [[f"DB-2026-00{n}", "会议议定", "", f"第{n}项", "", "", "县财政局"] for n in (1, 2)],
        headers=headers,
        hook=far,
    )
    refresh(path, today=TODAY)
    ws = openpyxl.load_workbook(path)[schema.LEDGER]
    assert ws["XFD2"].value == "备注"
    assert ws.cell(2, headers.index("更新时间") + 1).value
