"""E-mail addresses are validated when read; nothing else is ever sent to (issue 15 class 15).

A 邮箱 cell holding ``a@b.cn\\r\\nBcc: spy@example.com`` (a pasted header) must report the
cell and never reach the spy. The ledgers are written by xlsxwriter, the mail goes to a real SMTP
server on loopback, and the server's own record of RCPT commands is the evidence.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date, datetime
from email.message import EmailMessage, Message
from pathlib import Path

import pytest
from fixtures_xlsx import good_row, write_ledger
from python_calamine import CalamineWorkbook
from smtpd_fixture import smtp_server

from automation.errors import ConfigError
from automation.ledger import reader
from automation.mail.addresses import parse_addresses
from automation.mail.config import load_smtp_config
from automation.mail.mailer import DeliveryError, Mailer
from automation.mail.notify import notify
from automation.refresh import refresh

TODAY = date(2026, 10, 9)
NOW = datetime(2026, 10, 9, 8, 30)
INJECTED = "a@b.cn\r\nBcc: spy@example.com"  # a real-looking address: x@y.z is not one


@pytest.mark.parametrize(
    ("cell", "found", "refused"),
    [
        ("a@b.cn", ["a@b.cn"], []),
        ("a@b.cn, c@d.cn；e@f.cn、g@h.cn", ["a@b.cn", "c@d.cn", "e@f.cn", "g@h.cn"], []),
        ("a@b.cn c@d.cn", ["a@b.cn", "c@d.cn"], []),  # a space between two addresses
        ("a@b.cn\nc@d.cn\n", ["a@b.cn", "c@d.cn"], []),  # one per line (Alt+Enter)
        (
            "张三 <zs@example.gov.cn>; 李四 <ls@example.gov.cn>",
            ["zs@example.gov.cn", "ls@example.gov.cn"],
            [],
        ),
        ("a@b.cn, a@b.cn", ["a@b.cn"], []),
        (INJECTED, ["a@b.cn"], ["Bcc: spy@example.com"]),
        ("a@b.cn\rBcc: x@y.z", ["a@b.cn"], ["Bcc: x@y.z"]),
        ("a@b.cn\x0bBcc: x@y.z", [], ["a@b.cn\x0bBcc: x@y.z"]),
        ("办公室", [], ["办公室"]),
        ("a@b", [], ["a@b"]),
        ("<x@y.cn>, a@b.cn", ["x@y.cn", "a@b.cn"], []),  # typed as an address: fine
        ("x@y.z", [], ["x@y.z"]),  # no top-level domain has one letter
        ("a@b.cn>x@y.z", [], ["a@b.cn>x@y.z"]),
        ("", [], []),
    ],
)
def test_a_cell_is_a_list_of_addresses_and_nothing_else(cell, found, refused):
    assert parse_addresses(cell) == (found, refused)


def units_with_cc(rows):
    def hook(wb, ws, header_row):
        us = wb.add_worksheet("责任单位")
        us.write_row(0, 0, ["单位名称", "别名", "邮箱", "抄送邮箱"])
        for r, values in enumerate(rows, start=1):
            us.write_row(r, 0, values)

    return hook


@pytest.fixture
def ledger(tmp_path) -> Path:
    units = [
        ("县财政局", "财政局", INJECTED, "cc@b.cn\nBcc: spy2@example.com"),
        ("县交通运输局", "", "jt@example.cn", ""),
    ]
    rows = [
        good_row(1, 责任单位="县财政局", 办结时限=date(2026, 9, 30), 反馈周期="无"),  # 逾期
        good_row(2, 责任单位="县交通运输局", 办结时限=date(2026, 9, 30), 反馈周期="无"),
    ]
    settings = [
        ("领导邮箱", "leader@example.cn\r\nBcc: spy3@example.com"),
        ("督查室邮箱", "office@example.cn"),
    ]
    folder = tmp_path / "office"
    folder.mkdir()
    return write_ledger(
        folder / "台账.xlsx", rows, units=None, settings=settings, hook=units_with_cc(units)
    )


def test_reader_keeps_only_addresses_and_names_each_bad_cell(ledger):
    book = reader.read_ledger(ledger, today=TODAY)
    unit = next(u for u in book.units if u.name == "县财政局")
    assert unit.emails == ("a@b.cn",) and unit.cc == ("cc@b.cn",)
    where = {p.where: p for p in book.problems}
    assert "Bcc: spy@example.com" in where["责任单位!C2"].message
    assert "逗号" in where["责任单位!C2"].fix
    assert "Bcc: spy2@example.com" in where["责任单位!D2"].message
    assert "Bcc: spy3@example.com" in where["参数设置!B2"].message
    assert book.settings.leader_emails == ()  # the whole setting is refused, not guessed


def test_refresh_lists_the_cells_in_validation_problems(ledger):
    refresh(ledger, today=TODAY, now=NOW)
    with CalamineWorkbook.from_path(str(ledger)) as wb:
        rows = wb.get_sheet_by_name("校验问题").to_python()
    text = "\n".join("|".join(str(v) for v in row) for row in rows)
    assert re.search(r"责任单位!C2\|[^\n]*Bcc: spy@example\.com", text)
    assert re.search(r"参数设置!B2\|.*Bcc: spy3@example\.com", text, re.S)


def test_the_injected_recipient_never_receives_anything(ledger, tmp_path):
    with smtp_server(tmp_path / "smtp") as server:
        report = notify(ledger, today=TODAY, send=True, now=NOW, env=server.env)
    recorder = server.recorder
    assert sorted(recorder.rcpt_seen) == ["a@b.cn", "cc@b.cn", "jt@example.cn"]
    assert not report.failed
    for received in recorder.received:
        headers = received.raw.split(b"\r\n\r\n", 1)[0]
        assert b"spy" not in headers and not re.search(rb"(?im)^bcc:", headers)
        msg = email.message_from_bytes(received.raw, policy=email.policy.strict)
        assert [a.addr_spec for a in msg["To"].addresses] in (["a@b.cn"], ["jt@example.cn"])


def test_the_mailer_refuses_what_is_not_an_address_or_breaks_a_header(tmp_path):
    with smtp_server(tmp_path / "smtp") as server:
        config = load_smtp_config(tmp_path / "台账.xlsx", server.env)
        with Mailer(config, attempts=1) as mailer:
            good = EmailMessage()
            good["Subject"] = "督办提醒"
            good.set_content("正文")
            with pytest.raises(DeliveryError) as refused:
                mailer.send(good, [INJECTED])
            assert refused.value.permanent and "不是一个有效邮箱" in refused.value.reason
            with pytest.raises(DeliveryError):
                mailer.send(good, ["ok@example.cn", "Bcc: spy@example.com"])
            forged = Message()  # the lenient legacy API lets a line break into a header
            forged["Subject"] = "督办提醒\r\nBcc: spy@example.com"
            forged.set_payload("正文")
            with pytest.raises(DeliveryError, match="换行"):
                mailer.send(forged, ["ok@example.cn"])
            mailer.send(good, ["ok@example.cn"])
    assert server.recorder.rcpt_seen == ["ok@example.cn"]


@pytest.mark.parametrize(
    "sender",
    [
        "督查室 <duban@example.cn>\r\nBcc: spy@example.com",
        "duban@example.cn\nBcc: spy@example.com",
        "督查室 <a@b>",
    ],
)
def test_a_sender_in_duban_toml_must_be_one_address(tmp_path, sender):
    escaped = sender.replace("\r", "\\r").replace("\n", "\\n")
    (tmp_path / "duban.toml").write_text(
        f'[smtp]\nhost = "smtp.example.cn"\nfrom = "{escaped}"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="from（发件人）") as e:
        load_smtp_config(tmp_path / "台账.xlsx", {})
    assert "\n" not in str(e.value).split("不是有效邮箱")[0]  # the value is shown on one line
