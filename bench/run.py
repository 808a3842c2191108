"""``python -m bench.run``: the load benchmark of ``esignbot serve`` against bare bolt apps.

Per round, alternating the order so machine noise falls on every target alike:

1. **closed loop** — ``--users`` Slack users with no think time for ``--seconds``, against our
   server (one process, and ``serve --workers 2``), the same-work floor and each bare app
   (:mod:`bench.bare_bolt`), each a fresh process;
2. **open loop** — each ``--rate`` (turns a second) for ``--seconds``, against ours and bare
   AsyncApp;

then once: the **workers audit** (``serve --workers 2`` on a clock set to a Monday morning, its
answers, announcements and reminders each counted once), a **WeCom** run (encrypted callbacks,
members taking turns), **growth** (per-turn latency with ``--growth`` cases already in the
database), and the **workbook** build time.
Everything runs on 127.0.0.1; results go to ``bench/results/<stamp>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench import notices, procs, wecom_load
from bench.seed import seed
from bench.slack_load import (
    BOT_TOKEN,
    ROUTE,
    SIGNING_SECRET,
    BenchSlackApi,
    SlackDriver,
    Tally,
    audit,
    closed_loop,
    open_loop,
)
from bench.stats import latency_ms, spread
from bot.files.workbook import build_application_workbook
from tests.fakes.process_clock import clock_at
from tests.fakes.wecom_api import FakeWeComApi

OURS = "esignbot"
WORKERS = "esignbot-w2"
"""``esignbot serve --workers 2``."""
FLOOR = "same-work"
"""The same-work floor (``bench.bare_bolt``, shape ``same-work``)."""
BARE = (FLOOR, "bare-async", "bare-sync", "starlette")
AUDITED = (OURS, WORKERS)
RESULTS = Path(__file__).resolve().parent / "results"

TARGETS = {
    "cpu_per_turn_ratio": 1.3,
    "closed_throughput_ratio": 0.8,
    "rss_mb": 150.0,
    "growth_p50_ratio": 1.2,
}
"""Issue 20's targets; the open-loop p99 is held to the bare bolt AsyncApp's in the same run."""


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _summary(tally: Tally, mode: str) -> dict[str, Any]:
    return {"mode": mode, "turns_ok": tally.ok, "errors": dict(tally.errors),
            "turns_per_s": round(tally.ok / tally.elapsed, 1), "ack_ms": latency_ms(tally.latencies),
            "ack_ms_by_kind": {kind: latency_ms(times) for kind, times in sorted(tally.by_kind.items())},
            "onboardings_completed": sum(c.completed for c in tally.conversations)}


@contextlib.contextmanager
def no_collector_pauses() -> Iterator[None]:
    """The load generator's cyclic garbage collector held off while it measures.

    Why: the drivers and the fake APIs share this process's GIL, and after a few runs its heap is
    large enough that one full collection took 85–170 ms (measured with ``gc.callbacks``): every
    request in flight then looked that much slower, whichever server answered. Reference counting
    still frees almost everything; the cycles left are collected when the run ends."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def slack_run(target: str, mode: str, workdir: Path, *, users: int, seconds: float, rate: float,
              db: Path | None = None) -> dict[str, Any]:
    """One server process, one load; for ours also the audit and the error replies."""
    workdir.mkdir(parents=True, exist_ok=True)
    api = BenchSlackApi(in_thread=target in (*AUDITED, FLOOR))
    with api.serving():
        env = procs.clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                              SLACK_API_URL=api.api_url, ESIGNBOT_DB=str(workdir / "floor.db"))
        if target in AUDITED:
            db = db or workdir / "esignbot.db"
            server = procs.start_esignbot(db, env, workdir, workers=2 if target == WORKERS else 1)
            if target == WORKERS:
                procs.wait_for_workers(server)
        else:
            server = procs.start_bare(target.removeprefix("bare-"), env, workdir)
        tag = f"{abs(hash((str(workdir), mode))) % 10**6:06d}"
        try:
            with no_collector_pauses():
                cpu_before, own_before = server.cpu_seconds(), time.process_time()
                tally = asyncio.run(_drive(server.base, api, target, mode, tag, users, seconds, rate))
                cpu, own = server.cpu_seconds() - cpu_before, time.process_time() - own_before
        finally:
            rss = server.stop_measured()
        turns = max(tally.ok, 1)
        result = {"target": target, **_summary(tally, mode), "peak_rss_mb": rss,
                  "server_cpu_ms_per_turn": round(cpu / turns * 1000, 2),
                  "driver_cpu_ms_per_turn": round(own / turns * 1000, 2),
                  "web_api_calls_per_turn": _calls_per_turn(api, turns), "load_after": _load()}
        traces = server.tracebacks()
        if traces:
            result["server_tracebacks"] = traces[-2000:]
        if target in AUDITED:
            assert db is not None
            result["audit"] = audit(db, tally.conversations)
            result["error_replies"] = api.error_posts()
        return result


