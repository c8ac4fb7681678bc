"""Group robots from ``[robot.NAME]`` sections of ``duban.toml`` or ``DUBAN_ROBOT_<NAME>_*`` variables.

Like the SMTP password, a robot's webhook (it carries the access token) and its signing
secret never live in the workbook and never appear in a repr, a message or a log line:
``masked_webhook`` is what gets printed. The webhook is taken as given, so private
deployments (政务钉钉, 浙政钉, 政务微信, a self-hosted 飞书) work with their own hosts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from automation import paths
from automation.errors import ConfigError
from automation.mail.config import read_config_file

ENV_PREFIX = "DUBAN_ROBOT_"
DINGTALK, WECOM, FEISHU = "dingtalk", "wecom", "feishu"
PLATFORM_NAMES = {DINGTALK: "钉钉", WECOM: "企业微信", FEISHU: "飞书"}
# key in [robot.NAME] -> what a user reads when it is wrong
KEYS = {
    "type": "平台",
    "webhook": "Webhook 地址",
    "secret": "加签密钥",
    "keyword": "自定义关键词",
    "summary": "接收领导汇总",
    "ca_file": "CA 证书文件",
    "timeout": "超时秒数",
}
# What a section name or a `type` may say for each platform.
_TYPE_WORDS = {
    DINGTALK: ("dingtalk", "dingding", "ding", "钉钉", "政务钉钉", "浙政钉"),
    WECOM: ("wecom", "wework", "qywx", "weixin", "企业微信", "企微", "政务微信"),
    FEISHU: ("feishu", "lark", "飞书"),
}
# The documented webhook paths, which private deployments keep on their own hosts.
_PATHS = {
    DINGTALK: "/robot/send",
    WECOM: "/cgi-bin/webhook/send",
    FEISHU: "/open-apis/bot/v2/hook/",
}
_TRUE = ("true", "1", "yes", "是", "y")
_FALSE = ("false", "0", "no", "否", "n", "")


@dataclass(frozen=True)
class RobotConfig:
    """One group robot. ``webhook`` and ``secret`` never appear in repr or messages."""

    name: str
    platform: str  # DINGTALK, WECOM or FEISHU
    webhook: str = field(repr=False)
    secret: str = field(default="", repr=False)
    keyword: str = ""  # the robot's 自定义关键词 security setting; every message must contain it
    summary: bool = False  # receives the leaders' summary and the daily job's failure notice
    ca_file: str = ""
    timeout: float = 15.0
    source: str = ""

    @property
    def label(self) -> str:
        """Name the robot for a user: 钉钉机器人“dingtalk”."""
        return f"{PLATFORM_NAMES[self.platform]}机器人“{self.name}”"

    @property
    def channel(self) -> str:
        """The send log's channel name for this robot."""
        return f"robot.{self.name}"

    @property
    def masked_webhook(self) -> str:
        """Return the webhook with its token hidden, fit to print."""
        return mask_url(self.webhook)

    def __repr__(self) -> str:
        return (
            f"RobotConfig(name={self.name!r}, platform={self.platform!r},"
            f" webhook={self.masked_webhook!r}, secret={'***' if self.secret else ''!r},"
            f" keyword={self.keyword!r}, summary={self.summary})"
        )


