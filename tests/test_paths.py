"""The folders beside a ledger and the file names made from ledger text (issue 15 class 9).

The file-name tests create every name on the real file system of the test machine (ext4:
255 bytes per name), so "valid" means the kernel took it, not that a regex liked it.
"""

from __future__ import annotations

import email
import email.policy
import os
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from fixtures_xlsx import UNITS, good_row, write_ledger

from automation import paths
from automation.feedback.forms import make_forms
from automation.letters.issue import LetterRequest
from automation.mail.notify import notify
from automation.refresh import refresh

TODAY = date(2026, 11, 20)  # a Friday
WINDOWS_FORBIDDEN = set('\\/:*?"<>|') | {chr(c) for c in range(32)}
DEVICES = ("CON", "prn", "Aux", "NUL", "COM1", "com9", "LPT1", "lpt¹", "NUL.txt", "con .x")
HOSTILE = [
    "县财政局",
    '县"住建"局/二科:*?',
    "县住建局\\二科",
    "县住建局|二科",
    "县住建局_二科",
    "县住建局\x07二科",
    "县住建局\n二科",
    "..",
    ".",
    "   ",
    "",
    "结尾的点。. .",
    "a\ud800b",
    "\ufffe\uffff",
    "县" * 300,
    "𠀀" * 100,  # 4 bytes each in UTF-8
    "x" * 400,
    *DEVICES,
]


def test_folders_beside_the_ledger(tmp_path):
    ledger = tmp_path / "台账.xlsm"
    assert paths.output_folder(ledger) == tmp_path / "输出"
    assert paths.day_folder(ledger, TODAY, "催办函") == tmp_path / "输出" / "2026-11-20" / "催办函"
    assert paths.day_folder(ledger, TODAY, paths.FORMS) == tmp_path / "输出/2026-11-20/反馈表"
    assert paths.day_folder(ledger, TODAY, paths.MAIL) == tmp_path / "输出/2026-11-20/邮件"
    assert paths.dashboard_file(ledger) == tmp_path / "输出" / "看板.html"
    assert paths.history_db(ledger) == tmp_path / ".duban" / "history.sqlite"
    assert paths.logs_folder(ledger) == tmp_path / ".duban" / "logs"
    assert paths.backups_folder(ledger) == tmp_path / ".duban" / "backups"
    assert paths.forms_key_file(ledger) == tmp_path / ".duban" / "forms-key.json"
    assert paths.button_log(ledger) == tmp_path / ".duban" / "button-errors.log"
    assert paths.templates_folder(ledger) == tmp_path / "模板"
    assert paths.archive_folder(ledger) == tmp_path / "事项档案"
    assert paths.config_file(ledger) == tmp_path / "duban.toml"


def test_good_names_are_kept_as_typed():
    for name in (
        "县财政局",
        "县住房和城乡建设局",
        "催办〔2026〕3号",
        "Office (A) 1.0",
        "县 住建局",
    ):
        assert paths.safe_filename(name) == name
    assert paths.safe_filename("  县财政局 ") == "县财政局"  # as the reader trims cells


@pytest.mark.parametrize("text", HOSTILE)
def test_every_name_is_valid_on_windows_and_made_on_this_file_system(tmp_path, text):
    name = paths.safe_filename(text)
    assert name and not (set(name) & WINDOWS_FORBIDDEN)
    assert name == name.rstrip(" .") and not name.startswith(".")
    assert name.split(".")[0].strip().upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
    assert len(name.encode("utf-8")) <= paths.NAME_BYTES
    assert name == paths.safe_filename(text)  # deterministic: the same file every run
    (tmp_path / f"{name}-催办函-催办〔2026〕100号.docx").write_bytes(b"x")  # the kernel accepts it