def _calls_per_turn(api: BenchSlackApi, turns: int) -> dict[str, float]:
    """Web API calls the server made per acknowledged turn, by method, counted on the fake API:
    how the same-work floor is shown to do the calls ours does (start-up calls left out)."""
    counts = Counter(c.method for c in list(api.calls)
                     if c.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"))
    return {method: round(n / turns, 3) for method, n in sorted(counts.items())}


def workers_audit(workdir: Path, users: int, seconds: float, announcements: int,
                  reminders: int) -> dict[str, Any]:
    """``serve --workers 2`` with announcements and overdue waits already in its file, on a
    clock set to a Monday morning in Shanghai (``tests.fakes.process_clock``) so the reminders
    are due: a closed loop for ``seconds``, then every answer, announcement and reminder
    counted — each must be there once."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "esignbot.db"
    channels = notices.seed(db, announcements, reminders)
    clock = clock_at(notices.SERVER_NOW)
    api = BenchSlackApi(in_thread=True)
    with api.serving():
        env = procs.clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                              SLACK_API_URL=api.api_url, ESIGNBOT_SCHEDULER_SECONDS="0.5",
                              **clock.env)
        server = procs.start_esignbot(db, env, workdir, "esignbot-w2-audit", workers=2)
        try:
            answering = procs.wait_for_workers(server)

            async def drive() -> Tally:
                async with SlackDriver(server.base, api, waits_for_root=True, tag="audit",
                                       clock_offset_s=clock.offset_s) as driver:
                    return await closed_loop(driver, users, seconds)

            with no_collector_pauses():
                tally = asyncio.run(drive())
            expected = announcements + reminders
            deadline = time.monotonic() + 60
            while not notices.outbox_settled(db, expected) and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(2.0)  # four more passes of each worker's scheduler: a repeat would show
        finally:
            server.stop()
    result = {"target": WORKERS, "mode": "workers-audit", "workers_answering": len(answering),
              **_summary(tally, "workers-audit"), "audit": audit(db, tally.conversations),
              "error_replies": api.error_posts(), "notices": notices.count(list(api.calls), channels)}
    traces = server.tracebacks()
    if traces:
        result["server_tracebacks"] = traces[-2000:]
    return result


async def _drive(base: str, api: BenchSlackApi, target: str, mode: str, tag: str, users: int,
                 seconds: float, rate: float) -> Tally:
    async with SlackDriver(base, api, waits_for_root=target != "starlette", tag=tag) as driver:
        if mode == "open":
            return await open_loop(driver, rate, seconds, users)
        return await closed_loop(driver, users, seconds)


def wecom_run(workdir: Path, seconds: float) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    with FakeWeComApi(wecom_load.CORP, wecom_load.SECRET) as api:
        env = procs.clean_env(**wecom_load.env(api.url))
        server = procs.start_esignbot(workdir / "esignbot.db", env, workdir, "esignbot-wecom")
        try:
            with no_collector_pauses():
                tally = wecom_load.run(server.base, seconds)
        finally:
            rss = server.stop_measured()
    result = {"target": OURS, "mode": "wecom-sequential", "turns_ok": tally.ok,
              "errors": dict(tally.errors), "turns_per_s": round(tally.ok / max(tally.elapsed, 1e-9), 1),
              "ack_ms": latency_ms(tally.latencies), "onboardings_completed": tally.cycles,
              "peak_rss_mb": rss, "audit": wecom_load.audit(workdir / "esignbot.db", tally)}
    traces = server.tracebacks()
    if traces:
        result["server_tracebacks"] = traces[-2000:]
    return result


def growth(workdir: Path, sizes: Sequence[int], rounds: int, users: int, seconds: float) -> dict[str, Any]:
    """Per-turn latency (light closed load) with each number of cases already stored."""
    dbs = {}
    seeding = {}
    for size in sizes:
        dbs[size] = workdir / f"seeded-{size}.db"
        began = time.monotonic()
        seed(dbs[size], size)
        seeding[size] = round(time.monotonic() - began, 1)
    runs: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes}
    for r in range(rounds):
        for size in (sizes if r % 2 == 0 else list(reversed(sizes))):
            runs[size].append(slack_run(OURS, "closed", workdir / f"growth-{size}-r{r}", users=users,
                                        seconds=seconds, rate=0, db=dbs[size]))
    p50 = {size: round(statistics.median(run["ack_ms"]["p50"] for run in runs[size]), 2) for size in sizes}
    return {"sizes": list(sizes), "seeding_s": seeding, "p50_ms": p50, "runs": runs,
            "p50_ratio_last_to_first": round(p50[sizes[-1]] / max(p50[sizes[0]], 1e-9), 3),
            "audit_ok": all(run["audit"]["lost"] == 0 and run["audit"]["duplicated"] == 0
                            for size in sizes for run in runs[size])}


def workbook_timing(builds: int) -> dict[str, float]:
    answers = {t.field: t.value for t in ROUTE if t.field}
    times = []
    for _ in range(builds):
        began = time.perf_counter()
        build_application_workbook(answers, date(2026, 3, 2))
        times.append(time.perf_counter() - began)
    return {"builds": builds, **latency_ms(times), "mean": round(statistics.fmean(times) * 1000, 2),
            "first_ms": round(times[0] * 1000, 2)}


def compare(closed: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Per round, side by side: our CPU per turn and throughput as ratios to that round's
    same-work floor, ``serve --workers 2``'s throughput to the floor's and to one process's, and
    (as before) our throughput to the faster bare bolt app's."""
    cpu, throughput, workers, workers_gain, bolt, faster = [], [], [], [], [], []
    for runs in closed:
        by = {run["target"]: run for run in runs}
        ours, floor, two = by.get(OURS), by.get(FLOOR), by.get(WORKERS)
        if ours and floor:
            cpu.append(ours["server_cpu_ms_per_turn"] / max(floor["server_cpu_ms_per_turn"], 1e-9))
            throughput.append(ours["turns_per_s"] / max(floor["turns_per_s"], 1e-9))
        if two and floor:
            workers.append(two["turns_per_s"] / max(floor["turns_per_s"], 1e-9))
        if two and ours:
            workers_gain.append(two["turns_per_s"] / max(ours["turns_per_s"], 1e-9))
        bare = [by[t] for t in ("bare-async", "bare-sync") if t in by]
        if ours and bare:
            best = max(bare, key=lambda run: run["turns_per_s"])
            faster.append(best["target"])
            bolt.append(ours["turns_per_s"] / max(best["turns_per_s"], 1e-9))
    return {"cpu_per_turn_ratio": spread(cpu), "throughput_ratio": spread(throughput),
            "workers_throughput_ratio": spread(workers), "workers_vs_one": spread(workers_gain),
            "faster_bare_bolt_per_round": faster, "throughput_ratio_to_bare_bolt": spread(bolt)}


def workers_projection(closed: dict[str, Any]) -> dict[str, Any]:
    """What N workers reach on a machine with N+1 cores, computed from CPU per turn measured
    here: each worker is one process bound by one core (the GIL), so N workers do at most N ÷
    (CPU seconds per turn) turns a second, the extra core carrying the load generator (or, in
    production, Slack's side is not on the box at all). Measured on this machine only for N=2
    on 2 cores (shared with the load generator); the rest is arithmetic, stated as such."""
    by = closed["by_target"]
    ours = by.get(OURS, {}).get("server_cpu_ms_per_turn", {}).get("median")
    two = by.get(WORKERS, {}).get("server_cpu_ms_per_turn", {}).get("median")
    if not ours:
        return {}
    per_turn = two or ours
    return {"cpu_ms_per_turn_one_process": ours, "cpu_ms_per_turn_two_workers": two,
            "computed_turns_per_s": {n: round(n * 1000 / per_turn) for n in (1, 2, 4, 8)},
            "basis": "N × 1000 ÷ server CPU ms per turn (with two workers where measured)"}


def per_target(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for target in sorted({run["target"] for run in runs}):
        mine = [run for run in runs if run["target"] == target]
        out[target] = {
            "turns_per_s": spread([run["turns_per_s"] for run in mine]),
            **{f"ack_{q}_ms": spread([run["ack_ms"][q] for run in mine]) for q in ("p50", "p95", "p99")},
            "peak_rss_mb": spread([run["peak_rss_mb"] for run in mine]),
            "server_cpu_ms_per_turn": spread([run["server_cpu_ms_per_turn"] for run in mine]),
            "driver_cpu_ms_per_turn": spread([run["driver_cpu_ms_per_turn"] for run in mine]),
            "errors": sum(sum(run["errors"].values()) for run in mine),
            "runs": len(mine),
        }
    return out


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError, StopIteration):
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "system": platform.platform(), "load_before": _load()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="closed-loop connections (default 50)")
    parser.add_argument("--seconds", type=float, default=20, help="length of each run (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--rate", default="100,300",
                        help="open-loop turns/s, comma-separated (default 100,300)")
    parser.add_argument("--open-users", type=int, default=60,
                        help="users the open loop hands turns to (default 60)")
    parser.add_argument("--targets", default=",".join((OURS, WORKERS, *BARE)))
    parser.add_argument("--growth", default="1000,1000000", help="cases already stored; empty: skip")
    parser.add_argument("--growth-users", type=int, default=2)
    parser.add_argument("--growth-seconds", type=float, default=10)
    parser.add_argument("--wecom-seconds", type=float, default=10, help="0: skip the WeCom run")
    parser.add_argument("--audit-seconds", type=float, default=10,
                        help="the workers audit's closed loop (0: skip it)")
    parser.add_argument("--audit-notices", type=int, default=20,
                        help="announcements, and as many overdue waits, seeded for the workers audit")
    parser.add_argument("--workbook-builds", type=int, default=200)
    parser.add_argument("--out", help="results file stem (default bench/results/<UTC stamp>)")
    parser.add_argument("--workdir", help="where databases and logs go (default: a temp folder)")
    args = parser.parse_args(argv)
    targets = [t for t in args.targets.split(",") if t]
    unknown = set(targets) - {*AUDITED, *BARE}
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    try:
        rates = [float(r) for r in args.rate.split(",") if r.strip()]
    except ValueError:
        parser.error(f"--rate must be numbers separated by commas, not {args.rate!r}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="esignbot-bench-"))
    report: dict[str, Any] = {"date": stamp, "machine": machine(), "command": "python -m bench.run "
                              + " ".join(argv if argv is not None else __import__("sys").argv[1:]),
                              "settings": vars(args) | {"workdir": str(workdir)}}
    closed: list[list[dict[str, Any]]] = []
    opened: list[dict[str, Any]] = []
    for r in range(args.rounds):
        order = targets if r % 2 == 0 else list(reversed(targets))
        runs = []
        for target in order:
            print(f"round {r + 1}: closed loop, {args.users} users, {target} ...", flush=True)
            runs.append(slack_run(target, "closed", workdir / f"r{r}-closed-{target}",
                                  users=args.users, seconds=args.seconds, rate=0))
        closed.append(runs)
        for rate in rates:
            for target in [t for t in (OURS, "bare-async") if t in targets][:: 1 if r % 2 == 0 else -1]:
                print(f"round {r + 1}: open loop, {rate:g} turns/s, {target} ...", flush=True)
                run = slack_run(target, "open", workdir / f"r{r}-open{rate:g}-{target}",
                                users=args.open_users, seconds=args.seconds, rate=rate)
                opened.append(run | {"rate": rate})
    report["closed"] = {"runs": closed, "by_target": per_target([x for runs in closed for x in runs]),
                        "side_by_side": compare(closed)}
    report["closed"]["workers_projection"] = workers_projection(report["closed"])
    report["open"] = {"runs": opened, "by_rate": {
        f"{rate:g}": per_target([run for run in opened if run["rate"] == rate]) for rate in rates}}
    if args.audit_seconds > 0 and WORKERS in targets:
        print("workers audit: serve --workers 2, announcements and reminders ...", flush=True)
        report["workers_audit"] = workers_audit(workdir / "workers-audit", min(args.users, 20),
                                                args.audit_seconds, args.audit_notices,
                                                args.audit_notices)
    if args.wecom_seconds > 0:
        print("WeCom run ...", flush=True)
        report["wecom"] = wecom_run(workdir / "wecom", args.wecom_seconds)
    sizes = [int(s) for s in args.growth.split(",") if s.strip()]
    if sizes and OURS in targets:
        print(f"growth: {sizes} cases ...", flush=True)
        report["growth"] = growth(workdir, sizes, max(1, min(args.rounds, 2)), args.growth_users,
                                  args.growth_seconds)
    report["workbook_ms"] = workbook_timing(args.workbook_builds)
    report["machine"]["load_after"] = _load()
    report["targets"] = check_targets(report)
    stem = Path(args.out) if args.out else RESULTS / stamp
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))
    print(f"written: {stem.with_suffix('.json')} and .md", flush=True)
    return 0


