"""Faults on the way to a real SMTP server: nothing is recorded unless accepted; a rerun sends the rest."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from smtpd_fixture import Recorder, free_port, smtp_server
from test_notify import make_ledger

from automation.errors import SendFailed
from automation.mail.notify import notify
from automation.mail.sendlog import SendLog

TODAY = date(2026, 10, 9)
NOW = datetime(2026, 10, 9, 8, 30)
ALL = {"领导汇总", "县交通运输局", "县财政局"}  # the three messages make_ledger yields on TODAY


def run(ledger, env, sleeps):
    return notify(
        ledger,
        today=TODAY,
        send=True,
        now=NOW,
        env=env,
        attempts=3,
        backoff=0.5,
        sleep=sleeps.append,
    )


def units(received) -> list[str]:
    subjects = [r.message["Subject"] for r in received]
    return sorted(
        "领导汇总" if s.startswith("【督办日报】") else s.split("】")[1].split("：")[0]
        for s in subjects
    )


def logged(ledger) -> set[str]:
    with SendLog(ledger) as log:
        return {unit for _, _, unit in log.sent_keys(TODAY)}


@pytest.fixture
def ledger(tmp_path):
    return make_ledger(tmp_path / "office")


def test_server_down_at_start_then_a_rerun_sends_everything(ledger, tmp_path):
    port = free_port()
    sleeps: list[float] = []
    with smtp_server(tmp_path / "smtp", port=port) as server:
        env = server.env
    report = run(ledger, env, sleeps)  # the server is gone now
    assert report.sent == [] and {o.unit for o, _ in report.failed} == ALL
    assert "无法连接发信服务器" in report.failed[0][1]
    # backoff doubles, then the batch stops instead of waiting again for every message
    assert sleeps == [0.5, 1.0]
    with pytest.raises(SendFailed) as caught:
        report.raise_for_failures()
    assert caught.value.exit_code == 7 and "3 封邮件发送失败" in str(caught.value)
    assert logged(ledger) == set()
    with smtp_server(tmp_path / "smtp", port=port) as server:
        again = run(ledger, server.env, sleeps)
    assert units(server.recorder.received) == sorted(ALL)
    assert {o.unit for o in again.sent} == ALL and again.failed == []


def test_connection_dropped_after_one_message_reconnects_and_sends_each_once(ledger, tmp_path):
    recorder = Recorder(drop_after=1)
    sleeps: list[float] = []
    with smtp_server(tmp_path / "smtp", recorder) as server:
        report = run(ledger, server.env, sleeps)
    assert recorder.dropped
    assert units(recorder.received) == sorted(ALL)  # the dropped message was resent, none twice
    assert recorder.logins == 2  # one reconnect
    assert len(report.sent) == 3 and report.failed == []
    assert logged(ledger) == ALL


def test_temporary_4xx_is_retried_with_backoff_in_the_same_run(ledger, tmp_path):
    refusals = {"jt@example.cn": 2}

    def greylist(address):
        if refusals.get(address, 0) > 0:
            refusals[address] -= 1
            return "451 4.7.1 greylisted, try again later"
        return None

    recorder = Recorder(rcpt_reply=greylist)
    sleeps: list[float] = []
    with smtp_server(tmp_path / "smtp", recorder) as server:
        report = run(ledger, server.env, sleeps)
    assert recorder.rcpt_seen.count("jt@example.cn") == 3
    assert sleeps == [0.5, 1.0]
    assert units(recorder.received) == sorted(ALL) and report.failed == []


def test_4xx_that_outlasts_the_retries_fails_and_the_rerun_sends_only_it(ledger, tmp_path):
    recorder = Recorder(
        rcpt_reply=lambda a: "452 4.2.2 mailbox full" if a == "cz@example.cn" else None
    )
    with smtp_server(tmp_path / "smtp", recorder) as server:
        first = run(ledger, server.env, [])
        assert [o.unit for o, _ in first.failed] == ["县财政局"]
        assert "452 4.2.2 mailbox full" in first.failed[0][1]
        assert logged(ledger) == ALL - {"县财政局"}
        recorder.rcpt_reply = None
        before = len(recorder.received)
        second = run(ledger, server.env, [])
    assert units(recorder.received[before:]) == ["县财政局"]
    assert [o.unit for o in second.sent] == ["县财政局"] and len(second.skipped) == 2


def test_5xx_for_one_recipient_is_not_retried_and_the_rerun_sends_only_it(ledger, tmp_path):
    recorder = Recorder(
        rcpt_reply=lambda a: "550 5.1.1 no such user" if a == "jt@example.cn" else None
    )
    sleeps: list[float] = []
    with smtp_server(tmp_path / "smtp", recorder) as server:
        first = run(ledger, server.env, sleeps)
        assert recorder.rcpt_seen.count("jt@example.cn") == 1 and sleeps == []
        assert [o.unit for o, _ in first.failed] == ["县交通运输局"]
        assert "550 5.1.1 no such user" in first.failed[0][1]
        assert units(recorder.received) == ["县财政局", "领导汇总"]
        assert "失败 1 封" in first.summary() and "重新运行 duban notify --send" in first.summary()
        recorder.rcpt_reply = None
        second = run(ledger, server.env, sleeps)
    assert units(recorder.received) == sorted(ALL)  # exactly the missing one was added
    assert [o.unit for o in second.sent] == ["县交通运输局"]
    assert logged(ledger) == ALL


def test_cli_exits_7_when_a_message_failed(ledger, tmp_path):
    from click.testing import CliRunner

    from automation.cli import cli

    recorder = Recorder(
        rcpt_reply=lambda a: "550 5.1.1 no such user" if a == "cz@example.cn" else None
    )
    with smtp_server(tmp_path / "smtp", recorder) as server:
        args = ["notify", str(ledger), "--today", "2026-10-09", "--send"]
        result = CliRunner().invoke(cli, args, env=server.env)
    assert result.exit_code == 7, result.output
    assert "失败 1 封" in result.output
    assert "1 封邮件发送失败（县财政局：收件人被拒收" in result.output


def test_a_second_run_while_one_is_sending_is_refused(ledger, tmp_path):
    with smtp_server(tmp_path / "smtp") as server:
        with SendLog(ledger) as other:  # another process in the middle of its batch
            other.acquire(datetime.now())
            with pytest.raises(SendFailed, match="另一个发送任务正在进行"):
                run(ledger, server.env, [])
            other.release()
        assert server.recorder.received == []
        report = run(ledger, server.env, [])
    assert {o.unit for o in report.sent} == ALL


def test_a_lock_left_by_a_crashed_run_expires(ledger, tmp_path):
    with SendLog(ledger) as crashed:
        crashed.acquire(datetime.now() - timedelta(minutes=31))  # never released
    with smtp_server(tmp_path / "smtp") as server:
        report = run(ledger, server.env, [])
    assert {o.unit for o in report.sent} == ALL
