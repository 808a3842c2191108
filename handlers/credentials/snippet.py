"""The first-call program: a short Python file that brings in a platform's first sub-enterprise.

Why a generated file and not a link to Tencent's docs: the first real call is where a key of the
wrong environment, an app ID of the other one, or a missing field shows up, and a program with
the case's own app ID and the right host filled in runs in a minute. It uses the official
``tencentcloud-sdk-python-essbasic`` (2021-05-26), reads the SecretId/SecretKey from the
environment only (a key written into a file is a key that gets committed), and calls
``CreateConsoleLoginUrl``, the call Tencent's own kits start a platform with.

Pure text: ``handlers`` never imports the SDK, so this module writes the program and the person
(or a test, against the fake on loopback) runs it. Every comment and message in it comes from the
catalogue, in Chinese and English, both in the file.
"""

from __future__ import annotations

from handlers.catalogue import LANGS, t
from handlers.credentials.report import ENVIRONMENTS
from handlers.shapes import OutFile
from handlers.validators import app_id as valid_app_id

HOSTS = {"test": "essbasic.test.ess.tencent.cn", "prod": "essbasic.tencentcloudapi.com"}
"""E-Sign's joint-debugging and production hosts; test keys and app IDs work only on the first."""
ENDPOINT_VARIABLE = "ESSBASIC_ENDPOINT"
SAMPLE_ORGANIZATION = {"test": "典子谦示例企业测试", "prod": "典子谦示例企业"}
"""A sample sub-enterprise name; in the test environment it must end in 测试 or the review fails
(the SDK's note on ``ProxyOrganizationName``)."""
MIME = "text/x-python"


def first_call_snippet(app_id: str, environment: str, case_id: int) -> OutFile:
    """``esign_first_call_case<N>_<environment>.py`` for this app ID: named by case and
    environment like the workbook, so one case's program never replaces another's (in ASCII,
    unlike the workbook's name, as it is typed at a shell). Raises ``Invalid`` for an app ID
    that is not 32 letters and digits and ``ValueError`` for an unknown environment, so nothing
    but a checked value is ever written into code."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"environment must be one of {ENVIRONMENTS}, not {environment!r}")
    app = valid_app_id(app_id, {})
    name = f"esign_first_call_case{int(case_id)}_{environment}.py"
    source = _SOURCE.format(
        title=_comment("cred.snippet.title", environment=environment),
        usage=_comment("cred.snippet.usage", name=name),
        keys=_comment("cred.snippet.keys_from_env"),
        host_comment=_comment("cred.snippet.host", variable=ENDPOINT_VARIABLE),
        app_comment=_comment("cred.snippet.app_id", indent="    "),
        org_comment=_comment("cred.snippet.org_open_id", indent="    "),
        operator_comment=_comment("cred.snippet.operator_open_id", indent="    "),
        name_comment=_comment("cred.snippet.org_name", indent="    "),
        url_comment=_comment("cred.snippet.print_url", indent="    "),
        error_comment=_comment("cred.snippet.on_error", indent="        "),
        no_keys=repr(" / ".join(t("cred.snippet.no_keys", lang) for lang in LANGS)),
        app_id=repr(app),
        host=repr(HOSTS[environment]),
        variable=repr(ENDPOINT_VARIABLE),
        organization=repr(SAMPLE_ORGANIZATION[environment]),
    )
    return OutFile(name=name, content=source.encode("utf-8"), mime=MIME)


def _comment(key: str, *, indent: str = "", **params: str) -> str:
    """One ``# `` line per language (a sentence may span several lines in the catalogue)."""
    lines = [line for lang in LANGS for line in t(key, lang, **params).splitlines()]
    return "\n".join(f"{indent}# {line}" for line in lines)


_SOURCE = '''\
#!/usr/bin/env python3
{title}
{usage}
{keys}
import os
import sys

from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.essbasic.v20210526 import essbasic_client, models

APP_ID = {app_id}
{host_comment}
ENDPOINT = os.environ.get({variable}) or {host}


def main() -> int:
    secret_id = os.environ.get("TENCENTCLOUD_SECRET_ID", "").strip()
    secret_key = os.environ.get("TENCENTCLOUD_SECRET_KEY", "").strip()
    if not secret_id or not secret_key:
        print({no_keys}, file=sys.stderr)
        return 2
    scheme, _, host = ENDPOINT.rpartition("://")
    http = HttpProfile(endpoint=host.rstrip("/"), protocol=scheme or "https")
    client = essbasic_client.EssbasicClient(Credential(secret_id, secret_key), "",
                                            ClientProfile(httpProfile=http))

    agent = models.Agent()
{app_comment}
    agent.AppId = APP_ID
{org_comment}
    agent.ProxyOrganizationOpenId = "first_sub_enterprise"
    operator = models.UserInfo()
{operator_comment}
    operator.OpenId = "first_operator"
    agent.ProxyOperator = operator

    request = models.CreateConsoleLoginUrlRequest()
    request.Agent = agent
{name_comment}
    request.ProxyOrganizationName = {organization}

    try:
        response = client.CreateConsoleLoginUrl(request)
    except TencentCloudSDKException as error:
{error_comment}
        print(f"{{error.get_code()}}: {{error.get_message()}} (RequestId {{error.get_request_id()}})",
              file=sys.stderr)
        return 1
{url_comment}
    print(response.ConsoleUrl)
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''
