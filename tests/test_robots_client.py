"""Posting to group robots: signatures, limits, answers and retries, against a real loopback server."""

from __future__ import annotations

import time

import pytest
from robot_server import closed_port_url, robot_server

from automation.robots.client import RobotClient
from automation.robots.config import RobotConfig
from automation.robots.digest import Digest, ours, typed
from automation.robots.platforms import (
    DINGTALK_BODY_BYTES,
    WECOM_MARKDOWN_BYTES,
    RobotError,
    dingtalk_sign,
    encode,
    payloads,
)

SECRET = {"dingtalk": "SEC" + "a1b2c3" * 10, "feishu": "fs-" + "x9" * 11, "wecom": ""}
PLATFORMS = ("dingtalk", "wecom", "feishu")


class FakeClock:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_robot(
    server, platform: str, *, secret: str | None = None, keyword: str = ""
) -> RobotConfig:
    secret = SECRET[platform] if secret is None else secret
    url = server.add(platform, secret=secret, keyword=keyword)
    return RobotConfig(platform, platform, url, secret, keyword, True, timeout=5)


def client(robot: RobotConfig, clock: FakeClock, **options) -> RobotClient:
    options = {"attempts": 3, "backoff": 2.0, "rate_wait": 60.0, **options}
    return RobotClient(robot, sleep=clock.sleep, clock=clock, **options)


def digest(n_items: int = 3, content: str = "推进老旧小区改造") -> Digest:
    return Digest(
        kind="unit",
        unit="县住建局",
        title=(ours("【督办提醒】"), typed("县住建局"), ours(f"：逾期{n_items}项")),
        head=((ours("截至2026年10月9日，"), typed("县住建局"), ours("牵头的督办事项如下。")),),
        body=tuple(
            (
                typed(f"DB-2026-{i:03d}", bold=True),
                ours(" "),
                typed(f"{content}{i}"),
                ours("（逾期2个工作日）"),
            )
            for i in range(1, n_items + 1)
        ),
        tail=((typed("XX县人民政府督查室"), ours("（督办台账系统自动发送）")),),
        mobiles=("13800001111",),
        nudge=(typed("县住建局"), ours("：请查收。")),
    )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_platform_accepts_a_signed_digest(platform):
    clock = FakeClock()
    with robot_server(clock) as server:
        robot = make_robot(server, platform)
        sender = client(robot, clock)
        for payload in payloads(robot, digest()):
            sender.send(payload)
    assert server.received and all(r.platform == platform for r in server.received)
    assert [a[1] for a in server.answers] == [200] * len(server.received)
    assert clock.sleeps == []


@pytest.mark.parametrize("platform", ["dingtalk", "feishu"])
def test_a_wrong_secret_is_refused_once_and_not_retried(platform):
    clock = FakeClock()
    with robot_server(clock) as server:
        robot = make_robot(server, platform)
        wrong = RobotConfig(platform, platform, robot.webhook, robot.secret + "x", timeout=5)
        sender = client(wrong, clock)
        with pytest.raises(RobotError) as caught:
            sender.send(payloads(wrong, digest())[0])
    assert caught.value.robot_wide and not caught.value.transient
    assert sender.posts == 1 and clock.sleeps == []
    assert server.received == []
    assert "310000" in caught.value.reason or "19021" in caught.value.reason


@pytest.mark.parametrize("platform", ["dingtalk", "feishu"])
def test_a_timestamp_more_than_an_hour_off_is_refused(platform):
    clock = FakeClock()
    with robot_server(clock) as server:
        robot = make_robot(server, platform)
        late = client(robot, clock, wall=lambda: time.time() - 3700)
        with pytest.raises(RobotError, match="310000|19021"):
            late.send(payloads(robot, digest())[0])
        client(robot, clock, wall=lambda: time.time() - 3500).send(payloads(robot, digest())[0])
    assert len(server.received) == 1


def test_dingtalk_sign_is_url_encoded_when_it_holds_plus_slash_and_equals():
    # Find a timestamp whose signature has the characters URL-encoding must protect.
    secret = SECRET["dingtalk"]
    base = int(time.time() * 1000)
    stamp = next(t for t in range(base, base + 5000) if "+" in dingtalk_sign(secret, t))
    assert "=" in dingtalk_sign(secret, stamp)
    clock = FakeClock()
    with robot_server(clock) as server:
        robot = make_robot(server, "dingtalk")
        client(robot, clock, wall=lambda: stamp / 1000).send(payloads(robot, digest())[0])
    assert len(server.received) == 1


