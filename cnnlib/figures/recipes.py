"""Figures of chapter 7's recipe build-up (``python -m cnnlib.tools.bench buildup``)."""
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["buildup_figure"]

_RUN_KEYS = ("step", "seed", "test_acc", "tta_acc", "train_time", "cpu")


def _check_buildup(buildup, labels):
    """Raise unless ``buildup`` is the saved "buildup" dict and ``labels`` names its steps."""
    if not (isinstance(buildup, dict) and isinstance(buildup.get("steps"), list)
            and isinstance(buildup.get("runs"), list) and buildup["runs"]):
        raise TypeError(f"buildup must be the 'buildup' dict that python -m cnnlib.tools.bench "
                        f"buildup saves (with 'steps' and a non-empty 'runs'); got {buildup!r:.80}")
    bad = [r for r in buildup["runs"] if not (isinstance(r, dict) and set(_RUN_KEYS) <= set(r))]
    if bad:
        raise ValueError(f"every run must have {list(_RUN_KEYS)}; got {bad[0]!r:.80}")
    names = [s["name"] for s in buildup["steps"]]
    if not isinstance(labels, dict) or set(names) - set(labels) or "tta" not in labels:
        raise ValueError(f"labels must be a dict with a label for every step {names} and for "
                         f"'tta'; got {labels!r:.80}")
    return names


def buildup_figure(buildup, labels, title=""):
    """Test accuracy (each seed, and their mean) and training time of each cumulative step; the
    last step's flip-translate TTA accuracy as one more point on the left.

    本書: 第7章
    """
    names = _check_buildup(buildup, labels)
    runs = buildup["runs"]
    by = {n: [r for r in runs if r["step"] == n] for n in names}
    names = [n for n in names if by[n]]                                  # steps that finished
    if not names:
        raise ValueError("buildup has no run of any of its steps")
    seeds = sorted({r["seed"] for r in runs})
    colors = plt.cm.tab10(np.arange(len(seeds)) % 10)
    fig, (ax, at) = plt.subplots(1, 2, figsize=(12.5, 5.0))
    x = np.arange(len(names))
    xt = len(names)                                                      # + TTA on the last step

    def per_seed(key, s, steps):
        return [next((r[key] for r in by[n] if r["seed"] == s), np.nan) for n in steps]
    for c, s in zip(colors, seeds):
        acc = [100 * v for v in per_seed("test_acc", s, names)]
        tta = 100 * per_seed("tta_acc", s, names[-1:])[0]
        ax.plot(np.r_[x, xt], acc + [tta], "o", color=c, alpha=0.8)
        at.plot(x, per_seed("train_time", s, names), "o", color=c, alpha=0.8)
        at.plot(x, per_seed("cpu", s, names), "^", color=c, alpha=0.6)
    mean_acc = [100 * np.mean([r["test_acc"] for r in by[n]]) for n in names]
    mean_tta = 100 * np.mean([r["tta_acc"] for r in by[names[-1]]])
    ax.plot(x, mean_acc, "-", color="0.3")
    ax.plot([x[-1], xt], [mean_acc[-1], mean_tta], "--", color="0.3")
    for key, style in (("train_time", "-"), ("cpu", ":")):
        at.plot(x, [np.mean([r[key] for r in by[n]]) for n in names], style, color="0.3")
    ticks = [labels[n] for n in names]
    ax.set_xticks(np.r_[x, xt], ticks + [labels["tta"]], rotation=35, ha="right")
    at.set_xticks(x, ticks, rotation=35, ha="right")
    ax.set(ylabel="テスト正解率（%）", title="テスト正解率（左から1つずつ足していく）")
    at.set(ylabel="秒", ylim=(0, None), title="学習時間（○）とプロセスの CPU 時間（△、評価を含む）")
    for a in (ax, at):
        a.grid(axis="y", alpha=0.3)
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=f"シード {s}")
               for c, s in zip(colors, seeds)]
    handles += [plt.Line2D([], [], color="0.3", label="シードの平均（CPU 時間は点線）"),
                plt.Line2D([], [], color="0.3", ls="--", label="TTA（テスト時だけ、学習は同じ）")]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=9,
               frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig
