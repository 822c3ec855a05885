"""The chapter-5 BN explorer: precomputed pages, slider -> page switching, statistics, bad args."""
import numpy as np
import pytest

from cnnlib.widgets import bn_explorer


@pytest.fixture(scope="module")
def explorer():
    x = np.random.default_rng(0).random((40, 1, 8, 8))
    return bn_explorer(x, batch_sizes=(2, 16), scales=(1, 50), trials=5, seed=0)


def test_sliders_switch_pages(explorer):
    assert "バッチサイズ 2、入力スケール 1:" in explorer.displayed_html
    explorer.batch_slider.value = "16"
    explorer.scale_slider.value = "50"
    assert "バッチサイズ 16、入力スケール 50:" in explorer.displayed_html
    assert explorer.pages.selected_index == 1
    assert all(row.selected_index == 1 for row in explorer.pages.children)
    explorer.batch_slider.value = "2"
    assert "バッチサイズ 2、入力スケール 50:" in explorer.displayed_html


def test_pages_embed_images_and_numbers(explorer):
    pages = [p.value for row in explorer.pages.children for p in row.children]
    assert len(pages) == 4 and all(p.count("data:image/png;base64,") == 1 for p in pages)
    assert all("-0.000" not in p for p in pages)


def test_statistics(explorer):
    for (B, s), st in explorer.stats.items():
        assert abs(st["train"][0]) < 1e-12 and abs(st["train"][1] - 1) < 1e-3   # normalised
        assert st["spread"] >= 0
    # eval mode uses scale-1 statistics: at scale 50 its output is not normalised
    assert explorer.stats[16, 50]["eval"][1] > 10 * explorer.stats[16, 1]["eval"][1]
    # the same images at every scale: before BN the spread scales, after BN (training mode) not
    for B in (2, 16):
        a, b = explorer.stats[B, 1], explorer.stats[B, 50]
        assert b["pre"][1] == pytest.approx(50 * a["pre"][1], rel=1e-12)
        assert b["train"][1] == pytest.approx(a["train"][1], rel=1e-3)
        assert b["spread"] == pytest.approx(a["spread"], rel=1e-3)


def test_bad_arguments():
    x = np.zeros((4, 1, 5, 5))
    with pytest.raises(ValueError, match="batch_sizes"):
        bn_explorer(x, batch_sizes=(1, 2))
    with pytest.raises(ValueError, match="batch_sizes"):
        bn_explorer(x, batch_sizes=(8,))
    with pytest.raises(ValueError, match="scales"):
        bn_explorer(x, batch_sizes=(2,), scales=(0,))
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        bn_explorer(np.zeros((4, 3, 5, 5)), batch_sizes=(2,))
    with pytest.raises(ValueError, match="trials"):
        bn_explorer(x, batch_sizes=(2,), trials=1)
