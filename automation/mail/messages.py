"""Build the day's e-mails from a computed ledger: one reminder per unit, one summary to the leaders.

Pure apart from reading today's 催办函 files to attach them: no SMTP, no clock (``now`` is
a parameter). HTML goes through Jinja2 with autoescaping, so whatever staff typed into the
ledger arrives as text, never as markup. Headers are one line of printable text and every
recipient is one validated address, so no cell can add a header or a recipient.
"""

from __future__ import annotations

import mimetypes
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

import jinja2

from automation import paths, schema
from automation.mail.addresses import valid_address
from automation.models import Item, ItemResult, Ledger, Outcome, Problem, Unit
from automation.safetext import one_line, printable, visible
from automation.schema import LetterType, Status
from automation.settings import Settings

KIND_UNIT = "unit"
KIND_LEADERS = "leaders"
# Statuses a unit is reminded of, in the order the mail lists them.
REMIND_STATUSES = (Status.OVERDUE, Status.FEEDBACK_LATE, Status.DUE_SOON)
LETTERS_DIR = str(LetterType.REMINDER)
LEADERS_NAME = "领导汇总"
WORST_UNITS = 5


@dataclass
class Outgoing:
    """One message to send, with the idempotence key (day, kind, unit) of the send log."""

    day: date
    kind: str  # KIND_UNIT or KIND_LEADERS
    unit: str  # the unit's name; LEADERS_NAME for the summary
    to: tuple[str, ...]
    cc: tuple[str, ...]
    message: EmailMessage
    counts: dict[str, int] = field(default_factory=dict)
    attachments: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.day.isoformat(), self.kind, self.unit)

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


def due_by_unit(pairs) -> dict[str, list[tuple[Item, ItemResult]]]:
    """Group the (item, result) pairs to remind by lead unit (an item reaches each of them)."""
    due: dict[str, list[tuple[Item, ItemResult]]] = defaultdict(list)
    for item, result in pairs:
        if result.status in REMIND_STATUSES:
            for unit in item.lead_units:
                due[unit].append((item, result))
    return due


def letters_folder(ledger_path: Path, day: date) -> Path:
    """Return where the letters job puts the day's 催办函: ``输出/<date>/催办函``."""
    return paths.day_folder(ledger_path, day, LETTERS_DIR)


def build_messages(
    ledger: Ledger,
    outcome: Outcome,
    *,
    sender: str,
    now: datetime,
    letters_dir: Path | None = None,
) -> tuple[list[Outgoing], list[Problem]]:
    """Build the leaders' summary and each unit's reminder; return them and the problems found."""
    today = outcome.today
    pairs = list(zip(ledger.items, outcome.results, strict=True))
    due = due_by_unit(pairs)
    units = {u.name: u for u in ledger.units}
    office = ledger.settings.office_name
    problems: list[Problem] = []
    messages: list[Outgoing] = []
    unreachable: list[str] = []

    leaders = _leader_addresses(ledger.settings, problems)
    for name in sorted(due, key=lambda n: (_severity(due[n]), n)):
        unit = units.get(name)
        to, cc = _unit_addresses(name, unit, len(due[name]), problems)
        if not to:
            unreachable.append(name)
            continue
        rows = sorted(due[name], key=_order)
        counts = _counts(rows)
        attachments = _todays_letters(letters_dir, name)
        msg = _message(
            sender,
            to,
            cc,
            _unit_subject(name, counts),
            now,
            _render(
                "unit.html", office=office, unit=name, today=today, counts=counts, rows=_rows(rows)
            ),
            _unit_text(office, name, today, counts, rows),
            attachments,
        )
        messages.append(
            Outgoing(
                today, KIND_UNIT, name, to, cc, msg, counts, tuple(p.name for p in attachments)
            )
        )

    if leaders:
        overdue = sorted(((i, r) for i, r in pairs if r.status == Status.OVERDUE), key=_order)
        counts = _counts([(i, r) for i, r in pairs if r.status in REMIND_STATUSES])
        worst = sorted(due, key=lambda n: (_severity(due[n]), n))[:WORST_UNITS]
        worst_rows = [(n, _counts(due[n])) for n in worst]
        subject = f"【督办日报】{_cn_date(today)}：" + _count_text(counts, "无逾期、临期事项")
        msg = _message(
            sender,
            leaders,
            (),
            subject,
            now,
            _render(
                "leaders.html",
                office=office,
                today=today,
                counts=counts,
                total=len(pairs),
                worst=worst_rows,
                rows=_rows(overdue),
                unreachable=unreachable,
            ),
            _leaders_text(office, today, counts, len(pairs), worst_rows, overdue, unreachable),
            [],
        )
        messages.insert(0, Outgoing(today, KIND_LEADERS, LEADERS_NAME, leaders, (), msg, counts))
    return messages, problems


