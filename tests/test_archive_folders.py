"""Item folders (docs/rules.md §13): letters, replies and evidence filed by 编号, renamed, packed."""

from __future__ import annotations

import hashlib
import html
import json
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from click.testing import CliRunner
from fixtures_folders import item, office_ledger
from python_calamine import CalamineWorkbook
from test_forms_collect import fill_reply

from automation import schema
from automation.archive import naming
from automation.archive.packing import MANIFEST, SUMS
from automation.cli import cli
from automation.feedback.collect import collect
from automation.feedback.forms import make_forms
from automation.letters.issue import LetterRequest
from automation.refresh import refresh

TODAY = date(2026, 10, 9)
NOW = datetime(2026, 10, 9, 8, 30)
LONG = "新建城区公厕8座新增停车泊位800个并完成验收工作"  # 22 characters


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_in(folder: Path) -> dict[str, str]:
    """Return relative path -> SHA-256 of every file under folder."""
    return {
        p.relative_to(folder).as_posix(): sha(p) for p in sorted(folder.rglob("*")) if p.is_file()
    }


def ledger(tmp_path: Path, *, content: str = LONG, status4: str = "已办结", **extra) -> Path:
    """Two overdue items (a 催办函 each), one open item, one finished with a filed evidence file."""
    rows = [
        item(1, 事项内容=content, 办结时限=date(2026, 9, 30)),
        item(2, 责任单位="县交通运输局", 办结时限=date(2026, 9, 30)),
        item(3),
        item(4, 事项类别="会议议定", 办理状态=status4, 办结日期=date(2026, 9, 20), 完成进度=1),
    ]
    evidence = tmp_path / "佐证" / "验收报告.pdf"
    evidence.parent.mkdir(parents=True, exist_ok=True)
    evidence.write_bytes(b"%PDF-1.4 fixture")
    progress = [
        [
            date(2026, 9, 18),
            "DB-2026-004",
            "县财政局",
            "已完工验收",
            1,
            "佐证/验收报告.pdf",
            "王五",
        ],
        [date(2026, 9, 25), "DB-2026-003", "县财政局", "推进中", 0.5, "照片/不存在.jpg", "王五"],
        [date(2026, 9, 25), "DB-2026-003", "县财政局", "推进中", 0.5, "现场照片", "王五"],
    ]
    return office_ledger(tmp_path / "台账.xlsx", rows, progress=progress, **extra)


def archive_cells(path: Path) -> dict[str, object]:
    """Return 编号 -> the 档案 cell as openpyxl reads it (the formula)."""
    ws = openpyxl.load_workbook(path)[schema.LEDGER]
    header = [c.value for c in ws[1]]
    col = header.index("档案")
    return {r[0].value: r[col].value for r in ws.iter_rows(min_row=2) if r[0].value}


def folder_of(path: Path, item_id: str) -> Path:
    (found,) = [p for p in (path.parent / "事项档案").iterdir() if p.name.split(" ")[0] == item_id]
    return found


@pytest.fixture
def refreshed(tmp_path):
    path = ledger(tmp_path)
    report = refresh(path, today=TODAY, now=NOW, letters=LetterRequest())
    return path, report


def test_letters_and_evidence_land_in_their_items_folders(refreshed):
    path, report = refreshed
    root = path.parent / "事项档案"
    one = root / f"DB-2026-001 {LONG[:20]}"
    assert one.is_dir()
    letters = {Path(letter.file).name: letter for letter in report.letters}
    reminder = next(n for n, letter in letters.items() if "DB-2026-001" in letter.item_ids)
    assert (one / reminder).read_bytes() == (path.parent / letters[reminder].file).read_bytes()
    catalog = (one / naming.CATALOG).read_text(encoding="utf-8")
    assert letters[reminder].doc_no in catalog and "催办函" in catalog
    assert f'href="{html.escape(reminder)}"' in unquote(catalog)

    four = folder_of(path, "DB-2026-004")
    assert (four / "验收报告.pdf").read_bytes() == b"%PDF-1.4 fixture"
    assert "佐证材料" in (four / naming.CATALOG).read_text(encoding="utf-8")
    assert not any(p.name.startswith("DB-2026-003") for p in root.iterdir())  # nothing to file

    cells = archive_cells(path)
    assert cells["DB-2026-001"] == f'=HYPERLINK("事项档案/DB-2026-001 {LONG[:20]}","打开")'
    assert cells["DB-2026-003"] is None
    with CalamineWorkbook.from_path(str(path)) as wb:  # what a reader of the file sees
        grid = wb.get_sheet_by_name(schema.LEDGER).to_python()
    assert grid[1][grid[0].index("档案")] == "打开"