def test_dingtalk_replaces_an_old_signature_pasted_with_the_webhook():
    clock = FakeClock()
    with robot_server(clock) as server:
        robot = make_robot(server, "dingtalk")
        pasted = RobotConfig(
            "dingtalk", "dingtalk", robot.webhook + "&timestamp=1&sign=old", robot.secret, timeout=5
        )
        client(pasted, clock).send(payloads(pasted, digest())[0])
    assert len(server.received) == 1


@pytest.mark.parametrize("platform", ["dingtalk", "feishu"])
def test_keyword_is_added_when_the_robot_uses_keywords(platform):
    clock = FakeClock()
    with robot_server(clock) as server:
        robot = make_robot(server, platform, secret="", keyword="督办通知")
        for payload in payloads(robot, digest()):
            client(robot, clock).send(payload)
        bare = RobotConfig(platform, platform, robot.webhook, timeout=5)
        with pytest.raises(RobotError, match="310000|19024"):
            client(bare, clock).send(payloads(bare, digest())[0])
    assert server.received


@pytest.mark.parametrize("platform", PLATFORMS)
def test_rate_limit_is_kept_by_waiting_never_by_dropping(platform):
    clock = FakeClock()
    n = 25 if platform != "feishu" else 12
    with robot_server(clock) as server:
        robot = make_robot(server, platform)
        sender = client(robot, clock)
        one = payloads(robot, Digest("unit", "甲", (ours("提醒"),), body=((ours("x"),),)))[0]
        for _ in range(n):
            sender.send(one)
    assert len(server.received) == n  # all accepted, none answered with a rate-limit code
    assert all(status == 200 for _, status, _ in server.answers)
    if platform == "feishu":  # 5 a second
        assert clock.now - 1000 >= 2
    else:  # 20 a minute: the 21st waited for the minute to pass
        assert clock.now - 1000 >= 60
    assert sender.limiter.waited == pytest.approx(sum(clock.sleeps))


@pytest.mark.parametrize(
    ("mode", "platform"), [("http500", "dingtalk"), ("drop", "wecom"), ("http500", "feishu")]
)
def test_transient_failures_are_retried_with_backoff(mode, platform):
    clock = FakeClock()
    with robot_server(clock) as server:
        robot = make_robot(server, platform)
        server.fault(mode, times=2)
        sender = client(robot, clock, attempts=4)
        sender.send(payloads(robot, digest())[0])
    assert sender.posts == 3
    assert clock.sleeps == [2.0, 4.0]
    assert len(server.received) == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_rate_limit_answer_waits_a_minute_before_retrying(platform):
    clock = FakeClock()
    with robot_server(clock) as server:
        robot = make_robot(server, platform)
        server.fault("ratelimit", times=1)
        sender = client(robot, clock)
        sender.send(payloads(robot, digest())[0])
    assert clock.sleeps == [60.0]
    assert len(server.received) == 1


def test_retries_run_out_and_say_so_without_the_token():
    clock = FakeClock()
    with robot_server(clock) as server:
        robot = make_robot(server, "dingtalk")
        server.fault("http500", times=None)
        with pytest.raises(RobotError) as caught:
            client(robot, clock).send(payloads(robot, digest())[0])
    error = caught.value
    assert error.transient and error.robot_wide
    assert "HTTP 500" in error.reason and "已重试 2 次" in error.reason
    token = robot.webhook.split("access_token=")[1]
    assert token not in error.reason and robot.secret not in error.reason


def test_a_server_that_is_down_is_unreachable():
    clock = FakeClock()
    robot = RobotConfig("dingtalk", "dingtalk", closed_port_url(), SECRET["dingtalk"], timeout=5)
    with pytest.raises(RobotError, match="连接被拒绝") as caught:
        client(robot, clock).send(payloads(robot, digest())[0])
    assert caught.value.robot_wide
    assert clock.sleeps == [2.0, 4.0]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_long_digest_is_split_into_parts_the_platform_accepts(platform):
    clock = FakeClock()
    long_digest = digest(
        120, content="推进城区老旧小区改造，完善配套设施，加装电梯，改造雨污管网" * 2
    )
    with robot_server(clock) as server:
        robot = make_robot(server, platform)
        parts = payloads(robot, long_digest)
        sender = client(robot, clock)
        for payload in parts:
            sender.send(payload)
    received = server.payloads()
    assert len(received) == len(parts) >= 2
    texts = [encode(p).decode() for p in received]
    for i in range(1, 121):  # every item exactly once, in order
        assert sum(t.count(f"DB-2026-{i:03d}") for t in texts) == 1
    assert "截至2026年10月9日" in texts[0] and all("截至" not in t for t in texts[1:])
    assert "督办台账系统自动发送" in texts[-1 if platform != "wecom" else -2]
    n = len(parts) - (1 if platform == "wecom" else 0)  # 企业微信: the @ message comes last
    for k in range(1, n + 1):
        assert f"（{k}/{n}）" in texts[k - 1]
    if platform == "dingtalk":
        assert all(len(encode(p)) <= DINGTALK_BODY_BYTES for p in received)
        assert [p["at"]["atMobiles"] for p in received] == [[]] * (n - 1) + [["13800001111"]]
    if platform == "wecom":
        assert all(
            len(p["markdown"]["content"].encode()) <= WECOM_MARKDOWN_BYTES for p in received[:-1]
        )
        assert received[-1]["text"]["mentioned_mobile_list"] == ["13800001111"]


