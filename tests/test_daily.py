"""`duban daily`: the schedule loop walked through the 2026 国庆 fortnight with an injected clock."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from smtpd_fixture import Recorder, smtp_server
from test_notify import make_ledger

from automation.errors import ConfigError
from automation.mail.daily import DailyJob, run_daily


class FakeClock:
    """A clock that only moves when the job sleeps."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def day_of(subject: str) -> date:
    y, m, d = map(int, re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", subject).groups())
    return date(y, m, d)


def test_fortnight_sends_on_working_days_only_and_survives_a_failed_day(tmp_path):
    # 10-09 is a normal Friday in the official calendar; the office declares it 休 in 节假日调整.
    ledger = make_ledger(tmp_path / "office", calendar=[(date(2026, 10, 9), "休", "县里调休")])
    clock = FakeClock(datetime(2026, 9, 27, 0, 0))  # a Sunday (中秋 holiday)
    # On 09-29 the server rejects 县交通运输局's mailbox: that day fails, the loop goes on.
    recorder = Recorder(
        rcpt_reply=lambda a: (
            "550 5.1.1 no such user"
            if a == "jt@example.cn" and clock.now.date() == date(2026, 9, 29)
            else None
        )
    )
    with smtp_server(tmp_path / "smtp", recorder) as server:
        job = DailyJob(
            ledger, clock=clock, sleep=clock.sleep, env=server.env, attempts=2, backoff=0
        )
        try:
            job.run_forever(stop=lambda: clock.now >= datetime(2026, 10, 12))
        finally:
            job.close()
    subjects = [r.message["Subject"] for r in recorder.received]
    summary_days = sorted({day_of(s) for s in subjects if s.startswith("【督办日报】")})
    # 9-28..30 working; 10-01..07 国庆; 10-08 working; 10-09 休 (override); 10-10 调休 Saturday.
    assert summary_days == [
        date(2026, 9, 28),
        date(2026, 9, 29),
        date(2026, 9, 30),
        date(2026, 10, 8),
        date(2026, 10, 10),
    ]
    alerts = [r for r in recorder.received if r.message["Subject"].startswith("【督办系统告警】")]
    assert [day_of(r.message["Subject"]) for r in alerts] == [date(2026, 9, 29)]
    assert alerts[0].rcpt_tos == ["office@example.cn"]
    assert "550 5.1.1 no such user" in alerts[0].message.get_body(("plain",)).get_content()
    sent_at = {r.message["Date"].datetime.replace(tzinfo=None) for r in recorder.received}
    assert {t.time() for t in sent_at} == {datetime(2026, 1, 1, 8, 30).time()}  # at 每日发送时间
    log = (ledger.parent / ".duban" / "logs" / "daily.log").read_text(encoding="utf-8")
    assert "2026-10-01 不是工作日" in log and "2026-10-09 不是工作日" in log
    assert "2026-09-29 的每日任务失败" in log
    assert "s3cret" not in log  # the password never reaches the log
    db = sqlite3.connect(ledger.parent / ".duban" / "history.sqlite")
    refreshed = [d for (d,) in db.execute("SELECT today FROM refresh ORDER BY id")]
    assert refreshed == [d.isoformat() for d in summary_days]  # refreshed on working days only


def test_once_on_a_holiday_sends_nothing_and_leaves_the_ledger_alone(tmp_path):
    ledger = make_ledger(tmp_path / "office")
    before = ledger.read_bytes()
    clock = FakeClock(datetime(2026, 10, 3, 9, 0))
    with smtp_server(tmp_path / "smtp") as server:
        result = run_daily(
            ledger, once=True, clock=clock, sleep=clock.sleep, env=server.env, console=False
        )
    assert result.ok and not result.working_day
    assert server.recorder.received == [] and ledger.read_bytes() == before


def test_once_on_a_working_day_refreshes_and_sends(tmp_path):
    ledger = make_ledger(tmp_path / "office")
    before = ledger.read_bytes()
    clock = FakeClock(datetime(2026, 10, 9, 8, 30))
    with smtp_server(tmp_path / "smtp") as server:
        result = run_daily(
            ledger, once=True, clock=clock, sleep=clock.sleep, env=server.env, console=False
        )
    assert result.ok and result.working_day and len(result.notify.sent) == 3
    assert len(server.recorder.received) == 3
    # the same pass drafted today's 催办函 for 审定: a 送审稿 is never mailed (tests/test_review.py
    # follows it through approval to the mail that carries it)
    [jt] = [r.message for r in server.recorder.received if r.rcpt_tos == ["jt@example.cn"]]
    assert list(jt.iter_attachments()) == []
    drafts = ledger.parent / "输出" / "2026-10-09" / "送审稿"
    assert (drafts / "县交通运输局-催办函-送审稿.docx").is_file()
    assert ledger.read_bytes() != before  # the refresh wrote the computed columns back


@pytest.mark.parametrize("at", ["25:00", "8点半", "08:61"])
def test_bad_time_is_refused_naming_the_valid_form(tmp_path, at):
    ledger = make_ledger(tmp_path / "office")
    with smtp_server(tmp_path / "smtp") as server:
        with pytest.raises(ConfigError, match=f"发送时间“{at}”无效.*HH:MM"):
            run_daily(ledger, at=at, once=True, env=server.env, console=False)


def test_deploy_files_run_one_cycle_of_the_real_command():
    """The scheduled-task XML parses and both deploy recipes call `duban daily <ledger> --once`."""
    from lxml import etree

    deploy = Path(__file__).resolve().parent.parent / "docs" / "deploy"
    task = etree.parse(str(deploy / "duban-daily.xml"))
    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    assert task.find(".//t:Command", ns).text.endswith("duban.exe")
    assert re.fullmatch(r'daily ".+\.xlsm" --once', task.find(".//t:Arguments", ns).text)
    assert task.find(".//t:StartBoundary", ns).text.endswith("T08:30:00")
    service = (deploy / "duban-daily.service").read_text(encoding="utf-8")
    assert re.search(r"^ExecStart=\S+/duban daily \S+\.xlsx --once$", service, re.M)
    timer = (deploy / "duban-daily.timer").read_text(encoding="utf-8")
    assert "OnCalendar=*-*-* 08:30:00" in timer and "Unit=duban-daily.service" in timer
