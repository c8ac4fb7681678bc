"""`duban notify`: the day's reminders, built from a real ledger and sent to a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import re
import sqlite3
from datetime import date, datetime
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from fixtures_xlsx import good_row, write_ledger
from smtpd_fixture import PASSWORD, USER, smtp_server

from automation.cli import cli
from automation.errors import ConfigError, UsageError
from automation.mail.config import load_smtp_config
from automation.mail.notify import notify

TODAY = date(2026, 10, 9)  # a Friday just after the 国庆 holiday
NOW = datetime(2026, 10, 9, 8, 30)
SCRIPT = "<script>alert(1)</script>"
UNITS = (
    ("县交通运输局", "交通局", "jt@example.cn"),
    ("县财政局", "财政局", "cz@example.cn"),
    ("县教育局", "", ""),  # no 邮箱: must be reported, not skipped silently
)
SETTINGS = (("领导邮箱", "leader@example.cn"), ("督查室邮箱", "office@example.cn"))
LETTER_NAME = "县交通运输局-催办函-催办〔2026〕3号.docx"


def make_ledger(folder: Path, *, calendar=()) -> Path:
    """Write a small ledger whose statuses on TODAY are worked out by hand below."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        # deadline 09-30 → 逾期 2 working days (10-08, 10-09)
        good_row(
            1, 事项内容=SCRIPT, 责任单位="县交通运输局", 办结时限=date(2026, 9, 30), 反馈周期="无"
        ),
        # deadline 10-08 → 逾期 1 working day
        good_row(2, 责任单位="交通局", 办结时限=date(2026, 10, 8), 反馈周期="无"),
        # deadline 10-13: 10-10 (调休 Saturday), 10-12, 10-13 → 3 working days left → 临期
        good_row(3, 责任单位="县交通运输局", 办结时限=date(2026, 10, 13), 反馈周期="无"),
        # 每月5日, last feedback 09-04: next node 10-05 → 10-08 (holiday) passed → 反馈逾期 (docs/rules.md §7)
        good_row(
            4, 责任单位="县财政局", 反馈周期="每月5日", 最近反馈日期=date(2026, 9, 4), 完成进度=0.9
        ),
        good_row(5, 责任单位="县教育局", 办结时限=date(2026, 9, 30), 反馈周期="无"),
        good_row(6, 责任单位="县财政局", 反馈周期="无", 完成进度=0.9),  # 正常推进: no mail
    ]
    return write_ledger(
        folder / "台账.xlsx", rows, units=UNITS, settings=SETTINGS, calendar=calendar
    )


def make_letter(ledger: Path) -> bytes:
    """Put today's 催办函 for 县交通运输局 where the letters job writes it, registered as issued.

    Beside it lie a 送审稿 and an unregistered copy: neither may be attached (only issued
    letters go out, docs/letters.md 审定).
    """
    folder = ledger.parent / "输出" / TODAY.isoformat() / "催办函"
    folder.mkdir(parents=True)
    document = docx.Document()
    document.add_paragraph("县交通运输局：请抓紧办理逾期事项。")
    document.save(folder / LETTER_NAME)
    document.save(folder / "县交通运输局-催办函-副本.docx")
    drafts = ledger.parent / "输出" / TODAY.isoformat() / "送审稿"
    drafts.mkdir(parents=True)
    document.save(drafts / "县交通运输局-催办函-送审稿.docx")
    wb = openpyxl.load_workbook(ledger)
    log = wb.create_sheet("发文登记")
    log.append(["文号", "类型", "日期", "责任单位", "事项编号", "文件", "状态"])
    log.append(
        ["催办〔2026〕3号", "催办函", TODAY, "县交通运输局", "",
         f"输出/{TODAY.isoformat()}/催办函/{LETTER_NAME}", "已发出"]
    )  # fmt: skip
    log.append(
        ["", "催办函", TODAY, "县交通运输局", "",
         f"输出/{TODAY.isoformat()}/送审稿/县交通运输局-催办函-送审稿.docx", "待审定"]
    )  # fmt: skip
    wb.save(ledger)
    return (folder / LETTER_NAME).read_bytes()


@pytest.fixture
def ledger(tmp_path) -> Path:
    return make_ledger(tmp_path / "office")


def by_subject(server) -> dict[str, object]:
    return {r.message["Subject"]: r for r in server.recorder.received}