def check_targets(report: dict[str, Any]) -> dict[str, Any]:
    """Each target of issue 20 with what was measured (medians over rounds) and whether it is met."""
    checks: dict[str, Any] = {}
    side = report["closed"]["side_by_side"]
    if side["cpu_per_turn_ratio"]["median"]:
        ratio = side["cpu_per_turn_ratio"]["median"]
        checks["server CPU per turn ≤ 1.3 × the same-work floor's"] = {
            "measured": ratio, "met": ratio <= TARGETS["cpu_per_turn_ratio"]}
        ratio = side["throughput_ratio"]["median"]
        checks["closed-loop throughput ≥ 0.8 × the same-work floor's"] = {
            "measured": ratio, "met": ratio >= TARGETS["closed_throughput_ratio"]}
    for rate, block in report["open"]["by_rate"].items():
        if OURS in block and "bare-async" in block:
            ours, bare = block[OURS]["ack_p99_ms"]["median"], block["bare-async"]["ack_p99_ms"]["median"]
            checks[f"open-loop p99 ack at {rate} turns/s ≤ bare bolt AsyncApp's"] = {
                "measured": {"esignbot": ours, "bare-async": bare}, "met": ours <= bare}
    if "growth" in report:
        g = report["growth"]
        ratio = g["p50_ratio_last_to_first"]
        checks[f"per-turn p50, {g['sizes'][-1]:,} vs {g['sizes'][0]:,} cases ≤ 1.2×"] = {
            "measured": ratio, "met": ratio <= TARGETS["growth_p50_ratio"]}
    ours = report["closed"]["by_target"].get(OURS)
    if ours:
        checks["peak server RSS < 150 MB"] = _check(ours["peak_rss_mb"]["max"], TARGETS["rss_mb"])
    audits = [run["audit"] for runs in report["closed"]["runs"] for run in runs if "audit" in run]
    audits += [run["audit"] for run in report["open"]["runs"] if "audit" in run]
    audits += [run["audit"] for size in report.get("growth", {}).get("runs", {}).values() for run in size]
    for extra in ("wecom", "workers_audit"):
        if extra in report:
            audits.append(report[extra]["audit"])
    lost = sum(a["lost"] for a in audits)
    dup = sum(a["duplicated"] for a in audits)
    checks["zero lost or duplicated answers (every run)"] = {
        "measured": {"runs": len(audits), "lost": lost, "duplicated": dup},
        "met": lost == 0 and dup == 0 and bool(audits)}
    if "workers_audit" in report:
        n = report["workers_audit"]["notices"]
        wrong = sum(v for k, v in n.items() if not k.endswith("_once"))
        checks["2 workers: each announcement and reminder sent once"] = {
            "measured": n, "met": wrong == 0 and n.get("announced_once", 0) > 0
            and n.get("reminded_once", 0) > 0}
    return checks