def test_a_missing_evidence_file_is_a_problem_naming_its_cell(refreshed):
    _, report = refreshed
    (problem,) = [p for p in report.problems if "找不到文件" in p.message]
    assert problem.where == "进展记录!F3" and "照片/不存在.jpg" in problem.message
    assert not any("现场照片" in p.message for p in report.problems)  # a description, not a file


def test_a_second_refresh_files_nothing_twice_and_keeps_the_links(refreshed):
    path, _ = refreshed
    before = {p.name: files_in(p) for p in (path.parent / "事项档案").iterdir()}
    refresh(path, today=date(2026, 10, 12), now=NOW, letters=LetterRequest())
    after = {p.name: files_in(p) for p in (path.parent / "事项档案").iterdir()}
    assert {k: v for k, v in after.items() if k in before} == before
    assert archive_cells(path)["DB-2026-001"].startswith('=HYPERLINK("事项档案/DB-2026-001 ')


def test_a_folder_survives_a_change_of_content_with_every_file(refreshed, tmp_path):
    path, _ = refreshed
    old = folder_of(path, "DB-2026-001")
    (old / "会议纪要.docx").write_bytes(b"staff's own file")
    kept = files_in(old)
    ledger(tmp_path, content="城区公厕改造提升工程")  # staff retyped 事项内容
    report = refresh(path, today=date(2026, 10, 12), now=NOW)
    new = path.parent / "事项档案" / "DB-2026-001 城区公厕改造提升工程"
    assert new.is_dir() and not old.exists()
    assert {k: v for k, v in files_in(new).items() if k != naming.CATALOG} == {
        k: v for k, v in kept.items() if k != naming.CATALOG
    }
    catalog = (new / naming.CATALOG).read_text(encoding="utf-8")
    assert "会议纪要.docx" in catalog and "其他材料" in catalog
    assert archive_cells(path)["DB-2026-001"] == (
        '=HYPERLINK("事项档案/DB-2026-001 城区公厕改造提升工程","打开")'
    )
    assert report.office is not None and not report.office.renames.get("DB-2026-002")


def test_archive_refuses_an_unfinished_item_and_changes_nothing(refreshed):
    path, _ = refreshed
    before = path.read_bytes()
    result = CliRunner().invoke(
        cli, ["archive", str(path), "DB-2026-004", "DB-2026-003", "--today", "2026-10-12"]
    )
    assert result.exit_code == 8
    assert "不能归档" in result.output and "DB-2026-003（逾期" not in result.output
    assert "DB-2026-003（正常推进，尚未办结）" in result.output and "办结方能" in result.output
    assert path.read_bytes() == before
    assert not (path.parent / "事项档案" / "已归档").exists()
    assert folder_of(path, "DB-2026-004").is_dir()

    unknown = CliRunner().invoke(cli, ["archive", str(path), "DB-2099-001", "--json"])
    assert unknown.exit_code == 8
    assert "台账中没有这个编号" in json.loads(unknown.output)["error"]


def test_archive_packs_a_finished_item_with_a_manifest_matching_its_contents(refreshed):
    path, _ = refreshed
    folder = folder_of(path, "DB-2026-004")
    (folder / "整改前后").mkdir()
    (folder / "整改前后" / "整改后.jpg").write_bytes(b"\xff\xd8photo")
    original = files_in(folder)
    result = CliRunner().invoke(cli, ["archive", str(path), "DB-2026-004", "--today", "2026-10-12"])
    assert result.exit_code == 0, result.output
    target = path.parent / "事项档案" / "已归档" / "2026" / "DB-2026-004.zip"
    assert target.is_file() and not folder.exists()
    with zipfile.ZipFile(target) as z:
        names = set(z.namelist())
        sums = dict(
            (name, digest)
            for digest, name in (
                line.split("  ", 1) for line in z.read(SUMS).decode("utf-8").splitlines()
            )
        )
        assert names == {*sums, MANIFEST, SUMS}
        for name, digest in sums.items():
            assert hashlib.sha256(z.read(name)).hexdigest() == digest
        inside = {name.split("/", 1)[1]: digest for name, digest in sums.items()}
        manifest = z.read(MANIFEST).decode("utf-8")
        catalog = z.read(f"{folder.name}/{naming.CATALOG}").decode("utf-8")
    # Every file is in the zip as it was; the 目录 was brought up to date before packing.
    assert {k: v for k, v in inside.items() if k != naming.CATALOG} == {
        k: v for k, v in original.items() if k != naming.CATALOG
    }
    assert "整改前后/整改后.jpg" in unquote(catalog)
    assert all(f"{digest}\t" in manifest for digest in inside.values())
    assert "事项编号：DB-2026-004" in manifest and "办结日期：2026-09-20" in manifest
    assert archive_cells(path)["DB-2026-004"] == (
        '=HYPERLINK("事项档案/已归档/2026/DB-2026-004.zip","已归档")'
    )


