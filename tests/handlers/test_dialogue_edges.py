"""Chinese hints use Chinese command words (issue 18): an audit of the engine's, the reviews'
and the files' sentences, the tables the dialogue's hints come from."""

from __future__ import annotations

import re

from handlers.catalogue import core
from handlers.files import texts as files
from handlers.reviews import texts as reviews

COMMAND_WORDS = re.compile(
    r"(?<![A-Za-z_./@{-])(edit|skip|start|status|check|help|back|cancel|lang|excel|materials|email"
    r"|snippet|review|keep|later|approved|rejected|transfer|realname|prod|test)(?![A-Za-z_}])")
ADDRESSED_TO_ENGLISH_READERS = {"ui.welcome"}
""""For English, reply: lang en" is said to someone who does not read Chinese."""


def test_no_chinese_sentence_shows_an_english_command_word() -> None:
    found = {
        key: COMMAND_WORDS.findall(zh)
        for table in (core.TEXTS, reviews.TEXTS, files.TEXTS)
        for key, (zh, _) in table.items()
        if key not in ADDRESSED_TO_ENGLISH_READERS and COMMAND_WORDS.search(zh)
    }
    assert found == {}