def test_names_that_differ_only_in_forbidden_characters_stay_apart():
    texts = [
        '县"住建"局/二科',
        "县_住建_局_二科",
        "县*住建*局:二科",
        "县<住建>局|二科",
        "县?住建?局\\二科",
    ]
    names = [paths.safe_filename(t) for t in texts]
    assert len(set(names)) == len(texts)
    assert names[1] == "县_住建_局_二科"  # the one typed that way keeps its name
    long_a, long_b = "县" * 200 + "甲", "县" * 200 + "乙"  # same first 120 bytes
    assert paths.safe_filename(long_a) != paths.safe_filename(long_b)


def test_names_that_one_windows_folder_would_merge_get_a_hash():
    names = paths.distinct_filenames(["ABC局", "abc局", "县财政局"])
    assert names["县财政局"] == "县财政局"
    assert names["ABC局"] != names["abc局"]
    assert names["ABC局"].casefold() != names["abc局"].casefold()


# --- one unit's impossible name stops nobody else (class 9) -----------------------------

LONG_UNIT = (
    "县" + "城市管理综合行政执法" * 12 + "大队"
)  # 123 characters, 369 bytes: too long for ext4
ODD_A, ODD_B = (
    "县自然资源局:执法大队",
    "县自然资源局?执法大队",
)  # one name once the forbidden character goes


# Letters issued directly (no 送审稿 first, docs/letters.md 审定), so the mails attach them.
DIRECT = (("文书须审定", "否"), ("须审定文书", "无"))


def _ledger_with_hostile_units(folder: Path, settings=DIRECT) -> Path:
    units = [
        *UNITS,
        (LONG_UNIT, "", "long@example.cn"),
        (ODD_A, "", "a@example.cn"),
        (ODD_B, "", "b@example.cn"),
    ]
    rows = [
        good_row(1, 责任单位=LONG_UNIT, 办结时限=date(2026, 11, 17)),  # overdue: 催办函 + mail
        good_row(2, 责任单位="县财政局", 办结时限=date(2026, 11, 17)),
        good_row(3, 责任单位=ODD_A, 办结时限=date(2026, 11, 17)),
        good_row(4, 责任单位=ODD_B, 办结时限=date(2026, 11, 17)),
    ]
    folder.mkdir()
    return write_ledger(folder / "台账.xlsx", rows, units=units, settings=settings)


def test_a_unit_name_too_long_for_the_file_system_stops_no_letter_form_or_mail(tmp_path):
    assert len(LONG_UNIT.encode("utf-8")) > os.pathconf(tmp_path, "PC_NAME_MAX")
    ledger = _ledger_with_hostile_units(tmp_path / "office")

    report = refresh(ledger, today=TODAY, letters=LetterRequest())
    reminders = {letter.unit: letter for letter in report.letters if letter.type == "催办函"}
    assert set(reminders) == {LONG_UNIT, "县财政局", ODD_A, ODD_B}
    for letter in reminders.values():
        assert (ledger.parent / letter.file).is_file()
    assert len({letter.file for letter in reminders.values()}) == 4

    forms = make_forms(ledger, today=TODAY)
    assert len(forms.files) == 4 and len(set(forms.files)) == 4
    units = {openpyxl.load_workbook(f)["反馈表"]["A2"].value.split("　")[0] for f in forms.files}
    assert units == {f"责任单位：{u}" for u in (LONG_UNIT, "县财政局", ODD_A, ODD_B)}

    mails = notify(ledger, today=TODAY)
    assert len(mails.written) == 4
    by_unit = {}
    for eml in mails.written:
        msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        by_unit[str(msg["To"])] = [p.get_filename() for p in msg.iter_attachments()]
    # each unit's mail carries its own 催办函, the long-named and the look-alike ones included
    assert by_unit == {
        address: [Path(reminders[unit].file).name]
        for unit, address in (
            (LONG_UNIT, "long@example.cn"),
            ("县财政局", "cz@example.cn"),
            (ODD_A, "a@example.cn"),
            (ODD_B, "b@example.cn"),
        )
    }
