"""The day's reminders by e-mail and group robot: the library twin of `duban notify`.

Dry run by default: the e-mails are written as .eml files and the robot messages as .json
files under ``输出/<date>/邮件/`` and listed. With ``send`` they go to the SMTP server and the
robots; each accepted message is recorded in the send log at once, so a second run the
same day sends only what is still missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from automation import paths, store
from automation.errors import ConfigError, SendFailed, WriteFailed
from automation.evaluate import Evaluation, evaluate_readonly
from automation.mail.config import load_smtp_config
from automation.mail.mailer import DeliveryError, Mailer
from automation.mail.messages import (
    KIND_LEADERS,
    Outgoing,
    build_messages,
)
from automation.mail.sendlog import SendLog
from automation.models import Problem
from automation.robots import dispatch
from automation.robots.config import load_robots
from automation.units import resolve_unit

PLACEHOLDER_SENDER = "duban@localhost"


@dataclass
class NotifyReport:
    """What a notify run built, sent, skipped and failed, for the CLI and the daily job."""

    path: Path
    today: date
    send: bool
    messages: list[Outgoing] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)
    skipped: list[Outgoing] = field(default_factory=list)  # already sent today
    held: list[Outgoing] = field(default_factory=list)  # beyond --limit
    failed: list[tuple[Outgoing, str]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)  # .eml files of a dry run
    notes: list[str] = field(default_factory=list)
    mail: bool = True  # whether the mail channel took part
    robots: dispatch.RobotReport | None = None

    def state_of(self, o: Outgoing) -> str:
        """Return what happened to one message, in Chinese."""
        failed = {id(m): reason for m, reason in self.failed}
        if o in self.skipped:
            return "已跳过（今日已发送）"
        if o in self.held:
            return "未处理（超出 --limit）"
        if any(o is m for m in self.sent):
            return "已发送"
        if id(o) in failed:
            return f"失败：{failed[id(o)]}"
        return "待发送"

    def as_dict(self) -> dict:
        """Return what `duban notify --json` prints."""
        return {
            "ok": not self._failures(),
            "ledger": str(self.path),
            "today": self.today.isoformat(),
            "send": self.send,
            "messages": [
                {
                    "unit": o.unit,
                    "kind": o.kind,
                    "subject": o.subject,
                    "recipients": list(o.recipients),
                    "attachments": list(o.attachments),
                    "state": self.state_of(o),
                }
                for o in self.messages
            ],
            "sent": len(self.sent),
            "skipped": len(self.skipped),
            "failed": len(self.failed),
            "written": [str(p) for p in self.written],
            "robots": self.robots.as_dict() if self.robots else None,
            "problems": [p.as_dict() for p in self.problems],
            "notes": self.notes,
        }

    def summary(self) -> str:
        """Describe the run in Chinese: one line per message, then the counts."""
        lines = [
            f"{self.today.isoformat()} 督办提醒{'发送' if self.send else '试运行（未发送，加 --send 才发送）'}："
        ]
        lines += self.notes
        if self.mail:
            lines += self._mail_lines()
        if self.robots:
            lines += self.robots.lines(self.send)
        for p in self.problems:
            lines.append(f"问题：{p.where}：{p.message}。{p.fix}")
        if self.send and self._failures():
            lines.append("排除故障后重新运行 duban notify --send 即可补发，已发送的不会重复发送")
        return "\n".join(lines)

    def _mail_lines(self) -> list[str]:
        lines = ["提醒邮件："]
        for o in self.messages:
            mark = self.state_of(o)
            extra = f"，附件：{'、'.join(o.attachments)}" if o.attachments else ""
            lines.append(f"  [{mark}] {o.subject} → {', '.join(o.recipients)}{extra}")
        if not self.messages:
            lines.append("  今日没有需要发送的提醒")
        if self.written:
            lines.append(f"邮件文件已写入：{self.written[0].parent}")
        pending = len(self.messages) - len(self.skipped) - len(self.held)
        if self.send:
            lines.append(
                f"已发送 {len(self.sent)} 封，跳过 {len(self.skipped)} 封，失败 {len(self.failed)} 封"
            )
        else:
            lines.append(f"将发送 {pending} 封，跳过 {len(self.skipped)} 封（今日已发送）")
        return lines

    def _failures(self) -> list[tuple[str, str]]:
        """(whose message, reason) of every message, mail or robot, that could not be sent."""
        failures = [(o.unit, reason) for o, reason in self.failed]
        if self.robots:
            failures += [(f"{m.unit}→{m.robot.label}", r) for m, r in self.robots.failed]
        return failures

    def raise_for_failures(self) -> None:
        """Raise SendFailed when any message (mail or robot) could not be sent."""
        failures = self._failures()
        if not failures:
            return
        units = "；".join(f"{who}：{reason}" for who, reason in failures[:5])
        if len(failures) > 5:
            units += "；……"
        robot_failed = len(self.robots.failed) if self.robots else 0
        counts = "、".join(
            filter(
                None,
                [
                    f"{len(self.failed)} 封邮件" if self.failed else "",
                    f"{robot_failed} 条群消息" if robot_failed else "",
                ],
            )
        )
        raise SendFailed(
            f"{counts}发送失败（{units}）",
            "排除故障后重新运行 duban notify --send，只会补发未发送的提醒",
        )


def notify(
    path: Path,
    *,
    today: date,
    send: bool = False,
    limit: int | None = None,
    unit: str | None = None,
    now: datetime | None = None,
    env: Mapping[str, str] | None = None,
    evaluation: Evaluation | None = None,
    channels: Sequence[str] = (),
    attempts: int = 4,
    backoff: float = 2.0,
    rate_wait: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> NotifyReport:
    """Build the day's reminders by mail and group robot; write them as files, or send them.

    ``channels``: "mail", "robot" (every robot) or robot names; default: every one configured.
    ``limit`` caps the messages of each channel.
    """
    path = Path(path)
    now = now or datetime.now()
    evaluation = evaluation or evaluate_readonly(path, today)
    ledger, outcome = evaluation.ledger, evaluation.outcome
    report = NotifyReport(path, today, send)
    robots = load_robots(path, env)
    config = load_smtp_config(path, env, required=False)
    report.mail, chosen = dispatch.pick_channels(channels, config is not None, robots)
    if report.mail and config is None:
        config = load_smtp_config(path, env, required=send)
        report.notes.append(f"（未配置发信服务器，试运行用 {PLACEHOLDER_SENDER} 作发件人）")
    elif not report.mail and config is None:
        report.notes.append("（未配置发信服务器，本次不发邮件）")
    wanted = resolve_unit(ledger, unit) if unit is not None else None
    if report.mail:
        sender = (
            config.sender if config else f"{ledger.settings.office_name} <{PLACEHOLDER_SENDER}>"
        )
        messages, report.problems = build_messages(
            ledger,
            outcome,
            sender=sender,
            now=now,
            letters=evaluation.letters,
            ledger_folder=paths.ledger_folder(path),
        )
        if wanted is not None:
            messages = [o for o in messages if o.unit == wanted and o.kind != KIND_LEADERS]
        report.messages = messages
    if chosen:
        report.robots = dispatch.plan(ledger, outcome, robots, only=chosen, unit=wanted)
        report.problems += report.robots.problems
    mail_keys, robot_keys = _sent_keys(path, today, create=send)
    report.skipped = [o for o in report.messages if o.key in mail_keys]
    pending = [o for o in report.messages if o.key not in mail_keys]
    if limit is not None:
        pending, report.held = pending[: max(0, limit)], pending[max(0, limit) :]
    robot_pending = report.robots.pending(robot_keys, limit) if report.robots else []
    if not send:
        report.written = _write_eml(path, today, pending) if report.mail else []
        if report.robots:
            folder = paths.day_folder(path, today, paths.MAIL)
            report.robots.written = dispatch.write_json(folder, robot_pending)
        return report
    options = {"attempts": attempts, "backoff": backoff, "sleep": sleep}
    robot_options = {**options, "rate_wait": rate_wait, "clock": clock}
    _send_all(report, pending, robot_pending, config, options, robot_options)
    return report


def _send_all(
    report: NotifyReport, pending: list[Outgoing], robot_pending, config, options, robot_options
) -> None:
    with SendLog(report.path) as log:
        log.acquire(datetime.now())
        try:
            # Another run may have sent some of these while this one was building them.
            already = log.sent_keys(report.today)
            report.skipped += [o for o in pending if o.key in already]
            pending = [o for o in pending if o.key not in already]
            mail_error: ConfigError | None = None
            try:
                if pending:
                    with Mailer(config, **options) as mailer:
                        _send_each(report, pending, mailer, log)
            except ConfigError as e:  # e.g. a wrong password: the groups still get theirs
                mail_error = e
            if report.robots:
                robot_pending = report.robots.pending(
                    log.robot_sent_keys(report.today), None, robot_pending
                )
                dispatch.send(report.robots, robot_pending, log, **robot_options)
            if mail_error is not None:
                raise mail_error
        finally:
            log.release()


def _send_each(report: NotifyReport, pending: list[Outgoing], mailer: Mailer, log: SendLog) -> None:
    for index, outgoing in enumerate(pending):
        try:
            refused = mailer.send(outgoing.message, outgoing.recipients)
        except DeliveryError as e:
            report.failed.append((outgoing, e.reason))
            if e.unreachable:
                # Every further message would wait through the same retries for nothing.
                report.failed += [(o, "未发送：发信服务器无法连接") for o in pending[index + 1 :]]
                break
            continue
        now = datetime.now()
        message_id = str(outgoing.message["Message-ID"])
        log.record(outgoing.key, outgoing.recipients, outgoing.subject, message_id, now)
        report.sent.append(outgoing)
        for address, reply in refused.items():
            report.problems.append(
                Problem(
                    "责任单位",
                    "邮箱",
                    f"“{outgoing.unit}”的邮箱“{address}”被服务器拒收（{reply}），其余收件人已收到",
                    "请核对该邮箱地址",
                )
            )


def _sent_keys(path: Path, today: date, *, create: bool) -> tuple[set, set]:
    """Return the mail keys and the robot keys already sent today."""
    if not create and not store.exists(path):
        return set(), set()  # a dry run never creates the database
    with SendLog(path) as log:
        return log.sent_keys(today), log.robot_sent_keys(today)


def _write_eml(path: Path, today: date, pending: list[Outgoing]) -> list[Path]:
    folder = paths.day_folder(path, today, paths.MAIL)
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.eml"):  # an earlier dry run's files, replaced whole
            stale.unlink()
        for index, outgoing in enumerate(pending, 1):
            target = folder / f"{index:03d}-{paths.safe_filename(outgoing.unit)}.eml"
            target.write_bytes(outgoing.message.as_bytes())
            written.append(target)
    except OSError as e:
        raise WriteFailed(
            f"无法写入邮件文件（{e.strerror or e}）", "请检查输出文件夹是否可写", path=str(folder)
        ) from e
    return written
