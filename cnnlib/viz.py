"""Matplotlib figures with Japanese labels (font bundled by matplotlib-fontja)."""
import matplotlib
import matplotlib.pyplot as plt
import matplotlib_fontja


def setup_japanese_font():
    """Use the bundled IPAexGothic for every figure; returns the font family name."""
    matplotlib_fontja.japanize()
    matplotlib.rcParams["axes.unicode_minus"] = False
    return matplotlib.rcParams["font.family"][0]


setup_japanese_font()
