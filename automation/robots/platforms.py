"""What each platform wants: payloads within its size limits, its signature, its answers.

钉钉 custom robot: markdown with ``at.atMobiles`` (the mobiles written as ``@138…`` in the
text), body at most 20 000 bytes (errcode 460101); 加签 = base64(HMAC-SHA256(key=secret,
msg="{timestamp_ms}\\n{secret}")), URL-encoded and appended as ``&timestamp=&sign=``;
20 messages a minute (130101). 企业微信 group robot: markdown content at most 4096 bytes
(40058), no @ by mobile in markdown, so the mention goes in a short ``text`` message with
``mentioned_mobile_list`` (content at most 2048 bytes); 20 a minute (45009); no signing.
飞书 custom bot: ``post`` rich text, body at most 20 KB; 签名校验 = base64(HMAC-SHA256(
key="{timestamp_s}\\n{secret}", msg="")) sent as ``timestamp`` and ``sign`` in the body;
100 a minute and 5 a second (11232); @ only by user id, so nobody is mentioned by mobile.
A non-zero ``errcode`` / ``code`` is a failure, whatever the HTTP status says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from automation.robots.config import DINGTALK, FEISHU, WECOM, RobotConfig
from automation.robots.digest import Digest, Paragraph, Span, inert, markdown, one_line

DINGTALK_BODY_BYTES = 20_000
WECOM_MARKDOWN_BYTES = 4096
WECOM_TEXT_BYTES = 2048
FEISHU_BODY_BYTES = 20_000
FEISHU_SIGN_RESERVE = 100  # "timestamp" and "sign" are added to the body when it is sent
# (seconds, messages) windows each robot must stay within.
RATE_LIMITS = {
    DINGTALK: ((60.0, 20),),
    WECOM: ((60.0, 20),),
    FEISHU: ((60.0, 100), (1.0, 5)),
}
_PLACEHOLDER = "（99/99）"  # the widest part counter, reserved while measuring
_CUT = "…（过长，详见台账）"
_ERRMSG_CHARS = 120

# Answer codes by meaning. Rate limits and "busy" are retried; codes that say the robot
# itself is wrong (token, signature, keyword, IP, stopped) stop every further message to it.
_RATE_LIMITED = {DINGTALK: {130101, 410100}, WECOM: {45009}, FEISHU: {11232}}
_BUSY = {-1}
_ROBOT_WRONG = {
    DINGTALK: {300001, 310000, 400013, 400101, 400102, 400106},
    WECOM: {93000, 93004, 93008},
    FEISHU: {19001, 19021, 19022, 19024},
}
_HINTS = {
    310000: "签名或关键词校验未通过：请核对 duban.toml 中的 secret（加签密钥，SEC 开头）和 keyword，并确认本机时钟准确",
    19021: "签名校验未通过：请核对 duban.toml 中的 secret，并确认本机时钟准确（误差须在 1 小时内）",
    19024: "消息不含机器人设置的自定义关键词：请在 duban.toml 中填写 keyword",
    300001: "Webhook 中的 access_token 无效：请重新复制机器人的 Webhook 地址",
    400101: "Webhook 中的 access_token 无效：请重新复制机器人的 Webhook 地址",
    400102: "机器人已被停用：请在群设置中启用，或换一个机器人",
    93000: "Webhook 地址无效：请重新复制群机器人的 Webhook 地址",
    19001: "Webhook 地址无效：请重新复制机器人的 Webhook 地址",
}


class RobotError(Exception):
    """A platform did not accept a message.

    ``transient``: worth retrying (rate limit, busy, HTTP 5xx, network); ``rate_limited``:
    the platform asked us to slow down; ``robot_wide``: no message to this robot can
    succeed until its configuration is fixed (or, after retries, it is unreachable).
    """

    def __init__(
        self,
        reason: str,
        *,
        transient: bool = False,
        rate_limited: bool = False,
        robot_wide: bool = False,
    ):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.rate_limited = rate_limited
        self.robot_wide = robot_wide


def encode(payload: dict) -> bytes:
    """Serialise a payload exactly as it is sent (UTF-8, not \\u-escaped: the limits count bytes)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- payloads -------------------------------------------------------------------------------


