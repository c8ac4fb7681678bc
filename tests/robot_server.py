"""A real HTTP server on loopback that answers like the 钉钉, 企业微信 and 飞书 robot webhooks.

Not collected by pytest; tests import ``robot_server``. It checks what the platforms check,
the way they document it: 钉钉's ``timestamp``/``sign`` query (HMAC-SHA256 keyed by the
secret over "ts\\nsecret", base64, URL-decoded here as the platform does; at most an hour
off), 飞书's ``timestamp``/``sign`` body fields (HMAC-SHA256 keyed by "ts\\nsecret" over an
empty message; at most an hour off), keywords, body sizes (20 000 bytes; 企业微信 markdown
4096 and text 2048 bytes of content) and the per-robot rate limits (20 a minute; 飞书 100
a minute and 5 a second) against an injectable clock. It answers with the platforms' codes
(310000, 130101, 460101, 45009, 40058, 93000, 19021, 19024, 11232, ...) and can be told to
fail on purpose: HTTP 500, a dropped connection, a rate-limit or bad-signature answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"
SIGN_WINDOW_S = 3600
LIMITS = {"dingtalk": ((60, 20),), "wecom": ((60, 20),), "feishu": ((60, 100), (1, 5))}
RATE_ANSWER = {
    "dingtalk": (200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
    "wecom": (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
    "feishu": (
        200,
        {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]", "data": {}},
    ),
}
SIGN_ANSWER = {
    "dingtalk": (
        200,
        {
            "errcode": 310000,
            "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]",
        },
    ),
    "wecom": (200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1]"}),
    "feishu": (
        200,
        {
            "code": 19021,
            "msg": "sign match fail or timestamp is not within one hour from current time",
            "data": {},
        },
    ),
}
OK_ANSWER = {
    "dingtalk": {"errcode": 0, "errmsg": "ok"},
    "wecom": {"errcode": 0, "errmsg": "ok"},
    "feishu": {
        "StatusCode": 0,
        "StatusMessage": "success",
        "code": 0,
        "data": {},
        "msg": "success",
    },
}


@dataclass
class Robot:
    """One robot the server knows: its platform, token and security settings."""

    platform: str
    token: str
    secret: str = ""
    keyword: str = ""
    sent: deque = field(default_factory=lambda: deque(maxlen=200))  # clock() of each counted post


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    platform: str
    token: str
    payload: dict
    raw: bytes


@dataclass
class Fault:
    mode: str  # http500 | drop | ratelimit | badsign
    after: int  # accepted messages still to let through before failing
    times: int | None  # requests to fail; None: every one from then on


class RobotServer:
    """The server's state: robots, what was accepted, every answer given, planned faults."""

    def __init__(self, clock: Callable[[], float], wall: Callable[[], float]):
        self.clock = clock  # for the rate-limit windows
        self.wall = wall  # for the signature time window
        self.robots: dict[tuple[str, str], Robot] = {}
        self.received: list[Received] = []
        self.answers: list[tuple[str, int, dict | None]] = []  # (platform, HTTP status, body)
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.base = ""

    def add(self, platform: str, *, secret: str = "", keyword: str = "") -> str:
        """Register a robot; return its webhook URL on this server."""
        token = secrets.token_hex(16)
        self.robots[(platform, token)] = Robot(platform, token, secret, keyword)
        if platform == "dingtalk":
            return f"{self.base}/robot/send?access_token={token}"
        if platform == "wecom":
            return f"{self.base}/cgi-bin/webhook/send?key={token}"
        return f"{self.base}/open-apis/bot/v2/hook/{token}"

    def fault(self, mode: str, *, after: int = 0, times: int | None = 1) -> None:
        """Fail ``times`` requests (None: all) once ``after`` more messages have been accepted."""
        self.faults.append(Fault(mode, after, times))

    def clear_faults(self) -> None:
        """Forget the planned faults (the platform has recovered)."""
        self.faults.clear()

    def payloads(self, platform: str | None = None) -> list[dict]:
        """Return the accepted payloads, optionally of one platform, in arrival order."""
        return [r.payload for r in self.received if platform in (None, r.platform)]

    # --- the request path ---------------------------------------------------------------

    def handle(self, path: str, body: bytes) -> tuple[int, dict] | None:
        """Answer one POST like the platform would; None means drop the connection."""
        with self.lock:
            platform, token, query = _route(path)
            robot = self.robots.get((platform, token))
            fault = self._due_fault()
            if fault == "drop":
                return None
            if fault == "http500":
                return 500, {"error": "internal server error"}
            if platform is None:
                return 404, {"error": "not found"}
            if robot is None:
                return _unknown_token(platform)
            if fault == "ratelimit":
                return RATE_ANSWER[platform]
            if fault == "badsign":
                return SIGN_ANSWER[platform]
            answer = self._check(robot, query, body)
            if answer is not None:
                return answer
            self.received.append(Received(platform, token, json.loads(body), body))
            return 200, OK_ANSWER[platform]

    def _due_fault(self) -> str | None:
        for fault in self.faults:
            if fault.after > 0 or fault.times == 0:
                continue
            if fault.times is not None:
                fault.times -= 1
            return fault.mode
        return None

    def _check(self, robot: Robot, query: dict, body: bytes) -> tuple[int, dict] | None:
        platform = robot.platform
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            data = None
        if not isinstance(data, dict):
            return _bad_body(platform, "body is not JSON")
        if robot.secret:
            problem = self._check_sign(robot, query, data)
            if problem:
                return SIGN_ANSWER[platform][0], {**SIGN_ANSWER[platform][1]}
        size = _check_size(platform, body, data)
        if size is not None:
            return size
        shape = _check_shape(platform, data)
        if shape:
            return _bad_body(platform, shape)
        if robot.keyword and robot.keyword not in _visible_text(platform, data):
            if platform == "dingtalk":
                return 200, {"errcode": 310000, "errmsg": "keywords not in content"}
            return 200, {"code": 19024, "msg": "Key Words Not Found", "data": {}}
        now = self.clock()
        for seconds, count in LIMITS[platform]:
            if sum(1 for t in robot.sent if t > now - seconds) >= count:
                robot.sent.append(now)
                return RATE_ANSWER[platform]
        robot.sent.append(now)
        for fault in self.faults:
            if fault.after > 0:
                fault.after -= 1
        return None

    def _check_sign(self, robot: Robot, query: dict, data: dict) -> str:
        if robot.platform == "dingtalk":
            timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            if (
                not timestamp.isdigit()
                or abs(self.wall() * 1000 - int(timestamp)) > SIGN_WINDOW_S * 1000
            ):
                return "timestamp"
            key = robot.secret.encode()
            expected = hmac.new(key, f"{timestamp}\n{robot.secret}".encode(), hashlib.sha256)
        else:
            timestamp, sign = str(data.get("timestamp", "")), str(data.get("sign", ""))
            if not timestamp.isdigit() or abs(self.wall() - int(timestamp)) > SIGN_WINDOW_S:
                return "timestamp"
            expected = hmac.new(f"{timestamp}\n{robot.secret}".encode(), b"", hashlib.sha256)
        if not hmac.compare_digest(base64.b64encode(expected.digest()).decode(), sign):
            return "sign"
        return ""