def test_sends_each_unit_its_list_over_starttls_with_login(ledger, tmp_path):
    letter = make_letter(ledger)
    with smtp_server(tmp_path / "smtp") as server:
        report = notify(ledger, today=TODAY, send=True, now=NOW, env=server.env)
    got = by_subject(server)
    assert set(got) == {
        "【督办日报】2026年10月9日：逾期3项、反馈逾期1项、临期1项",
        "【督办提醒】县交通运输局：逾期2项、临期1项",
        "【督办提醒】县财政局：反馈逾期1项",
    }
    assert server.recorder.logins == 1  # one connection for the whole batch
    jt = got["【督办提醒】县交通运输局：逾期2项、临期1项"]
    assert jt.rcpt_tos == ["jt@example.cn"]
    assert jt.mail_from == USER
    assert b"=?utf-8?" in jt.raw.split(b"\r\n\r\n", 1)[0]  # Chinese headers are RFC 2047 encoded
    msg = jt.message
    assert msg["From"].addresses[0].display_name == "县政府督查室"
    assert msg["To"].addresses[0].addr_spec == "jt@example.cn"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for part in (text, html):
        assert "DB-2026-001" in part and "DB-2026-002" in part and "DB-2026-003" in part
        assert "DB-2026-004" not in part  # another unit's item
    assert "逾期2个工作日" in text and "剩余3个工作日" in text
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == LETTER_NAME
    assert attachment.get_content() == letter
    cz = got["【督办提醒】县财政局：反馈逾期1项"].message
    assert list(cz.iter_attachments()) == []
    assert "应于2026-10-08反馈" in cz.get_body(("plain",)).get_content()
    leaders = got["【督办日报】2026年10月9日：逾期3项、反馈逾期1项、临期1项"]
    assert leaders.rcpt_tos == ["leader@example.cn"]
    assert "县教育局" in leaders.message.get_body(("plain",)).get_content()  # listed as unreachable
    assert (len(report.sent), len(report.skipped), len(report.failed)) == (3, 0, 0)
    [problem] = report.problems
    assert (
        problem.sheet == "责任单位"
        and "县教育局" in problem.message
        and "未填写邮箱" in problem.message
    )


def test_script_in_item_content_arrives_as_text(ledger, tmp_path):
    with smtp_server(tmp_path / "smtp") as server:
        notify(ledger, today=TODAY, send=True, now=NOW, env=server.env, unit="县交通运输局")
    [received] = server.recorder.received
    html = received.message.get_body(("html",)).get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert SCRIPT in received.message.get_body(("plain",)).get_content()


def test_second_run_the_same_day_sends_nothing_again(ledger, tmp_path):
    with smtp_server(tmp_path / "smtp") as server:
        first = notify(ledger, today=TODAY, send=True, now=NOW, env=server.env)
        second = notify(ledger, today=TODAY, send=True, now=NOW, env=server.env)
        next_day = notify(ledger, today=date(2026, 10, 10), send=True, now=NOW, env=server.env)
    assert len(first.sent) == 3
    assert (len(second.sent), len(second.skipped)) == (0, 3)
    assert len(next_day.sent) == 3  # a new day is a new reminder
    assert len(server.recorder.received) == 6
    db = sqlite3.connect(ledger.parent / ".duban" / "history.sqlite")
    rows = db.execute("SELECT day, kind, unit FROM mail_sent").fetchall()
    expected = [(d, "leaders", "领导汇总") for d in ("2026-10-09", "2026-10-10")]
    expected += [
        (d, "unit", u) for d in ("2026-10-09", "2026-10-10") for u in ("县交通运输局", "县财政局")
    ]
    assert sorted(rows) == sorted(expected)


def test_dry_run_writes_eml_files_and_sends_nothing(ledger):
    report = notify(ledger, today=TODAY, now=NOW, env={})
    folder = ledger.parent / "输出" / "2026-10-09" / "邮件"
    assert sorted(p.name for p in folder.iterdir()) == [
        "001-领导汇总.eml",
        "002-县交通运输局.eml",
        "003-县财政局.eml",
    ]
    assert report.sent == [] and not (ledger.parent / ".duban").exists()
    assert "将发送 3 封" in report.summary()
    assert "【督办提醒】县交通运输局：逾期2项、临期1项 → jt@example.cn" in report.summary()
    parsed = email.message_from_bytes(
        (folder / "003-县财政局.eml").read_bytes(), policy=email.policy.default
    )
    assert parsed["Subject"] == "【督办提醒】县财政局：反馈逾期1项"


def test_limit_and_unit_alias(ledger, tmp_path):
    with smtp_server(tmp_path / "smtp") as server:
        one = notify(ledger, today=TODAY, send=True, now=NOW, env=server.env, unit="财政局")
        limited = notify(ledger, today=TODAY, send=True, now=NOW, env=server.env, limit=1)
    assert [o.unit for o in one.sent] == ["县财政局"]
    assert [o.unit for o in limited.sent] == ["领导汇总"]
    assert [o.unit for o in limited.held] == ["县交通运输局"]
    with pytest.raises(UsageError, match="找不到单位“县交通局局”.*县交通运输局"):
        notify(ledger, today=TODAY, now=NOW, env={}, unit="县交通局局")