# --- recipients -------------------------------------------------------------------------


def _leader_addresses(settings: Settings, problems: list[Problem]) -> tuple[str, ...]:
    """Return 领导邮箱 (already checked when 参数设置 was read); say so when there is none."""
    if not settings.leader_emails:
        problems.append(
            Problem(
                schema.SETTINGS,
                settings.cell("leader_emails"),
                "未设置领导邮箱，领导汇总邮件无法发送",
                "请在参数设置表“领导邮箱”一行填写邮箱，多个用逗号分隔",
            )
        )
    return settings.leader_emails


def _unit_addresses(
    name: str, unit: Unit | None, n_items: int, problems: list[Problem]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if unit is None:
        problems.append(
            Problem(
                schema.UNITS,
                "",
                f"单位“{name}”有 {n_items} 项需提醒，但不在责任单位表中，无法发送提醒邮件",
                "请在责任单位表添加该单位并填写邮箱",
            )
        )
        return (), ()
    cell = f"邮箱（第{unit.row}行）" if unit.row else "邮箱"
    for address in (*unit.emails, *unit.cc):
        if not valid_address(address):
            problems.append(
                Problem(
                    schema.UNITS,
                    cell,
                    f"单位“{name}”的邮箱“{visible(address)}”不是有效邮箱，已跳过",
                    "请改为如 office@example.gov.cn 的邮箱，多个用逗号分隔",
                )
            )
    to = tuple(a for a in unit.emails if valid_address(a))
    cc = tuple(a for a in unit.cc if valid_address(a) and a not in to)
    if not to:
        what = "未填写邮箱" if not unit.emails else "没有有效邮箱"
        problems.append(
            Problem(
                schema.UNITS,
                cell,
                f"单位“{name}”有 {n_items} 项需提醒，但{what}，未能发送提醒邮件",
                # The reader keeps only addresses: a cell of anything else reads as empty.
                "请在责任单位表“邮箱”列填写该单位的邮箱，如 office@example.gov.cn"
                "（已填写的，请按校验问题中该单元格的提示改正）",
            )
        )
    return to, cc


# --- content ----------------------------------------------------------------------------


def _order(pair: tuple[Item, ItemResult]) -> tuple:
    item, result = pair
    return (
        REMIND_STATUSES.index(result.status) if result.status in REMIND_STATUSES else 9,
        -(result.days_overdue or 0),
        result.days_left if result.days_left is not None else 10**6,
        item.id,
    )


def _severity(rows: list[tuple[Item, ItemResult]]) -> tuple:
    counts = _counts(rows)
    return tuple(-counts[s] for s in REMIND_STATUSES)


def _counts(rows) -> dict[str, int]:
    counts = dict.fromkeys(REMIND_STATUSES, 0)
    for _, result in rows:
        if result.status in counts:
            counts[result.status] += 1
    return counts


def _count_text(counts: dict[str, int], empty: str) -> str:
    return "、".join(f"{k}{v}项" for k, v in counts.items() if v) or empty


def _unit_subject(name: str, counts: dict[str, int]) -> str:
    return f"【督办提醒】{name}：{_count_text(counts, '无')}"


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _rows(pairs) -> list[dict[str, object]]:
    """Flatten items into table rows, shared by the HTML and text parts."""
    rows = []
    for item, result in pairs:
        deadline = item.effective_deadline
        if result.status == Status.OVERDUE:
            days = f"逾期{result.days_overdue}个工作日"
        elif result.status == Status.DUE_SOON:
            days = f"剩余{result.days_left}个工作日"
        else:
            days = (
                f"应于{result.next_feedback_on.isoformat()}反馈" if result.next_feedback_on else ""
            )
        rows.append(
            {
                "id": item.ref,
                "content": item.content,
                "unit": item.unit_text or item.unit or "",
                "deadline": deadline.isoformat() if deadline else ("长期" if item.ongoing else ""),
                "status": result.status,
                "days": days,
                "level": result.level,
                "leader": item.leader,
            }
        )
    return rows


def _unit_text(office: str, name: str, today: date, counts, pairs) -> str:
    lines = [
        f"{name}：",
        "",
        f"截至{_cn_date(today)}，贵单位牵头的督办事项中{_count_text(counts, '无需提醒事项')}，请抓紧办理并按时反馈。",
        "",
    ]
    for row in _rows(pairs):
        lines.append(f"【{row['status']}】{row['id']} {row['content']}")
        lines.append(
            f"    办结时限：{row['deadline'] or '—'}；{row['days']}；督办等级：{row['level'] or '—'}"
        )
    lines += ["", f"{office}", "（本邮件由督办台账系统自动发送）"]
    return "\n".join(lines) + "\n"


def _leaders_text(office: str, today: date, counts, total: int, worst, overdue, unreachable) -> str:
    lines = [
        f"截至{_cn_date(today)}，台账共{total}项，其中{_count_text(counts, '无逾期、临期事项')}。",
        "",
    ]
    if worst:
        lines.append("需重点关注的单位：")
        lines += [f"  {n}：{_count_text(c, '无')}" for n, c in worst]
        lines.append("")
    if overdue:
        lines.append("逾期事项清单：")
        lines += [
            f"  {r['id']} {r['unit']} {r['content']}（{r['days']}，{r['level'] or '—'}）"
            for r in _rows(overdue)
        ]
        lines.append("")
    if unreachable:
        lines += [f"以下单位未填写有效邮箱，未能收到提醒：{'、'.join(unreachable)}", ""]
    lines += [office, "（本邮件由督办台账系统自动发送）"]
    return "\n".join(lines) + "\n"


_STYLE = "border-collapse:collapse;font-size:14px"
_CELL = "border:1px solid #999;padding:4px 6px"
_TEMPLATES = {
    "table.html": """<table style="{{ style }}"><tr>{% for h in headers %}<th style="{{ cell }};background:#eee">{{ h }}</th>{% endfor %}</tr>
{% for r in rows %}<tr>{% for k in keys %}<td style="{{ cell }}">{{ r[k] }}</td>{% endfor %}</tr>
{% endfor %}</table>""",
    "unit.html": """<html><head><meta charset="utf-8"></head><body style="font-family:'Microsoft YaHei',sans-serif">
<p>{{ unit }}：</p>
<p>截至{{ today.year }}年{{ today.month }}月{{ today.day }}日，贵单位牵头的督办事项中
{% for k, v in counts.items() if v %}{{ k }}<b>{{ v }}</b>项{% if not loop.last %}、{% endif %}{% endfor %}，请抓紧办理并按时反馈。</p>
{% with headers=["编号", "事项内容", "办结时限", "状态", "说明", "督办等级"], keys=["id", "content", "deadline", "status", "days", "level"] %}{% include "table.html" %}{% endwith %}
<p>{{ office }}<br>（本邮件由督办台账系统自动发送）</p>
</body></html>""",
    "leaders.html": """<html><head><meta charset="utf-8"></head><body style="font-family:'Microsoft YaHei',sans-serif">
<p>截至{{ today.year }}年{{ today.month }}月{{ today.day }}日，台账共{{ total }}项，其中
{% for k, v in counts.items() if v %}{{ k }}<b>{{ v }}</b>项{% if not loop.last %}、{% endif %}{% else %}无逾期、临期事项{% endfor %}。</p>
{% if worst %}<p>需重点关注的单位：</p>
<table style="{{ style }}"><tr><th style="{{ cell }};background:#eee">单位</th>{% for k in counts %}<th style="{{ cell }};background:#eee">{{ k }}</th>{% endfor %}</tr>
{% for name, c in worst %}<tr><td style="{{ cell }}">{{ name }}</td>{% for k in counts %}<td style="{{ cell }}">{{ c[k] }}</td>{% endfor %}</tr>
{% endfor %}</table>{% endif %}
{% if rows %}<p>逾期事项清单：</p>
{% with headers=["编号", "责任单位", "事项内容", "办结时限", "说明", "督办等级", "牵头领导"], keys=["id", "unit", "content", "deadline", "days", "level", "leader"] %}{% include "table.html" %}{% endwith %}{% endif %}
{% if unreachable %}<p>以下单位未填写有效邮箱，未能收到提醒：{{ unreachable | join("、") }}</p>{% endif %}
<p>{{ office }}<br>（本邮件由督办台账系统自动发送）</p>
</body></html>""",
}
_ENV = jinja2.Environment(
    loader=jinja2.DictLoader(_TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
)


def _render(name: str, **values) -> str:
    return _ENV.get_template(name).render(style=_STYLE, cell=_CELL, **values)


def _todays_letters(folder: Path | None, unit: str) -> list[Path]:
    """Find the unit's 催办函 issued today, named ``<unit>-催办函-<文号>.docx``."""
    if folder is None or not folder.is_dir():
        return []
    from automation.letters.docx_render import letter_prefix  # docxtpl: only when letters exist

    prefix = letter_prefix(unit, LETTERS_DIR)
    return sorted(
        p
        for p in folder.iterdir()
        if p.name.startswith(prefix) and p.suffix.lower() in (".docx", ".pdf")
    )


def _message(sender, to, cc, subject, now, html, text, attachments) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = one_line(subject)
    msg["From"] = _address(sender)
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Date"] = format_datetime(now.astimezone())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid("duban", domain=domain)
    msg.set_content(printable(text))
    msg.add_alternative(printable(html), subtype="html")
    for path in attachments:
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        msg.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return msg


def _address(sender: str) -> Address | str:
    """Turn ``县督查室 <a@b.cn>`` into an Address so a Chinese display name is encoded properly."""
    name, addr = parseaddr(one_line(sender))
    if not addr or "@" not in addr:
        return one_line(sender)
    user, _, domain = addr.partition("@")
    return Address(display_name=name, username=user, domain=domain)


def failure_message(
    sender: str, to: str, ledger_path: Path, day: date, error: str, now: datetime
) -> EmailMessage:
    """Build the alert mailed to 督查室邮箱 when the daily job fails."""
    text = (
        f"{_cn_date(day)}的督办每日任务（刷新台账、生成文书、发送提醒）未能完成：\n\n{error}\n\n"
        f"台账：{ledger_path}\n详细记录见台账所在文件夹的 .duban/logs/daily.log。\n"
        "排除故障后可运行 duban daily 台账文件 --once 补做当天任务，已发送的提醒不会重复发送。\n"
    )
    html = _ENV.from_string(
        '<html><body><pre style="font-family:sans-serif;white-space:pre-wrap">{{ text }}</pre></body></html>'
    ).render(text=text)
    return _message(
        sender, (to,), (), f"【督办系统告警】{_cn_date(day)}每日任务失败", now, html, text, []
    )
