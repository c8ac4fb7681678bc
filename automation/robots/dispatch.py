"""The robot channel of `duban notify`: which group gets what, the dry run's .json files, sending.

A unit's digest goes to the robots its 通知群 names (default: the first robot configured);
the leaders' summary and the failure notice go to the robots marked ``summary`` (default:
the first). Every part a robot accepts is recorded at once in the send log, keyed
(day, kind, unit, channel, part), so a rerun the same day posts exactly the missing parts.
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from automation import paths, schema
from automation.errors import UsageError, WriteFailed
from automation.ledger.normalize import split_list
from automation.mail.messages import KIND_LEADERS, KIND_UNIT
from automation.mail.sendlog import SendLog
from automation.models import Ledger, Outcome, Problem, Unit
from automation.robots.client import RobotClient
from automation.robots.config import DINGTALK, WECOM, RobotConfig
from automation.robots.digest import Digest
from automation.robots.messages import build_digests, failure_digest, mobiles_in
from automation.robots.platforms import RobotError, payloads

NO_GROUP = ("无", "不发", "none")
MAIL_WORDS = ("mail", "email", "邮件")
ROBOT_WORDS = ("robot", "robots", "机器人", "群机器人")


@dataclass(eq=False)
class RobotMessage:
    """One payload for one robot, with its send-log key (day, kind, unit, channel, part)."""

    day: date
    kind: str
    unit: str
    robot: RobotConfig
    part: int
    parts: int
    title: str
    payload: dict

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        return (self.day.isoformat(), self.kind, self.unit, self.robot.channel, self.part)

    @property
    def describe(self) -> str:
        part = f"（第{self.part}/{self.parts}条）" if self.parts > 1 else ""
        return f"{self.title}{part} → {self.robot.label}"


@dataclass
class RobotReport:
    """What the robot channel built, sent, skipped and failed in one notify run."""

    robots: list[RobotConfig]
    messages: list[RobotMessage] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sent: list[RobotMessage] = field(default_factory=list)
    skipped: list[RobotMessage] = field(default_factory=list)  # already sent today
    held: list[RobotMessage] = field(default_factory=list)  # beyond --limit
    failed: list[tuple[RobotMessage, str]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)  # .json files of a dry run
    waited: float = 0.0  # seconds spent keeping under the robots' rate limits

    def lines(self, send: bool) -> list[str]:
        """Describe the robot messages in Chinese, one line each, then the counts."""
        lines = ["群机器人：" + "；".join(f"{r.label} {r.masked_webhook}" for r in self.robots)]
        for m in self.messages:
            lines.append(f"  [{self.state_of(m)}] {m.describe}")
        if not self.messages:
            lines.append("  今日没有需要发送的群消息")
        if self.written:
            lines.append(f"群消息文件（.json）已写入：{self.written[0].parent}")
        if self.waited >= 1:
            lines.append(f"为遵守机器人发送频率限制，共等待 {self.waited:.0f} 秒")
        if send:
            lines.append(
                f"群消息已发送 {len(self.sent)} 条，跳过 {len(self.skipped)} 条，失败 {len(self.failed)} 条"
            )
        else:
            pending = len(self.messages) - len(self.skipped) - len(self.held)
            lines.append(f"群消息将发送 {pending} 条，跳过 {len(self.skipped)} 条（今日已发送）")
        return lines

    def state_of(self, m: RobotMessage) -> str:
        """Return what happened to one message, in Chinese."""
        if any(m is s for s in self.skipped):
            return "已跳过（今日已发送）"
        if any(m is h for h in self.held):
            return "未处理（超出 --limit）"
        if any(m is s for s in self.sent):
            return "已发送"
        for failed, reason in self.failed:
            if failed is m:
                return f"失败：{reason}"
        return "待发送"

    def as_dict(self) -> dict:
        """Return the robot part of `duban notify --json` (webhooks masked)."""
        return {
            "robots": [
                {"name": r.name, "platform": r.platform, "webhook": r.masked_webhook}
                for r in self.robots
            ],
            "messages": [
                {
                    "robot": m.robot.name,
                    "unit": m.unit,
                    "kind": m.kind,
                    "title": m.title,
                    "part": m.part,
                    "parts": m.parts,
                    "state": self.state_of(m),
                }
                for m in self.messages
            ],
            "sent": len(self.sent),
            "skipped": len(self.skipped),
            "failed": len(self.failed),
            "written": [str(p) for p in self.written],
        }

    def pending(
        self, sent_keys: set, limit: int | None, among: list[RobotMessage] | None = None
    ) -> list[RobotMessage]:
        """Return what is left to send: not sent today, at most ``limit`` per robot."""
        out: list[RobotMessage] = []
        per_robot: Counter[str] = Counter()
        for m in self.messages if among is None else among:
            if m.key in sent_keys:
                self.skipped.append(m)
            elif limit is not None and per_robot[m.robot.name] >= limit:
                self.held.append(m)
            else:
                per_robot[m.robot.name] += 1
                out.append(m)
        return out


def pick_channels(
    channels: Sequence[str], smtp_configured: bool, robots: list[RobotConfig]
) -> tuple[bool, list[RobotConfig]]:
    """Return whether to use mail and which robots, from --channel (default: all configured)."""
    if not channels:
        # With nothing configured at all, a dry run still shows the e-mails it would send.
        return smtp_configured or not robots, list(robots)
    use_mail = False
    chosen: list[RobotConfig] = []
    by_name = {_match_key(r.name): r for r in robots}
    for text in channels:
        for word in split_list(text):
            key = _match_key(word)
            if key in MAIL_WORDS:
                use_mail = True
            elif key in ROBOT_WORDS and robots:
                chosen += robots
            elif key in by_name:
                chosen.append(by_name[key])
            else:
                names = "、".join(r.name for r in robots) or "（尚未配置群机器人）"
                raise UsageError(
                    f"--channel：没有“{word}”这个发送渠道",
                    f"请填写 mail（邮件）、robot（全部群机器人）或群机器人名称：{names}",
                )
    return use_mail, [r for r in robots if r in chosen]


def plan(
    ledger: Ledger,
    outcome: Outcome,
    robots: list[RobotConfig],
    *,
    only: list[RobotConfig] | None = None,
    unit: str | None = None,
) -> RobotReport:
    """Build every robot message of the day, with the problems found.

    Routing follows every configured robot; ``only`` keeps the messages of some of them
    (--channel), ``unit`` those of one unit (--unit).
    """
    only = robots if only is None else only
    report = RobotReport(only)
    if not robots or not only:
        return report
    units = {u.name: u for u in ledger.units}
    routes: dict[str, list[RobotConfig]] = {}
    unrouted: list[str] = []
    digests = build_digests(ledger, outcome)
    for digest in digests:
        if digest.kind != KIND_UNIT:
            continue
        routes[digest.unit] = _route(units.get(digest.unit), robots, report.problems)
        if not routes[digest.unit]:
            unrouted.append(digest.unit)
    if unrouted:
        digests = build_digests(ledger, outcome, unrouted=unrouted)
    summary_robots = [r for r in robots if r.summary]
    for digest in digests:
        if unit is not None and (digest.kind != KIND_UNIT or digest.unit != unit):
            continue
        targets = summary_robots if digest.kind == KIND_LEADERS else routes[digest.unit]
        for robot in (r for r in targets if r in only):
            _check_mentions(robot, units.get(digest.unit), digest, report.problems)
            report.messages += _messages(outcome.today, robot, digest)
    return report


def _route(
    unit: Unit | None, robots: list[RobotConfig], problems: list[Problem]
) -> list[RobotConfig]:
    """Return the robots a unit's 通知群 names (default: the first robot)."""
    names = split_list(unit.group) if unit else []
    if unit is None or not names:
        return [robots[0]]
    if len(names) == 1 and names[0].casefold() in NO_GROUP:
        return []
    by_name = {_match_key(r.name): r for r in robots}
    chosen = []
    for name in names:
        robot = by_name.get(_match_key(name))
        if robot is None:
            problems.append(
                Problem(
                    schema.UNITS,
                    unit.cells.get("group", f"第{unit.row}行"),
                    f"单位“{unit.name}”的通知群“{name}”不是 duban.toml 中配置的群机器人，未向该群发送提醒",
                    f"请填写 {'、'.join(r.name for r in robots)} 之一（即 [robot.名称] 中的名称），"
                    f"留空则发到“{robots[0].name}”，填“无”则不发群消息",
                )
            )
        else:
            chosen.append(robot)
    return [r for r in robots if r in chosen]  # in the order duban.toml lists them


