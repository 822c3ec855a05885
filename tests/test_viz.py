"""Japanese text in figures renders with the IPAexGothic file bundled by matplotlib-fontja,
whatever fonts the machine has."""
import shutil
import warnings
from pathlib import Path

import matplotlib
import matplotlib.font_manager as fm
import matplotlib.pyplot as plt
import matplotlib_fontja
import numpy as np
import pytest

from cnnlib import figures  # importing cnnlib.figures sets the font
from cnnlib.figures.images import _signed_limit, show_images

JAPANESE = "畳み込みの出力（縦エッジ）・特徴マップ"


def glyph_warnings(fig):
    """Messages of the missing-glyph warnings emitted while drawing ``fig``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    return [str(w.message) for w in caught
            if "missing from font" in str(w.message) or "Glyph" in str(w.message)]


def japanese_figure():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, -1])
    ax.set_title(JAPANESE)
    ax.set_xlabel("位置（ピクセル）")
    ax.set_ylabel("−1 から 1 の値")
    return fig, ax


BUNDLED = Path(matplotlib_fontja.get_font_ttf_path()).resolve()


def resolved_font():
    return Path(fm.findfont(fm.FontProperties(family=matplotlib.rcParams["font.family"]),
                            fallback_to_default=False)).resolve()


def test_font_family_is_the_bundled_ipaexgothic_file():
    assert figures.setup_japanese_font() == "IPAexGothic"
    assert resolved_font() == BUNDLED          # the pinned pip package's file, not a system one


def test_bundled_font_wins_over_a_system_copy_listed_first(tmp_path):
    """A machine with its own IPAexGothic file (Debian's fonts-ipaexfont-gothic) listed before the
    bundled one in matplotlib's font cache: matplotlib alone picks the system file; the setup does not."""
    system_copy = tmp_path / "usr-share-fonts" / "ipaexg.ttf"
    system_copy.parent.mkdir()
    shutil.copyfile(BUNDLED, system_copy)
    saved = list(fm.fontManager.ttflist)
    try:
        fm.fontManager.addfont(system_copy)
        fm.fontManager.ttflist.sort(key=lambda f: Path(f.fname) != system_copy)   # system first
        fm.fontManager.addfont(system_copy)        # (clears matplotlib's lookup cache)
        assert resolved_font() == system_copy.resolve()
        figures.setup_japanese_font()
        assert resolved_font() == BUNDLED
        assert figures.setup_japanese_font() == "IPAexGothic"                 # idempotent
        assert sum(Path(f.fname).resolve() == BUNDLED and f.name == "IPAexGothic"
                   for f in fm.fontManager.ttflist) == 1
    finally:
        fm.fontManager.ttflist = saved
        figures.setup_japanese_font()


def test_japanese_figure_renders_without_missing_glyphs():
    fig, ax = japanese_figure()
    try:
        assert glyph_warnings(fig) == []
        for text in (ax.title, ax.xaxis.label, ax.yaxis.label):
            assert Path(fm.findfont(text.get_fontproperties())).resolve() == BUNDLED
    finally:
        plt.close(fig)


def test_check_would_fail_with_dejavu():
    """The same figure in DejaVu Sans (no Japanese glyphs) is caught by the check above."""
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        fig, ax = japanese_figure()
        try:
            assert Path(fm.findfont(ax.title.get_fontproperties())).name != "ipaexg.ttf"
            assert glyph_warnings(fig), "DejaVu Sans should miss the Japanese glyphs"
        finally:
            plt.close(fig)


def test_show_images_titles_render():
    rng = np.random.default_rng(0)
    fig = show_images([rng.random((4, 4)), rng.normal(size=(4, 4))],
                          ["入力画像", "縦エッジの出力"], suptitle="エッジ検出", signed=False)
    try:
        assert glyph_warnings(fig) == []
        assert [ax.get_title() for ax in fig.axes[:2]] == ["入力画像", "縦エッジの出力"]
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="one title per image"):
        show_images([np.zeros((2, 2))], ["a", "b"])


def test_signed_limit_ignores_a_few_outliers_only_in_large_maps():
    big = np.ones((40, 40))
    big[0, 0] = -100.0
    assert _signed_limit(big) == pytest.approx(1.0)
    small = np.array([[1.0, -5.0], [2.0, 0.0]])
    assert _signed_limit(small) == 5.0
    assert _signed_limit(np.zeros((3, 3))) == 1.0
