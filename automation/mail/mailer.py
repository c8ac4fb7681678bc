"""SMTP delivery: one connection reused for a batch, retried with backoff, reconnected when dropped.

A temporary failure (a 4xx reply, a refused or dropped connection) is retried after
``backoff``, ``2 × backoff``, ... seconds; a permanent one (5xx) is not. Either way the
caller learns whether the server accepted the message, and only then records it as sent.

Before anything is sent the message is checked once more (the reader already refused bad
cells): every recipient must be one plain address and no header may hold a line break, so
a pasted ``\\r\\nBcc: ...`` can never reach the server as a recipient or a header.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage

from automation.errors import ConfigError
from automation.mail.addresses import valid_address
from automation.mail.config import SmtpConfig
from automation.safetext import visible

# A line break that starts a new header line (folding continues with a space or tab).
_NEW_LINE = re.compile(r"[\r\n]+(?![ \t])")


class DeliveryError(Exception):
    """The server did not accept a message. ``unreachable``: no connection could be made at all."""

    def __init__(self, reason: str, *, permanent: bool, unreachable: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.unreachable = unreachable


class Mailer:
    """Send messages over one SMTP connection, opened lazily and reopened after a drop."""

    def __init__(
        self,
        config: SmtpConfig,
        *,
        attempts: int = 4,
        backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.config = config
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self._sleep = sleep
        self._conn: smtplib.SMTP | None = None
        self.connections = 0  # how many times a connection was opened (reconnects included)

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT and close the connection, ignoring a server that is already gone."""
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                self._conn.close()
            self._conn = None

    def send(self, msg: EmailMessage, recipients: Sequence[str]) -> dict[str, str]:
        """Send msg to recipients; return the recipients the server refused while taking the rest."""
        refuse_injection(msg, recipients)
        failure: DeliveryError | None = None
        for attempt in range(self.attempts):
            if attempt:
                self._sleep(self.backoff * 2 ** (attempt - 1))
            try:
                conn = self._connection()
            except (OSError, smtplib.SMTPException) as e:
                self._drop()
                failure = DeliveryError(
                    f"无法连接发信服务器 {self.config.host}:{self.config.port}（{_describe(e)}）",
                    permanent=False,
                    unreachable=True,
                )
                continue
            try:
                refused = conn.send_message(
                    msg, from_addr=self.config.sender_address, to_addrs=list(recipients)
                )
                return {addr: _reply(code, text) for addr, (code, text) in refused.items()}
            except smtplib.SMTPRecipientsRefused as e:
                replies = "；".join(f"{a}：{_reply(c, t)}" for a, (c, t) in e.recipients.items())
                failure = DeliveryError(
                    f"收件人被拒收（{replies}）",
                    permanent=not _all_temporary(e.recipients.values()),
                )
            except smtplib.SMTPServerDisconnected as e:
                self._drop()
                failure = DeliveryError(f"发信服务器断开了连接（{_describe(e)}）", permanent=False)
            except smtplib.SMTPResponseException as e:
                temporary = 400 <= e.smtp_code < 500
                if e.smtp_code == 421:  # the server is closing this connection
                    self._drop()
                failure = DeliveryError(
                    f"发信服务器拒绝（{_reply(e.smtp_code, e.smtp_error)}）",
                    permanent=not temporary,
                )
            except (smtplib.SMTPException, OSError) as e:
                self._drop()
                failure = DeliveryError(f"发送出错（{_describe(e)}）", permanent=False)
            if failure.permanent:
                raise failure
        assert failure is not None
        raise failure

    # --- connection ---------------------------------------------------------------------

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self._open()
            self.connections += 1
        return self._conn

    def _open(self) -> smtplib.SMTP:
        c = self.config
        context = ssl.create_default_context(cafile=c.ca_file or None)
        if c.security == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                c.host, c.port, timeout=c.timeout, context=context
            )
        else:
            conn = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        try:
            conn.ehlo()
            if c.security == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if c.user:
                conn.login(c.user, c.password)
        except smtplib.SMTPAuthenticationError as e:
            conn.close()
            raise ConfigError(
                f"发信服务器拒绝登录（{_reply(e.smtp_code, e.smtp_error)}）",
                "请检查 duban.toml 或环境变量中的用户名和密码（授权码）",
                path=c.source,
            ) from None
        except smtplib.SMTPNotSupportedError as e:
            conn.close()
            raise ConfigError(
                f"发信服务器不支持所配置的加密或登录方式（{e}）",
                "请检查 security（ssl/starttls/none）和端口是否与服务器一致",
                path=c.source,
            ) from None
        except ssl.SSLCertVerificationError as e:
            conn.close()
            raise ConfigError(
                f"发信服务器的证书无法验证（{e.verify_message}）",
                "请确认服务器地址正确；自签名证书请在 duban.toml 中用 ca_file 指定其 CA 证书",
                path=c.source,
            ) from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def refuse_injection(msg: EmailMessage, recipients: Sequence[str]) -> None:
    """Raise a permanent DeliveryError unless every recipient is one address and no header breaks a line."""
    if not recipients:
        raise DeliveryError("没有收件人，未发送", permanent=True)
    for address in recipients:
        if not isinstance(address, str) or not valid_address(address):
            raise DeliveryError(
                f"收件人“{visible(str(address))}”不是一个有效邮箱，未发送", permanent=True
            )
    for name, value in msg.raw_items():
        if _NEW_LINE.search(str(name)) or _NEW_LINE.search(str(value)):
            raise DeliveryError(f"邮件头“{visible(str(name))}”中含有换行，未发送", permanent=True)


def _all_temporary(replies) -> bool:
    return all(400 <= code < 500 for code, _ in replies)


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _describe(e: BaseException) -> str:
    if isinstance(e, ConnectionRefusedError):
        return "连接被拒绝，服务器可能未启动或端口有误"
    if isinstance(e, socket.timeout | TimeoutError):
        return "连接超时"
    if isinstance(e, socket.gaierror):
        return "找不到该服务器地址"
    if isinstance(e, smtplib.SMTPResponseException):
        return _reply(e.smtp_code, e.smtp_error)
    return f"{e.__class__.__name__}: {e}" if str(e) else e.__class__.__name__
