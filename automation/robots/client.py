"""Post payloads to one group robot: under its rate limit, signed afresh, retried with backoff.

Plain ``urllib.request`` (see docs/daily.md for why no robot SDK): each post is signed
with the time it is made, so a run that waits out a rate limit never sends a stale
signature. Before a post the robot's own limits are kept (钉钉 and 企业微信: 20 a minute,
飞书: 100 a minute and 5 a second) by waiting, never by dropping. A transient failure
(HTTP 5xx, a refused or dropped connection, a time-out, a rate-limit or "busy" answer)
is retried after ``backoff``, ``2 × backoff``, ... seconds, a rate-limit answer after at
least ``rate_wait``; a wrong signature, keyword or token is not retried.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable

from automation.robots.config import RobotConfig
from automation.robots.platforms import RATE_LIMITS, RobotError, check_answer, request

# Margin added to each window: our clock and the platform's never tick together.
WINDOW_MARGIN = 1.0
MAX_ANSWER_BYTES = 65_536


class RateLimiter:
    """Sliding windows of (seconds, messages): ``wait()`` sleeps until one more may go."""

    def __init__(
        self,
        windows: tuple[tuple[float, int], ...],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.windows = windows
        self._clock = clock
        self._sleep = sleep
        longest = max(count for _, count in windows)
        self._sent: deque[float] = deque(maxlen=longest)
        self.waited = 0.0  # total seconds spent waiting, for the report

    def wait(self) -> None:
        """Sleep until sending one more message keeps every window within its count."""
        now = self._clock()
        delay = 0.0
        for seconds, count in self.windows:
            recent = [t for t in self._sent if t > now - seconds - WINDOW_MARGIN]
            if len(recent) >= count:
                delay = max(delay, recent[-count] + seconds + WINDOW_MARGIN - now)
        if delay > 0:
            self.waited += delay
            self._sleep(delay)

    def sent(self) -> None:
        """Note that a message was just posted (accepted or not: the platform counted it)."""
        self._sent.append(self._clock())


class RobotClient:
    """Send payloads to one robot; ``send`` returns once accepted or raises RobotError."""

    def __init__(
        self,
        robot: RobotConfig,
        *,
        attempts: int = 4,
        backoff: float = 2.0,
        rate_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ):
        self.robot = robot
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.rate_wait = rate_wait
        self._sleep = sleep
        self._wall = wall
        self.limiter = RateLimiter(RATE_LIMITS[robot.platform], clock=clock, sleep=sleep)
        context = ssl.create_default_context(cafile=robot.ca_file or None)
        # System proxy settings apply (offices often need them); redirects are not followed,
        # so a body is never re-posted somewhere the webhook did not name.
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), _NoRedirect()
        )
        self.posts = 0  # HTTP requests made, retries included

    def send(self, payload: dict) -> None:
        """Post one payload, retrying transient failures; raise RobotError if not accepted."""
        failure: RobotError | None = None
        for attempt in range(self.attempts):
            if attempt:
                wait = self.backoff * 2 ** (attempt - 1)
                if failure is not None and failure.rate_limited:
                    wait = max(wait, self.rate_wait)
                self._sleep(wait)
            self.limiter.wait()
            try:
                self._post(payload)
                return
            except RobotError as e:
                if not e.transient:
                    raise
                failure = e
        assert failure is not None
        # Retried in vain: the robot is down or throttled; its other messages would fare alike.
        raise RobotError(
            f"{failure.reason}（已重试 {self.attempts - 1} 次）",
            transient=True,
            rate_limited=failure.rate_limited,
            robot_wide=True,
        )

    def _post(self, payload: dict) -> None:
        url, body = request(self.robot, payload, self._wall())
        http_request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        self.posts += 1
        self.limiter.sent()
        try:
            with self._opener.open(http_request, timeout=self.robot.timeout) as answer:
                status, answer_body = answer.status, answer.read(MAX_ANSWER_BYTES)
        except urllib.error.HTTPError as e:
            status, answer_body = e.code, _read(e)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
            raise _network_error(self.robot, e) from None
        check_answer(self.robot, status, answer_body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _read(error: urllib.error.HTTPError) -> bytes:
    try:
        return error.read(MAX_ANSWER_BYTES)
    except (OSError, http.client.HTTPException):
        return b""
    finally:
        error.close()


def _network_error(robot: RobotConfig, e: BaseException) -> RobotError:
    """Describe a failed connection in Chinese, never naming the URL (it carries the token)."""
    reason = e.reason if isinstance(e, urllib.error.URLError) else e
    if isinstance(reason, ssl.SSLCertVerificationError):
        return RobotError(
            f"{robot.label}的证书无法验证（{reason.verify_message}）。"
            "内网自签名证书请在 duban.toml 中用 ca_file 指定其 CA 证书",
            robot_wide=True,
        )
    if isinstance(reason, ConnectionRefusedError):
        what = "连接被拒绝，服务器可能未启动或地址有误"
    elif isinstance(reason, socket.timeout | TimeoutError):
        what = "连接超时"
    elif isinstance(reason, socket.gaierror):
        what = "找不到该服务器地址，请检查网络或 Webhook 地址"
    elif isinstance(reason, http.client.RemoteDisconnected | ConnectionResetError):
        what = "服务器断开了连接"
    else:
        what = reason.__class__.__name__
    return RobotError(f"无法连接{robot.label}（{what}）", transient=True)
