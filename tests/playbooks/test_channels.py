"""Notification channels against real local servers: SMTP with STARTTLS, and an HTTP receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import ssl
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from channel_support import HttpReceiver, MailRecorder, SmtpServer
from pki_support import Pki, build_pki

from playbooks.channels import (
    CHANNEL_KINDS,
    Channel,
    ChannelBase,
    ChannelError,
    Delivery,
    Message,
    build_channels,
)
from playbooks.channels.base import truncate_utf8
from playbooks.channels.dingtalk import DingTalkChannel
from playbooks.channels.email import EmailChannel
from playbooks.channels.wecom import CONTENT_LIMIT_BYTES
from soc_core.errors import ConfigError

TITLE = "【高危】门户网站 SQL 注入"
TEXT = "告警时间：2026-11-27 16:00:01\n源地址：198.51.100.23\n目标：门户网站（192.0.2.10）"
LINK = "https://soc.hz.gov.example/alerts/a-42"
MESSAGE = Message(title=TITLE, text=TEXT, link=LINK, severity=4)
PASSWORD = "smtp-pass-7d1f"


def _one(raw: dict[str, Any]) -> Channel:
    return build_channels([raw])[raw["id"]]


# --- e-mail -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return build_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def smtp(pki: Pki) -> Iterator[tuple[SmtpServer, MailRecorder]]:
    recorder = MailRecorder(username="soc-notify", password=PASSWORD)
    with SmtpServer(recorder, pki.server_cert, pki.server_key) as server:
        yield server, recorder


def _email(server: SmtpServer, ca: Path, **extra: Any) -> Channel:
    return _one(
        {
            "id": "duty-mail",
            "kind": "email",
            "host": "127.0.0.1",
            "port": server.port,
            "username": "soc-notify",
            "password": PASSWORD,
            "sender": "哨望 <soc@hz.gov.example>",
            "to": ["duty@hz.gov.example", "cso@hz.gov.example"],
            "ca_file": str(ca),
            **extra,
        }
    )


def test_email_over_starttls_in_chinese(smtp: tuple[SmtpServer, MailRecorder], pki: Pki) -> None:
    server, recorder = smtp
    channel = _email(server, pki.ca)

    delivery = channel.send(MESSAGE)

    [mail] = recorder.mails
    assert mail.starttls is True  # the mail came after the STARTTLS upgrade
    assert mail.tls_version is not None and mail.tls_version.startswith("TLSv1.")
    assert mail.login == "soc-notify"
    assert mail.mail_from == "soc@hz.gov.example"
    assert mail.rcpt_tos == ["duty@hz.gov.example", "cso@hz.gov.example"]
    assert mail.raw.isascii()  # subject and body are encoded for 7-bit transport
    assert b"=?utf-8?" in mail.raw
    parsed = mail.message
    assert parsed["Subject"] == TITLE
    assert parsed["From"] == "哨望 <soc@hz.gov.example>"
    assert parsed["To"] == "duty@hz.gov.example, cso@hz.gov.example"
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "utf-8"
    assert parsed.get_content() == TEXT + "\n\n查看详情：" + LINK + "\n"
    assert delivery == Delivery(
        channel="duty-mail",
        kind="email",
        ok=True,
        detail={
            "recipients": ["duty@hz.gov.example", "cso@hz.gov.example"],
            "message_id": parsed["Message-ID"],
        },
    )
    assert parsed["Message-ID"].endswith("@hz.gov.example>")
    assert isinstance(channel, ChannelBase)
    assert PASSWORD not in repr(channel) + repr(channel.config) + delivery.model_dump_json()


def test_email_recipients_override_and_no_link(smtp: tuple[SmtpServer, MailRecorder], pki: Pki) -> None:
    server, recorder = smtp
    channel = _email(server, pki.ca)

    delivery = channel.send(
        Message(title="每日简报", text="无新增高危告警。", recipients=("noc@hz.gov.example",))
    )

    [mail] = recorder.mails
    assert mail.rcpt_tos == ["noc@hz.gov.example"]
    assert mail.message["To"] == "noc@hz.gov.example"
    assert mail.message.get_content() == "无新增高危告警。\n"
    assert delivery.detail["recipients"] == ["noc@hz.gov.example"]


def test_email_rejects_a_certificate_from_another_ca(
    smtp: tuple[SmtpServer, MailRecorder], tmp_path: Path
) -> None:
    server, recorder = smtp
    other = build_pki(tmp_path / "other")
    channel = _email(server, other.ca)

    with pytest.raises(ChannelError) as caught:
        channel.send(MESSAGE)

    assert caught.value.retryable is False
    assert caught.value.channel == "duty-mail"
    assert str(caught.value).startswith("email channel duty-mail: TLS certificate of 127.0.0.1:")
    assert "not trusted" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    assert recorder.mails == []


def test_email_over_implicit_tls(pki: Pki) -> None:
    recorder = MailRecorder(username="soc-notify", password=PASSWORD)
    with SmtpServer(recorder, pki.server_cert, pki.server_key, implicit_tls=True) as server:
        channel = _email(server, pki.ca, ssl=True)
        assert channel.send(MESSAGE).ok is True
    [mail] = recorder.mails
    assert (mail.starttls, mail.login) == (False, "soc-notify")
    assert mail.tls_version is not None and mail.tls_version.startswith("TLSv1.")
    assert mail.message["Subject"] == TITLE


def test_email_refuses_a_server_without_starttls(pki: Pki) -> None:
    recorder = MailRecorder()
    with SmtpServer(recorder) as server:
        channel = _one(
            {
                "id": "relay",
                "kind": "email",
                "host": "127.0.0.1",
                "port": server.port,
                "sender": "soc@hz.gov.example",
                "to": ["duty@hz.gov.example"],
            }
        )
        with pytest.raises(ChannelError, match="does not offer STARTTLS") as caught:
            channel.send(MESSAGE)
    assert caught.value.retryable is False
    assert recorder.mails == []


def test_email_without_tls_when_configured_so() -> None:
    recorder = MailRecorder()
    with SmtpServer(recorder) as server:
        channel = _one(
            {
                "id": "lab-relay",
                "kind": "email",
                "host": "127.0.0.1",
                "port": server.port,
                "starttls": False,
                "sender": "soc@hz.gov.example",
                "to": ["duty@hz.gov.example"],
            }
        )
        assert channel.send(MESSAGE).ok is True
    [mail] = recorder.mails
    assert (mail.starttls, mail.tls_version) == (False, None)
    assert mail.message["Subject"] == TITLE


def test_email_connection_refused_is_retryable() -> None:
    port = _closed_port()
    channel = _one(
        {
            "id": "relay",
            "kind": "email",
            "host": "127.0.0.1",
            "port": port,
            "sender": "soc@hz.gov.example",
            "to": ["duty@hz.gov.example"],
        }
    )
    with pytest.raises(ChannelError, match=f"cannot talk to 127.0.0.1:{port}") as caught:
        channel.send(MESSAGE)
    assert caught.value.retryable is True


# --- HTTP channels ------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as running:
        yield running


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_webhook_posts_the_message_as_json(receiver: HttpReceiver) -> None:
    channel = _one(
        {
            "id": "soar",
            "kind": "webhook",
            "url": receiver.url + "/hooks/shaowang",
            "headers": {"Authorization": "Bearer hook-token-91"},
        }
    )

    delivery = channel.send(MESSAGE)

    [request] = receiver.requests
    assert (request.method, request.path, request.query) == ("POST", "/hooks/shaowang", {})
    assert request.headers["authorization"] == "Bearer hook-token-91"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"title": TITLE, "text": TEXT, "link": LINK, "severity": 4, "source": "shaowang"}
    assert delivery == Delivery(channel="soar", kind="webhook", ok=True, detail={"status_code": 200})
    assert isinstance(channel, ChannelBase)
    assert "hook-token-91" not in repr(channel.config)


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (503, True), (429, True), (400, False), (404, False)]
)
def test_http_status_decides_whether_to_retry(receiver: HttpReceiver, status: int, retryable: bool) -> None:
    receiver.answer((status, {"error": "nope"}))
    channel = _one({"id": "soar", "kind": "webhook", "url": receiver.url + "/hook?token=tk-55"})

    with pytest.raises(ChannelError) as caught:
        channel.send(MESSAGE)

    assert caught.value.retryable is retryable
    host = receiver.url.removeprefix("http://")
    assert str(caught.value) == f'webhook channel soar: HTTP {status} from {host}: {{"error": "nope"}}'


def test_unreachable_http_server_is_retryable() -> None:
    channel = _one({"id": "soar", "kind": "webhook", "url": f"http://127.0.0.1:{_closed_port()}/hook"})
    with pytest.raises(ChannelError, match=r"cannot reach 127\.0\.0\.1") as caught:
        channel.send(MESSAGE)
    assert caught.value.retryable is True


def test_https_webhook_verifies_against_its_ca_file(pki: Pki) -> None:
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(str(pki.server_cert), str(pki.server_key))
    with HttpReceiver(tls) as secure:
        trusted = _one({"id": "soar", "kind": "webhook", "url": secure.url + "/hook", "ca_file": str(pki.ca)})
        untrusted = _one({"id": "soar", "kind": "webhook", "url": secure.url + "/hook"})
        assert trusted.send(MESSAGE).ok is True
        with pytest.raises(ChannelError, match="not trusted") as caught:
            untrusted.send(MESSAGE)
    assert caught.value.retryable is False
    assert len(secure.requests) == 1


DINGTALK_SECRET = "SEC0f4c2d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1"
FIXED_NOW = 1_795_766_400.123  # 2026-11-27T00:00:00.123Z


def test_dingtalk_signed_markdown(receiver: HttpReceiver) -> None:
    channel = _one(
        {
            "id": "duty-group",
            "kind": "dingtalk",
            "url": receiver.url + "/robot/send?access_token=ding-token-3a",
            "secret": DINGTALK_SECRET,
        }
    )
    assert isinstance(channel, DingTalkChannel)
    channel.clock = lambda: FIXED_NOW

    delivery = channel.send(MESSAGE.model_copy(update={"recipients": ("13800000001", "13800000002")}))

    [request] = receiver.requests
    assert request.path == "/robot/send"
    expected_sign = base64.b64encode(
        hmac.new(
            DINGTALK_SECRET.encode(), f"1795766400123\n{DINGTALK_SECRET}".encode(), hashlib.sha256
        ).digest()
    ).decode()
    assert request.query == {
        "access_token": ["ding-token-3a"],
        "timestamp": ["1795766400123"],
        "sign": [expected_sign],
    }
    assert request.json() == {
        "msgtype": "markdown",
        "markdown": {
            "title": TITLE,
            "text": f"### {TITLE}\n\n{TEXT}\n\n[查看详情]({LINK})\n\n@13800000001 @13800000002",
        },
        "at": {"atMobiles": ["13800000001", "13800000002"], "isAtAll": False},
    }
    assert delivery.ok is True
    assert DINGTALK_SECRET not in delivery.model_dump_json()


def test_dingtalk_without_secret_is_not_signed(receiver: HttpReceiver) -> None:
    channel = _one(
        {"id": "duty-group", "kind": "dingtalk", "url": receiver.url + "/robot/send?access_token=t1"}
    )

    channel.send(Message(title="测试", text="连通性检查"))

    [request] = receiver.requests
    assert request.query == {"access_token": ["t1"]}
    assert request.json() == {
        "msgtype": "markdown",
        "markdown": {"title": "测试", "text": "### 测试\n\n连通性检查"},
        "at": {"atMobiles": [], "isAtAll": False},
    }


@pytest.mark.parametrize(
    ("errcode", "errmsg", "retryable"), [(310000, "sign not match", False), (130101, "send too fast", True)]
)
def test_dingtalk_errcode_is_an_error(
    receiver: HttpReceiver, errcode: int, errmsg: str, retryable: bool
) -> None:
    receiver.answer((200, {"errcode": errcode, "errmsg": errmsg}))
    channel = _one(
        {
            "id": "duty-group",
            "kind": "dingtalk",
            "url": receiver.url + "/robot/send?access_token=ding-token-3a",
            "secret": DINGTALK_SECRET,
        }
    )

    with pytest.raises(ChannelError) as caught:
        channel.send(MESSAGE)

    assert caught.value.retryable is retryable
    assert str(caught.value) == (
        f"dingtalk channel duty-group: robot refused the message: errcode {errcode}, errmsg {errmsg!r}"
    )


def test_wecom_markdown(receiver: HttpReceiver) -> None:
    channel = _one(
        {"id": "ops-wecom", "kind": "wecom", "url": receiver.url + "/cgi-bin/webhook/send?key=wk-77"}
    )

    delivery = channel.send(MESSAGE)

    [request] = receiver.requests
    assert request.query == {"key": ["wk-77"]}
    quoted = "\n".join(">" + line for line in TEXT.split("\n"))
    assert request.json() == {
        "msgtype": "markdown",
        "markdown": {"content": f"**{TITLE}**\n{quoted}\n[查看详情]({LINK})"},
    }
    assert delivery == Delivery(channel="ops-wecom", kind="wecom", ok=True, detail={"errcode": 0})


@pytest.mark.parametrize(("errcode", "retryable"), [(93000, False), (45009, True)])
def test_wecom_errcode_is_an_error(receiver: HttpReceiver, errcode: int, retryable: bool) -> None:
    receiver.answer((200, {"errcode": errcode, "errmsg": "refused"}))
    channel = _one(
        {"id": "ops-wecom", "kind": "wecom", "url": receiver.url + "/cgi-bin/webhook/send?key=wk-77"}
    )

    with pytest.raises(ChannelError, match=f"errcode {errcode}") as caught:
        channel.send(MESSAGE)

    assert caught.value.retryable is retryable
    assert "wk-77" not in str(caught.value)


def test_tokens_are_blanked_out_of_errors(receiver: HttpReceiver) -> None:
    receiver.answer((400, {"errmsg": "invalid key wk-77", "url": receiver.url + "/send?key=wk-77"}))
    channel = _one({"id": "ops-wecom", "kind": "wecom", "url": receiver.url + "/send?key=wk-77"})

    with pytest.raises(ChannelError) as caught:
        channel.send(MESSAGE)

    assert "wk-77" not in str(caught.value)
    assert "invalid key ***" in str(caught.value)


def test_wecom_long_text_is_cut_at_a_character_boundary(receiver: HttpReceiver) -> None:
    channel = _one({"id": "ops-wecom", "kind": "wecom", "url": receiver.url + "/send?key=wk-77"})
    long_text = "外网门户遭受持续扫描。" * 400  # 4400 characters, 13200 bytes

    channel.send(Message(title=TITLE, text=long_text, link=LINK))

    content = receiver.requests[0].json()["markdown"]["content"]
    encoded = content.encode("utf-8")
    assert len(encoded) <= CONTENT_LIMIT_BYTES
    assert len(encoded) > CONTENT_LIMIT_BYTES - 4  # filled up to the last whole character
    assert content.startswith(f"**{TITLE}**\n>外网门户遭受持续扫描。")
    assert content.endswith(f"…\n[查看详情]({LINK})")


def test_truncate_utf8_never_splits_a_character() -> None:
    assert truncate_utf8("一二三", 9) == "一二三"
    assert truncate_utf8("一二三", 8) == "一…"  # 3 bytes of ellipsis leave 5: one whole character
    assert truncate_utf8("一二三", 7) == "一…"
    assert truncate_utf8("一二三", 6) == "一…"
    assert truncate_utf8("一二三", 5) == "…"
    assert truncate_utf8("ab", 1) == "a"


SMS_JSON_TEMPLATE = '{{"mobile": "{phone}", "content": "{title}：{text} {link}", "sign": "哨望"}}'


def test_sms_json_template_one_request_per_phone(receiver: HttpReceiver) -> None:
    receiver.default = (200, {"code": 0, "msg": "accepted"})
    channel = _one(
        {
            "id": "duty-sms",
            "kind": "sms",
            "url": receiver.url + "/sms/send",
            "headers": {"X-Api-Key": "sms-key-19"},
            "body_template": SMS_JSON_TEMPLATE,
            "phones": ["13800000001", "13800000002"],
            "success_field": "code",
            "success_value": 0,
        }
    )
    tricky = 'WAF 拦截 "union select"\n来源 198.51.100.23'

    delivery = channel.send(Message(title=TITLE, text=tricky, link=LINK))

    assert [(r.method, r.path, r.headers["x-api-key"]) for r in receiver.requests] == [
        ("POST", "/sms/send", "sms-key-19"),
        ("POST", "/sms/send", "sms-key-19"),
    ]
    assert receiver.requests[0].headers["content-type"] == "application/json; charset=utf-8"
    assert [r.json() for r in receiver.requests] == [
        {"mobile": phone, "content": f"{TITLE}：{tricky} {LINK}", "sign": "哨望"}
        for phone in ("13800000001", "13800000002")
    ]
    assert delivery == Delivery(
        channel="duty-sms", kind="sms", ok=True, detail={"phones": ["13800000001", "13800000002"]}
    )


def test_sms_form_get_caps_the_text(receiver: HttpReceiver) -> None:
    channel = _one(
        {
            "id": "duty-sms",
            "kind": "sms",
            "method": "GET",
            "content_type": "form",
            "url": receiver.url + "/api/sms?user=soc",
            "body_template": "to={phone}&msg={title}+{text}",
            "phones": ["+8613800000003"],
        }
    )
    long_text = "扫描" * 200  # 400 characters

    channel.send(Message(title="【中危】扫描", text=long_text, recipients=("13800000004", "13800000005")))

    assert [r.query["to"] for r in receiver.requests] == [["13800000004"], ["13800000005"]]
    [request, _] = receiver.requests
    assert request.method == "GET"
    assert request.query["user"] == ["soc"]
    assert request.query["msg"] == ["【中危】扫描 " + "扫描" * 149 + "扫…"]
    assert len(request.query["msg"][0]) == len("【中危】扫描 ") + 300


def test_sms_success_value_checked_per_phone(receiver: HttpReceiver) -> None:
    receiver.answer((200, {"result": {"code": "0"}}), (200, {"result": {"code": "1001"}}))
    channel = _one(
        {
            "id": "duty-sms",
            "kind": "sms",
            "url": receiver.url + "/sms",
            "content_type": "form",
            "body_template": "mobile={phone}&content={text}",
            "phones": ["13800000001", "13800000002"],
            "success_field": "result.code",
            "success_value": "0",
        }
    )

    delivery = channel.send(Message(title=TITLE, text="请立即处置"))

    assert (
        receiver.requests[0].body
        == b"mobile=13800000001&content=%E8%AF%B7%E7%AB%8B%E5%8D%B3%E5%A4%84%E7%BD%AE"
    )
    assert receiver.requests[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert delivery == Delivery(
        channel="duty-sms",
        kind="sms",
        ok=False,
        detail={
            "phones": ["13800000001"],
            "failed": {"13800000002": "gateway refused 13800000002: result.code = 1001"},
        },
    )


def test_sms_all_phones_failing_raises(receiver: HttpReceiver) -> None:
    receiver.default = (502, b"bad gateway")
    channel = _one(
        {
            "id": "duty-sms",
            "kind": "sms",
            "url": receiver.url + "/sms",
            "body_template": '{{"to": "{phone}", "text": "{text}"}}',
            "phones": ["13800000001", "13800000002"],
        }
    )

    with pytest.raises(ChannelError, match="no phone reached") as caught:
        channel.send(MESSAGE)

    assert caught.value.retryable is True
    assert len(receiver.requests) == 2


# --- building from settings ---------------------------------------------------------------------


def _config_error(raw: list[dict[str, Any]], **kwargs: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        build_channels(raw, **kwargs)
    return caught.value


HOOK = {"id": "soar", "kind": "webhook", "url": "https://soar.hz.gov.example/hook"}


def test_build_channels_by_id_in_order() -> None:
    channels = build_channels(
        [
            HOOK,
            {"id": "ops-wecom", "kind": "wecom", "url": "https://wecom.example.com/send?key=k"},
            {
                "id": "duty-mail",
                "kind": "email",
                "host": "mail.hz.gov.example",
                "sender": "soc@hz.gov.example",
                "to": ["duty@hz.gov.example"],
            },
        ]
    )
    assert list(channels) == ["soar", "ops-wecom", "duty-mail"]
    assert [channel.kind for channel in channels.values()] == ["webhook", "wecom", "email"]
    assert all(isinstance(channel, Channel) for channel in channels.values())
    assert isinstance(channels["duty-mail"], EmailChannel)
    assert sorted(CHANNEL_KINDS) == ["dingtalk", "email", "file", "sms", "webhook", "wecom"]
    assert build_channels([]) == {}


def test_unknown_kind_names_its_key() -> None:
    error = _config_error([HOOK, {"id": "fax", "kind": "fax"}])
    assert error.where == "playbooks.channels[1].kind"
    assert error.message == "unknown channel kind 'fax'; one of email, webhook, dingtalk, wecom, sms, file"


def test_missing_kind_names_its_key() -> None:
    assert _config_error([{"id": "x"}]).where == "playbooks.channels[0].kind"


def test_unknown_field_names_its_key() -> None:
    error = _config_error([HOOK, {**HOOK, "id": "soar-2", "colour": "red"}])
    assert error.where == "playbooks.channels[1].colour"
    assert error.message == "Extra inputs are not permitted"


def test_bad_values_name_their_keys() -> None:
    mail = {"id": "m", "kind": "email", "host": "mail.hz.gov.example", "sender": "soc@hz.gov.example"}
    assert (
        _config_error([{**mail, "to": ["duty@hz.gov.example", "nobody"]}]).where
        == "playbooks.channels[0].to[1]"
    )
    assert _config_error([{**mail}]).where == "playbooks.channels[0].to"
    clear = _config_error(
        [{**mail, "to": ["a@hz.gov.example"], "starttls": False, "username": "u", "password": "p"}]
    )
    assert (clear.where, clear.message) == (
        "playbooks.channels[0]",
        "a password would cross the network in clear text: set starttls or ssl",
    )
    assert _config_error([{**HOOK, "id": "bad id"}]).where == "playbooks.channels[0].id"
    assert _config_error([{**HOOK, "timeout_s": 0}], key="notify").where == "notify[0].timeout_s"


def test_url_errors_do_not_show_the_url() -> None:
    error = _config_error([{"id": "g", "kind": "dingtalk", "url": "ftp://robot/send?access_token=leak-me"}])
    assert error.where == "playbooks.channels[0].url"
    assert "leak-me" not in str(error)
    assert error.__cause__ is None


def test_sms_template_checked_at_start() -> None:
    sms = {"id": "s", "kind": "sms", "url": "https://sms.example.com/send", "phones": ["13800000001"]}
    unknown = _config_error([{**sms, "body_template": '{{"to": "{mobile}"}}'}])
    assert (unknown.where, unknown.message) == (
        "playbooks.channels[0].body_template",
        "unknown placeholder {mobile}; known: {phone}, {title}, {text}, {link} (write literal braces twice)",
    )
    single = _config_error([{**sms, "body_template": '{"to": "{phone}"}'}])
    assert single.where == "playbooks.channels[0].body_template"
    unquoted = _config_error([{**sms, "body_template": '{{"to": {phone}}}'}])
    assert unquoted.message.startswith("does not render to JSON")
    get_json = _config_error([{**sms, "method": "GET", "body_template": "to={phone}"}])
    assert get_json.where == "playbooks.channels[0].content_type"
    phone = _config_error(
        [{**sms, "body_template": "to={phone}", "content_type": "form", "phones": ["call me"]}]
    )
    assert phone.where == "playbooks.channels[0].phones[0]"


def test_duplicate_ids_are_refused() -> None:
    error = _config_error([HOOK, {"id": "ops", "kind": "wecom", "url": "https://wecom.example.com/s"}, HOOK])
    assert (error.where, error.message) == ("playbooks.channels[2].id", "channel id 'soar' is used twice")


def test_settings_entry_must_be_a_table() -> None:
    entries: list[Any] = [HOOK, "soar"]
    assert _config_error(entries).where == "playbooks.channels[1]"


def test_message_json_round_trip() -> None:
    assert Message.model_validate(json.loads(MESSAGE.model_dump_json())) == MESSAGE


# --- file outbox ----------------------------------------------------------------------------------


def test_file_channel_appends_one_json_line_per_message(tmp_path: Path) -> None:
    path = tmp_path / "outbox" / "soc-im.ndjson"  # the directory does not exist yet
    channel = _one({"id": "soc-im", "kind": "file", "path": str(path)})
    first = channel.send(MESSAGE)
    channel.send(Message(title="【中危】扫描", text="第二条", recipients=("duty@example.gov.example",)))
    assert first == Delivery(
        channel="soc-im", kind="file", ok=True, detail={"path": str(path), "bytes": first.detail["bytes"]}
    )
    lines = path.read_bytes().splitlines()
    assert first.detail["bytes"] == len(lines[0]) + 1
    records = [json.loads(line) for line in lines]
    assert [(r["channel"], r["title"], r["severity"]) for r in records] == [
        ("soc-im", TITLE, 4),
        ("soc-im", "【中危】扫描", None),
    ]
    assert records[0]["text"] == TEXT and records[0]["link"] == LINK
    assert records[1]["recipients"] == ["duty@example.gov.example"]
    assert records[0]["@timestamp"].endswith("Z")
    assert "门户网站" in lines[0].decode("utf-8")  # Chinese stays readable, not \\u-escaped


def test_file_channel_concurrent_sends_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "outbox.ndjson"
    channel = _one({"id": "out", "kind": "file", "path": str(path)})
    long_text = "源地址：198.51.100.23\n" * 400  # ~10 KB a line
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: channel.send(Message(title=f"t{n}", text=long_text)), range(80)))
    titles = sorted(json.loads(line)["title"] for line in path.read_text(encoding="utf-8").splitlines())
    assert titles == sorted(f"t{n}" for n in range(80))


def test_file_channel_needs_an_absolute_path() -> None:
    with pytest.raises(ConfigError) as caught:
        build_channels([{"id": "out", "kind": "file", "path": "outbox.ndjson"}])
    assert caught.value.where == "playbooks.channels[0].path"
    assert "absolute" in caught.value.message


def test_file_channel_error_names_the_path_and_is_final_for_a_wrong_path(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x", encoding="utf-8")
    channel = _one({"id": "out", "kind": "file", "path": str(blocker / "outbox.ndjson")})
    with pytest.raises(ChannelError) as caught:
        channel.send(MESSAGE)
    assert caught.value.retryable is False
    assert caught.value.where == "file channel out"
    assert str(blocker) in caught.value.message
