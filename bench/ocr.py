"""The licence-photo reader measured on this machine (issue 21): ``python -m bench.ocr``.

Run separately from ``bench.run`` (it needs the ``ocr`` extra and a CJK font, and a minute or
two). What it reports, written to ``bench/results/ocr-<time>.md``:

* **read rate**: over ``--licences`` generated licences (random valid credit codes, names and
  representatives) in five states — clean, blurred, rotated, cropped, low resolution — how
  often the code read equals the one printed (a cropped photo cuts the code: there the right
  answer is "no code", and a wrong trusted code counts as a false read in every state);
* **time per photo** in the reader child of ``bot/files/process.py`` (``nice`` 10, the first
  photo's model load reported apart);
* **the reader child's peak memory** (VmHWM);
* **acknowledgements while photos are read**: ``esignbot serve`` with the fake Slack API, the
  time to acknowledge a signed message (``status``) with nothing else running, then while
  licence photos are uploaded and read in another thread of the same server.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from stdnum.cn import uscc

from bench.procs import peak_rss_mb
from bot.files.process import FileBuilderProcess
from handlers.files.licence_check import find
from tests.bot.files.licence_images import Licence, Variant, missing, render

VARIANTS: tuple[Variant, ...] = ("clean", "blurred", "rotated", "cropped", "low_res")
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"
_PLACES = ("福州", "深圳", "杭州", "成都", "南京", "武汉", "西安", "苏州")
_WORDS = ("云签", "数据", "智联", "信达", "华科", "远航", "星辰", "启明")
_KINDS = ("科技有限公司", "信息技术有限公司", "网络科技有限公司", "软件有限公司")
_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def random_licence(rng: random.Random) -> Licence:
    """A licence whose credit code passes GB 32100 (python-stdnum computes the check)."""
    body = "9135" + "".join(rng.choice("0123456789") for _ in range(4))
    org = "".join(rng.choice(_ORG_ALPHABET) for _ in range(8))
    from handlers.validators import org_code_check_char

    try:
        check = org_code_check_char(org)
    except ValueError:
        return random_licence(rng)
    code = body + org + check
    if not all(c in _ORG_ALPHABET for c in code):
        return random_licence(rng)
    code += uscc.calc_check_digit(code)
    name = rng.choice(_PLACES) + rng.choice(_WORDS) + rng.choice(_WORDS) + rng.choice(_KINDS)
    person = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
    return Licence(code=code, name=name, representative=person)


def read_rate(licences: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    files = FileBuilderProcess()
    results: dict[str, list[bool]] = {v: [] for v in VARIANTS}
    false_reads: dict[str, int] = dict.fromkeys(VARIANTS, 0)
    times: list[float] = []
    try:
        started = time.perf_counter()
        files.read_licence(render(Licence(), "clean"))  # starts the child, loads the models
        first_s = time.perf_counter() - started
        for index in range(licences):
            licence = random_licence(rng)
            for variant in VARIANTS:
                photo = render(licence, variant, fmt="JPEG", seed=index)
                started = time.perf_counter()
                lines = files.read_licence(photo) or []
                times.append(time.perf_counter() - started)
                code = find(lines).code
                expected = None if variant == "cropped" else licence.code
                results[variant].append(code == expected)
                false_reads[variant] += code is not None and code != licence.code
        reader = files._reader
        pids = list(reader._processes) if reader is not None and reader._processes else []
        peak = max((peak_rss_mb(pid) for pid in pids), default=0.0)
    finally:
        files.close()
    return {
        "rates": {v: (sum(r), len(r)) for v, r in results.items()},
        "false_reads": false_reads,
        "first_s": first_s,
        "p50_s": statistics.median(times),
        "p95_s": sorted(times)[int(len(times) * 0.95) - 1],
        "max_s": max(times),
        "peak_mb": peak,
    }


def acknowledgements(rounds: int, photos: int, workdir: Path) -> dict[str, object]:
    """Ack times of ``status`` in one thread, alone and while photos are read in another."""
    from tests.bot.slack.test_app import walk_to_the_licence_question
    from tests.fakes.slack_world import slack_world

    def acks(world: object, channel: str, count: int) -> list[float]:
        sender = world.sender  # type: ignore[attr-defined]
        out = []
        for _ in range(count):
            started = time.perf_counter()
            response = sender.command("status", channel=channel)
            out.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            time.sleep(0.05)
        return out

    with slack_world(workdir) as world:
        walk_to_the_licence_question(world, "CQUIET")
        thread = walk_to_the_licence_question(world, "CPHOTO")
        acks(world, "CQUIET", 10)  # warm up
        quiet = acks(world, "CQUIET", rounds)
        reads = [render(random_licence(random.Random(i)), "clean", fmt="JPEG") for i in range(photos)]
        # The reader child's first photo loads its models: not part of either measurement.
        thread.say("", files=[world.api.share_file(reads[0], "licence.jpg", "image/jpeg")])
        time.sleep(8)
        stop = threading.Event()

        def upload() -> None:
            for photo in reads[1:]:
                if stop.is_set():
                    return
                thread.say("", files=[world.api.share_file(photo, "licence.jpg", "image/jpeg")])
                time.sleep(0.5)

        uploader = threading.Thread(target=upload)
        uploader.start()
        busy = acks(world, "CQUIET", rounds)
        stop.set()
        uploader.join(timeout=120)
        read_notices = sum("我读了证照照片" in c.text() for c in world.posts("CPHOTO"))
    return {"quiet": quiet, "busy": busy, "notices": read_notices}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--licences", type=int, default=8, help="licences, each in 5 states")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--acks", type=int, default=60, help="acknowledgements per measurement")
    parser.add_argument("--photos", type=int, default=12, help="photos read during the busy run")
    args = parser.parse_args()
    reason = missing()
    if reason:
        raise SystemExit(reason)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results = Path(__file__).parent / "results"
    rate = read_rate(args.licences, args.seed)
    with tempfile.TemporaryDirectory(prefix="esignbot-bench-ocr-") as work:
        ack = acknowledgements(args.acks, args.photos, Path(work))
    rates = rate["rates"]
    assert isinstance(rates, dict)
    lines = [f"# OCR of licence photos, {stamp}", "",
             f"{args.licences} generated licences × {len(VARIANTS)} states, seed {args.seed}; "
             "read in the reader child of bot/files/process.py.", "",
             "| state | code read right | false codes |", "|---|---|---|"]
    false_reads = rate["false_reads"]
    assert isinstance(false_reads, dict)
    for variant in VARIANTS:
        right, total = rates[variant]
        note = " (right = no code trusted)" if variant == "cropped" else ""
        lines.append(f"| {variant}{note} | {right}/{total} | {false_reads[variant]} |")
    lines += ["", "| measure | value |", "|---|---|",
              f"| first photo (child start + model load + read) | {rate['first_s']:.2f} s |",
              f"| time per photo, p50 / p95 / max | {rate['p50_s']:.2f} / {rate['p95_s']:.2f} / "
              f"{rate['max_s']:.2f} s |",
              f"| reader child peak RSS | {rate['peak_mb']} MB |"]
    quiet, busy = ack["quiet"], ack["busy"]
    assert isinstance(quiet, list) and isinstance(busy, list)
    lines += [f"| `status` ack, nothing else running, p50 / p99 ({len(quiet)}) | "
              f"{_pct(quiet, 0.5):.1f} / {_pct(quiet, 0.99):.1f} ms |",
              f"| `status` ack while photos are read, p50 / p99 ({len(busy)}) | "
              f"{_pct(busy, 0.5):.1f} / {_pct(busy, 0.99):.1f} ms |",
              f"| photos queued for the reader during the busy run / results posted by its end | "
              f"{args.photos - 1} / {ack['notices']} |", ""]
    out = results / f"ocr-{stamp}.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"→ {out}")


if __name__ == "__main__":
    main()
