"""The deployment files (``deploy/``, ``docs/deploy.md``) agree with the code they deploy.

Why these checks: nothing runs a Dockerfile, a systemd unit or an example env file in the test
suite, so each would drift silently — a setting renamed in ``bot/settings.py``, a sub-command
or flag renamed in the CLI, a shutdown wait lengthened past what systemd grants before SIGKILL.
Here each file is read as text and held against the real program: ``esignbot`` runs as a real
process for its ``--help`` and ``--version``; neither Docker nor systemd is needed.
"""

from __future__ import annotations

import inspect
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from pathlib import Path

from bot.mail.watch import MailWatcher
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.slack import app as slack_app

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
ESIGNBOT = Path(sys.executable).with_name("esignbot")
"""The console script pip installed beside this interpreter: the command an admin runs."""

_SETTING = re.compile(r"^#?\s?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def _run(*args: str) -> str:
    done = subprocess.run([str(ESIGNBOT), *args], capture_output=True, text=True, timeout=60,
                          check=True, cwd=ROOT)
    return done.stdout


@cache
def _sub_commands() -> frozenset[str]:
    usage = _run("--help")
    found = re.search(r"\{([a-z,-]+)\}", usage)
    assert found, usage
    return frozenset(found.group(1).split(","))


@cache
def _flags(sub_command: str) -> frozenset[str]:
    return frozenset(re.findall(r"(--[a-z][a-z-]*)", _run(sub_command, "--help")))


def _assert_real_command(argv: list[str], where: str) -> None:
    """``argv`` is ``esignbot <sub-command> [--flag value]...`` with a real sub-command and flags."""
    assert Path(argv[0]).name == "esignbot", f"{where}: {argv}"
    assert argv[1] in _sub_commands(), f"{where}: {argv[1]!r} is not an esignbot sub-command"
    for flag in (a.split("=")[0] for a in argv[2:] if a.startswith("--")):
        assert flag in _flags(argv[1]), f"{where}: esignbot {argv[1]} has no {flag}"


def _instruction(text: str, name: str) -> list[str]:
    """A Dockerfile instruction written in exec (JSON) form."""
    found = re.search(rf"^{name} (\[.*\])$", text, re.MULTILINE)
    assert found, name
    value: list[str] = json.loads(found.group(1))
    return value


def _settings() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def _shutdown_grace_s() -> float:
    """The longest ``serve`` can take to stop after SIGTERM through its bounded waits, in the
    order ``bot.web.server.running`` runs them: the mail watcher, the scheduler, Slack's tasks."""
    def default(method: Callable[..., object]) -> float:
        value = inspect.signature(method).parameters["timeout_s"].default
        assert isinstance(value, float)
        return value
    return default(MailWatcher.stop) + default(Scheduler.stop) + slack_app._SHUTDOWN_GRACE_S


def _seconds(value: str) -> float:
    """A systemd time span as this unit writes it: ``120``, ``120s``, ``2min``."""
    found = re.fullmatch(r"(\d+)\s*(s|min)?", value.strip())
    assert found, value
    return float(found.group(1)) * (60 if found.group(2) == "min" else 1)


def _unit() -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in (DEPLOY / "esignbot.service").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            entries[key.strip()] = value.strip()
    return entries


def test_the_env_example_names_every_setting_and_only_settings() -> None:
    text = (DEPLOY / "esignbot.env.example").read_text(encoding="utf-8")
    named = set(_SETTING.findall(text))
    assert named - _settings() == set(), "not a setting bot/settings.py reads"
    assert _settings() - named == set(), "missing from deploy/esignbot.env.example"
    # Copying the example changes nothing by itself: every value is commented out, so no
    # placeholder ("...", "xoxb-...") is ever taken for a secret, and no real one is in it.
    assigned = re.findall(r"^[A-Z][A-Z0-9_]*=.*$", text, re.MULTILINE)
    assert assigned == []


def test_the_env_example_has_the_readme_settings_table() -> None:
    """The env example is the README's Settings table for a server: the two name the same
    settings, except TENCENTCLOUD_SECRET_ID/KEY, which only `check-credentials` reads from a
    person's shell and a server never holds."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.split("\n\n| variable |", 1)[1].split("\n\n", 1)[0]
            .splitlines() if line.startswith("|")]
    named: set[str] = set()
    for row in rows[1:]:  # after the |---| line
        prefix = ""
        for token in re.findall(r"`([A-Z_][A-Z0-9_]*)`", row.split("|")[1]):
            if token.startswith("_"):  # `ESIGNBOT_SMTP_HOST`, `_PORT`, ...
                named.add(prefix + token)
            else:
                named.add(token)
                prefix = token.rsplit("_", 1)[0]
    example = set(_SETTING.findall((DEPLOY / "esignbot.env.example").read_text(encoding="utf-8")))
    assert named - {"TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"} == example


def test_the_dockerfile_runs_a_real_command_and_keeps_state_in_its_volume() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    argv = _instruction(text, "ENTRYPOINT") + _instruction(text, "CMD")
    _assert_real_command(argv, "deploy/Dockerfile")
    assert argv[1:4] == ["serve", "--host", "0.0.0.0"]
    assert _instruction(text, "VOLUME") == ["/data"]
    assert "ESIGNBOT_DB=/data/" in text and "ESIGNBOT_OUT=/data/" in text
    assert re.search(r"^USER (?!root)\S+$", text, re.MULTILINE), "must not run as root"
    assert "-c /src/constraints.txt" in text
    # Liveness, not the deep check: a restart empties no full disk (docs/deploy.md).
    assert re.search(r"^HEALTHCHECK .*\n?.*/livez", text, re.MULTILINE)


def test_the_systemd_unit_runs_a_real_command_with_its_state_directory() -> None:
    unit = _unit()
    argv = shlex.split(unit["ExecStart"])
    _assert_real_command(argv, "deploy/esignbot.service")
    assert argv[1] == "serve"
    assert unit["StateDirectory"] == "esignbot"
    assert unit["WorkingDirectory"] == "/var/lib/esignbot"
    assert unit["EnvironmentFile"] == "/etc/esignbot/esignbot.env"
    assert "ESIGNBOT_DB=/var/lib/esignbot/" in unit["Environment"]


def test_every_esignbot_command_in_the_deployment_guide_is_real() -> None:
    """Commands an admin copies from docs/deploy.md and the Dockerfile's comments (``esignbot
    backup``, ``docker exec esignbot esignbot cases``, ``…/bin/esignbot --version``)."""
    for path in (ROOT / "docs" / "deploy.md", DEPLOY / "Dockerfile", DEPLOY / "esignbot.service"):
        text = path.read_text(encoding="utf-8")
        # Where commands are written: shell blocks, `code spans`, an instruction's own line and
        # a comment's indented example; not prose ("esignbot in a container").
        prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
        blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL) + re.findall(r"`([^`]+)`", prose)
        if path.suffix != ".md":
            blocks += re.findall(r"^(?:[^#\n].*|#\s{2,}\S.*)$", text, re.MULTILINE)
        words = [w for block in blocks
                 for w in re.findall(r"(?<![\w.-])esignbot[ \t]+(?=([a-z][a-z-]*|--version\b))", block)]
        # `docker exec esignbot esignbot cases`: the container's name, then the command.
        used = {w for w in words if w != "esignbot"}
        assert used, path
        assert used <= _sub_commands() | {"--version"}, f"{path.name}: {used - _sub_commands()}"


def test_systemd_and_docker_wait_longer_than_serve_takes_to_stop() -> None:
    grace = _shutdown_grace_s()
    assert grace >= 90  # the three 30 s waits this was written for
    stop_s = _seconds(_unit()["TimeoutStopSec"])
    assert stop_s > grace
    assert _unit()["KillMode"] == "mixed"  # SIGTERM to serve alone; it closes its child
    for path in (DEPLOY / "Dockerfile", ROOT / "docs" / "deploy.md"):
        for given in re.findall(r"--stop-timeout (\d+)", path.read_text(encoding="utf-8")):
            assert float(given) > grace, path


def test_version_prints_the_installed_package_version() -> None:
    assert _run("--version").strip() == f"esignbot {version('esignbot')}"


def test_the_proxy_makes_liveness_public_and_keeps_the_deep_check_and_metrics_private() -> None:
    """/livez for an outside monitor; /healthz (it writes, and names what failed) and /metrics
    only on the machine or a private network (docs/deploy.md, "Which check where")."""
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    blocks = dict(re.findall(r"location = (/\w+) \{(.*?)\n    \}", text, re.DOTALL))
    assert "proxy_pass http://esignbot;" in blocks["/livez"]
    for private in ("/healthz", "/metrics"):
        assert blocks[private].split() == ["deny", "all;"], blocks[private]