def _check(measured: float, limit: float) -> dict[str, Any]:
    return {"measured": measured, "limit": limit, "met": measured < limit}


_HEADER = ("| target | turns/s | ack p50 ms | p95 ms | p99 ms | peak RSS MB | server CPU ms/turn "
           "| load generator CPU ms/turn | Web API calls/turn | errors |")
_RULE = "|---|---|---|---|---|---|---|---|---|---|"


def _rows(by_target: dict[str, Any], runs: list[dict[str, Any]]) -> list[str]:
    lines = []
    for target, s in by_target.items():
        calls = Counter[str]()
        mine = [run for run in runs if run["target"] == target]
        for run in mine:
            calls.update(run.get("web_api_calls_per_turn", {}))
        shown = ", ".join(f"{m.removeprefix('chat.')} {n / max(len(mine), 1):.2f}"
                          for m, n in sorted(calls.items()))
        lines.append(f"| {target} | {_fmt(s['turns_per_s'])} | {_fmt(s['ack_p50_ms'])} | "
                     f"{_fmt(s['ack_p95_ms'])} | {_fmt(s['ack_p99_ms'])} | {_fmt(s['peak_rss_mb'])} | "
                     f"{_fmt(s['server_cpu_ms_per_turn'])} | {_fmt(s['driver_cpu_ms_per_turn'])} | "
                     f"{shown or '—'} | {s['errors']} |")
    return lines


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    closed_runs = [run for runs in report["closed"]["runs"] for run in runs]
    lines = [f"# esignbot load benchmark — {report['date']}", "",
             f"Machine: {m['cpus']} CPUs ({m['cpu']}), Python {m['python']}, {m['system']}; "
             f"load average before {m['load_before']}, after {m.get('load_after')}.", "",
             f"Command: `{report['command']}`", "",
             f"## Closed loop, {report['settings']['users']} connections (medians over rounds, "
             "[min–max])", "", _HEADER, _RULE, *_rows(report["closed"]["by_target"], closed_runs)]
    side = report["closed"]["side_by_side"]
    lines += ["", "Side by side, per round: ours ÷ the same-work floor: server CPU per turn "
              f"{_fmt(side['cpu_per_turn_ratio'])}, throughput {_fmt(side['throughput_ratio'])}; "
              f"`serve --workers 2` ÷ the floor {_fmt(side['workers_throughput_ratio'])}, "
              f"÷ one process {_fmt(side['workers_vs_one'])}; ours ÷ the faster bare bolt app "
              f"({', '.join(side['faster_bare_bolt_per_round'])}) "
              f"{_fmt(side['throughput_ratio_to_bare_bolt'])}."]
    projection = report["closed"].get("workers_projection")
    if projection:
        lines += ["", "Computed, not measured: N workers on N+1 cores at "
                  f"{projection['cpu_ms_per_turn_two_workers'] or projection['cpu_ms_per_turn_one_process']}"
                  " ms of server CPU per turn: "
                  + ", ".join(f"N={n}: {v} turns/s" for n, v in projection["computed_turns_per_s"].items())
                  + "."]
    for rate, block in report["open"]["by_rate"].items():
        runs = [run for run in report["open"]["runs"] if f"{run['rate']:g}" == rate]
        lines += ["", f"## Open loop at {rate} turns/s offered", "", _HEADER, _RULE, *_rows(block, runs)]
    if "workers_audit" in report:
        w = report["workers_audit"]
        lines += ["", "## Workers audit (`serve --workers 2`, clock set to a Monday 10:00 in Shanghai)", "",
                  f"{w['workers_answering']} workers answering; {w['turns_ok']} turns, "
                  f"{w['turns_per_s']} turns/s, errors {w['errors']}; answers {w['audit']}; "
                  f"error replies {w['error_replies']}; notices {w['notices']}."]
    if "wecom" in report:
        w = report["wecom"]
        lines += ["", "## WeCom (encrypted callbacks, members taking turns on one case)", "",
                  f"{w['turns_ok']} turns, {w['turns_per_s']} turns/s, ack {w['ack_ms']}, "
                  f"errors {w['errors']}, audit {w['audit']}, peak RSS {w['peak_rss_mb']} MB."]
    if "growth" in report:
        g = report["growth"]
        lines += ["", "## Growth (per-turn ack p50, light load)", "",
                  "| cases stored | ack p50 ms (median of rounds) | seeding s |", "|---|---|---|"]
        lines += [f"| {size:,} | {g['p50_ms'][size]} | {g['seeding_s'][size]} |" for size in g["sizes"]]
        lines += ["", f"Ratio: {g['p50_ratio_last_to_first']}; audits clean: {g['audit_ok']}."]
    wb = report["workbook_ms"]
    lines += ["", f"## Workbook: {wb['builds']} builds, p50 {wb['p50']} ms, p95 {wb['p95']} ms, "
              f"first {wb['first_ms']} ms", "", "## Targets (issue 20)", "",
              "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {name} | {c['measured']} | {'yes' if c['met'] else '**no**'} |"
              for name, c in report["targets"].items()]
    return "\n".join(lines) + "\n"


def _fmt(s: dict[str, float]) -> str:
    return f"{s['median']:g} [{s['min']:g}–{s['max']:g}]"


if __name__ == "__main__":
    raise SystemExit(main())
