"""The small core every widget shares: reading what a reader types, showing numbers and
messages, and the anywidget base class that carries the page-side JavaScript.

Reader input never raises out of a widget: the parsers raise ``InputError``, whose message is a
Japanese explanation that the widget shows. Parsing is bounded (a number has at most
``MAX_TOKEN`` characters, a matrix at most ``MAX_TEXT``), so nothing a reader types can hang.

``js/core.js`` implements the same rules for the static page, character for character;
``tests/test_widgets_js.py`` runs a table of cases generated from this module through it in node.
"""
import html
import math
import re
from pathlib import Path

import anywidget
import ipywidgets as widgets
import numpy as np
import traitlets as t

from ..checks import check_choice, check_int

__all__ = ["InputError", "clean", "read_number", "parse_answer", "parse_matrix", "fmt_number",
           "feedback", "html_matrix", "link_index", "PageWidget", "Explorer", "PHOTO", "CUSTOM", "MAX_TOKEN", "MAX_TEXT", "MAX_ENTRY"]

MAX_TOKEN = 32        # characters of one typed number
MAX_TEXT = 4000       # characters of a typed matrix
MAX_ENTRY = 1e6       # largest |entry| of a typed matrix (products and sums stay finite)

# Japanese IME input -> ASCII: full-width digits and signs, the long-vowel mark typed for a
# minus sign, the ideographic comma and space.
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，、／－−ー＋ｅＥ［］；　",
                           "0123456789.,,/---+eE[]; ")
_SPACE = " \t\n\r\f\v"
_UNSIGNED = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER = re.compile(rf"([+-]?{_UNSIGNED})(?:/({_UNSIGNED}))?")


class InputError(ValueError):
    """Reader input that cannot be used; the message is a Japanese explanation to display.

    ``reason`` names the kind of problem when a caller reacts to it ('not_integer').

    本書: 章のコードからは直接使いません
    """

    def __init__(self, message, reason=""):
        super().__init__(message)
        self.reason = reason


def clean(text):
    """The reader's text with IME full-width characters as ASCII and outer spaces removed.

    本書: 章のコードからは直接使いません
    """
    return str(text).translate(_FULLWIDTH).strip(_SPACE)


def read_number(token):
    """``(value, None)`` for '3', '-0.5', '1e-2' or '1/9'; else ``(None, problem)``.

    ``problem`` is 'long' (more than MAX_TOKEN characters), 'syntax', 'zero' (division by
    zero) or 'large' (not a finite float). ``a/b`` is ``float(a) / float(b)``.

    本書: 章のコードからは直接使いません
    """
    if len(token) > MAX_TOKEN:
        return None, "long"
    m = _NUMBER.fullmatch(token)
    if not m:
        return None, "syntax"
    value = float(m.group(1))
    if m.group(2) is not None:
        denominator = float(m.group(2))
        if denominator == 0:
            return None, "zero"
        value = value / denominator
    return (value, None) if math.isfinite(value) else (None, "large")


_PROBLEMS = {"syntax": "は数として読めません", "zero": "は 0 で割っています",
             "large": "は大きすぎて計算できません"}


def parse_answer(text, name="答え", integer=False):
    """A float (an integral one if ``integer``) from the reader's text, else InputError.

    本書: 章のコードからは直接使いません
    """
    what = "整数" if integer else "数"
    s = clean(text)
    if not s:
        raise InputError(f"{name}が空です。{what}を入力してください（例: 4）。")
    value, problem = read_number(s)
    if problem == "long":
        raise InputError(f"入力が長すぎます（{len(s)}文字）。{name}は{MAX_TOKEN}文字までの{what}で"
                         "入力してください。")
    if problem:
        example = "（例: 4）" if integer else "（例: 4、-0.5、1/9）"
        raise InputError(f"「{html.escape(s)}」{_PROBLEMS[problem]}。{name}は{what}で入力してください"
                         f"{example}。")
    if integer and value != math.floor(value):
        raise InputError(f"「{html.escape(s)}」は整数ではありません。{name}は整数で入力してください。",
                         "not_integer")
    return value


