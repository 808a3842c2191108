"""Reading a whitelist feature the question did not offer: any real essbasic action is taken,
a near miss gets a "did you mean".

Why not refuse outright: the list of whitelist-only features changes with Tencent's releases
faster than this bot does, and the account manager, not the bot, decides what is granted. What
the bot can still catch is a typo, by comparing with every action name of both API versions.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping
from typing import Any

from handlers.essbasic_actions import CURRENT, LEGACY
from handlers.validators import Invalid

_BY_FOLDED: Mapping[str, str] = {name.casefold(): name for name in (*CURRENT, *LEGACY)}


def whitelist_name(text: str, values: Mapping[str, Any]) -> str:
    """``text`` as an essbasic action name (any case), or :class:`Invalid`: with the closest
    names when there are some, else the list of what was offered."""
    wanted = "".join(unicodedata.normalize("NFKC", text).split())
    exact = _BY_FOLDED.get(wanted.casefold())
    if exact is not None:
        return exact
    close = difflib.get_close_matches(wanted.casefold(), list(_BY_FOLDED), n=3, cutoff=0.75)
    if close:
        raise Invalid("err.whitelist_did_you_mean", item=wanted[:60],
                      names=", ".join(_BY_FOLDED[c] for c in close))
    raise Invalid("err.whitelist_unknown", item=wanted[:60])