def _match_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


def _check_mentions(robot: RobotConfig, unit: Unit | None, digest: Digest, problems) -> None:
    if robot.platform not in (DINGTALK, WECOM) or unit is None or digest.kind != KIND_UNIT:
        return
    if unit.phone and not mobiles_in(unit.phone):
        problem = Problem(
            schema.UNITS,
            unit.cells.get("phone", f"第{unit.row}行"),
            f"单位“{unit.name}”的联系电话“{unit.phone}”中没有手机号，群消息无法@联系人",
            "如需在群里@联系人，请填写其 11 位手机号（须与其钉钉/企业微信绑定的手机号一致）",
        )
        if problem not in problems:
            problems.append(problem)


def _messages(day: date, robot: RobotConfig, digest: Digest) -> list[RobotMessage]:
    parts = payloads(robot, digest)
    return [
        RobotMessage(day, digest.kind, digest.unit, robot, k, len(parts), digest.title_text, p)
        for k, p in enumerate(parts, 1)
    ]


def write_json(folder: Path, messages: list[RobotMessage]) -> list[Path]:
    """Write each robot message as the JSON it would post (unsigned) into folder."""
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.json"):  # an earlier dry run's files, replaced whole
            stale.unlink()
        for index, m in enumerate(messages, 1):
            part = f"-{m.part}of{m.parts}" if m.parts > 1 else ""
            name = paths.safe_filename(f"{index:03d}-{m.robot.name}-{m.unit}{part}") + ".json"
            (folder / name).write_bytes(
                json.dumps(m.payload, ensure_ascii=False, indent=2).encode("utf-8")
            )
            written.append(folder / name)
    except OSError as e:
        raise WriteFailed(
            f"无法写入群消息文件（{e.strerror or e}）", "请检查输出文件夹是否可写", path=str(folder)
        ) from e
    return written


