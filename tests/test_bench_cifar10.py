"""``python -m cnnlib.tools.bench cifar10`` on a tiny synthetic split (no timing is asserted)."""
import argparse
import json

import pytest
import torch

from cnnlib.tools import bench
from cnnlib.data import cifar10 as C


@pytest.fixture
def tiny_cifar(monkeypatch):
    """load_cifar10 replaced by 40 random 32x32 training and 20 test images of 10 classes."""
    g = torch.Generator().manual_seed(0)

    def load(split="train", **kw):
        n = 40 if split == "train" else 20
        X = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g)
        return C.ImageSplit(X, torch.arange(n) % 10, C.CLASSES, "synthetic")
    monkeypatch.setattr(C, "load_cifar10", load)


def args(**kw):
    return argparse.Namespace(**{"book_epochs": None, "widths": "", **kw})


def test_parse_recipe_presets_and_overrides():
    kind, amp, hyp = bench.parse_recipe("book-fp32@8ep", args(book_epochs=2, widths="8,8,16"))
    assert (kind, amp, hyp["epochs"], hyp["widths"]) == ("book", None, 2, (8, 8, 16))
    assert bench.parse_recipe("book-bf16@3ep", args())[:2] == ("book", "bf16")
    assert bench.parse_recipe("lesson", args()) == ("lesson", None, None)
    for bad in ("book-bf16", "book-bf16@1min", "lesson@8ep", "book"):
        with pytest.raises(ValueError, match="allowed: lesson, or book-bf16/book-fp32"):
            bench.parse_recipe(bad, args())


def test_speedup_is_a_ratio_or_a_lower_bound():
    book = dict(recipe="book-bf16@3ep", t80=50.0)
    assert bench.speedups([book, dict(recipe="lesson", t80=600.0)]) == [
        "book-bf16@3ep: 12.0x less time to 80% than the lesson"]
    assert bench.speedups([book, dict(recipe="lesson", t80=None, total_time=900.0)]) == [
        "book-bf16@3ep: the lesson did not reach 80% in 900 s; speed-up ≥ 18.0x"]
    assert bench.speedup(book, dict(t80=None, total_time=899.0)) == (17.9, True)   # rounded down


def test_bench_cifar10_runs_and_saves_both_kinds_of_run(tiny_cifar, tmp_path, capsys):
    out = tmp_path / "bench.json"
    common = ["cifar10", "--widths", "8,8,8", "--book-epochs", "1", "--lesson-epochs", "1",
              "--threads", "1", "--out", str(out)]
    bench.main(common + ["--recipes", "book-fp32@3ep,lesson"])
    bench.main(common + ["--recipes", "book-fp32@3ep", "--throughput", "1",
                         "--throughput-images", "20"])
    saved = json.loads(out.read_text())
    runs = saved["training"]["results"]
    assert [r["recipe"] for r in runs] == ["book-fp32@3ep", "lesson"]
    assert runs[0]["hyp"]["widths"] == [8, 8, 8] and runs[0]["epochs"] == 1
    assert 0 <= runs[0]["final_tta_acc"] <= 1 and runs[1]["final_tta_acc"] is None
    assert saved["throughput"]["median"]["book-fp32@3ep"] > 0
    timed = [line for line in capsys.readouterr().out.splitlines() if " s " in line or "ms" in line]
    assert timed and all(bench.MARK in line or line.startswith("|") for line in timed), timed


def test_bench_archs_interleaves_epochs_and_saves_validation_curves(tiny_cifar, tmp_path):
    out = tmp_path / "bench.json"
    bench.main(["archs", "--archs", "lenet5,vgg", "--train", "20", "--val", "10", "--epochs", "2",
                "--batch-size", "10", "--threads", "1", "--out", str(out)])
    saved = json.loads(out.read_text())["archs"]
    assert (saved["train"], saved["val"], saved["epochs"]) == (20, 10, 2)
    assert [r["arch"] for r in saved["results"]] == ["lenet5", "vgg"]
    for r in saved["results"]:
        assert len(r["val_acc"]) == len(r["sec"]) == 2 and 0 <= r["test_acc"] <= 1
        assert r["params"] > 0 and r["mflops"] > 0
    with pytest.raises(ValueError, match="unknown --archs"):
        bench.main(["archs", "--archs", "alexnet"])


def test_buildup_plan_reverses_every_other_seed():
    assert bench.buildup_plan(["a", "b", "c"], [1, 2]) == [
        (1, "a"), (1, "b"), (1, "c"), (2, "c"), (2, "b"), (2, "a")]


def test_bench_buildup_runs_every_step_and_seed_and_saves_them(tiny_cifar, tmp_path, capsys):
    out = tmp_path / "buildup.json"
    bench.main(["buildup", "--steps", "lookahead,base", "--seeds", "3,4", "--epochs", "1",
                "--widths", "4,8,8", "--amp", "fp32", "--threads", "1", "--out", str(out)])
    saved = json.loads(out.read_text())["buildup"]
    assert [s["name"] for s in saved["steps"]] == ["base", "lookahead"]      # build-up order
    assert [(r["seed"], r["step"]) for r in saved["runs"]] == [
        (3, "base"), (3, "lookahead"), (4, "lookahead"), (4, "base")]
    for r in saved["runs"]:
        assert 0 <= r["test_acc"] <= 1 and 0 <= r["tta_acc"] <= 1 and len(r["train_loss"]) == 1
        assert r["wall"] > 0 and r["cpu"] > 0 and len(r["loadavg_before"].split()) == 3
    base, look = (s["hyp"] for s in saved["steps"])                  # cumulative: all up to lookahead
    assert look["lookahead"] and look["whiten"] and not (base["lookahead"] or base["whiten"])
    assert saved["steps"][0]["hyp"]["widths"] == [4, 8, 8] and saved["steps"][0]["hyp"]["epochs"] == 1
    timed = [line for line in capsys.readouterr().out.splitlines() if " s " in line]
    assert timed and all(bench.MARK in line or line.startswith("|") for line in timed), timed
    for bad, msg in ((["--steps", "whiten,tta"], "--steps must name"),
                     (["--seeds", "1,1"], "--seeds must be distinct"),
                     (["--preset", "1min"], "unknown --preset")):
        with pytest.raises(ValueError, match=msg):
            bench.main(["buildup"] + bad)
