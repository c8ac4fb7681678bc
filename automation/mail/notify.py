"""The day's reminder e-mails: the library twin of `duban notify`.

Dry run by default: the messages are written as .eml files under ``输出/<date>/邮件/``
and listed. With ``send`` they go to the SMTP server; each accepted message is recorded
in the send log at once, so a second run the same day sends only what is still missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from automation import paths, store
from automation.errors import SendFailed, WriteFailed
from automation.evaluate import Evaluation, evaluate_readonly
from automation.mail.config import load_smtp_config
from automation.mail.mailer import DeliveryError, Mailer
from automation.mail.messages import (
    KIND_LEADERS,
    Outgoing,
    build_messages,
    letters_folder,
)
from automation.mail.sendlog import SendLog
from automation.models import Problem
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
            "ok": not self.failed,
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
            "problems": [p.as_dict() for p in self.problems],
            "notes": self.notes,
        }

    def summary(self) -> str:
        """Describe the run in Chinese: one line per message, then the counts."""
        lines = [
            f"{self.today.isoformat()} 提醒邮件{'发送' if self.send else '试运行（未发送，加 --send 才发送）'}："
        ]
        lines += self.notes
        for o in self.messages:
            mark = self.state_of(o)
            extra = f"，附件：{'、'.join(o.attachments)}" if o.attachments else ""
            lines.append(f"  [{mark}] {o.subject} → {', '.join(o.recipients)}{extra}")
        if not self.messages:
            lines.append("  今日没有需要发送的提醒")
        if self.written:
            lines.append(f"邮件文件已写入：{self.written[0].parent}")
        for p in self.problems:
            lines.append(f"问题：{p.where}：{p.message}。{p.fix}")
        pending = len(self.messages) - len(self.skipped) - len(self.held)
        if self.send:
            lines.append(
                f"已发送 {len(self.sent)} 封，跳过 {len(self.skipped)} 封，失败 {len(self.failed)} 封"
            )
            if self.failed:
                lines.append(
                    "排除故障后重新运行 duban notify --send 即可补发，已发送的不会重复发送"
                )
        else:
            lines.append(f"将发送 {pending} 封，跳过 {len(self.skipped)} 封（今日已发送）")
        return "\n".join(lines)

    def raise_for_failures(self) -> None:
        """Raise SendFailed when any message could not be sent."""
        if self.failed:
            units = "；".join(f"{o.unit}：{reason}" for o, reason in self.failed[:5])
            if len(self.failed) > 5:
                units += "；……"
            raise SendFailed(
                f"{len(self.failed)} 封邮件发送失败（{units}）",
                "排除故障后重新运行 duban notify --send，只会补发未发送的邮件",
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
    attempts: int = 4,
    backoff: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> NotifyReport:
    """Build the day's reminders for a ledger and write them as .eml files, or send them."""
    path = Path(path)
    now = now or datetime.now()
    evaluation = evaluation or evaluate_readonly(path, today)
    ledger, outcome = evaluation.ledger, evaluation.outcome
    report = NotifyReport(path, today, send)
    config = load_smtp_config(path, env, required=send)
    if config is None:
        report.notes.append(f"（未配置发信服务器，试运行用 {PLACEHOLDER_SENDER} 作发件人）")
    sender = config.sender if config else f"{ledger.settings.office_name} <{PLACEHOLDER_SENDER}>"
    messages, report.problems = build_messages(
        ledger, outcome, sender=sender, now=now, letters_dir=letters_folder(path, today)
    )
    if unit is not None:
        wanted = resolve_unit(ledger, unit)
        messages = [o for o in messages if o.unit == wanted and o.kind != KIND_LEADERS]
    report.messages = messages
    sent_keys = _sent_keys(path, today, create=send)
    report.skipped = [o for o in messages if o.key in sent_keys]
    pending = [o for o in messages if o.key not in sent_keys]
    if limit is not None:
        pending, report.held = pending[: max(0, limit)], pending[max(0, limit) :]
    if not send:
        report.written = _write_eml(path, today, pending)
        return report
    _send_all(report, pending, config, attempts=attempts, backoff=backoff, sleep=sleep)
    return report


def _send_all(
    report: NotifyReport, pending: list[Outgoing], config, *, attempts, backoff, sleep
) -> None:
    with SendLog(report.path) as log:
        log.acquire(datetime.now())
        try:
            # Another run may have sent some of these while this one was building them.
            already = log.sent_keys(report.today)
            report.skipped += [o for o in pending if o.key in already]
            pending = [o for o in pending if o.key not in already]
            with Mailer(config, attempts=attempts, backoff=backoff, sleep=sleep) as mailer:
                _send_each(report, pending, mailer, log)
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


def _sent_keys(path: Path, today: date, *, create: bool) -> set[tuple[str, str, str]]:
    if not create and not store.exists(path):
        return set()  # a dry run never creates the database
    with SendLog(path) as log:
        return log.sent_keys(today)


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
