"""`duban notify` and `duban daily` by group robot: routing by 通知群, dry run, send log, faults.

Every robot's webhook points at the loopback server of robot_server.py, which checks the
signatures and limits the way the platforms do; nothing here mocks the HTTP client.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures_xlsx import good_row, write_ledger
from robot_server import closed_port_url, robot_server
from smtpd_fixture import smtp_server
from test_notify import SCRIPT

from automation.cli import cli
from automation.errors import ConfigError, SendFailed
from automation.mail.daily import DailyJob
from automation.mail.notify import notify

TODAY = date(2026, 10, 9)
NOW = datetime(2026, 10, 9, 8, 30)
DING_SECRET = "SEC" + "5f0e" * 16
FEISHU_SECRET = "feishu-" + "Qz" * 8
UNIT_HEADERS = ("单位名称", "别名", "联系人", "联系电话", "邮箱", "通知群")
UNITS = (
    ("县交通运输局", "交通局", "张三", "138-0000-1111", "jt@example.cn", ""),  # default robot
    ("县财政局", "财政局", "李四", "0571-88888888", "cz@example.cn", "wecom"),  # landline
    ("县住房和城乡建设局", "县住建局", "王五", "13900002222", "zj@example.cn", "feishu、DingTalk"),
    ("县教育局", "", "赵六", "13700003333", "jy@example.cn", "飞书群"),  # no such robot
)
INJECTION = "[点此](javascript:alert(1)) **加急** @all <@all>"


class FakeClock:
    """Monotonic time and sleep that only move when someone sleeps."""

    def __init__(self):
        self.now = 5000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_ledger(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        good_row(
            1, 事项内容=SCRIPT, 责任单位="县交通运输局", 办结时限=date(2026, 9, 30), 反馈周期="无"
        ),
        good_row(
            2, 事项内容=INJECTION, 责任单位="交通局", 办结时限=date(2026, 10, 8), 反馈周期="无"
        ),
        good_row(3, 责任单位="县交通运输局", 办结时限=date(2026, 10, 13), 反馈周期="无"),
        good_row(
            4, 责任单位="县财政局", 反馈周期="每月5日", 最近反馈日期=date(2026, 9, 4), 完成进度=0.9
        ),
        good_row(5, 责任单位="县住建局", 办结时限=date(2026, 9, 30), 反馈周期="无"),
        good_row(6, 责任单位="县教育局", 办结时限=date(2026, 9, 30), 反馈周期="无"),
        good_row(7, 责任单位="县财政局", 反馈周期="无", 完成进度=0.9),  # 正常推进: no reminder
    ]

    def units_sheet(workbook, _ledger_sheet, _header_row):
        sheet = workbook.add_worksheet("责任单位")
        sheet.write_row(0, 0, UNIT_HEADERS)
        for r, unit in enumerate(UNITS, start=1):
            sheet.write_row(r, 0, unit)

    return write_ledger(
        folder / "台账.xlsx",
        rows,
        units=None,
        settings=(("领导邮箱", "leader@example.cn"),),
        hook=units_sheet,
    )


def configure(ledger: Path, server, *, extra: str = "") -> dict[str, str]:
    """Write duban.toml naming three robots on the server; return their tokens and secrets."""
    ding = server.add("dingtalk", secret=DING_SECRET)
    wecom = server.add("wecom")
    feishu = server.add("feishu", secret=FEISHU_SECRET)
    (ledger.parent / "duban.toml").write_text(
        f'[robot.dingtalk]\nwebhook = "{ding}"\nsecret = "{DING_SECRET}"\n'
        f'[robot.wecom]\nwebhook = "{wecom}"\n'
        f'[robot.feishu]\nwebhook = "{feishu}"\nsecret = "{FEISHU_SECRET}"\n' + extra,
        encoding="utf-8",
    )
    return {
        "ding": ding.split("=")[-1],
        "wecom": wecom.split("=")[-1],
        "feishu": feishu.rsplit("/", 1)[-1],
        "ding_secret": DING_SECRET,
        "feishu_secret": FEISHU_SECRET,
    }


def run(ledger: Path, clock: FakeClock, **options):
    options = {"today": TODAY, "now": NOW, "env": {}, "attempts": 2, "backoff": 1.0, **options}
    return notify(ledger, sleep=clock.sleep, clock=clock, rate_wait=60.0, **options)


def title_of(platform: str, payload: dict) -> str:
    """The visible title of an accepted payload (the part counter included)."""
    if platform == "dingtalk":
        return payload["markdown"]["title"]
    if platform == "wecom":
        if payload["msgtype"] == "text":
            return "@" + payload["text"]["content"]
        return payload["markdown"]["content"].split("\n", 1)[0]
    return payload["content"]["post"]["zh_cn"]["title"]


def accepted(server) -> Counter:
    return Counter((r.platform, title_of(r.platform, r.payload)) for r in server.received)


def recorded(ledger: Path) -> list[tuple]:
    db = sqlite3.connect(ledger.parent / ".duban" / "history.sqlite")
    try:
        return db.execute("SELECT day, kind, unit, channel, part FROM robot_sent").fetchall()
    finally:
        db.close()


@pytest.fixture
def ledger(tmp_path) -> Path:
    return make_ledger(tmp_path / "office")


def test_each_unit_reaches_its_group_with_its_contact_mentioned(ledger):
    clock = FakeClock()
    with robot_server(clock) as server:
        configure(ledger, server)
        report = run(ledger, clock, send=True)
    robots = report.robots
    assert report.mail is False and "本次不发邮件" in report.summary()
    assert robots.failed == [] and len(robots.sent) == len(robots.messages) == len(server.received)
    got = accepted(server)
    assert got == Counter(
        {
            ("dingtalk", "【督办日报】2026年10月9日：逾期4项、反馈逾期1项、临期1项"): 1,
            ("dingtalk", "【督办提醒】县交通运输局：逾期2项、临期1项"): 1,
            ("dingtalk", "【督办提醒】县住房和城乡建设局：逾期1项"): 1,
            ("feishu", "【督办提醒】县住房和城乡建设局：逾期1项"): 1,
            ("wecom", "### 【督办提醒】县财政局：反馈逾期1项"): 1,
        }
    )  # 县教育局's 通知群 names no robot: not sent anywhere, and said so
    [jt] = [
        r.payload for r in server.received if "县交通运输局：" in title_of(r.platform, r.payload)
    ]
    assert jt["at"] == {"atMobiles": ["13800001111"], "isAtAll": False}
    text = jt["markdown"]["text"]
    assert "@13800001111" in text and "请联系人 张三 查收" in text
    assert "DB-2026-001" in text and "逾期2个工作日" in text and "督办等级：" in text
    assert "办结时限 2026-09-30" in text
    for forbidden in ("<script", "](javascript", "**加急**", "@all", "<@"):
        assert forbidden not in text
    assert "＜script＞alert(1)＜/script＞" in text and "＠all ＜＠all＞" in text
    [wecom] = server.payloads("wecom")  # a landline cannot be @-mentioned: no mention message
    assert "mentioned_mobile_list" not in json.dumps(wecom)
    leaders = next(
        r.payload for r in server.received if "督办日报" in title_of(r.platform, r.payload)
    )
    assert (
        "县教育局" in leaders["markdown"]["text"]
        and "通知群填写有误" in leaders["markdown"]["text"]
    )
    problems = {p.where: p.message for p in report.problems}
    assert (
        "飞书群" in problems["责任单位!F5"]
        and "不是 duban.toml 中配置的群机器人" in problems["责任单位!F5"]
    )
    assert "0571-88888888" in problems["责任单位!D3"] and "没有手机号" in problems["责任单位!D3"]
    assert sorted(recorded(ledger)) == sorted(
        ("2026-10-09", m.kind, m.unit, m.robot.channel, m.part) for m in robots.sent
    )


def test_dry_run_writes_json_beside_the_eml_files_and_posts_nothing(ledger, tmp_path):
    clock = FakeClock()
    with robot_server(clock) as server, smtp_server(tmp_path / "smtp") as smtp:
        secrets = configure(ledger, server)
        report = run(ledger, clock, env=smtp.env)
    folder = ledger.parent / "输出" / "2026-10-09" / "邮件"
    names = sorted(p.name for p in folder.iterdir())
    assert [n for n in names if n.endswith(".eml")] and report.mail
    jsons = sorted(p for p in folder.iterdir() if p.suffix == ".json")
    assert [p.name for p in jsons] == [
        "001-dingtalk-领导汇总.json",
        "002-dingtalk-县交通运输局.json",
        "003-dingtalk-县住房和城乡建设局.json",
        "004-feishu-县住房和城乡建设局.json",
        "005-wecom-县财政局.json",
    ]
    assert json.loads(jsons[1].read_text(encoding="utf-8"))["at"]["atMobiles"] == ["13800001111"]
    assert server.answers == [] and smtp.recorder.received == []
    assert not (ledger.parent / ".duban").exists()
    shown = report.summary() + "".join(p.read_text(encoding="utf-8") for p in jsons)
    for secret in secrets.values():
        assert secret not in shown
    assert "access_token=***" in report.summary() and "群消息将发送 5 条" in report.summary()


@pytest.fixture(scope="module")
def one_clean_run(tmp_path_factory) -> Counter:
    """What a run with no fault posts: each (platform, title) once."""
    ledger = make_ledger(tmp_path_factory.mktemp("reference"))
    clock = FakeClock()
    with robot_server(clock) as server:
        configure(ledger, server)
        report = run(ledger, clock, send=True)
    assert report.robots.failed == []
    return accepted(server)


@pytest.mark.parametrize(
    "fault", ["down", "ratelimit", "badsign", "http500_after_2", "drop_after_3"]
)
def test_a_second_run_sends_exactly_what_the_first_could_not(ledger, fault, one_clean_run):
    clock = FakeClock()
    with robot_server(clock) as first:
        configure(ledger, first)
        if fault == "down":  # every webhook on a port where nothing listens
            toml = ledger.parent / "duban.toml"
            toml.write_text(
                toml.read_text(encoding="utf-8").replace(first.base, closed_port_url("")),
                encoding="utf-8",
            )
        elif fault in ("ratelimit", "badsign"):
            first.fault(fault, times=None)
        else:
            mode, after = fault.rsplit("_after_", 1)
            first.fault(mode, after=int(after), times=None)
        one = run(ledger, clock, send=True)
    assert one.robots.failed
    with pytest.raises(SendFailed, match="条群消息发送失败"):
        one.raise_for_failures()
    sent_first = accepted(first)
    if fault.startswith(("http500", "drop")):
        assert sum(sent_first.values()) == int(fault[-1])
    # Nothing recorded that the platform did not accept, and everything it accepted recorded.
    assert len(recorded(ledger)) == sum(sent_first.values()) == len(one.robots.sent)
    with robot_server(clock) as second:  # the platform is back (a new port: toml rewritten)
        configure(ledger, second)
        two = run(ledger, clock, send=True)
    assert two.robots.failed == []
    assert len(two.robots.skipped) == len(one.robots.sent)
    assert sent_first + accepted(second) == one_clean_run  # every message exactly once overall
    assert len(recorded(ledger)) == sum(one_clean_run.values())


def test_a_rate_limit_answer_is_waited_out_within_the_run(ledger):
    clock = FakeClock()
    with robot_server(clock) as server:
        configure(ledger, server)
        server.fault("ratelimit", times=1)
        report = run(ledger, clock, send=True)
    assert report.robots.failed == [] and 60.0 in clock.sleeps
    assert len(server.received) == len(report.robots.messages)


def test_channel_option_picks_mail_or_robots(ledger, tmp_path):
    runner = CliRunner()
    with robot_server() as server, smtp_server(tmp_path / "smtp") as smtp:
        configure(ledger, server)
        args = ["notify", str(ledger), "--today", "2026-10-09", "--send"]
        mail_only = runner.invoke(cli, [*args, "--channel", "mail"], env=smtp.env)
        assert mail_only.exit_code == 0, mail_only.output
        assert server.answers == [] and len(smtp.recorder.received) == 5
        wecom_only = runner.invoke(cli, [*args, "--channel", "wecom"], env=smtp.env)
        assert wecom_only.exit_code == 0, wecom_only.output
        assert [r.platform for r in server.received] == ["wecom"] and len(
            smtp.recorder.received
        ) == 5
        everything = runner.invoke(cli, args, env=smtp.env)
        assert everything.exit_code == 0, everything.output
        assert "已发送 0 封，跳过 5 封" in everything.output
        assert "群消息已发送 4 条，跳过 1 条" in everything.output
        wrong = runner.invoke(cli, [*args, "--channel", "qq"], env=smtp.env)
    assert wrong.exit_code == 64 and "没有“qq”这个发送渠道" in wrong.output
    assert "dingtalk、wecom、feishu" in wrong.output


def test_unit_option_sends_one_units_digest_only(ledger):
    clock = FakeClock()
    with robot_server(clock) as server:
        configure(ledger, server)
        report = run(ledger, clock, send=True, unit="县住建局")
    assert {(m.robot.name, m.unit) for m in report.robots.sent} == {
        ("feishu", "县住房和城乡建设局"),
        ("dingtalk", "县住房和城乡建设局"),
    }


def test_limit_caps_each_robot(ledger):
    clock = FakeClock()
    with robot_server(clock) as server:
        configure(ledger, server)
        report = run(ledger, clock, send=True, limit=1)
    assert Counter(m.robot.name for m in report.robots.sent) == {
        "dingtalk": 1,
        "wecom": 1,
        "feishu": 1,
    }
    assert [m.unit for m in report.robots.held] == ["县交通运输局", "县住房和城乡建设局"]


def test_the_daily_job_sends_by_robot_and_posts_its_failure_notice(ledger, one_clean_run):
    clock = FakeClock()
    at = datetime(2026, 10, 9, 8, 30)
    with robot_server(clock) as server:
        secrets = configure(ledger, server)
        # Nothing but robots is configured: no SMTP, and the day still runs.
        job = DailyJob(ledger, clock=lambda: at, sleep=clock.sleep, env={}, attempts=2, backoff=0)
        try:
            server.fault("badsign", times=1)  # the first post (the leaders' summary) is refused
            failed = job.run_once()
            retried = job.run_once()  # the office fixed it: the rerun sends what is missing
        finally:
            job.close()
    assert not failed.ok and "310000" in failed.error
    assert retried.ok, retried.error
    got = accepted(server)
    notices = [t for t in got if "督办系统告警" in t[1]]
    assert notices == [("dingtalk", "【督办系统告警】2026年10月9日每日任务失败")]
    notice = next(
        r.payload for r in server.received if "督办系统告警" in title_of(r.platform, r.payload)
    )
    assert "310000" in notice["markdown"]["text"]
    del got[notices[0]]
    assert got == one_clean_run  # the day's messages, each exactly once over the two runs
    log = (ledger.parent / ".duban" / "logs" / "daily.log").read_text(encoding="utf-8")
    for secret in secrets.values():
        assert secret not in log


def test_no_channel_at_all_is_a_config_error(ledger):
    with pytest.raises(ConfigError, match="未配置发信服务器"):
        notify(ledger, today=TODAY, now=NOW, env={}, send=True)


def test_a_mail_config_error_does_not_keep_the_groups_waiting(ledger, tmp_path):
    clock = FakeClock()
    with robot_server(clock) as server, smtp_server(tmp_path / "smtp") as smtp:
        configure(ledger, server)
        env = {**smtp.env, "DUBAN_SMTP_PASSWORD": "wrong-Pw-123"}
        with pytest.raises(ConfigError, match="拒绝登录"):
            run(ledger, clock, send=True, env=env)
    assert smtp.recorder.received == []
    assert len(server.received) == len(recorded(ledger)) == 5


def test_json_report_lists_the_robot_messages_with_webhooks_masked(ledger):
    with robot_server() as server:
        secrets = configure(ledger, server)
        result = CliRunner().invoke(
            cli, ["notify", str(ledger), "--today", "2026-10-09", "--json"], env={}
        )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    robots = data["robots"]
    assert all(r["webhook"].endswith(("=***", "/***")) for r in robots["robots"])
    assert [(m["robot"], m["unit"], m["state"]) for m in robots["messages"]][:2] == [
        ("dingtalk", "领导汇总", "待发送"),
        ("dingtalk", "县交通运输局", "待发送"),
    ]
    assert len(robots["written"]) == 5 and data["ok"] is True
    for secret in secrets.values():
        assert secret not in result.output