def _route(path: str) -> tuple[str | None, str, dict]:
    parts = urlsplit(path)
    query = parse_qs(
        parts.query
    )  # decodes %2B to "+" and a bare "+" to a space, as the platforms do
    if parts.path == "/robot/send":
        return "dingtalk", query.get("access_token", [""])[0], query
    if parts.path == "/cgi-bin/webhook/send":
        return "wecom", query.get("key", [""])[0], query
    prefix = "/open-apis/bot/v2/hook/"
    if parts.path.startswith(prefix):
        return "feishu", parts.path[len(prefix) :], query
    return None, "", query


def _unknown_token(platform: str) -> tuple[int, dict]:
    if platform == "dingtalk":
        return 200, {"errcode": 300001, "errmsg": "token is not exist"}
    if platform == "wecom":
        return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
    return 200, {
        "code": 19001,
        "msg": "param invalid: incoming webhook access token invalid",
        "data": {},
    }


def _bad_body(platform: str, what: str) -> tuple[int, dict]:
    if platform == "feishu":
        return 400, {"code": 9499, "msg": f"Bad Request: {what}", "data": {}}
    return 200, {"errcode": 40035 if platform == "wecom" else 400105, "errmsg": what}


def _check_size(platform: str, body: bytes, data: dict) -> tuple[int, dict] | None:
    if platform == "dingtalk" and len(body) > 20_000:
        return 200, {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}
    if platform == "feishu" and len(body) > 20_000:
        return 400, {"code": 9499, "msg": "Bad Request: request body too large", "data": {}}
    if platform == "wecom":
        kind = data.get("msgtype")
        content = str((data.get(kind) or {}).get("content", "")) if isinstance(kind, str) else ""
        limit = {"markdown": 4096, "text": 2048}.get(kind, 4096)
        if len(content.encode()) > limit:
            return 200, {"errcode": 40058, "errmsg": f"{kind}.content exceed max length {limit}"}
    return None


