"""参数设置 as one typed Settings: every value validated once, its cell named, 0 honoured."""

from __future__ import annotations

import pytest

from automation import settings
from automation.ledger.reader import read_ledger
from automation.letters.selection import praise_and_criticism
from automation.models import Ledger, Outcome, UnitScore
from automation.settings import DEFAULTS, Settings
from tests.fixtures_xlsx import TODAY, good_row, write_ledger


def read_settings(tmp_path, rows):
    ledger = read_ledger(
        write_ledger(tmp_path / "t.xlsx", [good_row(1)], settings=rows), today=TODAY
    )
    problems = {p.cell: p for p in ledger.problems if p.sheet == "参数设置"}
    return ledger.settings, problems


def test_every_setting_has_a_chinese_name_help_and_a_default_of_its_type():
    assert len(settings.SPECS) == len({s.name for s in settings.SPECS.values()})
    for key, spec in settings.SPECS.items():
        assert spec.name and spec.help, key
        default = getattr(DEFAULTS, key)
        if spec.kind == "int":
            assert isinstance(default, int)
        if spec.minimum is not None:
            assert spec.minimum <= default <= (spec.maximum or default), key


def test_zero_is_a_value_not_unset(tmp_path):
    got, problems = read_settings(
        tmp_path, [("通报表扬名次", 0), ("通报批评分数线", 0), ("临期提醒工作日", 0)]
    )
    assert (got.praise_top, got.criticise_below, got.due_soon_days) == (0, 0, 0)
    assert problems == {}


def test_praise_top_zero_praises_nobody_and_a_zero_floor_criticises_by_red_cards_only():
    scores = [UnitScore("甲局", "2026年第4季度", 80, 1, {"牵头事项": 1})]
    ledger = Ledger(settings=Settings(praise_top=0, criticise_below=0))
    found = praise_and_criticism(scores, ledger, Outcome(TODAY))
    assert found == {"praise": "", "criticised": []}
    ledger = Ledger(settings=Settings(praise_top=3, criticise_below=90))
    found = praise_and_criticism(scores, ledger, Outcome(TODAY))
    assert found["criticised"][0]["unit"] == "甲局"


@pytest.mark.parametrize(
    ("name", "value", "key", "reason"),
    [
        ("备份保留份数", -1, "backups_kept", "应为1 到 1000 之间的整数"),
        ("临期提醒工作日", -5, "due_soon_days", "应为0 到 60 之间的整数"),
        ("临期提醒工作日", 2.5, "due_soon_days", "应为0 到 60 之间的整数"),
        ("进度滞后阈值", "很多", "lag_threshold", "应为数字"),
        ("配合单位权重", 3, "co_unit_factor", "应为0 到 1 之间的数"),
        ("考评周期", "半年", "score_period", "应为 月度、季度、年度 之一"),
        ("每日发送时间", "25:00", "daily_time", "应为HH:MM 格式的时间，如 08:30"),
        ("领导邮箱", "a@b.cn\nBcc: x@y.z", "leader_emails", "含有换行符"),
        ("领导邮箱", "张主任", "leader_emails", "“张主任”不是有效的邮箱地址"),
    ],
)
def test_an_invalid_value_names_its_cell_and_uses_the_default(tmp_path, name, value, key, reason):
    got, problems = read_settings(tmp_path, [("单位名称", "某县督查室"), (name, value)])
    assert getattr(got, key) == getattr(DEFAULTS, key)
    assert got.office_name == "某县督查室"
    problem = problems["B3"]
    assert problem.message.startswith(f"参数“{name}”的值")
    assert reason in problem.message and "已按默认值" in problem.message
    assert got.cell(key) == "B3"


def test_escalation_thresholds_out_of_order_are_refused(tmp_path):
    got, problems = read_settings(tmp_path, [("限期整改逾期工作日", 6), ("黄牌逾期工作日", 4)])
    assert got.yellow_from == DEFAULTS.yellow_from and got.rectify_from == 6
    assert "小于“限期整改逾期工作日”" in problems["B3"].message


def test_unknown_and_repeated_names(tmp_path):
    got, problems = read_settings(
        tmp_path, [("临期天数", 2), ("编号前缀", "DC"), ("编号前缀", "XX")]
    )
    assert got.id_prefix == "DC"
    assert problems["A2"].message == "不认识的参数“临期天数”，已忽略"
    assert "重复填写" in problems["A4"].message


def test_blank_value_keeps_the_default(tmp_path):
    got, problems = read_settings(tmp_path, [("编号前缀", "  "), ("每日发送时间", None)])
    assert (got.id_prefix, got.daily_time) == ("DB", "08:30") and problems == {}


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        DEFAULTS.due_soon_days = 5  # type: ignore[misc]


def test_parse_value_accepts_what_staff_type():
    spec = settings.SPECS["due_soon_days"]
    assert settings.parse_value("5", spec) == 5 and settings.parse_value(5.0, spec) == 5
    assert settings.parse_value("８：３０", settings.SPECS["daily_time"]) == "08:30"
    emails = settings.parse_value("a@b.cn；c@d.cn, e@f.cn", settings.SPECS["leader_emails"])
    assert emails == ("a@b.cn", "c@d.cn", "e@f.cn")
