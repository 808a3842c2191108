"""The command line as a person meets it: a fast ``--help``, a quiet start, the console's log
kept out of the conversation, the guides the program points to, and the flags as their help
describes them. Each through ``esignbot`` as a real process.

Speed is never timed here (a loaded 2-core box makes any bound flaky); what makes ``--help``
fast is asserted instead, deterministically: the modules it imports.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings import ConfigError
from handlers.catalogue import MESSAGES
from tests.conftest import run_console
from tests.fakes.local_server import clean_env, serving
from tests.fakes.process_clock import clock_at
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_world import BOT_TOKEN, SIGNING_SECRET, TEAM

HEAVY = ("pydantic", "pydantic_settings", "bot.settings", "handlers", "storage", "sqlite3",
         "slack_bolt", "slack_sdk", "aiohttp", "wechatpy", "tencentcloud", "openpyxl",
         "prompt_toolkit", "uvicorn", "starlette", "prometheus_client", "phonenumbers",
         "cryptography", "PIL", "importlib.metadata")
"""What ``--help`` took 0.8 s to import before it printed a line."""

PROBE = """
import sys
from bot.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("MODULES " + " ".join(sorted(sys.modules)), file=sys.stderr)
"""


def esignbot(cwd: Path, *args: str, env: dict[str, str] | None = None,
             stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd,
                          env=env if env is not None else clean_env(), input=stdin,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def imported_by(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          timeout=60, env=clean_env())
    found = re.search(r"^MODULES (.*)$", proc.stderr, re.MULTILINE)
    assert found, proc.stderr
    return set(found.group(1).split())


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["serve", "--help"],
                                  ["doctor", "--help"], ["export-case", "--help"]])
def test_help_and_version_import_nothing_of_the_program(args: list[str]) -> None:
    modules = imported_by(*args)
    heavy = sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)
                   and not (args == ["--version"] and m.startswith("importlib.metadata")))
    assert heavy == [], heavy
    ours = sorted(m for m in modules if m.split(".")[0] == "bot")
    assert ours == ["bot", "bot.cli"], ours


PLATFORM_STACKS = ("slack_bolt", "slack_sdk", "aiohttp", "wechatpy", "openpyxl", "uvicorn",
                   "starlette", "prometheus_client", "tencentcloud", "requests")
"""What serving a chat platform, building a file or checking keys needs, and a console run
that does none of them does not: they were 40 % of its start (0.64 → 0.39 s a run)."""


def test_a_console_run_and_cases_import_no_platform_and_no_file_builder(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    for args, stdin in ((["console", "--db", str(db)], "开始\n2\nstatus\n"),
                        (["cases", "--db", str(db)], "")):
        proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                              text=True, encoding="utf-8", timeout=60, env=clean_env(),
                              input=stdin, cwd=tmp_path)
        found = re.search(r"^MODULES (.*)$", proc.stderr, re.MULTILINE)
        assert found, proc.stderr
        loaded = sorted(m for m in found.group(1).split()
                        if any(m == h or m.startswith(h + ".") for h in PLATFORM_STACKS))
        assert loaded == [], (args, loaded)
    assert "#1 · " in subprocess.run(
        [sys.executable, "-m", "bot.cli", "cases", "--db", str(db)], capture_output=True,
        text=True, encoding="utf-8", timeout=60, env=clean_env(), cwd=tmp_path).stdout


def test_every_sub_command_names_work_that_exists() -> None:
    """The import strings ``--help`` does not follow: each resolves to a function."""
    import argparse
    import importlib

    from bot.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    targets = {name: getattr(sub.get_default("run"), "target", None)
               for name, sub in commands.choices.items()}
    assert len(targets) >= 12
    for name, target in targets.items():
        if target is None:
            continue  # defined in bot/cli.py itself
        module, _, function = target.partition(":")
        assert callable(getattr(importlib.import_module(module), function)), name


# -- CLI details -----------------------------------------------------------------------------
def test_serve_host_and_port_and_console_out_say_their_defaults(tmp_path: Path) -> None:
    serve = re.sub(r"\s+", " ", esignbot(tmp_path, "serve", "--help").stdout)
    assert "--host HOST address to listen on (default 127.0.0.1" in serve
    assert "--port PORT TCP port to listen on, 1 to 65535 (default 8080)" in serve
    console = re.sub(r"\s+", " ", esignbot(tmp_path, "console", "--help").stdout)
    assert "(default: $ESIGNBOT_OUT or ./out)" in console
    assert "--log FILE" in console


def test_a_case_number_is_taken_as_the_bot_writes_it(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    run_console(tmp_path, ["start"], db=db)
    for case in ("#1", "1", " #1 "):
        proc = esignbot(tmp_path, "export-case", "--case", case, "--db", str(db))
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["case"]["id"] == 1
    refused = esignbot(tmp_path, "delete-case", "--case", "#x", "--db", str(db))
    assert refused.returncode == 2 and "must be a case number such as 12 or #12" in refused.stderr
    unconfirmed = esignbot(tmp_path, "delete-case", "--case", "#1", "--db", str(db), "--lang", "en")
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr


# -- the guides a message points to exist where the program is installed ---------------------
def test_guide_lists_and_prints_the_guides(tmp_path: Path) -> None:
    listing = esignbot(tmp_path, "guide")
    assert listing.returncode == 0, listing.stderr
    names = {line.split()[0] for line in listing.stdout.splitlines()[1:] if line.strip()}
    assert {"deploy", "operations", "reviews", "wecom", "wecom-app", "slack"} <= names
    deploy = esignbot(tmp_path, "guide", "deploy")
    root = Path(__file__).resolve().parents[2]
    assert deploy.stdout == (root / "docs" / "deploy.md").read_text(encoding="utf-8")
    app = esignbot(tmp_path, "guide", "wecom-app")
    assert app.stdout == (root / "manifests" / "wecom.md").read_text(encoding="utf-8")
    unknown = esignbot(tmp_path, "guide", "nonsense", env=clean_env(ESIGNBOT_LANG="en"))
    assert unknown.returncode == 2 and "There is no guide called nonsense" in unknown.stderr


def test_what_a_message_points_to_is_a_guide_the_program_prints(tmp_path: Path) -> None:
    """No sentence sends a person to a file of the repository (an installed wheel has none);
    every ``esignbot guide NAME`` a sentence names prints something."""
    root = Path(__file__).resolve().parents[2]
    texts = [text for langs in MESSAGES.values() for text in langs.values()]
    sources = "\n".join(p.read_text(encoding="utf-8")
                        for p in (root / "bot").rglob("*.py") if "raise ConfigError" in
                        p.read_text(encoding="utf-8"))
    config_errors = re.findall(r'ConfigError\((?:f?"[^"]*"\s*)+', sources)
    for text in texts + config_errors:
        assert not re.search(r"\b(docs|manifests)/\w", text), text
    named = set(re.findall(r"esignbot guide ([a-z][a-z-]*)", "\n".join(texts + config_errors)))
    assert {"reviews", "wecom-app"} <= named
    for name in named:
        proc = esignbot(tmp_path, "guide", name)
        assert proc.returncode == 0 and len(proc.stdout) > 500, name
    assert issubclass(ConfigError, Exception)


# -- a quiet start -----------------------------------------------------------------------------
def test_serve_with_slack_starts_without_bolts_token_warning(tmp_path: Path) -> None:
    with FakeSlackApi(BOT_TOKEN, team_id=TEAM).serving() as api:
        env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                        SLACK_API_URL=api.api_url)
        with serving(tmp_path / "e.db", env) as server:
            pass
    output = server.output()
    assert "Uvicorn running on" in output  # the log was written, and read here
    assert "will be unused" not in output, output
    assert not re.search(r" WARNING (esignbot\.)?slack", output), output


def test_the_consoles_log_goes_to_its_file_and_the_person_is_told_in_their_language(
        tmp_path: Path) -> None:
    """December of a year no schedule covers: the scheduler warns that next year's due dates
    are estimates. That line is for whoever runs the bot, not for the conversation."""
    december = clock_at(datetime(2040, 12, 3, 2, 0, tzinfo=UTC))
    out = run_console(tmp_path, ["start"], env=december.env | {"ESIGNBOT_LANG": "en"})
    log = tmp_path / "esignbot.log"
    assert "WARNING esignbot.scheduler" in log.read_text(encoding="utf-8")
    assert log.stat().st_mode & 0o077 == 0  # it names conversations: its owner's only
    assert not re.search(r"\b(WARNING|INFO|ERROR) esignbot\.", out), out
    assert f"warning(s) for whoever runs the bot to {log.name}" in out.replace(str(tmp_path) + "/", "")


def test_the_consoles_log_goes_to_stderr_when_asked(tmp_path: Path) -> None:
    december = clock_at(datetime(2040, 12, 3, 2, 0, tzinfo=UTC))
    env = clean_env(**december.env)
    proc = esignbot(tmp_path, "console", "--db", str(tmp_path / "e.db"), "--log", "-",
                    env=env, stdin="start\n")
    assert proc.returncode == 0, proc.stderr
    assert "WARNING esignbot.scheduler" in proc.stderr
    assert "WARNING" not in proc.stdout and not (tmp_path / "e.log").exists()
