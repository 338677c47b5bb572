"""Smoke run of the COCO/BBOB script (examples/coco_bbob.py): 2 functions, 2-D, one instance,
a small budget; skipped where COCO's `cocoex` is not installed."""

import csv
import json
import pathlib
import runpy

import pytest

cocoex = pytest.importorskip("cocoex")

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "examples" / "coco_bbob.py"


def test_coco_bbob_two_functions(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    script = runpy.run_path(str(SCRIPT))
    out = tmp_path / "run"
    rc = script["main"](
        ["--methods", "pop,cmaes", "--dims", "2", "--functions", "1,8", "--instances", "1",
         "--budget-multiplier", "20", "--out", str(out), "--no-post"]
    )
    assert rc == 0
    rows = list(csv.DictReader(open(out / "runs.csv")))
    assert len(rows) == 4
    for r in rows:
        # 40 evaluations; pop uses forward differences: 40 // 3 = 13 points, 39 evaluations.
        assert int(r["evaluations"]) == (39 if r["method"] == "pop" else 40)
        assert float(r["precision"]) >= 0.0
    # COCO's own output folders exist for each method.
    for m in ["pop", "cmaes"]:
        assert list((out / "exdata" / m).glob("bbobexp_f*.info"))
    table = json.load(open(out / "summary.json"))["table"]
    assert set(table) == {"pop", "cmaes"}
    # On the sphere (f1) both methods reach at least the easiest targets.
    f1 = [r for r in rows if r["function"] == "1"]
    assert all(float(r["precision"]) < 100.0 for r in f1)


def test_coco_bbob_refuses_unknown_methods(tmp_path):
    script = runpy.run_path(str(SCRIPT))
    with pytest.raises(SystemExit):
        script["main"](["--methods", "pop,no-such", "--out", str(tmp_path / "x"), "--no-post"])
