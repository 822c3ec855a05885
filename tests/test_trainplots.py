"""cnnlib.figures.training: what each figure draws (no pixels compared)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from cnnlib.figures import training as tp  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def markers_at_top(ax):
    """x positions of the x-markers drawn at the top edge (axes coordinates y = 1)."""
    return [float(l.get_xdata()[0]) for l in ax.lines if l.get_marker() == "x"]


def test_lr_sweep_plot_shows_diverged_rates_at_the_top_edge():
    fig = tp.lr_sweep_plot([0.01, 0.1, 1.0, 3.0], [2.3, 1.8, 2.3, float("nan")], 2.30,
                           xlabel="lr", ylabel="loss", title="t")
    ax = fig.axes[0]
    curve = ax.lines[0]
    assert list(curve.get_xdata()) == [0.01, 0.1, 1.0]            # the NaN is not on the curve...
    assert markers_at_top(ax) == [3.0]                             # ...but marked where it diverged
    assert ax.get_xlim()[1] > 3.0
    assert any("発散" in t.get_text() for t in ax.get_legend().get_texts())


def test_grad_norm_plot_ends_a_run_at_its_first_non_finite_step():
    fig = tp.grad_norm_plot({"a": [0.1, 0.2, 0.3], "b": [0.1, 50.0, float("inf"), float("nan")]},
                            title="t")
    ax = fig.axes[0]
    lengths = [len(l.get_xdata()) for l in ax.lines if l.get_marker() != "x"]
    assert lengths == [3, 2] and markers_at_top(ax) == [2.0]


def test_bar_labels_stay_inside_the_axes():
    fig = tp.bar([0.9, 1.0], ["a", "b"], "y", "t")
    ax = fig.axes[0]
    top = max(t.get_position()[1] for t in ax.texts)
    assert top == 1.0 and ax.get_ylim()[1] > 1.1                   # room above the tallest label


def test_prediction_grid_draws_each_image_once_with_a_coloured_title():
    X = torch.randint(0, 256, (5, 3, 8, 8), dtype=torch.uint8)
    fig = tp.prediction_grid(X, torch.tensor([0, 1, 0, 1, 0]), torch.tensor([0, 0, 0, 1, 1]),
                             ["猫", "犬"], n=5, ncols=3)
    drawn = [len(ax.images) for ax in fig.axes]
    assert drawn == [1, 1, 1, 1, 1, 0]
    colours = [ax.title.get_color() for ax in fig.axes[:5]]
    assert colours == ["green", "red", "green", "green", "red"]
