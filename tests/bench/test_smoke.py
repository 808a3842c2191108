"""The benchmark harness itself, run small so it cannot rot: a few users for a few seconds
against a real ``esignbot serve``, a bare bolt app and the WeCom endpoint, then the audit.

No latency is asserted (the machine is shared); what must hold is that the harness finishes by
itself, that the load really completed onboardings, and that every acknowledged answer is in
the database exactly once."""

from __future__ import annotations

import json
from pathlib import Path

from bench import run


def test_a_small_run_completes_and_every_answer_is_stored_once(tmp_path: Path) -> None:
    stem = tmp_path / "results" / "smoke"
    code = run.main(["--users", "3", "--seconds", "2", "--rounds", "1", "--rate", "20", "--open-users", "3",
                     "--targets", "esignbot,bare-async", "--growth", "50,200",
                     "--growth-users", "1", "--growth-seconds", "1.5", "--wecom-seconds", "2",
                     "--workbook-builds", "3", "--out", str(stem), "--workdir", str(tmp_path / "work")])
    assert code == 0
    report = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
    assert "| esignbot |" in stem.with_suffix(".md").read_text(encoding="utf-8")

    ours = [r for runs in report["closed"]["runs"] for r in runs if r["target"] == "esignbot"]
    ours += [r for r in report["open"]["runs"] if r["target"] == "esignbot"]
    ours += [r for size in report["growth"]["runs"].values() for r in size]
    for result in ours:
        assert result["errors"] == {}, result
        assert "server_tracebacks" not in result, result["server_tracebacks"]
        assert result["error_replies"] == 0
        audit = result["audit"]
        assert audit["answers_acknowledged"] > 0
        assert audit["found_once"] == audit["answers_acknowledged"], audit
        assert audit["lost"] == audit["duplicated"] == audit["cases_started_twice"] == 0
    closed = next(r for r in report["closed"]["runs"][0] if r["target"] == "esignbot")
    assert closed["onboardings_completed"] >= 1
    bare = next(r for r in report["closed"]["runs"][0] if r["target"] == "bare-async")
    assert bare["turns_ok"] > 0 and bare["errors"] == {}
    # The CPU each side spent per turn (the budget behind the throughput ratio) was measured.
    assert closed["server_cpu_ms_per_turn"] > 0 and bare["server_cpu_ms_per_turn"] > 0
    assert closed["driver_cpu_ms_per_turn"] > 0
    assert report["closed"]["ours_vs_bare"]["faster_bare_bolt_per_round"] == ["bare-async"]

    wecom = report["wecom"]
    assert wecom["turns_ok"] > 0 and wecom["errors"] == {}
    assert wecom["audit"]["answers_acknowledged"] > 0
    assert wecom["audit"]["lost"] == wecom["audit"]["duplicated"] == 0
    assert report["workbook_ms"]["builds"] == 3
    assert set(report["targets"]) >= {"zero lost or duplicated answers", "workbook < 50 ms"}
