"""How much of a ledger duban agrees to unpack and read, and room left in Excel's grid.

A workbook is a zip: 1 MB on disk can inflate to gigabytes (a zip bomb), and one value in
the last cell (XFD1048576) makes a sheet's range 17 billion cells, which the reader
(calamine) would try to allocate at once and abort the process. Both are refused with a
Chinese message naming the cause. Genuinely huge ledgers raise the limit: environment
variable ``DUBAN_LEDGER_MAX_MB`` or ``max_mb`` under ``[ledger]`` in ``duban.toml`` beside
the ledger (it cannot live in the workbook, which is not read yet). The variable wins.
"""

from __future__ import annotations

import os
import tomllib
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from automation import schema
from automation.errors import ConfigError, LedgerUnreadable
from automation.models import Problem

if TYPE_CHECKING:
    from automation.ledger.sheet_table import Table

ENV_VAR = "DUBAN_LEDGER_MAX_MB"
CONFIG_NAME = "duban.toml"
DEFAULT_MB = 512
# calamine holds every cell of a sheet's used range (empty ones too) in 32 bytes.
CELL_BYTES = 32
MAX_COLUMNS = 16_384  # Excel's last column, XFD
SETTING_HINT = (
    f"如确是超大台账，请在台账所在文件夹的 {CONFIG_NAME} 中写入 [ledger] 一节的 max_mb = 2048"
    f"（单位 MB），或设置环境变量 {ENV_VAR}=2048，然后重试"
)


@dataclass(frozen=True)
class Limits:
    """The unpacked size a ledger may reach, in bytes; a sheet's range may hold max_bytes/32 cells."""

    max_bytes: int = DEFAULT_MB << 20

    @property
    def max_mb(self) -> int:
        return self.max_bytes >> 20

    @property
    def max_cells(self) -> int:
        return self.max_bytes // CELL_BYTES


def limits_for(ledger: Path, env: Mapping[str, str] | None = None) -> Limits:
    """Return the limits for a ledger: the environment variable, else duban.toml, else the default."""
    env = os.environ if env is None else env
    if env.get(ENV_VAR, "").strip():
        return Limits(_megabytes(env[ENV_VAR], f"环境变量 {ENV_VAR}") << 20)
    config = Path(ledger).parent / CONFIG_NAME
    if not config.is_file():
        return Limits()
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(
            f"无法读取配置文件 {config.name}（{e}）",
            "请修正其中的 TOML 写法（可参照 docs/deploy/ 中的示例）",
            path=str(config),
        ) from None
    section = data.get("ledger", {})
    if not isinstance(section, dict) or "max_mb" not in section:
        return Limits()
    return Limits(_megabytes(section["max_mb"], f"{config.name} 中 [ledger] 的 max_mb") << 20)


def _megabytes(value: object, where: str) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= 1 << 20:
        raise ConfigError(
            f"{where} 的值“{value}”无效",
            "请填写 1 到 1048576 之间的整数（单位 MB），如 2048",
        )
    return int(text)


def check_package(path: Path, limits: Limits) -> None:
    """Refuse a workbook whose members unpack beyond the limit, or whose sizes lie.

    The declared sizes are summed first (nothing inflated); the parts the reader inflates
    whole when opening the workbook (workbook, relationships, shared strings, styles) are
    then read with zipfile, which stops at the declared size and checks the CRC, so a
    member that lies about its size is caught. Worksheets are checked the same way when
    they are scanned (``SheetScan``); parts the reader never opens cannot hurt it.
    """
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # not a zip after all: the reader says what it is
    try:
        with z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if total > limits.max_bytes:
                raise LedgerUnreadable(
                    f"台账解压后共约 {total >> 20} MB，超过了允许的 {limits.max_mb} MB"
                    "（可能是压缩炸弹或已损坏的文件），为保护电脑没有读取",
                    SETTING_HINT,
                    path=str(path),
                )
            for info in infos:
                if _read_on_open(info.filename):
                    with z.open(info) as member:
                        while member.read(1 << 20):
                            pass
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as e:
        raise LedgerUnreadable(
            f"工作簿已损坏，无法解压（{e}）",
            "请用 Excel 或 WPS 打开后另存为 .xlsx 再试，或改用备份",
            path=str(path),
        ) from None


def _read_on_open(name: str) -> bool:
    """Tell whether calamine inflates a member whole when it opens the workbook."""
    base = name.rsplit("/", 1)[-1].lower()
    return base.endswith(".rels") or base in _OPENED


_OPENED = {"[content_types].xml", "workbook.xml", "sharedstrings.xml", "styles.xml"}


def check_range(path: Path, sheet: str, cells: int, far: list[str], limits: Limits) -> None:
    """Refuse a sheet whose used range has more cells than the limit allows, naming its far cells."""
    if cells <= limits.max_cells:
        return
    where = "、".join(far)
    need = cells * CELL_BYTES >> 20
    raise LedgerUnreadable(
        f"“{sheet}”表的 {where} 单元格有内容，使表格范围达到约 {cells:,} 个单元格，"
        f"读取需要约 {need:,} MB 内存，超过了允许的 {limits.max_mb} MB，没有读取",
        f"如 {where} 中的内容是误填的，请删除它（或删除所在的整行、整列）后保存再试；{SETTING_HINT}",
        path=str(path),
    )


def room_problems(table: Table) -> list[Problem]:
    """Name the cell that leaves no room right of it for the columns a refresh must add.

    The computed columns missing from a ledger sheet, and an 编号 column when it has none,
    go right of its last used column; Excel ends at XFD (16 384 columns).
    """
    missing = [c.header for c in schema.LEDGER_COMPUTED_COLUMNS if c.key not in table.columns]
    if "id" not in table.columns:
        missing.insert(0, "编号")
    used = max([table.max_col, *table.columns.values()])
    if not missing or used + len(missing) <= MAX_COLUMNS:
        return []
    return [
        Problem(
            table.sheet,
            table.max_col_cell,
            f"该单元格在第 {used} 列，右侧放不下 {len(missing)} 个刷新要添加的列"
            f"（Excel 最多 {MAX_COLUMNS} 列，到 XFD 列为止），刷新不能写回台账",
            f"请把该单元格的内容移到左侧的空列，或在表头中加上这些列名：{'、'.join(missing)}",
        )
    ]