def payloads(robot: RobotConfig, digest: Digest) -> list[dict]:
    """Shape a digest into the payloads to post to a robot, in order, each within its limits."""
    if robot.platform == DINGTALK:
        return _split(
            digest,
            lambda suffix, paras, last: _dingtalk(robot, digest, suffix, paras, last),
            lambda p: len(encode(p)) <= DINGTALK_BODY_BYTES,
        )
    if robot.platform == WECOM:
        parts = _split(
            digest,
            lambda suffix, paras, last: _wecom(digest, suffix, paras),
            lambda p: len(p["markdown"]["content"].encode()) <= WECOM_MARKDOWN_BYTES,
        )
        if digest.mobiles:
            parts.append(_wecom_mention(digest))
        return parts
    return _split(
        digest,
        lambda suffix, paras, last: _feishu(robot, digest, suffix, paras),
        lambda p: len(encode(p)) + FEISHU_SIGN_RESERVE <= FEISHU_BODY_BYTES,
    )


def _dingtalk(robot, digest: Digest, suffix: str, paras: list[Paragraph], last: bool) -> dict:
    blocks = [f"#### {markdown(digest.title)}{suffix}", *(markdown(p) for p in paras)]
    mobiles = list(digest.mobiles) if last else []
    if mobiles:
        # 钉钉 shows a mention only where "@<mobile>" is written in the text.
        blocks.append(" ".join(f"@{m}" for m in mobiles))
    text = "\n\n".join(blocks)
    if robot.keyword and robot.keyword not in text:
        text += f"\n\n{robot.keyword}"
    return {
        "msgtype": "markdown",
        "markdown": {"title": digest.title_text + suffix, "text": text},
        "at": {"atMobiles": mobiles, "isAtAll": False},
    }


def _wecom(digest: Digest, suffix: str, paras: list[Paragraph]) -> dict:
    blocks = [f"### {markdown(digest.title)}{suffix}", *(markdown(p) for p in paras)]
    return {"msgtype": "markdown", "markdown": {"content": "\n\n".join(blocks)}}


