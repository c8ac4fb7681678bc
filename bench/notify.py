"""Time `duban notify --send` delivering 500 messages to a loopback SMTP server (STARTTLS + AUTH).

Prints messages/s for duban's path (one connection reused, every message recorded in the
send log) and, for the ratio, the obvious alternative measured in the same run: a fresh
connection (connect, STARTTLS, login, send, quit) per message. Target: ≥ 50 messages/s.
"""

from __future__ import annotations

import smtplib
import ssl
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fixtures_xlsx import good_row, write_ledger  # noqa: E402
from smtpd_fixture import PASSWORD, USER, smtp_server  # noqa: E402

from automation.mail.config import load_smtp_config  # noqa: E402
from automation.mail.mailer import Mailer  # noqa: E402
from automation.mail.notify import notify  # noqa: E402

TODAY = date(2026, 10, 9)
MESSAGES = 500  # 499 unit reminders + the leaders' summary
ALTERNATIVE_SAMPLE = 100
TARGET = 50.0


def make_ledger(folder: Path) -> Path:
    """Write a ledger where each of 499 units has one overdue item."""
    folder.mkdir(parents=True, exist_ok=True)
    units = [(f"县第{n}局", "", f"u{n}@example.cn") for n in range(1, MESSAGES)]
    rows = [
        good_row(n, 责任单位=name, 办结时限=date(2026, 9, 30), 反馈周期="无")
        for n, (name, _, _) in enumerate(units, 1)
    ]
    return write_ledger(
        folder / "台账.xlsx", rows, units=units, settings=[("领导邮箱", "leader@example.cn")]
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ledger = make_ledger(tmp / "office")
        with smtp_server(tmp / "smtp") as server:
            started = time.perf_counter()
            report = notify(
                ledger, today=TODAY, send=True, now=datetime(2026, 10, 9, 8, 30), env=server.env
            )
            ours = time.perf_counter() - started
            assert len(report.sent) == MESSAGES and len(server.recorder.received) == MESSAGES, (
                report.summary()[-300:]
            )

            messages = report.sent[:ALTERNATIVE_SAMPLE]
            started = time.perf_counter()
            with Mailer(load_smtp_config(ledger, server.env)) as mailer:
                for outgoing in messages:
                    mailer.send(outgoing.message, outgoing.recipients)
            reused = time.perf_counter() - started
            context = ssl.create_default_context(cafile=str(server.ca_file))
            started = time.perf_counter()
            for outgoing in messages:
                with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as conn:
                    conn.starttls(context=context)
                    conn.login(USER, PASSWORD)
                    conn.send_message(outgoing.message, to_addrs=list(outgoing.recipients))
            alternative = time.perf_counter() - started
    ours_rate = MESSAGES / ours
    alt_rate = len(messages) / alternative
    reused_rate = len(messages) / reused
    print(
        f"duban notify --send 全过程：{MESSAGES} 封，{ours:.2f} 秒（含读台账、计算、生成邮件、逐封写发送记录），{ours_rate:.0f} 封/秒"
    )
    print(
        f"只发送已生成的邮件，复用一个连接（duban 的 Mailer）：{len(messages)} 封，{reused_rate:.0f} 封/秒"
    )
    print(f"只发送已生成的邮件，每封新建连接（对照）：{len(messages)} 封，{alt_rate:.0f} 封/秒")
    print(f"复用连接 / 每封新建连接 = {reused_rate / alt_rate:.1f}×")
    print(f"目标 ≥ {TARGET:.0f} 封/秒（全过程）：{'达到' if ours_rate >= TARGET else '未达到'}")
    return 0 if ours_rate >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