def test_the_refresh_archives_an_item_that_became_closed(refreshed, tmp_path):
    path, _ = refreshed
    ledger(tmp_path, status4="已销号")
    report = refresh(path, today=date(2026, 10, 12), now=NOW)
    assert (path.parent / "事项档案" / "已归档" / "2026" / "DB-2026-004.zip").is_file()
    assert any(n.startswith("已归档：DB-2026-004") for n in report.notes)
    assert not any(p.name.startswith("DB-2026-004 ") for p in (path.parent / "事项档案").iterdir())


def test_dry_run_touches_no_folder(tmp_path):
    path = ledger(tmp_path)
    report = refresh(path, today=TODAY, now=NOW, dry_run=True, letters=LetterRequest())
    assert not (tmp_path / "事项档案").exists()
    assert any(n.startswith("试运行（文件夹管理）") for n in report.notes)


def test_a_merged_reply_and_its_evidence_land_in_the_items_folder(tmp_path):
    path = ledger(tmp_path)
    refresh(path, today=TODAY, now=NOW)
    forms = {p.name.split("-")[0]: p for p in make_forms(path, today=TODAY).files}
    returned = tmp_path / "收回"
    returned.mkdir()
    (returned / "整改照片.jpg").write_bytes(b"\xff\xd8reply photo")
    (tmp_path / "机密.txt").write_text("not the unit's file")
    reply = fill_reply(
        forms["县财政局"],
        returned / "财政局反馈.xlsx",
        day=date(2026, 10, 14),
        fills={
            "DB-2026-003": {"本次进展": "已完成方案", "完成进度": 60, "佐证材料": "整改照片.jpg"},
            "DB-2026-001": {"本次进展": "正在招标", "佐证材料": "../机密.txt"},
        },
    )
    report = collect(path, [reply], today=date(2026, 10, 16), now=datetime(2026, 10, 16, 9))
    assert report.merge.log_rows, report.summary()
    three = folder_of(path, "DB-2026-003")
    assert (three / "财政局反馈.xlsx").read_bytes() == reply.read_bytes()
    assert (three / "整改照片.jpg").read_bytes() == b"\xff\xd8reply photo"
    assert "反馈表" in (three / naming.CATALOG).read_text(encoding="utf-8")
    one = folder_of(path, "DB-2026-001")
    assert (one / "财政局反馈.xlsx").is_file()
    assert not (one / "机密.txt").exists()  # a reply names only files beside it


def test_names_are_safe_for_windows_and_links(tmp_path):
    name = naming.folder_name("DB/2026:7", '完成率100%#"<路>" 项目\n建设')
    assert not re.search(r'[\\/:*?"<>|#%]', name)
    assert name.startswith("DB_2026_7~") and naming.belongs_to(name, "DB/2026:7")
    assert naming.zip_key(naming.zip_name("DB-2026-001", 2)) == "DB-2026-001"


@pytest.mark.libreoffice
def test_libreoffice_reads_the_archive_link_as_a_link_to_the_folder(refreshed, soffice, tmp_path):
    path, _ = refreshed
    page = soffice(path, "html", tmp_path / "lo").read_text(encoding="utf-8", errors="replace")
    links = dict(
        (unquote(html.unescape(text)), unquote(html.unescape(href)))
        for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', page)
    )
    assert links.get("打开", "").startswith("事项档案/DB-2026-00")
    hrefs = {unquote(html.unescape(h)) for h in re.findall(r'<a href="([^"]+)">打开</a>', page)}
    assert len(hrefs) == 3  # DB-2026-001, -002 (their 催办函) and -004 (its evidence)
    # Relative to the workbook, each link reaches the item's folder.
    assert all((path.parent / href).is_dir() for href in hrefs)
