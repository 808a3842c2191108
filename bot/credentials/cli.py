"""``esignbot check-credentials``: the credential check from a shell, for scripts and CI.

Why the SecretKey is never an argument: command lines are visible to every user of the machine
(``ps``) and end up in shell history. It comes from ``TENCENTCLOUD_SECRET_KEY`` or, at a
terminal, from a hidden prompt. Exit status: 0 when every check passed, 1 when one failed or
could not be told, 2 for arguments that cannot be checked at all.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TextIO

from bot.credentials.checker import build_checker
from bot.settings import load_settings
from handlers import validators
from handlers.catalogue import normalise_lang, t
from handlers.credentials.commands import build_request
from handlers.credentials.report import render_report, report_as_json
from handlers.credentials.secret_shapes import secret_id_problem, secret_key_problem, typed
from handlers.validators import Invalid

SECRET_KEY_VARIABLE = "TENCENTCLOUD_SECRET_KEY"
SECRET_ID_VARIABLE = "TENCENTCLOUD_SECRET_ID"


def run(args: argparse.Namespace, *, stdin: TextIO | None = None, stdout: TextIO | None = None,
        stderr: TextIO | None = None, environ: Mapping[str, str] | None = None,
        read_secret: Callable[[str], str] = getpass.getpass) -> int:
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    environ = os.environ if environ is None else environ
    settings = load_settings()
    lang = normalise_lang(args.lang or settings.esignbot_lang)

    def refuse(key: str, **params: object) -> int:
        print(t(key, lang, **params), file=stderr)
        return 2

    if args.secret_key is not None:
        return refuse("cred.cli.key_in_argv")
    secret_id = typed(args.secret_id or "")
    shape = secret_id_problem(secret_id)
    if shape is not None:
        return refuse(shape, length=len(secret_id))
    answers: dict[str, str] = {}
    try:
        if args.uin:
            answers["uin"] = validators.uin(args.uin, {})
        if args.app_id:
            answers["app_id"] = validators.app_id(args.app_id, {})
    except Invalid as problem:
        return refuse(problem.key, **problem.params)
    if args.key_owner:
        answers["key_owner"] = args.key_owner
    secret_key = environ.get(SECRET_KEY_VARIABLE, "").strip()
    if not secret_key:
        if not stdin.isatty():
            return refuse("cred.cli.no_key")
        try:
            secret_key = read_secret(t("cred.console.secret_key_prompt", lang)).strip()
        except (EOFError, KeyboardInterrupt):
            return refuse("cred.cli.no_key")
    secret_key = typed(secret_key)
    shape = secret_key_problem(secret_key)
    if shape is not None:
        return refuse(shape, length=len(secret_key))
    request = build_request(answers, secret_id=secret_id, secret_key=secret_key,
                            environment=args.env, now=datetime.now(UTC))
    report = build_checker(settings).check(request)
    if args.json:
        print(json.dumps(report_as_json(report, lang), ensure_ascii=False, indent=2), file=stdout)
    else:
        print(render_report(report, lang), file=stdout)
    return 0 if report.outcome == "pass" else 1
