"""Group robots from duban.toml and DUBAN_ROBOT_* variables: validation, defaults, secrets kept out."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.errors import ConfigError
from automation.mail.config import load_smtp_config
from automation.robots.config import load_robots, mask_url

DING = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123456789abcdef"
WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7aoc-4bc4-97a0-0ec2sifa5aaa"
FEISHU = "https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e-4a07-bd07-265f269f86fd"
DING_SECRET = "SEC19dd84be8c7f3cf71761974f1ed3ef77c1451906ae8ba18acf56103ee"
FEISHU_SECRET = "nIMtb7r3N9pkXyXdtAbx6e"
TOKENS = ("0123456789abcdef", "693a91f6", "5e3d587e", DING_SECRET, FEISHU_SECRET)


def ledger_with(tmp_path: Path, toml: str) -> Path:
    (tmp_path / "duban.toml").write_text(toml, encoding="utf-8")
    return tmp_path / "台账.xlsx"


THREE = f"""
[robot.dingtalk]          # 钉钉
webhook = "{DING}"
secret  = "{DING_SECRET}"
[robot.wecom]
webhook = "{WECOM}"
[robot.feishu]
webhook = "{FEISHU}"
secret  = "{FEISHU_SECRET}"
"""


def test_three_robots_in_file_order_first_gets_the_summary(tmp_path):
    robots = load_robots(ledger_with(tmp_path, THREE), env={})
    assert [(r.name, r.platform, r.summary) for r in robots] == [
        ("dingtalk", "dingtalk", True),
        ("wecom", "wecom", False),
        ("feishu", "feishu", False),
    ]
    assert robots[0].secret == DING_SECRET and robots[0].webhook == DING
    assert load_smtp_config(tmp_path / "台账.xlsx", env={}, required=False) is None


def test_secrets_stay_out_of_repr_and_printed_webhooks(tmp_path):
    robots = load_robots(ledger_with(tmp_path, THREE), env={})
    printed = " ".join(repr(r) + r.masked_webhook for r in robots) + repr(robots)
    for token in TOKENS:
        assert token not in printed
    assert robots[2].masked_webhook == "https://open.feishu.cn/open-apis/bot/v2/hook/***"
    assert robots[0].masked_webhook == "https://oapi.dingtalk.com/robot/send?access_token=***"
    assert mask_url("http://10.1.2.3:8080/robot/send?access_token=t&x=1") == (
        "http://10.1.2.3:8080/robot/send?access_token=***&x=***"
    )


def test_platform_from_type_name_or_path_on_a_private_host(tmp_path):
    toml = """
