"""``esignbot guide [NAME]``: the guides, printed from the installed package.

Why: the program's sentences pointed to ``docs/…`` and ``manifests/…``, which exist in a
checkout and not for someone who ran ``pip install esignbot``. The wheel ships both folders as
package data (``bot/docs`` and ``bot/manifests`` are links to the repository's folders, listed in
``pyproject.toml``'s package data), so what a message points to is one command away wherever the
bot is installed, in the version installed.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from importlib.abc import Traversable

from bot.settings import ConfigError, load_settings
from handlers.catalogue import normalise_lang, t

EXTRA = {"wecom-app": ("manifests", "wecom.md"), "wecom-bot": ("manifests", "wecom-bot.md")}
"""Guides kept outside ``docs/``: the WeCom app's setup steps beside the Slack manifests."""


def guides() -> dict[str, Traversable]:
    """Every guide by the name ``esignbot guide`` takes: a file of ``docs/`` without ``.md``."""
    found = {item.name.removesuffix(".md"): item
             for item in (resources.files("bot") / "docs").iterdir() if item.name.endswith(".md")}
    for name, (folder, file) in EXTRA.items():
        found[name] = resources.files("bot") / folder / file
    return dict(sorted(found.items()))


def _title(guide: Traversable) -> str:
    for line in guide.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return ""


def run(args: argparse.Namespace) -> int:
    try:
        lang = normalise_lang(load_settings().esignbot_lang)
    except ConfigError:
        lang = normalise_lang(None)  # a guide is read to fix settings: never refuse it for them
    found = guides()
    if not args.name:
        print(t("admin.guide.list", lang))
        width = max(len(name) for name in found)
        for name, guide in found.items():
            print(f"  {name:<{width}}  {_title(guide)}")
        return 0
    chosen = found.get(args.name.removesuffix(".md"))
    if chosen is None:
        print(t("admin.guide.unknown", lang, name=args.name, names=", ".join(found)),
              file=sys.stderr)
        return 2
    sys.stdout.write(chosen.read_text(encoding="utf-8"))
    return 0
