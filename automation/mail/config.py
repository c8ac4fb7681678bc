"""SMTP settings from ``duban.toml`` beside the workbook or ``DUBAN_SMTP_*`` environment variables.

Secrets never live in the workbook (README 安全承诺). The password is kept out of ``repr`` and out
of every message this module raises, so it cannot end up on screen or in a log.
Environment variables win over the file, so a scheduled task can keep the password out of it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, overload

from automation import paths
from automation.errors import ConfigError
from automation.mail import addresses
from automation.mail.addresses import valid_address
from automation.safetext import visible

SECTIONS = ("smtp", "robot")  # the tables duban.toml may hold
ENV_PREFIX = "DUBAN_SMTP_"
SECURITY_MODES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
# key in [smtp] -> what a user reads when it is wrong
KEYS = {
    "host": "服务器地址",
    "port": "端口",
    "security": "加密方式",
    "user": "用户名",
    "password": "密码",
    "from": "发件人",
    "ca_file": "CA 证书文件",
    "timeout": "超时秒数",
}


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send mail. ``password`` never appears in repr or messages."""

    host: str
    port: int
    security: str = "starttls"
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    ca_file: str = ""  # trust this CA instead of the system store (self-signed servers)
    timeout: float = 30.0
    source: str = ""  # where the settings came from, for messages

    @property
    def sender_address(self) -> str:
        return addresses.sender_address(self.sender) or ""

    def __repr__(self) -> str:
        secret = "***" if self.password else ""
        return (
            f"SmtpConfig(host={self.host!r}, port={self.port}, security={self.security!r},"
            f" user={self.user!r}, password={secret!r}, sender={self.sender!r})"
        )


@overload
def load_smtp_config(
    ledger_path: Path, env: Mapping[str, str] | None = None, *, required: Literal[True] = True
) -> SmtpConfig: ...
@overload
def load_smtp_config(
    ledger_path: Path, env: Mapping[str, str] | None = None, *, required: bool
) -> SmtpConfig | None: ...
def load_smtp_config(
    ledger_path: Path, env: Mapping[str, str] | None = None, *, required: bool = True
) -> SmtpConfig | None:
    """Load and validate the SMTP settings for a ledger; None when absent and not required."""
    env = os.environ if env is None else env
    config_path = paths.config_file(ledger_path)
    values: dict[str, object] = {}
    if config_path.exists():
        values.update(_read_file(config_path))
    from_file = bool(values)
    from_env = {
        key: env[ENV_PREFIX + key.upper()] for key in KEYS if env.get(ENV_PREFIX + key.upper())
    }
    values.update(from_env)
    source = "、".join(
        filter(None, [str(config_path) if from_file else "", "环境变量" if from_env else ""])
    )
    if not values:
        if not required:
            return None
        raise ConfigError(
            "未配置发信服务器（SMTP）",
            f"请在台账所在文件夹新建 {paths.CONFIG}（写法见 docs/daily.md），"
            f"或设置环境变量 {ENV_PREFIX}HOST、{ENV_PREFIX}FROM 等",
            path=str(config_path),
        )
    return _validate(values, source or str(config_path))


def read_config_file(path: Path) -> dict[str, object]:
    """Parse ``duban.toml``: its [smtp] section and its [robot.NAME] sections, nothing else."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(
            f"无法读取配置文件（{e.__class__.__name__}）",
            "请确认文件存在且为 UTF-8 编码",
            path=str(path),
        ) from None
    except tomllib.TOMLDecodeError as e:
        # The decoder's message names line and column but never echoes values.
        raise ConfigError(
            f"配置文件格式有误：{e}",
            '请按 TOML 格式书写，如 host = "smtp.example.gov.cn"；'
            '机器人名称含中文时加英文双引号，如 [robot."督办群"]',
            path=str(path),
        ) from None
    unknown = [k for k in data if k not in SECTIONS]
    if unknown:
        raise ConfigError(
            f"配置文件中有不认识的段：{'、'.join(f'[{k}]' for k in unknown)}",
            "请只写 [smtp]（发信服务器）和 [robot.名称]（群机器人）两种段，写法见 docs/daily.md",
            path=str(path),
        )
    return data


def _read_file(path: Path) -> dict[str, object]:
    smtp = read_config_file(path).get("smtp")
    if smtp is None:
        return {}  # a file for the group robots only
    if not isinstance(smtp, dict):
        raise ConfigError(
            "配置文件中的 smtp 不是一个段",
            "请写成 [smtp] 一行，下面写 host、port 等",
            path=str(path),
        )
    unknown = [k for k in smtp if k not in KEYS]
    if unknown:
        raise ConfigError(
            f"[smtp] 中有不认识的设置：{'、'.join(unknown)}",
            f"可用的设置为：{'、'.join(KEYS)}",
            path=str(path),
        )
    return dict(smtp)


def _validate(values: dict[str, object], source: str) -> SmtpConfig:
    def fail(key: str, message: str, fix: str) -> ConfigError:
        return ConfigError(f"[smtp] {key}（{KEYS[key]}）{message}", fix, path=source)

    host = str(values.get("host", "")).strip()
    if not host:
        raise fail("host", "未填写", '请填写发信服务器地址，如 host = "smtp.example.gov.cn"')
    security = str(values.get("security", "starttls")).strip().lower()
    if security not in SECURITY_MODES:
        raise fail("security", f"“{security}”无效", "请填写 ssl、starttls 或 none 之一")
    raw_port = values.get("port", DEFAULT_PORTS[security])
    try:
        port = int(str(raw_port).strip())
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise fail("port", f"“{raw_port}”不是有效端口", "请填写 1–65535 之间的数字，如 465 或 587")
    user = str(values.get("user", "")).strip()
    password = str(values.get("password", ""))
    if user and not password:
        raise fail(
            "password",
            "未填写，但已填写用户名",
            f"请在配置文件或环境变量 {ENV_PREFIX}PASSWORD 中填写密码",
        )
    if password and not user:
        raise fail("user", "未填写，但已填写密码", "请填写登录用户名（通常是邮箱地址）")
    sender = str(values.get("from", "")).strip() or (user if valid_address(user) else "")
    if not sender or addresses.sender_address(sender) is None:
        raise fail(
            "from",
            f"“{visible(sender)}”不是有效邮箱" if sender else "未填写",
            '请填写发件人，如 from = "县政府督查室 <duban@example.gov.cn>"',
        )
    ca_file = str(values.get("ca_file", "")).strip()
    if ca_file and not Path(ca_file).is_file():
        raise fail(
            "ca_file",
            f"“{ca_file}”不存在",
            "请填写 CA 证书文件（PEM）的完整路径，或删除这一行使用系统证书",
        )
    try:
        timeout = float(str(values.get("timeout", 30)))  # a number, or its text
    except ValueError:
        timeout = float("nan")
    if not 1 <= timeout <= 600:  # 0 or -1 would fail every send, inf would hang the daily job
        raise fail(
            "timeout",
            f"“{values.get('timeout')}”不是 1 到 600 之间的秒数",
            "请填写秒数，如 timeout = 30",
        )
    if security == "none" and password:
        raise fail("security", "为 none 时不能使用密码（密码会明文传输）", "请改为 ssl 或 starttls")
    return SmtpConfig(host, port, security, user, password, sender, ca_file, timeout, source)
