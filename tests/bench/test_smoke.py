"""The benchmark harness itself, run small so it cannot rot: a few users for a few seconds
against a real ``esignbot serve`` (one process, and ``--workers 2``), the same-work floor, a
bare bolt app and the WeCom endpoint, the workers audit, then the audits.

No latency is asserted (the machine is shared); what must hold is that the harness finishes by
itself, that the load really completed onboardings, that every acknowledged answer is in the
database exactly once, that the floor made the Web API calls ours makes, and that with two
workers each announcement and reminder reached Slack once."""

from __future__ import annotations

import json
from pathlib import Path

from bench import run


def test_a_small_run_completes_and_every_answer_is_stored_once(tmp_path: Path) -> None:
    stem = tmp_path / "results" / "smoke"
    code = run.main(["--users", "3", "--seconds", "2", "--rounds", "1", "--rate", "10,20",
                     "--open-users", "3", "--targets", "esignbot,esignbot-w2,same-work,bare-async",
                     "--growth", "50,200", "--growth-users", "1", "--growth-seconds", "1.5",
                     "--wecom-seconds", "2", "--audit-seconds", "2", "--audit-notices", "2",
                     "--workbook-builds", "3", "--out", str(stem), "--workdir", str(tmp_path / "work")])
    assert code == 0
    report = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
    table = stem.with_suffix(".md").read_text(encoding="utf-8")
    assert "| esignbot |" in table and "| same-work |" in table and "| esignbot-w2 |" in table

    audited = ("esignbot", "esignbot-w2")
    ours = [r for runs in report["closed"]["runs"] for r in runs if r["target"] in audited]
    ours += [r for r in report["open"]["runs"] if r["target"] in audited]
    ours += [r for size in report["growth"]["runs"].values() for r in size]
    ours.append(report["workers_audit"])
    assert {r["target"] for r in ours} == set(audited)
    for result in ours:
        assert result["errors"] == {}, result
        assert "server_tracebacks" not in result, result["server_tracebacks"]
        assert result["error_replies"] == 0
        audit = result["audit"]
        assert audit["answers_acknowledged"] > 0
        assert audit["found_once"] == audit["answers_acknowledged"], audit
        assert audit["lost"] == audit["duplicated"] == audit["cases_started_twice"] == 0
    by = {r["target"]: r for r in report["closed"]["runs"][0]}
    assert by["esignbot"]["onboardings_completed"] >= 1
    for target in ("same-work", "bare-async", "esignbot-w2"):
        assert by[target]["turns_ok"] > 0 and by[target]["errors"] == {}, by[target]
    # The CPU each side spent per turn (the budget behind every ratio) was measured.
    for target in by:
        assert by[target]["server_cpu_ms_per_turn"] > 0 and by[target]["driver_cpu_ms_per_turn"] > 0
    # The floor does the Web API calls a turn of ours does, in the same share of turns.
    for method in ("chat.postMessage", "chat.update"):
        floor = by["same-work"]["web_api_calls_per_turn"][method]
        assert abs(by["esignbot"]["web_api_calls_per_turn"][method] - floor) <= 0.15, by
    side = report["closed"]["side_by_side"]
    assert side["cpu_per_turn_ratio"]["median"] > 0 and side["workers_throughput_ratio"]["median"] > 0
    assert report["closed"]["workers_projection"]["computed_turns_per_s"]
    assert set(report["open"]["by_rate"]) == {"10", "20"}

    workers = report["workers_audit"]
    assert workers["workers_answering"] == 2
    assert workers["notices"] == {"announced_once": 2, "announced_missing": 0, "announced_twice_or_more": 0,
                                  "reminded_once": 2, "reminded_missing": 0, "reminded_twice_or_more": 0}
    wecom = report["wecom"]
    assert wecom["turns_ok"] > 0 and wecom["errors"] == {}
    assert wecom["audit"]["answers_acknowledged"] > 0
    assert wecom["audit"]["lost"] == wecom["audit"]["duplicated"] == 0
    assert report["workbook_ms"]["builds"] == 3
    assert {"zero lost or duplicated answers (every run)",
            "2 workers: each announcement and reminder sent once",
            "server CPU per turn ≤ 1.3 × the same-work floor's",
            "closed-loop throughput ≥ 0.8 × the same-work floor's",
            "open-loop p99 ack at 20 turns/s ≤ bare bolt AsyncApp's"} <= set(report["targets"])
    assert report["targets"]["zero lost or duplicated answers (every run)"]["met"]
    assert report["targets"]["2 workers: each announcement and reminder sent once"]["met"]