def test_one_item_longer_than_a_message_is_cut_not_refused():
    clock = FakeClock()
    with robot_server(clock) as server:
        robot = make_robot(server, "wecom")
        huge = digest(1, content="很长的事项内容" * 400)
        parts = payloads(robot, huge)
        for payload in parts:
            client(robot, clock).send(payload)
    assert len(server.received) == len(parts) == 2
    assert "过长，详见台账" in parts[0]["markdown"]["content"]


INJECTIONS = (
    "<script>alert(1)</script>",
    "[点此查看](javascript:alert(1))",
    "**加急** `代码` ~~删除~~ _斜体_",
    "@all 请所有人注意",
    "<@all> <@zhangsan>",
    '<at user_id="all">所有人</at>',
    '<font color="warning">红字</font>\n# 假标题\n> 引用',
)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_markup_in_staff_text_arrives_as_plain_text_and_mentions_nobody(platform):
    clock = FakeClock()
    bad = Digest(
        kind="unit",
        unit="县住建局<@all>",
        title=(ours("【督办提醒】"), typed("县住建局<@all>")),
        body=tuple(
            (typed(f"DB-{i}", bold=True), ours(" "), typed(text))
            for i, text in enumerate(INJECTIONS)
        ),
        mobiles=("13800001111",),
        nudge=(typed("县住建局<@all> @all"), ours("：请查收。")),
    )
    with robot_server(clock) as server:
        robot = make_robot(server, platform)
        for payload in payloads(robot, bad):
            client(robot, clock).send(payload)
    received = server.payloads()
    if platform == "feishu":
        elements = [
            e for p in received for line in p["content"]["post"]["zh_cn"]["content"] for e in line
        ]
        assert {e["tag"] for e in elements} == {"text"}  # no "at", no "a": nothing parsed
        texts = [e["text"] for e in elements]
        for text in INJECTIONS:  # exactly as typed (line breaks folded)
            assert " ".join(text.split()) in texts
        return
    if platform == "dingtalk":
        [payload] = received
        shown = payload["markdown"]["text"]
        assert payload["at"] == {"atMobiles": ["13800001111"], "isAtAll": False}
    else:
        shown = "\n".join(
            p["markdown"]["content"] if "markdown" in p else p["text"]["content"] for p in received
        )
        assert [p["text"]["mentioned_mobile_list"] for p in received if "text" in p] == [
            ["13800001111"]
        ]
        assert all("mentioned_list" not in p.get("text", {}) for p in received)
    for forbidden in (
        "<script",
        "](",
        "**加急**",
        "`",
        "~~",
        "_斜体_",
        "@all",
        "<@",
        "<at",
        "<font",
        "\n# 假标题",
        "\n> 引用",
    ):
        assert forbidden not in shown
    assert "＜script＞alert(1)＜/script＞" in shown and "＠all" in shown
    assert "［点此查看］(javascript:alert(1))" in shown


@pytest.mark.parametrize(("platform", "code"), [("dingtalk", "130101"), ("wecom", "45009")])
def test_the_server_itself_refuses_the_21st_message_of_a_minute(platform, code):
    """The limiter is what keeps us under: without it the platform answers with its rate code."""
    clock = FakeClock()
    with robot_server(clock) as server:
        robot = make_robot(server, platform)
        sender = client(robot, clock, attempts=1)
        sender.limiter.windows = ((60.0, 1000),)  # switched off
        one = payloads(robot, Digest("unit", "甲", (ours("提醒"),), body=((ours("x"),),)))[0]
        for _ in range(20):
            sender.send(one)
        with pytest.raises(RobotError, match=code) as caught:
            sender.send(one)
    assert caught.value.rate_limited and caught.value.transient
    assert len(server.received) == 20