def parse_matrix(text, name="カーネル", max_shape=(7, 7)):
    """Rows of numbers (newline or ';' between rows, spaces or ',' between entries) as float64.

    ``[[1, 2], [3, 4]]`` works too. Entries are bounded by MAX_ENTRY in absolute value.

    本書: 章のコードからは直接使いません
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    s = clean(text)
    if len(s) > MAX_TEXT:
        raise InputError(f"{name}が長すぎます（{len(s)}文字）。{MAX_TEXT}文字までにしてください。")
    s = s.replace("[", " ").replace("]", "\n")
    rows = [r.strip(_SPACE) for r in re.split(r"[\n;]", s)]
    rows = [r for r in rows if r]
    if not rows:
        raise InputError(f"{name}が空です。数を行ごとに改行して入力してください（例: 「1 0 -1」を3行）。")
    matrix = []
    for r, row in enumerate(rows, 1):
        values = []
        for t in (t for t in re.split(r"[ \t\r\f\v,]+", row) if t):
            value, problem = read_number(t)
            where = f"{name}の{r}行目の"
            if problem == "long":
                raise InputError(f"{where}{len(t)}文字の数は長すぎます。数は{MAX_TOKEN}文字までにしてください。")
            if problem:
                raise InputError(f"{where}「{html.escape(t)}」{_PROBLEMS[problem]}。使えるのは整数・小数・"
                                 "分数（例: 2, -0.5, 1/9）で、区切りは空白かカンマです。")
            if abs(value) > MAX_ENTRY:
                raise InputError(f"{where}「{html.escape(t)}」は大きすぎます。"
                                 "このウィジェットでは絶対値 1000000 までにしてください。")
            values.append(value)
        matrix.append(values)
    lengths = [len(row) for row in matrix]
    if len(set(lengths)) > 1:
        detail = "、".join(f"{r}行目 {n}個" for r, n in enumerate(lengths, 1))
        raise InputError(f"{name}の行の長さがそろっていません（{detail}）。"
                         "行列はどの行も同じ個数の数が必要です。")
    if len(matrix) > max_shape[0] or lengths[0] > max_shape[1]:
        raise InputError(f"{name}が大きすぎます（{len(matrix)}×{lengths[0]}）。"
                         f"このウィジェットでは {max_shape[0]}×{max_shape[1]} までにしてください。")
    return np.array(matrix, dtype=np.float64)


def fmt_number(v, digits=2):
    """'3' for (nearly) integral values, else rounded half-to-even to ``digits`` decimals.

    A value that rounds to zero shows no minus sign ('0.00', not '-0.00').

    本書: 章のコードからは直接使いません
    """
    v = float(v)
    if not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("∞" if v > 0 else "−∞")
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    s = f"{v:.{digits}f}"
    return s[1:] if s.startswith("-") and not s.strip("-0.") else s


_COLORS = {"ok": ("#e8f5e9", "#2e7d32", "✔ "), "ng": ("#fff3e0", "#e65100", "✘ "),
           "error": ("#ffebee", "#c62828", "⚠ "), "info": ("#e3f2fd", "#1565c0", "")}


def feedback(kind, message):
    """A coloured message box: kind is 'ok', 'ng' (wrong answer), 'error' (bad input) or 'info'.

    本書: 章のコードからは直接使いません
    """
    if kind not in _COLORS:
        raise ValueError(f"kind must be one of {sorted(_COLORS)}; got {kind!r}")
    bg, fg, mark = _COLORS[kind]
    return (f'<div class="cnnw-feedback cnnw-{kind}" style="background:{bg};color:{fg};'
            f'border-left:4px solid {fg};padding:6px 10px;margin:4px 0;line-height:1.6">'
            f"{mark}{message}</div>")


def html_matrix(a, caption="", classes=None, digits=2):
    """A 2-D array as an HTML table; ``classes`` maps (i, j) to a CSS class (see widgets.css).

    本書: 章のコードからは直接使いません
    """
    a = np.asarray(a)
    classes = classes or {}

    def cell(i, j):
        cls = f' class="{classes[(i, j)]}"' if (i, j) in classes else ""
        return f"<td{cls}>{fmt_number(a[i, j], digits)}</td>"
    rows = "".join("<tr>" + "".join(cell(i, j) for j in range(a.shape[1])) + "</tr>"
                   for i in range(a.shape[0]))
    cap = f'<div class="cnnw-cap">{caption}</div>' if caption else ""
    return f'<div class="cnnw-block">{cap}<table class="cnnw-m">{rows}</table></div>'


def link_index(control, stacks):
    """``control.index`` selects the page of each ``Stack``, in the page (jslink) and in Python.

    本書: 章のコードからは直接使いません
    """
    for stack in stacks:
        widgets.jslink((control, "index"), (stack, "selected_index"))

    def sync(change):
        for stack in stacks:
            stack.selected_index = change["new"]
    control.observe(sync, "index")


# ---------------------------------------------------------------- page-side code
JS_DIR = Path(__file__).with_name("js")
CSS = (JS_DIR / "widgets.css").read_text(encoding="utf-8")
# The style sheet as a <style> element, for the widgets built from ipywidgets (BN, Grad-CAM).
CSS_TAG = f"<style>{CSS}</style>"


def esm(*names):
    """The ES module of a widget: js/core.js followed by the named files of js/.

    本書: 章のコードからは直接使いません
    """
    return "\n".join((JS_DIR / n).read_text(encoding="utf-8") for n in ("core.js", *names))


class PageWidget(anywidget.AnyWidget):
    """A widget whose logic runs in the page (static HTML or JupyterLab) and in Python.

    Subclasses set ``_esm = esm(...)`` and synced traits; the JavaScript computes what the
    reader sees, and Python observers compute the same state in the kernel (the reference).

    本書: 章のコードからは直接使いません
    """

    _css = CSS


PHOTO = "写真（グレースケール）"
CUSTOM = "カスタム（下の欄を編集）"


class Explorer(PageWidget):
    """An explorer over preset inputs and a photo, with an output position to step through.

    Subclasses name the traits that change the view (``_settings``), the (presets, name, text)
    traits of their editable preset (``_preset``) and compute the view in ``_compute``, which
    sets ``kind``, ``message`` and ``result`` (None on an error); Python recomputes it on every
    change, as the page does.

    本書: 章のコードからは直接使いません
    """

    inputs = t.Dict().tag(sync=True)
    photo = t.List().tag(sync=True)               # 0..255 pixel rows of the photo input
    photo_name = t.Unicode(PHOTO).tag(sync=True)
    custom_name = t.Unicode(CUSTOM).tag(sync=True)
    limits = t.Dict().tag(sync=True)              # slider trait -> (min, max)
    input_name = t.Unicode().tag(sync=True)
    position = t.Int(0).tag(sync=True)
    _settings = ()
    _preset = ("", "", "")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        presets, name, text = self._preset

        def on_name(change):                      # a preset fills the text
            if change["new"] in getattr(self, presets):
                setattr(self, text, getattr(self, presets)[change["new"]])

        def on_text(change):                      # an edited preset becomes the custom entry
            table, current = getattr(self, presets), getattr(self, name)
            if current in table and table[current] != change["new"]:
                setattr(self, name, self.custom_name)
        self.observe(on_name, name)
        self.observe(on_text, text)
        self.observe(lambda _: self._update(), self._settings)
        self._update()

    @property
    def is_photo(self):
        return self.input_name == self.photo_name

    def photo_matrix(self):
        """The photo input as float64 in [0, 1] (exactly what the page computes with)."""
        return np.array(self.photo, dtype=np.float64) / 255.0

    def _update(self):
        self._compute()
        n = 1 if self.result is None else self.result.size
        self.position = min(self.position, n - 1)

    def _compute(self):
        raise NotImplementedError


def explorer_settings(input, inputs, limits, photo_height, **values):
    """An explorer's checked settings: ``input`` one of ``inputs`` or the photo, each of ``values``
    within its ``limits`` (name -> (min, max)), and the sample photo ``photo_height`` pixels high
    (8 to 48) as rows of 0..255 ints.

    本書: 章のコードからは直接使いません
    """
    check_choice(input, "input", [*inputs, PHOTO])
    values = {name: check_int(v, name, *limits[name]) for name, v in values.items()}
    return values, photo_pixels(check_int(photo_height, "photo_height", 8, 48))


def photo_pixels(height):
    """The sample photo as rows of 0..255 ints (exactly load_sample_image's pixels times 255).

    本書: 章のコードからは直接使いません
    """
    from ..data.images import load_sample_image
    return np.rint(load_sample_image(size=height) * 255).astype(int).tolist()