def send(
    report: RobotReport,
    pending: list[RobotMessage],
    log: SendLog,
    *,
    attempts: int = 4,
    backoff: float = 2.0,
    rate_wait: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Post pending messages robot by robot; record each accepted part in the send log at once."""
    clients: dict[str, RobotClient] = {}
    stopped: dict[str, str] = {}
    for m in pending:
        name = m.robot.name
        if name in stopped:
            report.failed.append((m, f"未发送：{m.robot.label}本次暂停发送（{stopped[name]}）"))
            continue
        if name not in clients:
            clients[name] = RobotClient(
                m.robot,
                attempts=attempts,
                backoff=backoff,
                rate_wait=rate_wait,
                sleep=sleep,
                clock=clock,
            )
        try:
            clients[name].send(m.payload)
        except RobotError as e:
            report.failed.append((m, e.reason))
            if e.robot_wide:
                # Every further message to this robot would fail (or wait) the same way.
                stopped[name] = "见上一条的失败原因"
            continue
        finally:
            report.waited = sum(c.limiter.waited for c in clients.values())
        log.record_robot(m.key, m.parts, m.title, datetime.now())
        report.sent.append(m)


def send_failure_notice(
    robots: list[RobotConfig],
    ledger_path: Path,
    day: date,
    error: str,
    **options,
) -> list[str]:
    """Post the daily job's failure notice to the summary robots; return what went wrong."""
    digest = failure_digest(ledger_path, day, error)
    problems = []
    for robot in (r for r in robots if r.summary):
        client = RobotClient(robot, **options)
        try:
            for payload in payloads(robot, digest):
                client.send(payload)
        except RobotError as e:
            problems.append(e.reason)
    return problems
