"""The daily job: on every working day, refresh and issue letters → send the reminders (`duban daily`).

A small loop: sleep until the next 每日发送时间, run, repeat. The clock and the sleep are
parameters (``schedule``'s own clock cannot be injected without subclassing its private
methods), so a test can
walk the loop through a fortnight of holidays and 调休 Saturdays in milliseconds without
touching the real time. A failed day is logged, mailed to 督查室邮箱 and posted to the
office's group robot; the loop goes on.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TypedDict

from automation import paths
from automation.errors import ConfigError, DubanError
from automation.ledger import reader
from automation.letters.issue import LetterRequest
from automation.mail.config import load_smtp_config, valid_address
from automation.mail.mailer import DeliveryError, Mailer
from automation.mail.messages import failure_message
from automation.mail.notify import NotifyReport, notify
from automation.refresh import refresh
from automation.robots.config import load_robots
from automation.robots.dispatch import send_failure_notice
from automation.rules.workdays import WorkCalendar

LOG_NAME = "daily.log"
LOG_BYTES = 1_000_000
LOG_BACKUPS = 10
# Wake at least this often, so a machine that slept through the hour notices soon after.
MAX_NAP_SECONDS = 600
_AT = re.compile(r"([01]?\d|2[0-3]):[0-5]\d")


class _Retry(TypedDict):
    """How every send of the job is retried (the Mailer's, notify's and the robots' options)."""

    attempts: int
    backoff: float
    sleep: Callable[[float], None]


@dataclass
class DayResult:
    """What one cycle did: skipped (not a working day), sent, or failed with an error."""

    day: date
    working_day: bool
    notify: NotifyReport | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def next_run(now: datetime, at: str) -> datetime:
    """Return the first moment at ``at`` (HH:MM) strictly after ``now``."""
    hour, minute = map(int, at.split(":"))
    run = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return run if run > now else run + timedelta(days=1)


class DailyJob:
    """Run the day's cycle for one ledger, once or every day at a time, logging to .duban/logs."""

    def __init__(
        self,
        path: Path,
        *,
        at: str | None = None,
        clock: Callable[[], datetime] = datetime.now,
        sleep: Callable[[float], None] = time.sleep,
        env: Mapping[str, str] | None = None,
        console: bool = False,
        attempts: int = 4,
        backoff: float = 2.0,
    ):
        self.path = Path(path)
        self._clock = clock
        self._sleep = sleep
        self._env = env
        self._mail_options: _Retry = {"attempts": attempts, "backoff": backoff, "sleep": sleep}
        self.log = _logger(self.path, console)
        # Read once at start: a broken ledger or config should stop `duban daily` at once,
        # not fail silently at 08:30 the next morning.
        ledger = reader.read_ledger(self.path, today=clock().date())
        self.office_emails = ledger.settings.office_email
        self.at = _valid_at(at or ledger.settings.daily_time)
        # Mail, group robots or both; with neither there is nobody to remind.
        self.robots = load_robots(self.path, env)
        load_smtp_config(self.path, env, required=not self.robots)

    def close(self) -> None:
        """Detach the log handlers (the log files stay)."""
        for handler in list(self.log.handlers):
            self.log.removeHandler(handler)
            handler.close()

    def run_forever(self, *, stop: Callable[[], bool] = lambda: False) -> None:
        """Run the cycle every day at ``self.at`` until stop() is true (never, from the CLI)."""
        due = next_run(self._clock(), self.at)
        self.log.info("每日任务已启动：台账 %s，每天 %s 检查，工作日发送提醒", self.path, self.at)
        while not stop():
            now = self._clock()
            if now >= due:
                self.run_once()
                due = next_run(self._clock(), self.at)
                continue
            # Short naps, so a suspended laptop or a changed clock is noticed within minutes.
            idle = (due - now).total_seconds()
            self._sleep(min(max(idle, 1.0), MAX_NAP_SECONDS))

    def run_once(self) -> DayResult:
        """Run one cycle now: on a working day refresh, make letters and send; never raise."""
        now = self._clock()
        today = now.date()
        try:
            return self._cycle(today, now)
        except Exception as e:  # the loop must outlive any one bad day
            message = str(e) if isinstance(e, DubanError) else f"{e.__class__.__name__}: {e}"
            self.log.error(
                "%s 的每日任务失败：%s",
                today.isoformat(),
                message,
                exc_info=not isinstance(e, DubanError),
            )
            self._mail_failure(today, now, message)
            self._post_failure(today, message)
            return DayResult(today, True, error=message)

    def _cycle(self, today: date, now: datetime) -> DayResult:
        ledger = reader.read_ledger(self.path, today=today)
        if not WorkCalendar(ledger.calendar_overrides).is_workday(today):
            self.log.info("%s 不是工作日（节假日或周末），今日不发送提醒", today.isoformat())
            return DayResult(today, False)
        self.office_emails = ledger.settings.office_email or self.office_emails
        self.log.info("%s 开始每日任务", today.isoformat())
        # One pass refreshes the ledger and issues the letters due (催办函 among them), so
        # the mails below can attach today's 催办函.
        refreshed = refresh(
            self.path, today=today, now=now, progress=False, letters=LetterRequest()
        )
        self.log.info("刷新与发文完成：\n%s", refreshed.summary())
        report = notify(
            self.path,
            today=today,
            send=True,
            now=now,
            env=self._env,
            evaluation=refreshed.evaluation,
            **self._mail_options,
        )
        self.log.info("提醒：\n%s", report.summary())
        report.raise_for_failures()
        return DayResult(today, True, report)

    def _post_failure(self, today: date, text: str) -> None:
        """Tell the office's group (the robots that get the leaders' summary) too."""
        try:
            robots = load_robots(self.path, self._env)
        except DubanError as e:
            self.log.error("群机器人配置有误，失败告警未能发到群里：%s", e)
            return
        for problem in send_failure_notice(robots, self.path, today, text, **self._mail_options):
            self.log.error("失败告警未能发到群里：%s", problem)
        if any(r.summary for r in robots):
            self.log.info("失败告警已发往群机器人")

    def _mail_failure(self, today: date, now: datetime, text: str) -> None:
        try:
            if self.robots and load_smtp_config(self.path, self._env, required=False) is None:
                return  # an office without mail: the notice goes to its group alone
        except DubanError as e:
            self.log.error("失败告警邮件未能发送：%s", e)
            return
        to = [a for a in self.office_emails if valid_address(a)]
        if not to:
            self.log.error("未设置有效的“督查室邮箱”，失败告警未能发出")
            return
        try:
            config = load_smtp_config(self.path, self._env, required=True)
            msg = failure_message(config.sender, ", ".join(to), self.path, today, text, now)
            with Mailer(config, **self._mail_options) as mailer:
                mailer.send(msg, to)
            self.log.info("失败告警已发送至 %s", "、".join(to))
        except (DeliveryError, DubanError) as e:
            self.log.error("失败告警也未能发送：%s", e)


def run_daily(
    path: Path,
    *,
    at: str | None = None,
    once: bool = False,
    clock: Callable[[], datetime] = datetime.now,
    sleep: Callable[[float], None] = time.sleep,
    env: Mapping[str, str] | None = None,
    console: bool = True,
) -> DayResult | None:
    """Run the daily job for a ledger: one cycle with ``once``, else forever at ``at``."""
    job = DailyJob(path, at=at, clock=clock, sleep=sleep, env=env, console=console)
    try:
        if once:
            return job.run_once()
        job.run_forever()
        return None
    finally:
        job.close()


def _valid_at(text: str) -> str:
    text = text.strip().replace("：", ":")
    if not _AT.fullmatch(text):
        raise ConfigError(
            f"发送时间“{text}”无效", "请写成 HH:MM，如 08:30（--at 或参数设置表“每日发送时间”）"
        )
    hour, minute = text.split(":")
    return f"{int(hour):02d}:{minute}"


def _logger(path: Path, console: bool) -> logging.Logger:
    folder = paths.logs_folder(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(
            f"无法创建日志文件夹（{e.strerror or e}）",
            "请检查台账所在文件夹是否可写",
            path=str(folder),
        ) from e
    # One logger per ledger folder, so two jobs in one process never share handlers.
    log = logging.getLogger(f"duban.daily.{folder.resolve()}")
    log.setLevel(logging.INFO)
    log.propagate = False
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    handler = RotatingFileHandler(
        folder / LOG_NAME, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(formatter)
    log.addHandler(handler)
    if console:
        stream = logging.StreamHandler()
        stream.setFormatter(formatter)
        log.addHandler(stream)
    return log
