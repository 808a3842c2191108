"""The house rules of the tree, checked on every run: dependencies point one way, no module
imports itself round a circle, platforms do not reach into each other, and names do not repeat
their folder.

Why a test and not a convention: a wrong-way import compiles and runs, so nothing else would
notice until ``handlers`` could no longer be driven without Slack installed, or until a circle
forced an import into a function body. Every import counts here, including those inside
functions and under ``TYPE_CHECKING``: moving an import into a function hides a circle from
Python, not from the design.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage")

LAYERS = {"bot": 2, "handlers": 1, "storage": 0}
"""A package may import only packages of a lower layer: ``bot`` → ``handlers`` → ``storage``."""

OUTSIDE_IO = ("openpyxl", "slack_bolt", "slack_sdk", "wechatpy", "tencentcloud", "smtplib",
              "imaplib", "aiohttp", "starlette", "uvicorn", "httpx", "requests", "bot")
"""What ``handlers`` and ``storage`` never import: platforms, SDKs, file formats, network I/O.
They reach those through the protocols in ``handlers.services``."""

PLATFORMS = ("bot.slack", "bot.wecom", "bot.console")
"""Adapters, each its own room: none imports another (they meet only in ``bot.wiring``)."""

ENGINE = ("handlers.dialogue", "handlers.turn", "handlers.registry", "handlers.core_commands")
"""The engine: it reads what the features registered (``handlers.registry``) and imports none
of them (issue 27); only ``handlers.features`` names them all."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((REPO / package).rglob("*.py"))}


MODULES = our_modules()


def imports_of(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every module ``name`` imports (ours resolved to a module, others by top-level name),
    with the line it is imported on."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                yield (candidate if candidate in MODULES else source), node.lineno


def graph() -> dict[str, set[str]]:
    return {name: {target for target, _ in imports_of(name, path) if target in MODULES}
            for name, path in MODULES.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the list of modules round it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                return [*stack[stack.index(target):], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_layout_checker_finds_a_circle_and_accepts_a_line() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_module_imports_itself_round_a_circle() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, "import circle: " + " → ".join(cycle or [])


def wrong_way(name: str) -> list[str]:
    """The imports of ``name`` that break the layout, each with its line."""
    layer = LAYERS[name.split(".")[0]]
    platform = next((p for p in PLATFORMS if name == p or name.startswith(p + ".")), None)
    wrong = []
    for target, line in imports_of(name, MODULES[name]):
        top = target.split(".")[0]
        if top in LAYERS and LAYERS[top] > layer:
            wrong.append(f"{name}:{line} imports {target} (a higher layer)")
        elif layer < LAYERS["bot"] and top in OUTSIDE_IO:
            wrong.append(f"{name}:{line} imports {target} (outside I/O belongs in bot)")
        elif platform and any(target == other or target.startswith(other + ".")
                              for other in PLATFORMS if other != platform):
            wrong.append(f"{name}:{line} imports {target} (another platform)")
    return wrong


def test_dependencies_point_one_way() -> None:
    wrong = [problem for name in sorted(MODULES) for problem in wrong_way(name)]
    assert not wrong, "imports against the layout:\n" + "\n".join(wrong)


def feature_packages() -> list[str]:
    """Every package of ``handlers`` but the catalogue is a feature (reviews, files, …)."""
    return sorted(f"handlers.{folder.name}" for folder in (REPO / "handlers").iterdir()
                  if (folder / "__init__.py").exists() and folder.name != "catalogue")


def features_imported(name: str, path: Path, features: list[str]) -> list[str]:
    """The imports of a feature in the module ``name`` (at ``path``), each with its line."""
    return [f"{name}:{line} imports {target}" for target, line in imports_of(name, path)
            if any(target == f or target.startswith(f + ".") for f in features)]


def test_the_engine_imports_no_feature() -> None:
    """A feature plugs in by registering on its router; the engine never names one, so a new
    feature is no edit of the engine, and the engine runs and is read without any of them."""
    features = feature_packages()
    assert {"handlers.reviews", "handlers.files", "handlers.credentials",
            "handlers.mail"} <= set(features)
    engine = [name for name in ENGINE if name in MODULES]
    assert {"handlers.dialogue", "handlers.turn"} <= set(engine)
    wrong = [problem for name in engine
             for problem in features_imported(name, MODULES[name], features)]
    assert not wrong, "the engine imports a feature:\n" + "\n".join(wrong)


def test_the_layout_checker_sees_a_feature_imported(tmp_path: Path) -> None:
    module = tmp_path / "engine.py"
    module.write_text("from handlers import flow\nfrom handlers.reviews import commands\n"
                      "def later() -> None:\n    import handlers.mail.findings\n",
                      encoding="utf-8")
    assert features_imported("handlers.engine", module, feature_packages()) == [
        "handlers.engine:2 imports handlers.reviews.commands",
        "handlers.engine:4 imports handlers.mail.findings"]


def test_no_module_carries_its_folders_name() -> None:
    """``bot/slack/app.py``, not ``bot/slack/slack_app.py`` nor ``bot/slack_app.py`` beside a
    ``bot/slack/`` package: the folder already says it. And in ``bot`` and ``handlers``, a word
    that starts the names of three modules of one folder (``slack_app``, ``slack_body``,
    ``slack_home``) is a folder waiting to be made."""
    offenders = []
    prefixes: dict[tuple[Path, str], list[str]] = {}
    for path in MODULES.values():
        if path.name == "__init__.py":
            continue
        folder, stem = path.parent, path.stem
        subpackages = {d.name for d in folder.iterdir() if (d / "__init__.py").exists()}
        if stem.startswith(folder.name + "_") or any(stem == sub or stem.startswith(sub + "_")
                                                     for sub in subpackages):
            offenders.append(str(path.relative_to(REPO)))
        if "_" in stem and path.relative_to(REPO).parts[0] in ("bot", "handlers"):
            prefixes.setdefault((folder, stem.split("_")[0]), []).append(stem)
    offenders += [f"{folder.relative_to(REPO)}/{word}_*: {sorted(stems)}"
                  for (folder, word), stems in sorted(prefixes.items()) if len(stems) >= 3]
    assert not offenders, f"names that repeat a folder's: {offenders}"
