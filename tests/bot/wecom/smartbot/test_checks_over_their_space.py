"""The smart bot's own checks over the whole space its platform calls valid (hypothesis): every
file WeCom can encrypt opens, every callback shape is read or refused with ``NotACallback``
(never another exception), every bot ID and UserID WeCom's alphabet allows is accepted, and
markdown made inert keeps no markup whatever was typed."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.settings import Settings
from bot.wecom.smartbot import protocol
from bot.wecom.smartbot.platform import bot_settings
from bot.wecom.smartbot.render import inert
from bot.wiring import admin_ids
from tests.fakes.wecom_bot_server import encrypt_media

ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
USERID_ALPHABET = ID_ALPHABET + ".@"
"""WeCom's UserID: letters, digits, ``_ - . @``, at most 64 (its 成员 API)."""


@settings(max_examples=200, deadline=None)
@given(content=st.binary(min_size=1, max_size=5000), key=st.binary(min_size=32, max_size=32))
def test_every_file_wecom_encrypts_opens_with_its_key_with_or_without_padding(
        content: bytes, key: bytes) -> None:
    sealed = encrypt_media(content, key)
    aes_key = base64.b64encode(key).decode()
    assert protocol.decrypt_media(sealed, aes_key) == content
    assert protocol.decrypt_media(sealed, aes_key.rstrip("=")) == content  # as WeCom sends it


def test_a_multi_megabyte_file_opens_whole() -> None:
    content = bytes(range(256)) * (3 * 1024 * 1024 // 256 + 7)
    key = bytes(range(32))
    assert protocol.decrypt_media(encrypt_media(content, key),
                                  base64.b64encode(key).decode()) == content


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(cmd=st.sampled_from([protocol.MESSAGE_CALLBACK, protocol.EVENT_CALLBACK, "other"]),
       headers=json_values, body=st.dictionaries(
           st.sampled_from(["msgid", "chatid", "chattype", "from", "msgtype", "text", "image",
                            "file", "event", "aibotid"]), json_values, max_size=10))
def test_any_callback_shape_is_read_or_refused_in_one_way(cmd: str, headers: Any,
                                                          body: dict[str, Any]) -> None:
    try:
        got = protocol.read_callback({"cmd": cmd, "headers": headers, "body": body})
    except protocol.NotACallback:
        return
    assert got.chat_type in ("single", "group")


mixed_items = st.lists(st.one_of(
    json_values,
    st.fixed_dictionaries({"msgtype": st.just("text"),
                           "text": st.fixed_dictionaries({"content": st.text(max_size=40)})}),
    st.fixed_dictionaries({"msgtype": st.just("image"), "image": st.fixed_dictionaries(
        {"url": st.sampled_from(["https://wework.example/p", "http://h/p", "ftp://h/p", "", 7]),
         "aeskey": st.text(max_size=44)})})), max_size=30)


@settings(max_examples=300, deadline=None)
@given(msgtype=st.sampled_from(["text", "voice", "mixed", "image", "file", "video"]),
       group=st.booleans(),
       part=st.one_of(json_values, st.fixed_dictionaries({"content": st.text(max_size=40)}),
                      st.fixed_dictionaries({"msg_item": mixed_items})))
def test_every_message_kind_in_any_shape_is_read_whole_or_said_to_be_unsupported(
        msgtype: str, group: bool, part: Any) -> None:
    """A message with a sender and a chat is always read (never ``NotACallback``, never another
    exception): text, a voice's words or a picture to fetch, else "unheard" or "other"; a
    text-and-pictures message yields its pictures (at most ``MAX_MIXED_ITEMS`` looked at), each
    with an address to fetch and a key, or its words when it has no picture."""
    body = {"msgid": "m1", "from": {"userid": "alice"}, "chattype": "group" if group else "single",
            "msgtype": msgtype, msgtype: part}
    if group:
        body["chatid"] = "wrkGROUP"
    got = protocol.read_callback({"cmd": protocol.MESSAGE_CALLBACK, "headers": {"req_id": "r"},
                                  "body": body})
    assert got.kind in ("text", "image", "file", "unheard", "other")
    assert all(m.url.startswith(("https://", "http://")) and m.aes_key for m in got.media)
    assert bool(got.media) == (got.kind in ("image", "file"))
    assert len(got.media) <= protocol.MAX_MIXED_ITEMS
    if msgtype == "mixed" and got.kind == "text":
        words = [item["text"]["content"] for item in part["msg_item"][:protocol.MAX_MIXED_ITEMS]
                 if isinstance(item, dict) and item.get("msgtype") == "text"
                 and isinstance(item.get("text"), dict)
                 and isinstance(item["text"].get("content"), str)]
        if not group:  # in a group the leading mention goes, and it may have been all
            assert got.text.strip() and all(w.strip() in got.text for w in words)
    if msgtype == "voice":
        assert got.kind == ("text" if _said(part) else "unheard")


def _said(part: Any) -> bool:
    return isinstance(part, dict) and isinstance(part.get("content"), str) \
        and bool(part["content"].strip())


@given(bot=st.text(ID_ALPHABET, min_size=2, max_size=64),
       user=st.text(USERID_ALPHABET, min_size=1, max_size=64))
def test_every_bot_id_and_userid_in_wecoms_alphabet_is_accepted(bot: str, user: str) -> None:
    found = bot_settings(Settings(wecom_bot_id=bot, wecom_bot_secret="s"))  # type: ignore[arg-type]
    assert found is not None and found.bot_id == bot
    assert admin_ids(f"wecombot:{bot}:{user}") == {f"wecombot:{bot}:{user}"}


@pytest.mark.parametrize("name", ["E签助手", "my bot"])
def test_a_bot_name_is_refused_where_the_id_goes(name: str) -> None:
    from bot.settings import ConfigError

    with pytest.raises(ConfigError, match="WECOM_BOT_ID"):
        bot_settings(Settings(wecom_bot_id=name, wecom_bot_secret="s"))  # type: ignore[arg-type]


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_whatever_is_typed_no_markup_survives_and_the_words_stay(text: str) -> None:
    out = inert(text)
    body = out[re.match(r"^<@[A-Za-z0-9_.@-]{1,64}> ", out).end():] if re.match(
        r"^<@[A-Za-z0-9_.@-]{1,64}> ", out) else out
    assert "*" not in body and "`" not in body and "](" not in body
    assert not re.search(r"<[A-Za-z/@!]", body)
    assert not re.search(r"^[ \t]*[#>]", body, re.MULTILINE)
    assert len(out) == len(text)  # one look-alike for each character: nothing dropped