def _wecom_mention(digest: Digest) -> dict:
    content = inert(digest.nudge or digest.title)
    while len(content.encode()) > WECOM_TEXT_BYTES:
        content = content[: len(content) * 9 // 10] + "…"
    return {
        "msgtype": "text",
        "text": {"content": content, "mentioned_mobile_list": list(digest.mobiles)},
    }


def _feishu(robot, digest: Digest, suffix: str, paras: list[Paragraph]) -> dict:
    lines = [
        [_feishu_element(s) for s in p if s.text] or [{"tag": "text", "text": ""}] for p in paras
    ]
    title = digest.title_text + suffix
    if robot.keyword and not any(robot.keyword in e["text"] for line in lines for e in line):
        if robot.keyword not in title:
            lines.append([{"tag": "text", "text": robot.keyword}])
    return {"msg_type": "post", "content": {"post": {"zh_cn": {"title": title, "content": lines}}}}


def _feishu_element(span: Span) -> dict:
    element: dict[str, object] = {
        "tag": "text",
        "text": one_line(span.text) if span.staff else span.text,
    }
    if span.bold:
        element["style"] = ["bold"]
    return element


def _split(
    digest: Digest,
    render: Callable[[str, list[Paragraph], bool], dict],
    fits: Callable[[dict], bool],
) -> list[dict]:
    """Spread the body over parts that fit; head opens the first part, tail closes the last."""

    def ok(paras: list[Paragraph], first: bool) -> bool:
        head = list(digest.head) if first else []
        return fits(render(_PLACEHOLDER, [*head, *paras, *digest.tail], True))

    def alone(first: bool) -> Callable[[Paragraph], bool]:
        return lambda paragraph: ok([paragraph], first)

    groups: list[list[Paragraph]] = []
    current: list[Paragraph] = []
    for paragraph in digest.body:
        first = not groups
        if ok([*current, paragraph], first):
            current.append(paragraph)
            continue
        if current:
            groups.append(current)
            current, first = [], False
        if not ok([paragraph], first):
            paragraph = _shrink(paragraph, alone(first))
        current = [paragraph]
    groups.append(current)
    n = len(groups)
    parts = []
    for k, group in enumerate(groups, 1):
        head = list(digest.head) if k == 1 else []
        tail = list(digest.tail) if k == n else []
        parts.append(render(f"（{k}/{n}）" if n > 1 else "", [*head, *group, *tail], k == n))
    return parts


def _shrink(paragraph: Paragraph, ok: Callable[[Paragraph], bool]) -> Paragraph:
    """Cut the longest typed span of a paragraph that is too long for any message on its own."""
    spans = list(paragraph)
    staff = [i for i, s in enumerate(spans) if s.staff]
    if not staff:
        return paragraph
    i = max(staff, key=lambda j: len(spans[j].text))
    text = spans[i].text

    def cut(n: int) -> Paragraph:
        return (*spans[:i], Span(text[:n] + _CUT, spans[i].bold, True), *spans[i + 1 :])

    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits
        mid = (low + high + 1) // 2
        if ok(cut(mid)):
            low = mid
        else:
            high = mid - 1
    return cut(low)


# --- signing --------------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """Return 钉钉's 加签 (before URL-encoding): base64(HMAC-SHA256(secret, "ts\\nsecret"))."""
    message = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Return 飞书's 签名: base64(HMAC-SHA256(key="ts\\nsecret", msg=b""))."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def request(robot: RobotConfig, payload: dict, now: float) -> tuple[str, bytes]:
    """Return the URL and body to post, signed with the time ``now`` (seconds since the epoch)."""
    if robot.secret and robot.platform == DINGTALK:
        timestamp = int(now * 1000)
        sign = dingtalk_sign(robot.secret, timestamp)
        parts = urlsplit(robot.webhook)
        # A pasted URL may already carry an old timestamp and sign: replace them.
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("timestamp", "sign")]
        query += [("timestamp", str(timestamp)), ("sign", sign)]
        return urlunsplit(parts._replace(query=urlencode(query))), encode(payload)
    if robot.secret and robot.platform == FEISHU:
        timestamp = int(now)
        signed = {"timestamp": str(timestamp), "sign": feishu_sign(robot.secret, timestamp)}
        return robot.webhook, encode({**signed, **payload})
    return robot.webhook, encode(payload)


# --- answers --------------------------------------------------------------------------------


def check_answer(robot: RobotConfig, status: int, body: bytes) -> None:
    """Raise RobotError unless the platform's answer says it accepted the message."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    code, text = _code(robot.platform, data)
    if status == 429:
        raise RobotError(f"{robot.label}限流（HTTP 429）", transient=True, rate_limited=True)
    if status >= 500:
        raise RobotError(f"{robot.label}服务器出错（HTTP {status}）", transient=True)
    if code is None:
        raise RobotError(
            f"{robot.label}的应答无法识别（HTTP {status}），请核对 Webhook 地址和平台类型（type）",
            robot_wide=True,
        )
    if code == 0 and status < 400:
        return
    reason = f"{robot.label}拒绝（错误码 {code}：{text[:_ERRMSG_CHARS]}）"
    if code in _HINTS:
        reason += f"。{_HINTS[code]}"
    limited = code in _RATE_LIMITED[robot.platform] or (
        robot.platform == FEISHU and "too many request" in text.lower()
    )
    if limited:
        raise RobotError(reason, transient=True, rate_limited=True)
    if code in _BUSY:
        raise RobotError(reason, transient=True)
    raise RobotError(reason, robot_wide=code in _ROBOT_WRONG[robot.platform])


def _code(platform: str, data: object) -> tuple[int | None, str]:
    if not isinstance(data, dict):
        return None, ""
    if platform == FEISHU:
        code = data.get("code", data.get("StatusCode"))
        text = data.get("msg", data.get("StatusMessage", ""))
    else:
        code, text = data.get("errcode"), data.get("errmsg", "")
    if isinstance(code, bool) or not isinstance(code, int):
        return None, ""
    return code, one_line(str(text))