def _check_shape(platform: str, data: dict) -> str:
    if platform == "dingtalk":
        kind = data.get("msgtype")
        if kind == "markdown":
            md = data.get("markdown") or {}
            return "" if md.get("title") and md.get("text") else "markdown needs title and text"
        if kind == "text":
            return "" if (data.get("text") or {}).get("content") else "text needs content"
        return f"unsupported msgtype {kind}"
    if platform == "wecom":
        kind = data.get("msgtype")
        if kind in ("markdown", "text") and (data.get(kind) or {}).get("content"):
            return ""
        return f"bad msgtype or empty content: {kind}"
    if data.get("msg_type") == "text":
        return "" if (data.get("content") or {}).get("text") else "text needs content.text"
    if data.get("msg_type") != "post":
        return f"unsupported msg_type {data.get('msg_type')}"
    post = ((data.get("content") or {}).get("post") or {}).get("zh_cn") or {}
    lines = post.get("content")
    if not isinstance(lines, list) or not all(isinstance(line, list) for line in lines):
        return "post content must be a list of lines"
    for line in lines:
        for element in line:
            if element.get("tag") not in ("text", "a", "at", "img"):
                return f"unknown tag {element.get('tag')}"
    return ""


def _visible_text(platform: str, data: dict) -> str:
    if platform == "dingtalk":
        kind = data.get("msgtype")
        block = data.get(kind) or {}
        return f"{block.get('title', '')}\n{block.get('text', '')}{block.get('content', '')}"
    post = data.get("content", {}).get("post", {}).get("zh_cn", {})
    texts = [post.get("title", "")]
    texts += [e.get("text", "") for line in post.get("content", []) for e in line]
    return "\n".join(texts)


def _handler(server: RobotServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            answer = server.handle(self.path, body)
            if answer is None:  # a dropped connection: no status line at all
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            status, data = answer
            server.answers.append((_route(self.path)[0] or "", status, data))
            out = json.dumps(data, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args) -> None:
            pass

    return Handler


@contextmanager
def robot_server(
    clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time
) -> Iterator[RobotServer]:
    """Run a robot server on a free loopback port for the length of a with block."""
    state = RobotServer(clock, wall)
    httpd = ThreadingHTTPServer((HOST, 0), _handler(state))
    httpd.daemon_threads = True
    state.base = f"http://{HOST}:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def closed_port_url(path: str = "/robot/send?access_token=down") -> str:
    """Return a loopback URL on which nothing listens (a server that is down)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    return f"http://{HOST}:{port}{path}"
