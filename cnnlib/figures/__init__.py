"""Matplotlib figures with Japanese labels: the font is set here, once, for every module below.

Topic modules: images (show_images, chapter 1), geometry (1), pooling (2), scratch (3), architectures
and blocks (4), batchnorm (5), experiments (4-6), training and recipes (7), cam (8).
"""
from pathlib import Path

import matplotlib
import matplotlib.font_manager as fm
import matplotlib_fontja

FONT_FAMILY = "IPAexGothic"


def setup_japanese_font():
    """Draw every figure with the IPAexGothic file bundled by matplotlib-fontja; returns the family.

    A machine may have its own file of the same family (Debian's ``fonts-ipaexfont-gothic``, which
    the browser tests install), and matplotlib would use whichever file its font cache lists first.
    The bundled file is pinned by requirements.txt; the system's is not. So every other file that
    calls itself IPAexGothic is dropped from matplotlib's list, and a figure looks the same on
    every machine.

    本書: 章のコードからは直接使いません
    """
    bundled = Path(matplotlib_fontja.get_font_ttf_path()).resolve()
    fm.fontManager.ttflist = [f for f in fm.fontManager.ttflist
                              if f.name != FONT_FAMILY and Path(f.fname).resolve() != bundled]
    fm.fontManager.addfont(bundled)     # one entry per name of the bundled file; clears the lookups
    matplotlib.rcParams["font.family"] = [FONT_FAMILY]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return FONT_FAMILY


setup_japanese_font()
