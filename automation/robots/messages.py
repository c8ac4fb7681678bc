"""The day's group messages from a computed ledger: one digest per unit, the leaders' summary.

The same selection, order and wording as the reminder e-mails (``automation.mail.messages``),
laid out for a chat group: one line per item with 编号, 事项, 时限, 逾期工作日 and 督办等级,
and the unit's 联系人 @-mentioned by the mobile number in 责任单位's 联系电话.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from automation.mail.messages import (
    KIND_LEADERS,
    KIND_UNIT,
    LEADERS_NAME,
    REMIND_STATUSES,
    WORST_UNITS,
    _cn_date,
    _count_text,
    _counts,
    _order,
    _rows,
    _severity,
    due_by_unit,
)
from automation.models import Ledger, Outcome, Unit
from automation.robots.digest import KIND_FAILURE, Digest, Paragraph, ours, typed
from automation.schema import Status

FOOTER = "（督办台账系统自动发送）"
# A mainland mobile number, once spaces and dashes are gone: 1[3-9] and nine more digits.
_MOBILE = re.compile(r"(?<!\d)(?:\+?86)?(1[3-9]\d{9})(?!\d)")
_NUMBER_GLUE = re.compile(r"(?<=\d)[\s\-－—]+(?=\d)")


def mobiles_in(phone: str) -> tuple[str, ...]:
    """Return the mobile numbers written in a 联系电话 cell (landlines cannot be @-mentioned)."""
    found = _MOBILE.findall(_NUMBER_GLUE.sub("", phone))
    return tuple(dict.fromkeys(found))


def build_digests(
    ledger: Ledger, outcome: Outcome, *, unrouted: Sequence[str] = ()
) -> list[Digest]:
    """Build the leaders' summary (first) and one digest per unit with items to remind.

    ``unrouted``: units whose 通知群 names no configured robot, listed in the summary.
    """
    today = outcome.today
    pairs = list(zip(ledger.items, outcome.results, strict=True))
    due = due_by_unit(pairs)  # the same units and items as the reminder e-mails
    units = {u.name: u for u in ledger.units}
    office = str(ledger.settings.office_name)
    names = sorted(due, key=lambda n: (_severity(due[n]), n))
    digests = [_leaders(office, today, pairs, due, names, unrouted)]
    digests += [_unit(office, today, name, units.get(name), due[name]) for name in names]
    return digests


def _unit(office: str, today: date, name: str, unit: Unit | None, rows) -> Digest:
    rows = sorted(rows, key=_order)
    counts = _counts(rows)
    summary = _count_text(counts, "无")
    body: list[Paragraph] = []
    for status in REMIND_STATUSES:
        group = [(i, r) for i, r in rows if r.status == status]
        if not group:
            continue
        body.append((ours(f"{status}（{len(group)}项）", bold=True),))
        body += [_item_line(row, with_unit=False) for row in _rows(group)]
    contact = unit.contact if unit else ""
    tail: list[Paragraph] = []
    if contact:
        tail.append((ours("请联系人 "), typed(contact), ours(" 查收，抓紧办理并按时反馈。")))
    tail.append((typed(office), ours(FOOTER)))
    return Digest(
        kind=KIND_UNIT,
        unit=name,
        title=(ours("【督办提醒】"), typed(name), ours(f"：{summary}")),
        head=(
            (
                ours(f"截至{_cn_date(today)}，"),
                typed(name),
                ours(f"牵头的督办事项中{summary}，请抓紧办理并按时反馈。"),
            ),
        ),
        body=tuple(body),
        tail=tuple(tail),
        mobiles=mobiles_in(unit.phone) if unit else (),
        nudge=(typed(name), ours(f"：{summary}。请查收上面的督办提醒，抓紧办理并按时反馈。")),
    )


def _leaders(
    office: str, today: date, pairs, due, names: list[str], unrouted: Sequence[str]
) -> Digest:
    counts = _counts([(i, r) for i, r in pairs if r.status in REMIND_STATUSES])
    summary = _count_text(counts, "无逾期、临期事项")
    body: list[Paragraph] = []
    worst = names[:WORST_UNITS]
    if worst:
        body.append((ours("需重点关注的单位", bold=True),))
        body += [(typed(n), ours(f"：{_count_text(_counts(due[n]), '无')}")) for n in worst]
    overdue = sorted(((i, r) for i, r in pairs if r.status == Status.OVERDUE), key=_order)
    if overdue:
        body.append((ours(f"逾期事项清单（{len(overdue)}项）", bold=True),))
        body += [_item_line(row, with_unit=True) for row in _rows(overdue)]
    if unrouted:
        body.append(
            (ours("以下单位的通知群填写有误，未能在群里提醒："), typed("、".join(unrouted)))
        )
    return Digest(
        kind=KIND_LEADERS,
        unit=LEADERS_NAME,
        title=(ours(f"【督办日报】{_cn_date(today)}：{summary}"),),
        head=((ours(f"截至{_cn_date(today)}，台账共{len(pairs)}项，其中{summary}。"),),),
        body=tuple(body),
        tail=((typed(office), ours(FOOTER)),),
    )


def _item_line(row: dict[str, object], *, with_unit: bool) -> Paragraph:
    """One item on one line: 编号 (bold), [责任单位,] 事项, then 时限, days, 督办等级."""
    spans = [typed(row["id"], bold=True), ours(" ")]
    if with_unit:
        spans += [typed(row["unit"]), ours(" ")]
    facts = [f"办结时限 {row['deadline'] or '—'}"]
    if row["days"]:
        facts.append(str(row["days"]))
    facts.append(f"督办等级：{row['level'] or '—'}")
    if with_unit and row["leader"]:
        return (
            *spans,
            typed(row["content"]),
            ours(f"（{'，'.join(facts)}，牵头领导："),
            typed(row["leader"]),
            ours("）"),
        )
    return (*spans, typed(row["content"]), ours(f"（{'，'.join(facts)}）"))


def failure_digest(ledger_path: Path, day: date, error: str) -> Digest:
    """Build the notice the daily job sends the office's group when a day's run fails."""
    return Digest(
        kind=KIND_FAILURE,
        unit="督查室",
        title=(ours(f"【督办系统告警】{_cn_date(day)}每日任务失败"),),
        body=(
            (ours(f"{_cn_date(day)}的督办每日任务（刷新台账、生成文书、发送提醒）未能完成："),),
            (typed(error),),
            (ours("台账："), typed(str(ledger_path))),
            (
                ours(
                    "详细记录见台账所在文件夹的 .duban/logs/daily.log。排除故障后运行 "
                    "duban daily 台账文件 --once 可补做当天任务，已发送的提醒不会重复发送。"
                ),
            ),
        ),
    )