[robot."交通群"]
type = "钉钉"
webhook = "https://zwding.example.gov.cn/robot/send?access_token=abc"
[robot.office]
webhook = "https://im.example.gov.cn/open-apis/bot/v2/hook/abc"
summary = true
[robot."企业微信群"]
webhook = "https://wx.example.gov.cn/anything?key=abc"
"""
    robots = load_robots(ledger_with(tmp_path, toml), env={})
    assert [(r.name, r.platform, r.summary) for r in robots] == [
        ("交通群", "dingtalk", False),
        ("office", "feishu", True),
        ("企业微信群", "wecom", False),
    ]


def test_environment_variables_add_secrets_and_whole_robots(tmp_path):
    toml = f'[robot.dingtalk]\nwebhook = "{DING}"\n'
    env = {
        "DUBAN_ROBOT_DINGTALK_SECRET": DING_SECRET,
        "DUBAN_ROBOT_OFFICE_FEISHU_WEBHOOK": FEISHU,
        "DUBAN_ROBOT_OFFICE_FEISHU_SUMMARY": "true",
        "DUBAN_ROBOT_OFFICE_FEISHU_CA_FILE": "",  # blank: ignored
        "DUBAN_SMTP_HOST": "smtp.example.cn",  # not a robot
    }
    robots = load_robots(ledger_with(tmp_path, toml), env=env)
    assert [(r.name, r.platform, r.summary, bool(r.secret)) for r in robots] == [
        ("dingtalk", "dingtalk", False, True),
        ("office_feishu", "feishu", True, False),
    ]
    assert robots[0].source.endswith("duban.toml、环境变量")


def test_no_config_means_no_robots(tmp_path):
    assert load_robots(tmp_path / "台账.xlsx", env={}) == []
    (tmp_path / "duban.toml").write_text('[smtp]\nhost = "h"\nfrom = "a@b.cn"\n', encoding="utf-8")
    assert load_robots(tmp_path / "台账.xlsx", env={}) == []


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[robot.dingtalk]\nsecret = 'SECx'\n", "webhook（Webhook 地址）未填写"),
        (f'[robot.dingtalk]\nwebhook = "{DING}"\nsecert = "x"\n', "不认识的设置：secert"),
        (
            '[robot.dingtalk]\nwebhook = "oapi.dingtalk.com/robot/send?access_token=s3cr3tT0k"\n',
            "不是有效的网址",
        ),
        (f'[robot.wecom]\nwebhook = "{WECOM}"\nsecret = "x"\n', "企业微信群机器人没有加签设置"),
        (
            f'[robot.wecom]\nwebhook = "{WECOM}"\nkeyword = "督办"\n',
            "企业微信群机器人没有关键词设置",
        ),
        (
            '[robot.group]\nwebhook = "https://example.cn/send?token=s3cr3tT0k"\n',
            "无法从名称或 Webhook 地址判断",
        ),
        (f'[robot.x]\ntype = "qq"\nwebhook = "{DING}"\n', "type（平台）“qq”无效"),
        (
            f'[robot.dingtalk]\nwebhook = "{DING}"\nsummary = "maybe"\n',
            "summary（接收领导汇总）“maybe”无效",
        ),
        (
            f'[robot.dingtalk]\nwebhook = "{DING}"\ntimeout = "soon"\n',
            "timeout（超时秒数）“soon”无效",
        ),
        (f'[robot.dingtalk]\nwebhook = "{DING}"\ntimeout = true\n', "timeout（超时秒数）"),
        (f'[robot]\nwebhook = "{DING}"\n', "[robot] 段的写法有误"),
        (f'[robots.dingtalk]\nwebhook = "{DING}"\n', "不认识的段：[robots]"),
    ],
)
def test_bad_settings_name_the_key_and_how_to_fix_it(tmp_path, toml, expected):
    with pytest.raises(ConfigError) as caught:
        load_robots(ledger_with(tmp_path, toml), env={})
    message = str(caught.value)
    assert expected in message and "请" in message
    for token in ("0123456789abcdef", "693a91f6", "s3cr3tT0k"):
        assert token not in message  # the address is never echoed


def test_a_badly_named_variable_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="DUBAN_ROBOT_WEBHOOK"):
        load_robots(tmp_path / "台账.xlsx", env={"DUBAN_ROBOT_WEBHOOK": DING})


def test_smtp_still_reads_its_section_beside_the_robots(tmp_path):
    path = ledger_with(
        tmp_path, THREE + '[smtp]\nhost = "smtp.example.cn"\nfrom = "a@example.cn"\n'
    )
    config = load_smtp_config(path, env={})
    assert config.host == "smtp.example.cn" and str(tmp_path) in config.source
    with pytest.raises(ConfigError, match="未配置发信服务器"):
        load_smtp_config(ledger_with(tmp_path, THREE), env={})


def test_the_deploy_example_loads_with_its_robot_sections_switched_on(tmp_path):
    example = Path(__file__).parent.parent / "docs" / "deploy" / "duban.toml.example"
    text = example.read_text(encoding="utf-8")
    assert load_robots(ledger_with(tmp_path, text), env={}) == []  # robots are opt-in
    switched_on = "\n".join(
        line[2:] if line.startswith(("# [robot.", "# webhook", "# secret", "# keyword")) else line
        for line in text.splitlines()
    )
    path = ledger_with(tmp_path, switched_on)
    robots = load_robots(path, env={})
    assert [(r.name, r.platform, bool(r.secret), r.summary) for r in robots] == [
        ("dingtalk", "dingtalk", True, True),
        ("wecom", "wecom", False, False),
        ("feishu", "feishu", True, False),
    ]
    assert robots[0].keyword == "督办"
    assert load_smtp_config(path, env={}).host == "smtp.example.gov.cn"