def mask_url(url: str) -> str:
    """Hide every query value and the token segment after ``/hook/`` in a webhook URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    path = re.sub(r"(/hook/)[^/]+", r"\1***", parts.path)
    query = "&".join(f"{k}=***" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{path}" + (f"?{query}" if query else "")


def load_robots(ledger_path: Path, env: Mapping[str, str] | None = None) -> list[RobotConfig]:
    """Load and validate the robots configured for a ledger, in the order they are written."""
    env = os.environ if env is None else env
    config_path = paths.config_file(Path(ledger_path))
    sections: dict[str, dict[str, object]] = {}
    sources: dict[str, str] = {}
    if config_path.exists():
        for name, values in _file_sections(config_path).items():
            sections[name] = dict(values)
            sources[name] = str(config_path)
    for name, key, value in _env_values(env, list(sections)):
        sections.setdefault(name, {})[key] = value
        sources[name] = "、".join(filter(None, [sources.get(name, ""), "环境变量"]))
    robots = [_validate(name, values, sources[name]) for name, values in sections.items()]
    if robots and not any(r.summary for r in robots):
        # Nobody chose: the first robot written is the office's own group.
        robots[0] = replace(robots[0], summary=True)
    return robots


def _file_sections(path: Path) -> dict[str, dict[str, object]]:
    robot = read_config_file(path).get("robot")
    if robot is None:
        return {}
    if not isinstance(robot, dict) or not all(isinstance(v, dict) for v in robot.values()):
        raise ConfigError(
            "[robot] 段的写法有误",
            '请每个机器人单独写一段 [robot.名称]，如 [robot.dingtalk]，下面写 webhook = "…"',
            path=str(path),
        )
    for name, values in robot.items():
        unknown = [k for k in values if k not in KEYS]
        if unknown:
            raise ConfigError(
                f"[robot.{name}] 中有不认识的设置：{'、'.join(unknown)}",
                f"请改用以下设置：{'、'.join(KEYS)}",
                path=str(path),
            )
    return robot


def _env_values(env: Mapping[str, str], known: list[str]):
    """Yield (robot name, key, value) from ``DUBAN_ROBOT_<NAME>_<KEY>`` variables."""
    by_upper = {n.upper(): n for n in known}
    # Longest key first, so DUBAN_ROBOT_X_CA_FILE is key ca_file, not a robot named X_CA.
    keys = sorted(KEYS, key=len, reverse=True)
    for variable in sorted(env):
        if not variable.upper().startswith(ENV_PREFIX) or not env[variable]:
            continue
        rest = variable[len(ENV_PREFIX) :]
        key = next((k for k in keys if rest.upper().endswith("_" + k.upper())), None)
        name = rest[: -len(key) - 1] if key else ""
        if not key or not name:
            raise ConfigError(
                f"环境变量 {variable} 的名字无法识别",
                f"请写成 {ENV_PREFIX}<机器人名称>_<设置>，设置为 "
                + "、".join(k.upper() for k in KEYS)
                + f"，如 {ENV_PREFIX}DINGTALK_SECRET",
            )
        yield by_upper.get(name.upper(), name.lower()), key, env[variable]


def _validate(name: str, values: dict[str, object], source: str) -> RobotConfig:
    def fail(key: str, message: str, fix: str) -> ConfigError:
        return ConfigError(f"[robot.{name}] {key}（{KEYS[key]}）{message}", fix, path=source)

    webhook = str(values.get("webhook", "")).strip()
    if not webhook:
        raise fail(
            "webhook",
            "未填写",
            "请把机器人设置页上的 Webhook 地址整行复制过来，如 "
            'webhook = "https://oapi.dingtalk.com/robot/send?access_token=…"',
        )
    parts = urlsplit(webhook)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # Never echo the address: it carries the token.
        raise fail(
            "webhook",
            "不是有效的网址",
            "请把机器人设置页上以 https:// 开头的 Webhook 地址整行复制过来",
        )
    platform = _platform(name, str(values.get("type", "")).strip().lower(), parts.path, fail)
    secret = str(values.get("secret", "")).strip()
    if secret and platform == WECOM:
        raise fail(
            "secret",
            "企业微信群机器人没有加签设置",
            "请删除 secret 一行（企业微信凭 Webhook 中的 key 识别）",
        )
    keyword = str(values.get("keyword", "")).strip()
    if keyword and platform == WECOM:
        raise fail("keyword", "企业微信群机器人没有关键词设置", "请删除 keyword 一行")
    summary = values.get("summary", False)
    if not isinstance(summary, bool):
        text = str(summary).strip().lower()
        if text not in _TRUE + _FALSE:
            raise fail("summary", f"“{summary}”无效", "请填写 true（接收领导汇总）或 false")
        summary = text in _TRUE
    ca_file = str(values.get("ca_file", "")).strip()
    if ca_file and not Path(ca_file).is_file():
        raise fail(
            "ca_file", f"“{ca_file}”不存在", "请填写 CA 证书文件（PEM）的完整路径，或删除这一行"
        )
    try:
        timeout = float(str(values.get("timeout", 15)))  # a number, or its text
    except ValueError:
        timeout = 0
    if not timeout > 0:
        raise fail("timeout", f"“{values.get('timeout')}”无效", "请填写秒数，如 timeout = 15")
    return RobotConfig(name, platform, webhook, secret, keyword, summary, ca_file, timeout, source)


def _platform(name: str, typed: str, path: str, fail) -> str:
    if typed:
        for platform, words in _TYPE_WORDS.items():
            if typed in words:
                return platform
        raise fail(
            "type",
            f"“{typed}”无效",
            '请填写 "dingtalk"（钉钉）、"wecom"（企业微信）或 "feishu"（飞书）',
        )
    lowered = name.lower()
    for platform, words in _TYPE_WORDS.items():
        if any(lowered.startswith(w) for w in words):
            return platform
    for platform, prefix in _PATHS.items():
        if path.startswith(prefix):
            return platform
    raise fail(
        "type",
        "未填写，且无法从名称或 Webhook 地址判断是哪个平台",
        '请加一行 type = "dingtalk"（钉钉）、"wecom"（企业微信）或 "feishu"（飞书）',
    )