def test_wrong_password_is_a_config_error_that_never_shows_the_password(ledger, tmp_path):
    with smtp_server(tmp_path / "smtp") as server:
        env = {**server.env, "DUBAN_SMTP_PASSWORD": "wrong-Pw-123"}
        with pytest.raises(ConfigError, match="拒绝登录") as caught:
            notify(ledger, today=TODAY, send=True, now=NOW, env=env)
    assert "wrong-Pw-123" not in str(caught.value)
    assert server.recorder.received == []


def test_config_from_toml_with_env_overriding_and_password_hidden(tmp_path):
    ledger = tmp_path / "台账.xlsx"
    (tmp_path / "duban.toml").write_text(
        '[smtp]\nhost = "smtp.example.gov.cn"\nsecurity = "ssl"\nuser = "ban@example.gov.cn"\npassword = "p@ss-Word9"\n',
        encoding="utf-8",
    )
    config = load_smtp_config(ledger, {"DUBAN_SMTP_HOST": "mail.example.cn"})
    assert (config.host, config.port, config.security) == ("mail.example.cn", 465, "ssl")
    assert config.sender == "ban@example.gov.cn"  # the login is the sender when from is absent
    assert "p@ss-Word9" not in repr(config) and "p@ss-Word9" not in str(config)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[smtp]\nport = 25\nfrom = "a@b.cn"\n', "host（服务器地址）未填写"),
        (
            '[smtp]\nhost = "h"\nsecurity = "tls"\nfrom = "a@b.cn"\n',
            "security（加密方式）“tls”无效",
        ),
        ('[smtp]\nhost = "h"\nport = "七"\nfrom = "a@b.cn"\n', "port（端口）“七”不是有效端口"),
        ('[smtp]\nhost = "h"\nuser = "a@b.cn"\n', "password（密码）未填写"),
        ('[smtp]\nhost = "h"\nfrom = "督查室"\n', "from（发件人）“督查室”不是有效邮箱"),
        ('[smtp]\nhost = "h"\nfrom = "a@b.cn"\npasword = "x"\n', "不认识的设置：pasword"),
        ("[smtp\nhost = 1\n", "配置文件格式有误"),
        # TOML's true is not 1 second (bool is an int in Python)
        ('[smtp]\nhost = "h"\nfrom = "a@b.cn"\ntimeout = true\n', "不是 1 到 600 之间的秒数"),
    ],
)
def test_bad_config_names_the_setting_in_chinese(tmp_path, toml, message):
    (tmp_path / "duban.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_smtp_config(tmp_path / "台账.xlsx", {})


def test_sending_without_any_config_says_how_to_configure(ledger):
    with pytest.raises(ConfigError, match="未配置发信服务器"):
        notify(ledger, today=TODAY, send=True, now=NOW, env={})


def test_cli_notify_dry_run_and_send(ledger, tmp_path):
    runner = CliRunner()
    dry = runner.invoke(cli, ["notify", str(ledger), "--today", "2026-10-09"], env={})
    assert dry.exit_code == 0, dry.output
    assert "试运行" in dry.output and "县教育局" in dry.output
    with smtp_server(tmp_path / "smtp") as server:
        sent = runner.invoke(
            cli, ["notify", str(ledger), "--today", "2026-10-09", "--send"], env=server.env
        )
    assert sent.exit_code == 0, sent.output
    assert "已发送 3 封，跳过 0 封，失败 0 封" in sent.output
    assert PASSWORD not in sent.output


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_on_its_own_port(ledger, tmp_path):
    """security = "ssl" (port 465 style): TLS from the first byte, then login."""
    import ssl

    from aiosmtpd.controller import Controller
    from smtpd_fixture import HOST, Recorder, free_port, make_certificate

    cert, key = make_certificate(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    recorder, port = Recorder(), free_port()
    controller = Controller(
        recorder, hostname=HOST, port=port, ssl_context=tls,
        authenticator=recorder.authenticate, auth_required=True, auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    try:
        env = {"DUBAN_SMTP_HOST": HOST, "DUBAN_SMTP_PORT": str(port), "DUBAN_SMTP_SECURITY": "ssl",
               "DUBAN_SMTP_USER": USER, "DUBAN_SMTP_PASSWORD": PASSWORD,
               "DUBAN_SMTP_FROM": "督查室 <duban@example.cn>", "DUBAN_SMTP_CA_FILE": str(cert)}  # fmt: skip
        report = notify(ledger, today=TODAY, send=True, now=NOW, env=env, unit="县财政局")
    finally:
        controller.stop()
    assert [o.unit for o in report.sent] == ["县财政局"] and recorder.logins == 1
    [received] = recorder.received
    assert received.rcpt_tos == ["cz@example.cn"]


def test_untrusted_certificate_is_refused_with_a_hint(ledger, tmp_path):
    with smtp_server(tmp_path / "smtp") as server:
        env = {k: v for k, v in server.env.items() if k != "DUBAN_SMTP_CA_FILE"}
        with pytest.raises(ConfigError, match="证书无法验证.*ca_file"):
            notify(ledger, today=TODAY, send=True, now=NOW, env=env)
    assert server.recorder.received == []
