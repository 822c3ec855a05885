"""Figures of chapter 4 (architectures): timeline and parameters against FLOPs."""
import matplotlib.pyplot as plt

__all__ = ["timeline_figure", "params_flops_figure"]


_TIMELINE_OFFSET = {"LeNet-5": (0, 14), "AlexNet": (-30, 12), "VGG-16": (0, 12),
                    "GoogLeNet": (-30, -30), "ResNet-18": (30, -32), "ResNet-50": (-30, 14),
                    "DenseNet-121": (12, 16), "MobileNetV2": (0, -32),
                    "EfficientNet-B0": (42, -22), "ViT-B/16": (-10, 14)}


def timeline_figure(stats):
    """Year against parameter count (log scale), each point labelled with its key idea.

    本書: 第4章
    """
    _check_stats(stats, ("year", "params", "idea"))
    fig, ax = plt.subplots(figsize=(9.5, 4.8))
    ax.plot([v["year"] for v in stats.values()], [v["params"] for v in stats.values()],
            color="#bbb", zorder=1)
    for name, v in stats.items():
        ax.scatter(v["year"], v["params"], s=40, color="#1565c0", zorder=2)
        ax.annotate(f"{name}\n{v['idea']}", (v["year"], v["params"]),
                    xytext=_TIMELINE_OFFSET.get(name, (0, 14)), textcoords="offset points",
                    ha="center", va="center", fontsize=8,
                    arrowprops=dict(arrowstyle="-", color="#999", lw=0.8))
    ax.set(yscale="log", ylim=(2e4, 1e9), xlim=(1995, 2022), xlabel="発表年",
           ylabel="パラメータ数（対数目盛）", title="CNN アーキテクチャの年表とパラメータ数")
    ax.grid(alpha=0.3)
    return fig


_SCATTER_OFFSET = {"GoogLeNet": (6, -12, "left"), "EfficientNet-B0": (-7, 5, "right"),
                   "MobileNetV2": (7, -8, "left")}


def params_flops_figure(stats, highlight="LeNet-5"):
    """FLOPs against parameters, both on log scales.

    本書: 第4章
    """
    _check_stats(stats, ("params", "flops"))
    fig, ax = plt.subplots(figsize=(8, 5))
    for name, v in stats.items():
        ax.scatter(v["flops"], v["params"], s=45,
                   color="#c62828" if name == highlight else "#1565c0")
        dx, dy, ha = _SCATTER_OFFSET.get(name, (7, 4, "left"))
        ax.annotate(name, (v["flops"], v["params"]), textcoords="offset points",
                    xytext=(dx, dy), ha=ha, fontsize=9)
    ax.set(xscale="log", yscale="log", ylabel="パラメータ数（対数目盛）",
           xlabel="1 枚あたりの FLOPs（対数目盛、LeNet-5 は 32×32、他は 224×224）",
           title="アーキテクチャごとのパラメータ数と計算量")
    ax.grid(alpha=0.3, which="both")
    return fig


def _check_stats(stats, keys):
    """Raise unless ``stats`` is architecture_stats' non-empty dict with ``keys`` in every row."""
    if not isinstance(stats, dict) or not stats:
        raise TypeError(f"stats must be the non-empty dict that architecture_stats returns; got "
                        f"{stats!r:.60}")
    for name, v in stats.items():
        if not (isinstance(v, dict) and set(keys) <= set(v)):
            raise ValueError(f"stats[{name!r}] must hold {list(keys)}, as architecture_stats "
                             f"returns")
