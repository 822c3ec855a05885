"""ipywidgets explorers and exercise checkers used by the chapters.

Layout of this module (append a new chapter's widgets under its own banner at the end):

1. Shared helpers: ``InputError`` and the parsers ``parse_matrix`` / ``parse_int`` (reader
   input -> value, or an explanation in Japanese), ``feedback`` (a coloured HTML message),
   ``html_matrix`` (an array as an HTML table), ``figure_png`` (a matplotlib figure as PNG
   bytes for an ``Image`` widget) and ``AnswerBox`` / ``answer_checker`` (question, text
   field, check button, feedback).
2. Chapter 1 (convolution): ``conv_explorer`` and ``output_size_exercise``.

Conventions: every widget is a function returning an ipywidgets object whose parts are
attributes (so tests can drive them like a reader); displayed text is Japanese; reader
input never raises, it produces an explanation in the feedback area. Displayed results
are plain HTML/Image widgets, so their saved state renders in the static book, and where
an interaction can live in the browser alone it uses ``jslink`` (no kernel needed).
"""
import html
import io
import math
import re
from fractions import Fraction

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from . import functional as F
from . import viz  # noqa: F401  (sets the Japanese font for the figures below)
from .convmath import KERNELS

__all__ = ["InputError", "parse_matrix", "parse_int", "feedback", "html_matrix", "figure_png",
           "AnswerBox", "answer_checker", "conv_explorer", "output_size_exercise",
           "output_size_feedback"]


# =============================================================== 1. shared helpers
class InputError(ValueError):
    """Reader input that cannot be used; the message is a Japanese explanation to display."""


def _number(token):
    """A float from '3', '-0.5', '1e-2' or '1/9'; None if the token is not a finite number."""
    try:
        value = float(Fraction(token))
    except (ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) else None


_FULLWIDTH = str.maketrans("０１２３４５６７８９．，／－−　", "0123456789.,/-- ")


def _normalize(text):
    """Full-width digits, minus signs and spaces (Japanese IME input) as ASCII."""
    return str(text).translate(_FULLWIDTH)


def parse_matrix(text, name="カーネル", max_shape=(7, 7)):
    """Parse rows of numbers (newline or ';' between rows, spaces or ',' between entries)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    text = _normalize(text).replace("[", " ").replace("]", "\n")   # [[1, 2], [3, 4]] works too
    rows = [r for r in re.split(r"[\n;]", text) if r.strip()]
    if not rows:
        raise InputError(f"{name}が空です。数を行ごとに改行して入力してください（例: 「1 0 -1」を3行）。")
    matrix = []
    for r, row in enumerate(rows, 1):
        tokens = [t for t in re.split(r"[\s,]+", row.strip()) if t]
        for t in tokens:
            if _number(t) is None:
                raise InputError(
                    f"{name}の{r}行目の「{html.escape(t)}」は数として読めません。"
                    "使えるのは整数・小数・分数（例: 2, -0.5, 1/9）で、区切りは空白かカンマです。")
        matrix.append([_number(t) for t in tokens])
    lengths = [len(row) for row in matrix]
    if len(set(lengths)) > 1:
        detail = "、".join(f"{r}行目 {n}個" for r, n in enumerate(lengths, 1))
        raise InputError(f"{name}の行の長さがそろっていません（{detail}）。"
                         "行列はどの行も同じ個数の数が必要です。")
    if len(matrix) > max_shape[0] or lengths[0] > max_shape[1]:
        raise InputError(f"{name}が大きすぎます（{len(matrix)}×{lengths[0]}）。"
                         f"このウィジェットでは {max_shape[0]}×{max_shape[1]} までにしてください。")
    return np.array(matrix, dtype=np.float64)


def parse_int(text, name="答え"):
    """An int from the reader's text; InputError explains empty, non-numeric or fractional text."""
    s = _normalize(text).strip()
    if not s:
        raise InputError(f"{name}が空です。整数を入力してください（例: 4）。")
    if re.fullmatch(r"[+-]?\d+", s):
        return int(s)
    value = _number(s)
    if value is None:
        raise InputError(f"「{html.escape(s)}」は数として読めません。{name}は整数で入力してください（例: 4）。")
    raise InputError(f"「{html.escape(s)}」は整数ではありません。{name}は整数で入力してください。")


_COLORS = {"ok": ("#e8f5e9", "#2e7d32", "✔ "), "ng": ("#fff3e0", "#e65100", "✘ "),
           "error": ("#ffebee", "#c62828", "⚠ "), "info": ("#e3f2fd", "#1565c0", "")}


def feedback(kind, message):
    """A coloured message box: kind is 'ok', 'ng' (wrong answer), 'error' (bad input) or 'info'."""
    if kind not in _COLORS:
        raise ValueError(f"kind must be one of {sorted(_COLORS)}; got {kind!r}")
    bg, fg, mark = _COLORS[kind]
    return (f'<div class="cnnw-feedback cnnw-{kind}" style="background:{bg};color:{fg};'
            f'border-left:4px solid {fg};padding:6px 10px;margin:4px 0;line-height:1.6">'
            f"{mark}{message}</div>")


def fmt_number(v, digits=2):
    """'3' for integral values, else rounded to ``digits`` decimals ('-0.33')."""
    v = float(v)
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    return f"{v:.{digits}f}"


def html_matrix(a, caption="", classes=None, digits=2):
    """A 2-D array as an HTML table; ``classes`` maps (i, j) to a CSS class (see _CSS)."""
    a = np.asarray(a)
    classes = classes or {}

    def cell(i, j):
        cls = f' class="{classes[(i, j)]}"' if (i, j) in classes else ""
        return f"<td{cls}>{fmt_number(a[i, j], digits)}</td>"
    rows = "".join("<tr>" + "".join(cell(i, j) for j in range(a.shape[1])) + "</tr>"
                   for i in range(a.shape[0]))
    cap = f'<div class="cnnw-cap">{caption}</div>' if caption else ""
    return f'<div class="cnnw-block">{cap}<table class="cnnw-m">{rows}</table></div>'


def figure_png(fig, dpi=80):
    """PNG bytes of a matplotlib Figure (made with matplotlib.figure.Figure, not pyplot)."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


_CSS = """<style>
.cnnw-row{display:flex;flex-wrap:wrap;align-items:flex-start;gap:6px}
.cnnw-block{display:inline-block;margin:2px 8px 2px 0}
.cnnw-cap{font-size:12px;color:#333;margin-bottom:2px}
table.cnnw-m{border-collapse:collapse}
table.cnnw-m td{border:1px solid #bbb;min-width:2.2em;height:1.5em;padding:0 3px;
 text-align:center;font-family:monospace;font-size:12px;background:#fff;color:#000}
table.cnnw-m td.pad{background:#eeeeee;color:#888}
table.cnnw-m td.win{background:#ffd54f;font-weight:bold}
table.cnnw-m td.span{background:#fff8e1}
table.cnnw-m td.cur{background:#4fc3f7;font-weight:bold}
.cnnw-sum{font-size:13px;margin:4px 0}
</style>"""


class AnswerBox(widgets.VBox):
    """Question, answer field, check button and feedback; ``check(text) -> (kind, html)``."""

    def __init__(self, question_html, check, placeholder="答えを入力", extra_buttons=()):
        self.question = widgets.HTML(question_html)
        self.answer = widgets.Text(placeholder=placeholder, layout=widgets.Layout(width="12em"))
        self.check_button = widgets.Button(description="確認", button_style="primary")
        self.feedback = widgets.HTML("")
        self._check = check
        self.check_button.on_click(lambda _: self.run_check())
        row = widgets.HBox([self.answer, self.check_button, *extra_buttons])
        super().__init__([self.question, row, self.feedback])

    def run_check(self):
        """Check the current answer and show the feedback (what the button does)."""
        kind, message = self._check(self.answer.value)
        self.feedback.value = feedback(kind, message)


def answer_checker(question_html, expected, explanation="", name="答え", tol=0.0):
    """A checker for one numeric answer; wrong or nonsense input gets an explanation."""
    def check(text):
        try:
            value = _parse_float(text, name)
        except InputError as e:
            return "error", str(e)
        if abs(value - expected) <= tol:
            return "ok", f"正解です（{fmt_number(expected, 4)}）。{explanation}"
        return "ng", f"{html.escape(text.strip())} ではありません。{explanation}"
    return AnswerBox(question_html, check)


def _parse_float(text, name):
    s = _normalize(text).strip()
    if not s:
        raise InputError(f"{name}が空です。数を入力してください。")
    value = _number(s)
    if value is None:
        raise InputError(f"「{html.escape(s)}」は数として読めません。{name}は数で入力してください。")
    return value


# =============================================================== 2. chapter 1: convolution
_PHOTO = "写真（グレースケール）"
INPUTS = {
    "縦の境界 (6×6)": [[0, 0, 0, 1, 1, 1]] * 6,
    "横の境界 (6×6)": [[0] * 6] * 3 + [[1] * 6] * 3,
    "L字・正方形・横棒 (8×8)": [[0, 0, 0, 0, 0, 0, 0, 0],
                            [0, 1, 0, 0, 0, 0, 0, 0],
                            [0, 1, 0, 0, 0, 1, 1, 1],
                            [0, 1, 1, 1, 0, 1, 1, 1],
                            [0, 0, 0, 0, 0, 1, 1, 1],
                            [0, 0, 0, 0, 0, 0, 0, 0],
                            [0, 0, 1, 1, 1, 0, 0, 0],
                            [0, 0, 0, 0, 0, 0, 0, 0]],
    "レッスンの5×5": [[1, 2, 3, 0, 1], [4, 5, 6, 1, 2], [7, 8, 9, 2, 3], [1, 2, 3, 4, 5],
                   [6, 7, 8, 5, 6]],
    _PHOTO: None,
}
KERNEL_NAMES = {
    "恒等": "identity", "縦エッジ (Prewitt)": "vertical_edge",
    "横エッジ (Prewitt)": "horizontal_edge", "Sobel（横方向の変化）": "sobel_x",
    "Sobel（縦方向の変化）": "sobel_y", "ぼかし（平均）": "blur", "シャープ化": "sharpen",
    "L字": "l_shape", "L字（±1）": "l_shape_pm",
}
_CUSTOM = "カスタム（下の欄を編集）"
_FRACTIONS = {1 / 9: "1/9"}


def kernel_text(k):
    """A kernel as editable text: one row per line, entries separated by spaces."""
    def entry(v):
        for f, s in _FRACTIONS.items():
            if abs(v - f) < 1e-12:
                return s
        return fmt_number(v, 4)
    return "\n".join(" ".join(entry(v) for v in row) for row in np.asarray(k, dtype=float))


def _geometry_error(shape, k_shape, p, s, d):
    """Japanese explanation if the (dilated) kernel does not fit the padded input, else None."""
    for axis, n, k in (("縦", shape[0], k_shape[0]), ("横", shape[1], k_shape[1])):
        span = d * (k - 1) + 1
        if span > n + 2 * p:
            return (f"{axis}方向に窓を1つも置けません。ダイレーション込みのカーネルの幅 "
                    f"D(K−1)+1 = {d}×({k}−1)+1 = {span} が、パディング後の入力の幅 "
                    f"H+2P = {n}+2×{p} = {n + 2 * p} より大きいからです。"
                    "パディングを増やすか、カーネルかダイレーションを小さくしてください。")
    return None


class _FrameStepper:
    """Output-position stepping shared by the explorers: one precomputed frame per position,
    a jslinked position slider (works in the static page), or a redrawn figure in photo mode."""

    def _on_position(self, change):
        if self.result is None:
            return
        if self.is_photo:
            self._show_photo()
        elif self.frames.children and change["new"] < len(self.frames.children):
            self.frames.selected_index = change["new"]

    def _clear_frames(self):
        """Drop the frames and their link; closed widgets leave no state in the saved page."""
        self._set_link(False)
        old = self.frames.children
        self.frames.selected_index = None
        self.frames.children = []
        for w in old:
            w.close()

    def _set_link(self, on):
        """jslink position -> frame (works in the static page too); off while frames change."""
        if self._link is not None:
            self._link.unlink()
            self._link = None
        if on:
            self._link = widgets.jslink((self.position, "value"), (self.frames, "selected_index"))


class ConvExplorer(_FrameStepper, widgets.VBox):
    """Convolution explorer: input, kernel, padding/stride/dilation, output position."""

    def __init__(self, input_name, kernel_name, padding, stride, dilation, photo_height):
        self._photo_height = photo_height
        self._syncing = False
        self.result = None                      # output map (ndarray) or None when invalid
        left = dict(style={"description_width": "6em"}, layout=widgets.Layout(width="22em"))
        right = dict(style={"description_width": "9em"}, layout=widgets.Layout(width="24em"))
        self.input_select = widgets.Dropdown(options=list(INPUTS), value=input_name,
                                             description="入力", **left)
        self.kernel_select = widgets.Dropdown(options=[*KERNEL_NAMES, _CUSTOM],
                                              value=kernel_name, description="カーネル", **left)
        self.kernel_text = widgets.Textarea(
            value=kernel_text(KERNELS[KERNEL_NAMES[kernel_name]]),
            description="カーネルの値", style=left["style"],
            layout=widgets.Layout(width="22em", height="7.5em"))
        self.padding = widgets.IntSlider(padding, 0, 3, description="パディング P", **right)
        self.stride = widgets.IntSlider(stride, 1, 3, description="ストライド S", **right)
        self.dilation = widgets.IntSlider(dilation, 1, 3, description="ダイレーション D", **right)
        self.position = widgets.IntSlider(0, 0, 0, description="出力位置（番号）", **right)
        self.play = widgets.Play(interval=700, description="再生",
                                 layout=widgets.Layout(width="10em"))
        widgets.jslink((self.position, "value"), (self.play, "value"))
        widgets.jslink((self.position, "max"), (self.play, "max"))
        self.message = widgets.HTML("")
        self.frames = widgets.Stack([])
        self.image = widgets.Image(format="png", layout=widgets.Layout(display="none"))
        self.image_detail = widgets.HTML("")
        self._link = None
        controls = widgets.HBox([
            widgets.VBox([self.input_select, self.kernel_select, self.kernel_text]),
            widgets.VBox([self.padding, self.stride, self.dilation, self.position,
                          widgets.HBox([widgets.Label("窓を動かす:"), self.play])])],
            layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([widgets.HTML(_CSS), controls, self.message, self.frames,
                          self.image, self.image_detail])
        self.kernel_select.observe(self._on_kernel_select, "value")
        self.kernel_text.observe(self._on_kernel_text, "value")
        for w in (self.input_select, self.padding, self.stride, self.dilation):
            w.observe(lambda _: self.update(), "value")
        self.position.observe(self._on_position, "value")
        self.update()

    # ------------------------------------------------------------ callbacks
    def _on_kernel_select(self, change):
        if change["new"] != _CUSTOM:
            self._syncing = True
            self.kernel_text.value = kernel_text(KERNELS[KERNEL_NAMES[change["new"]]])
            self._syncing = False
            self.update()

    def _on_kernel_text(self, change):
        if not self._syncing:
            self.kernel_select.value = _CUSTOM
            self.update()

    # ------------------------------------------------------------ state
    @property
    def is_photo(self):
        return self.input_select.value == _PHOTO

    def input_matrix(self):
        """The current input as a float64 (H, W) array."""
        if self.is_photo:
            from .data.images import load_sample_image
            return load_sample_image(size=self._photo_height)
        return np.array(INPUTS[self.input_select.value], dtype=np.float64)

    @property
    def displayed_html(self):
        """HTML now shown below the controls: the message plus the visible frame or detail."""
        shown = ""
        if self.is_photo:
            shown = self.image_detail.value
        elif self.frames.selected_index is not None and self.frames.children:
            shown = self.frames.children[self.frames.selected_index].value
        return self.message.value + shown

    # ------------------------------------------------------------ computing
    def update(self):
        """Recompute everything from the controls (called by every control's observer)."""
        x = self.input_matrix()
        p, s, d = self.padding.value, self.stride.value, self.dilation.value
        try:
            k = parse_matrix(self.kernel_text.value, "カーネル")
            problem = _geometry_error(x.shape, k.shape, p, s, d)
            if problem:
                raise InputError(problem)
        except InputError as e:
            self._show_error(str(e))
            return
        x4, k4 = x[None, None], k[None, None]
        self.result = F.conv2d(x4, k4, stride=s, padding=p, dilation=d)[0, 0]
        self._cols = F.im2col(x4, k.shape, stride=s, padding=p, dilation=d)[0]   # (KH*KW, L)
        self._x, self._k = x, k
        self._xp = np.pad(x, p)
        OH, OW = self.result.shape
        self.message.value = feedback(
            "info", f"入力 {x.shape[0]}×{x.shape[1]}、カーネル {k.shape[0]}×{k.shape[1]}、"
            f"P={p}, S={s}, D={d} → 出力 {OH}×{OW}"
            f"（縦: floor(({x.shape[0]}+2×{p}−{d}×({k.shape[0]}−1)−1)/{s})+1 = {OH}）")
        self._set_frames()

    def _show_error(self, text):
        self.result = None
        self.message.value = feedback("error", text)
        self._clear_frames()
        self.image.layout.display = "none"
        self.image_detail.value = ""
        self.position.max = 0

    def _window(self, index):
        """(i, j), the sampled padded-input cells, window values and products at ``index``."""
        OH, OW = self.result.shape
        i, j = divmod(index, OW)
        KH, KW = self._k.shape
        s, d = self.stride.value, self.dilation.value
        cells = [(i * s + m * d, j * s + n * d) for m in range(KH) for n in range(KW)]
        window = self._cols[:, index].reshape(KH, KW)
        return (i, j), cells, window, window * self._k

    def _detail_html(self, index):
        """Window, kernel, products and their sum at one output position."""
        (i, j), cells, window, prod = self._window(index)
        return (f'<div class="cnnw-sum">出力位置 (i, j) = ({i}, {j})：窓の左上はパディング後の入力の '
                f"({cells[0][0]}, {cells[0][1]})</div><div class='cnnw-row'>"
                + html_matrix(window, "窓の値") + html_matrix(self._k, "カーネル")
                + html_matrix(prod, "要素ごとの積") + "</div>"
                f'<div class="cnnw-sum">出力[{i}, {j}] = 積の合計 = <b>{fmt_number(prod.sum())}</b>'
                f"（NumPy 版 conv2d の値: {fmt_number(self.result[i, j])}）</div>")

    def _frame_html(self, index):
        """One frame: padded input with the window, the products, and the output map."""
        (i, j), cells, _, _ = self._window(index)
        p = self.padding.value
        Hp, Wp = self._xp.shape
        classes = {(r, c): "pad" for r in range(Hp) for c in range(Wp)
                   if not (p <= r < Hp - p and p <= c < Wp - p)}
        (r0, c0), (r1, c1) = cells[0], cells[-1]
        classes.update({(r, c): "span" for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)})
        classes.update({cell: "win" for cell in cells})
        maps = (html_matrix(self._xp, f"パディング後の入力 ({Hp}×{Wp})", classes)
                + html_matrix(self.result, f"出力 ({self.result.shape[0]}×{self.result.shape[1]})",
                              {(i, j): "cur"}))
        return f"<div class='cnnw-row'>{maps}</div>" + self._detail_html(index)

    def _set_frames(self):
        n = self.result.size
        self._clear_frames()
        self.position.max = n - 1
        if self.is_photo:
            self._show_photo()
            return
        self.image.layout.display = "none"
        self.image_detail.value = ""
        self.frames.children = [widgets.HTML(self._frame_html(t)) for t in range(n)]
        self.frames.selected_index = self.position.value
        self._set_link(True)

    def _show_photo(self):
        index = min(self.position.value, self.result.size - 1)
        (i, j), cells, _, _ = self._window(index)
        p = self.padding.value
        fig = Figure(figsize=(7.5, 3.6))
        ax1, ax2 = fig.subplots(1, 2)
        ax1.imshow(self._xp, cmap="gray", vmin=0, vmax=1)
        rows, cols = zip(*cells)
        ax1.add_patch(Rectangle((min(cols) - 0.5, min(rows) - 0.5), max(cols) - min(cols) + 1,
                                max(rows) - min(rows) + 1, fill=False, ec="red", lw=1.5))
        ax1.plot(cols, rows, "r.", ms=3)
        ax1.set_title(f"パディング後の入力（P={p}）と窓")
        lim = np.abs(self.result).max() or 1.0
        im = ax2.imshow(self.result, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax2.plot([j], [i], "s", mfc="none", mec="lime", ms=7, mew=1.5)
        ax2.set_title(f"出力 {self.result.shape[0]}×{self.result.shape[1]}（位置 ({i}, {j})）")
        fig.colorbar(im, ax=ax2, fraction=0.046)
        self.image.value = figure_png(fig)
        self.image.layout.display = None
        self.image_detail.value = self._detail_html(index)


def conv_explorer(input="L字・正方形・横棒 (8×8)", kernel="L字", padding=0, stride=1, dilation=1,
                  photo_height=32):
    """Explore a 2-D convolution: window, products, their sum and the output map.

    Moving the output position (slider or Play) works in the static page; changing the
    input, kernel, padding, stride or dilation needs a running kernel.
    """
    if input not in INPUTS:
        raise ValueError(f"input must be one of {list(INPUTS)}; got {input!r}")
    if kernel not in KERNEL_NAMES:
        raise ValueError(f"kernel must be one of {list(KERNEL_NAMES)}; got {kernel!r}")
    for name, v, lo, hi in (("padding", padding, 0, 3), ("stride", stride, 1, 3),
                            ("dilation", dilation, 1, 3)):
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ValueError(f"{name} must be an int in [{lo}, {hi}]; got {v!r}")
    return ConvExplorer(input, kernel, padding, stride, dilation, photo_height)


# ------------------------------------------------------------ output-size exercise
def _size_terms(H, K, P, S, D):
    """The formula with the numbers substituted, the numerator, and the answer."""
    num = H + 2 * P - D * (K - 1) - 1
    text = f"floor(({H} + 2×{P} − {D}×({K}−1) − 1) / {S}) + 1"
    return text, num, num // S + 1


def output_size_feedback(text, H, K, P, S, D, attempt=1):
    """(kind, html) for the reader's answer ``text`` to the output size of (H, K, P, S, D).

    ``attempt`` counts wrong answers so far plus one; from the second one on, a wrong
    answer also shows the worked computation.
    """
    formula, num, answer = _size_terms(H, K, P, S, D)
    general = "出力サイズ = floor((H + 2P − D(K−1) − 1) / S) + 1"
    worked = (f"{general} に代入すると {formula} = floor({num} / {S}) + 1 = "
              f"{num // S} + 1 = <b>{answer}</b>。")
    try:
        value = parse_int(text)
    except InputError as e:
        hint = ""
        s = str(text).strip()
        if _number(s) is not None and not re.fullmatch(r"[+-]?\d+", s):
            hint = (" 出力サイズは窓を置ける位置の<b>個数</b>なので整数です。"
                    "割り切れないときは floor（切り捨て）で端数を捨てます。")
        return "error", str(e) + hint
    if value < 1:
        return "error", (f"{value} は出力サイズになりません。出力サイズは窓を置ける位置の個数で、"
                         "1以上の整数です（窓が1つも置けない設定は PyTorch でもエラーになります）。")
    if value == answer:
        return "ok", "正解です。" + worked
    reasons = []
    if D > 1 and value == (H + 2 * P - K) // S + 1:
        reasons.append(f"ダイレーションを忘れていませんか。D={D} のとき、カーネルが覆う幅は "
                       f"K ではなく D(K−1)+1 = {D * (K - 1) + 1} です。")
    if P > 0 and value == (H + P - D * (K - 1) - 1) // S + 1:
        reasons.append("パディングは上下（左右）の両側に付くので 2P です。")
    if num % S and value == -(-num // S) + 1:
        reasons.append(f"{num}/{S} は割り切れません。PyTorch は切り上げずに切り捨て（floor）、"
                       "つまり最後の半端な位置には窓を置きません。")
    if S > 1 and value == num + 1:
        reasons.append("ストライド S で割るのを忘れていませんか。")
    if value == num // S:
        reasons.append("最後の +1（最初の窓の位置の分）を忘れていませんか。")
    if value > H + 2 * P:
        reasons.append(f"出力がパディング後の入力（{H + 2 * P}）より大きくなることはありません。")
    if not reasons:
        reasons.append("式の各項を確かめてください。")
    message = f"{value} ではありません。" + "".join(reasons)
    if attempt >= 2:
        message += "<br>計算: " + worked
    else:
        message += f"<br>ヒント: {general} に H={H}, K={K}, P={P}, S={S}, D={D} を代入して計算します。"
    return "ng", message


def _random_problem(rng):
    """A random valid (H, K, P, S, D); about half of them have a stride that does not divide."""
    while True:
        H = int(rng.integers(5, 33))
        K = int(rng.choice([1, 2, 3, 5, 7]))
        P = int(rng.integers(0, K // 2 + 2))
        S = int(rng.choice([1, 2, 2, 3]))
        D = int(rng.choice([1, 1, 1, 2])) if K > 1 else 1
        if D * (K - 1) + 1 <= H + 2 * P:
            return H, K, P, S, D


class OutputSizeExercise(AnswerBox):
    """Output-size question with check and new-problem buttons."""

    def __init__(self, problem, seed):
        self._rng = np.random.default_rng(seed)
        self.new_button = widgets.Button(description="新しい問題")
        super().__init__("", self._check_answer, placeholder="出力の高さ OH",
                         extra_buttons=[self.new_button])
        self.new_button.on_click(lambda _: self.set_problem(_random_problem(self._rng)))
        self.set_problem(problem or _random_problem(self._rng))

    def set_problem(self, problem):
        """Show a new (H, K, P, S, D) question and clear the answer."""
        H, K, P, S, D = problem
        F.conv_output_size(H, K, P, S, D)          # raises ValueError if invalid
        self.problem, self.wrong = problem, 0
        self.question.value = (
            f"入力の高さ <b>H = {H}</b>、カーネル <b>K = {K}</b>、パディング <b>P = {P}</b>、"
            f"ストライド <b>S = {S}</b>、ダイレーション <b>D = {D}</b> の畳み込みの出力の高さ OH は？")
        self.answer.value = ""
        self.feedback.value = ""

    def _check_answer(self, text):
        kind, message = output_size_feedback(text, *self.problem, attempt=self.wrong + 1)
        self.wrong += kind == "ng"
        return kind, message


def output_size_exercise(H=None, K=None, P=None, S=None, D=None, seed=0):
    """Output-size exercise: given (H, K, P, S, D), or a random problem from ``seed``."""
    given = [H, K, P, S, D]
    if any(v is None for v in given) and any(v is not None for v in given):
        raise ValueError("give all of H, K, P, S, D, or none of them for a random problem")
    return OutputSizeExercise(None if H is None else tuple(given), seed)


# =============================================================== 3. chapter 2: pooling
__all__ += ["POOL_INPUTS", "EDGE_MAP", "PoolExplorer", "pool_explorer", "pool_exercise_feedback",
            "PoolExercise", "pool_exercise"]

EDGE_MAP = [[0, 0, 0, 0, 0, 0], [0, 1, 1, 1, 1, 0], [0, 1, 0, 0, 1, 0],
            [0, 1, 0, 0, 1, 0], [0, 1, 1, 1, 1, 0], [0, 0, 0, 0, 0, 0]]
POOL_INPUTS = {
    "資料の4×4（例1）": [[1, 3, 2, 4], [5, 6, 1, 2], [7, 2, 8, 3], [1, 4, 6, 9]],
    "資料の4×4（例2）": [[2, 5, 6, 1], [9, 3, 7, 3], [8, 5, 7, 8], [6, 6, 1, 1]],
    "エッジの特徴マップ 6×6": EDGE_MAP,
    "同点のある 4×4": [[1, 1, 0, 2], [1, 1, 2, 0], [3, 0, 0, 0], [0, 0, 0, 0]],
    _PHOTO: None,
}
_POOL_MODES = {"最大": "max", "平均": "avg", "GAP（全体の平均）": "gap"}
_POOL_CUSTOM = "カスタム（下の欄を編集）"


def _matrix_text(a):
    return "\n".join(" ".join(fmt_number(v) for v in row) for row in np.asarray(a, float))


def _pool_geometry_error(shape, k, s, p):
    """Japanese explanation if the window settings cannot pool ``shape``, else None."""
    if 2 * p > k:
        return (f"パディング P={p} はカーネル K={k} の半分（K//2 = {k // 2}）までにしてください。"
                "それより大きいと、パディングだけでできた窓ができてしまいます（PyTorch も同じ制限でエラーにします）。")
    for axis, n in (("縦", shape[0]), ("横", shape[1])):
        if k > n + 2 * p:
            return (f"{axis}方向に窓を1つも置けません。カーネル K={k} が、パディング後の入力の幅 "
                    f"{n}+2×{p} = {n + 2 * p} より大きいからです。")
    return None


def _cells_table(texts, caption, classes):
    """Like html_matrix, but the cells are given as strings (for '−∞' padding)."""
    def cell(i, j, t):
        cls = f' class="{classes[(i, j)]}"' if (i, j) in classes else ""
        return f"<td{cls}>{t}</td>"
    rows = "".join("<tr>" + "".join(cell(i, j, t) for j, t in enumerate(row)) + "</tr>"
                   for i, row in enumerate(texts))
    return (f'<div class="cnnw-block"><div class="cnnw-cap">{caption}</div>'
            f'<table class="cnnw-m">{rows}</table></div>')


class PoolExplorer(_FrameStepper, widgets.VBox):
    """Pooling explorer: input, max/avg/GAP, kernel, stride, padding and the winning inputs."""

    def __init__(self, input_name, mode, kernel_size, stride, padding, photo_height):
        self._photo_height = photo_height
        self._syncing = False
        self.result = None
        left = dict(style={"description_width": "6em"}, layout=widgets.Layout(width="22em"))
        right = dict(style={"description_width": "9em"}, layout=widgets.Layout(width="24em"))
        self.input_select = widgets.Dropdown(options=[*POOL_INPUTS, _POOL_CUSTOM], value=input_name,
                                             description="入力", **left)
        self.input_text = widgets.Textarea(
            value=_matrix_text(POOL_INPUTS[input_name]) if POOL_INPUTS[input_name] else "",
            description="入力の値", style=left["style"],
            layout=widgets.Layout(width="22em", height="8em"))
        self.mode = widgets.ToggleButtons(options=list(_POOL_MODES), value=mode,
                                          description="種類", style={"button_width": "11em"})
        self.kernel = widgets.IntSlider(kernel_size, 1, 4, description="カーネル K", **right)
        self.stride = widgets.IntSlider(stride, 1, 4, description="ストライド S", **right)
        self.padding = widgets.IntSlider(padding, 0, 2, description="パディング P", **right)
        self.position = widgets.IntSlider(0, 0, 0, description="出力位置（番号）", **right)
        self.play = widgets.Play(interval=700, description="再生",
                                 layout=widgets.Layout(width="10em"))
        widgets.jslink((self.position, "value"), (self.play, "value"))
        widgets.jslink((self.position, "max"), (self.play, "max"))
        self.message = widgets.HTML("")
        self.frames = widgets.Stack([])
        self.wins = widgets.HTML("")
        self.image = widgets.Image(format="png", layout=widgets.Layout(display="none"))
        self._link = None
        controls = widgets.HBox([
            widgets.VBox([self.input_select, self.input_text]),
            widgets.VBox([self.kernel, self.stride, self.padding, self.position,
                          widgets.HBox([widgets.Label("窓を動かす:"), self.play])])],
            layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([widgets.HTML(_CSS), self.mode, controls, self.message, self.frames,
                          self.image, self.wins])
        self.input_select.observe(self._on_input_select, "value")
        self.input_text.observe(self._on_input_text, "value")
        for w in (self.mode, self.kernel, self.stride, self.padding):
            w.observe(lambda _: self.update(), "value")
        self.position.observe(self._on_position, "value")
        self.update()

    # ------------------------------------------------------------ callbacks
    def _on_input_select(self, change):
        if change["new"] == _POOL_CUSTOM:
            return
        values = POOL_INPUTS[change["new"]]
        if values is not None:
            self._syncing = True
            self.input_text.value = _matrix_text(values)
            self._syncing = False
        self.update()

    def _on_input_text(self, change):
        if not self._syncing:
            if self.input_select.value != _POOL_CUSTOM:
                self._syncing = True
                self.input_select.value = _POOL_CUSTOM
                self._syncing = False
            self.update()

    @property
    def is_photo(self):
        return self.input_select.value == _PHOTO

    @property
    def kind(self):
        return _POOL_MODES[self.mode.value]

    @property
    def displayed_html(self):
        """The message, the visible frame (or the photo note) and the win counts."""
        shown = ""
        if self.frames.selected_index is not None and self.frames.children:
            shown = self.frames.children[self.frames.selected_index].value
        return self.message.value + shown + self.wins.value

    def input_matrix(self):
        """The current input as a float64 (H, W) array (InputError for unusable text)."""
        if self.is_photo:
            from .data.images import load_sample_image
            return load_sample_image(size=self._photo_height)
        return parse_matrix(self.input_text.value, "入力", max_shape=(8, 8))

    def settings(self, x):
        """(k, s, p) used: the sliders, or the whole map for GAP."""
        if self.kind == "gap":
            return x.shape, (1, 1), (0, 0)
        k, s, p = self.kernel.value, self.stride.value, self.padding.value
        return (k, k), (s, s), (p, p)

    # ------------------------------------------------------------ computing
    def update(self):
        """Recompute everything from the controls (called by every control's observer)."""
        try:
            x = self.input_matrix()
            if self.kind != "gap":
                problem = _pool_geometry_error(x.shape, self.kernel.value, self.stride.value,
                                               self.padding.value)
                if problem:
                    raise InputError(problem)
        except InputError as e:
            self._show_error(str(e))
            return
        k, s, p = self.settings(x)
        x4 = x[None, None]
        pool = F.max_pool2d if self.kind == "max" else F.avg_pool2d
        self.result = pool(x4, k, s, p)[0, 0]
        pad_value = -np.inf if self.kind == "max" else 0.0
        self._cols = F.im2col(x4, k, s, p, 1, pad_value)[0]           # (K*K, L)
        self._x, self._k, self._s, self._p = x, k, s, p
        OH, OW = self.result.shape
        self.message.value = feedback("info", self._summary(x.shape, OH, OW))
        self._set_frames()

    def _summary(self, shape, OH, OW):
        H, W = shape
        if self.kind == "gap":
            return (f"GAP: 窓は入力全体（{H}×{W}）で、出力は 1×1 です（チャネルごとに1つの値）。"
                    "カーネル・ストライド・パディングのスライダーは使いません。")
        k, s, p = self.kernel.value, self.stride.value, self.padding.value
        name = "最大" if self.kind == "max" else "平均"
        pad = ""
        if p:
            pad = ("（パディングは −∞ 扱いで、勝つことはありません）" if self.kind == "max"
                   else "（パディングの 0 も平均に数えます。PyTorch の既定 count_include_pad=True）")
        return (f"{name}プーリング: 入力 {H}×{W}、K={k}, S={s}, P={p} → 出力 {OH}×{OW}"
                f"（縦: floor(({H}+2×{p}−{k})/{s})+1 = {OH}）{pad}")

    def _show_error(self, text):
        self.result = None
        self.message.value = feedback("error", text)
        self._clear_frames()
        self.image.layout.display = "none"
        self.wins.value = ""
        self.position.max = 0

    def _window(self, index):
        """(i, j), padded-input cells of the window, its values and the winner's place in it."""
        OW = self.result.shape[1]
        i, j = divmod(index, OW)
        (KH, KW), (sh, sw) = self._k, self._s
        cells = [(i * sh + m, j * sw + n) for m in range(KH) for n in range(KW)]
        values = self._cols[:, index]
        return (i, j), cells, values, int(np.argmax(values))

    def _detail_html(self, index):
        (i, j), cells, values, win = self._window(index)
        out = fmt_number(self.result[i, j])
        if self.kind == "max":
            r, c = cells[win]
            ties = int(np.sum(values == values[win]))
            tie = (f"最大値 {fmt_number(values[win])} が窓の中に {ties} か所あります。PyTorch と同じく、"
                   "左上から数えて最初の位置を勝者とします（逆伝播で勾配が流れるのもこの位置だけです）。"
                   if ties > 1 else "")
            where = "パディング後の入力" if any(self._p) else "入力"
            return (f'<div class="cnnw-sum">出力[{i}, {j}] = 窓の最大値 = <b>{out}</b>'
                    f"（勝者は{where}の ({r}, {c})、オレンジ色）。{tie}</div>")
        terms = " + ".join(fmt_number(v) for v in values[:16]) + (" + …" if len(values) > 16 else "")
        return (f'<div class="cnnw-sum">出力[{i}, {j}] = ({terms}) / {len(values)} = <b>{out}</b>'
                "（窓の全要素が同じ重み 1/窓の大きさ で寄与します）</div>")

    def _padded_texts(self):
        (ph, pw) = self._p
        H, W = self._x.shape
        pad = "−∞" if self.kind == "max" else "0"
        return [[fmt_number(self._x[r - ph, c - pw]) if ph <= r < H + ph and pw <= c < W + pw
                 else pad for c in range(W + 2 * pw)] for r in range(H + 2 * ph)]

    def _frame_html(self, index, texts):
        (i, j), cells, _, win = self._window(index)
        (ph, pw), (H, W) = self._p, self._x.shape
        classes = {(r, c): "pad" for r in range(H + 2 * ph) for c in range(W + 2 * pw)
                   if not (ph <= r < H + ph and pw <= c < W + pw)}
        if self.kind == "max":
            classes.update({cell: "span" for cell in cells})
            classes[cells[win]] = "win"
        else:
            classes.update({cell: "win" for cell in cells})
        caption = "パディング後の入力" if ph else "入力"
        maps = (_cells_table(texts, f"{caption} ({H + 2 * ph}×{W + 2 * pw})", classes)
                + html_matrix(self.result, f"出力 ({self.result.shape[0]}×{self.result.shape[1]})",
                              {(i, j): "cur"}))
        return f"<div class='cnnw-row'>{maps}</div>" + self._detail_html(index)

    def _wins_html(self):
        if self.kind != "max":
            return ""
        from .pooling import winner_counts
        counts = winner_counts(self._x, self._k, self._s, self._p)
        note = ("各入力が勝った窓の数（0 の所は出力に一度も使われません）。逆伝播では、勝った窓の勾配が"
                "ここに届き、2回以上勝った入力には勾配が足し合わされます。")
        classes = {(r, c): "win" for r, c in zip(*np.nonzero(counts > 1))}
        return (f"<div class='cnnw-row'>{html_matrix(counts, '勝った回数', classes)}</div>"
                f'<div class="cnnw-sum">{note}</div>')

    def _set_frames(self):
        n = self.result.size
        self._clear_frames()
        self.position.max = n - 1
        if self.is_photo:
            self.wins.value = ""
            self._show_photo()
            return
        self.image.layout.display = "none"
        texts = self._padded_texts()
        self.frames.children = [widgets.HTML(self._frame_html(t, texts)) for t in range(n)]
        self.frames.selected_index = min(self.position.value, n - 1)
        self._set_link(True)
        self.wins.value = self._wins_html()

    def _show_photo(self):
        index = min(self.position.value, self.result.size - 1)
        (i, j), cells, _, win = self._window(index)
        fig = Figure(figsize=(7.5, 3.6))
        ax1, ax2 = fig.subplots(1, 2)
        ph, pw = self._p
        ax1.imshow(np.pad(self._x, ((ph, ph), (pw, pw))), cmap="gray", vmin=0, vmax=1)
        rows, cols = zip(*cells)
        ax1.add_patch(Rectangle((min(cols) - 0.5, min(rows) - 0.5), max(cols) - min(cols) + 1,
                                max(rows) - min(rows) + 1, fill=False, ec="red", lw=1.5))
        if self.kind == "max":
            ax1.plot([cells[win][1]], [cells[win][0]], "o", mfc="none", mec="orange", ms=5)
        ax1.set_title(f"入力 {self._x.shape[0]}×{self._x.shape[1]} と窓")
        ax2.imshow(self.result, cmap="gray", vmin=0, vmax=1)
        ax2.plot([j], [i], "s", mfc="none", mec="lime", ms=7, mew=1.5)
        ax2.set_title(f"出力 {self.result.shape[0]}×{self.result.shape[1]}（位置 ({i}, {j})）")
        self.image.value = figure_png(fig)
        self.image.layout.display = None


def pool_explorer(input="資料の4×4（例1）", mode="最大", kernel_size=2, stride=2, padding=0,
                  photo_height=32):
    """Explore max / average / global average pooling on a small matrix or a photo.

    Moving the output position (slider or Play) works in the static page; changing the
    input, the kind of pooling or the window settings needs a running kernel.
    """
    if input not in POOL_INPUTS:
        raise ValueError(f"input must be one of {list(POOL_INPUTS)}; got {input!r}")
    if mode not in _POOL_MODES:
        raise ValueError(f"mode must be one of {list(_POOL_MODES)}; got {mode!r}")
    for name, v, lo, hi in (("kernel_size", kernel_size, 1, 4), ("stride", stride, 1, 4),
                            ("padding", padding, 0, 2)):
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ValueError(f"{name} must be an int in [{lo}, {hi}]; got {v!r}")
    return PoolExplorer(input, mode, kernel_size, stride, padding, photo_height)


# ------------------------------------------------------------ exercise 1: max vs average
def _pool_truth(x, kind):
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    return pool(np.asarray(x, float)[None, None], 2, 2)[0, 0]


def _matrix_feedback(text, kind, x):
    """(ok, html) for one typed pooling output, with the likely mistake explained."""
    name = "最大プーリング" if kind == "max" else "平均プーリング"
    truth, other = _pool_truth(x, kind), _pool_truth(x, "avg" if kind == "max" else "max")
    try:
        got = parse_matrix(text, f"{name}の出力", max_shape=(8, 8))
    except InputError as e:
        return False, str(e)
    if got.shape != truth.shape:
        hint = ""
        if got.shape == (5, 5):
            hint = "ストライド1で計算していませんか。"
        n = len(x)
        return False, (f"{name}の出力の形が {got.shape[0]}×{got.shape[1]} になっています。{hint}"
                       f"2×2・ストライド2なら floor(({n}−2)/2)+1 = {truth.shape[0]} なので "
                       f"{truth.shape[0]}×{truth.shape[1]} です。")
    if np.allclose(got, truth, atol=1e-6):
        return True, f"{name}: 正解です。"
    if np.allclose(got, other, atol=1e-6):
        return False, f"{name}の欄に{'平均' if kind == 'max' else '最大'}プーリングの結果が入っています（入れ替わり）。"
    if kind == "avg" and np.allclose(got, 4 * truth, atol=1e-6):
        return False, "平均プーリングの欄が窓の合計になっています。窓の要素数 4 で割ってください。"
    rounded = (np.ceil(truth), np.floor(truth), np.round(truth), np.floor(truth + 0.5))
    if kind == "avg" and any(np.allclose(got, r) for r in rounded):
        return False, ("平均を整数に丸めていませんか。平均プーリングの出力は小数のままです"
                       "（資料の一つも、平均を切り上げた値を結果として載せていました）。")
    wrong = [(i, j) for i in range(truth.shape[0]) for j in range(truth.shape[1])
             if abs(got[i, j] - truth[i, j]) > 1e-6]
    i, j = wrong[0]
    win = np.asarray(x, float)[2 * i:2 * i + 2, 2 * j:2 * j + 2]
    what = "最大値" if kind == "max" else "平均"
    return False, (f"{name}: {len(wrong)} か所が違います。たとえば位置 ({i}, {j}) の窓は入力の "
                   f"{2 * i}〜{2 * i + 1} 行・{2 * j}〜{2 * j + 1} 列 "
                   f"[{' '.join(fmt_number(v) for v in win.ravel())}] で、その{what}は "
                   f"{fmt_number(truth[i, j])} です。")


def pool_exercise_feedback(max_text, avg_text, choice, x=EDGE_MAP):
    """(kind, html) for exercise 1: the two pooled maps and which pooling keeps thin edges."""
    ok_max, msg_max = _matrix_feedback(max_text, "max", x)
    ok_avg, msg_avg = _matrix_feedback(avg_text, "avg", x)
    lines = [msg_max, msg_avg]
    ok_choice = choice == "最大プーリング"
    if choice is None:
        lines.append("3つ目の問い（どちらが細いエッジを強く残すか）を選んでください。")
    elif ok_choice:
        lines.append("3つ目: 正解です。最大プーリングは窓に1画素でもエッジがあれば 1 を出すので、"
                     "太さ1画素の輪郭が強さを保ったまま残ります。")
    else:
        lines.append("3つ目: 平均プーリングでは、エッジの1画素が窓の4画素で薄められて 0.25〜0.5 に"
                     "弱まります。窓に1画素でもあれば 1 を出す最大プーリングの方が強く残します。"
                     "平均が向くのは、窓全体の傾向（なめらかな量、ノイズをならしたい量）を残したいときです。")
    good = ok_max and ok_avg and ok_choice
    return ("ok" if good else "ng"), "<br>".join(lines)


class PoolExercise(widgets.VBox):
    """Exercise 1: pool the 6x6 edge map by hand (max and average, 2x2, stride 2)."""

    def __init__(self, x):
        self.x = x
        self.question = widgets.HTML(
            _CSS + "<div>次の 6×6 のエッジの特徴マップに、2×2・ストライド2の最大プーリングと"
            "平均プーリングをかけた出力を、行ごとに改行して入力してください。</div>"
            + html_matrix(np.asarray(x, float), "エッジの特徴マップ"))
        box = dict(layout=widgets.Layout(width="16em", height="6em"))
        self.max_text = widgets.Textarea(placeholder="最大プーリングの出力", **box)
        self.avg_text = widgets.Textarea(placeholder="平均プーリングの出力", **box)
        self.choice = widgets.RadioButtons(options=["最大プーリング", "平均プーリング"], value=None,
                                           description="細いエッジを強く残すのは？",
                                           style={"description_width": "initial"})
        self.check_button = widgets.Button(description="確認", button_style="primary")
        self.feedback = widgets.HTML("")
        self.check_button.on_click(lambda _: self.run_check())
        super().__init__([self.question, widgets.HBox([self.max_text, self.avg_text]),
                          self.choice, self.check_button, self.feedback])

    def run_check(self):
        """Check the three answers and show the explanation (what the button does)."""
        kind, message = pool_exercise_feedback(self.max_text.value, self.avg_text.value,
                                               self.choice.value, self.x)
        self.feedback.value = feedback(kind, message)


def pool_exercise(x=EDGE_MAP):
    """Exercise 1 of the pooling chapter (the lesson's 6x6 edge map by default)."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2 or x.shape[0] > 8 or x.shape[1] > 8:
        raise ValueError(f"x must be a 2-D map between 2x2 and 8x8; got shape {x.shape}")
    return PoolExercise(x.tolist())


# =============================================================== 8. chapter 8: Grad-CAM explorer
__all__ += ["GradCAMExplorer", "gradcam_explorer", "gradcam_value_feedback", "gradcam_value_exercise"]


def _png_uri(rgb):
    """An (H, W, 3) float image in [0, 1] as a PNG data URI."""
    import base64

    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray((np.clip(rgb, 0, 1) * 255).round().astype(np.uint8)).save(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _img_tag(rgb, size, alt):
    """An <img> of a small image, enlarged without smoothing (pixels stay visible)."""
    return (f'<img src="{_png_uri(rgb)}" width="{size}" height="{size}" alt="{html.escape(alt)}" '
            f'style="image-rendering:pixelated;margin:2px">')


def _topk_html(p, classes, k, true_label):
    """Top-k probabilities as bars; the true class is marked."""
    top = np.argsort(-p, kind="stable")[:k]
    rows = "".join(
        f'<tr><td style="padding-right:6px">{html.escape(classes[c])}{" ✔" if c == true_label else ""}'
        f'</td><td><div style="background:#1565c0;height:0.9em;width:{max(1, round(120 * p[c]))}px">'
        f'</div></td><td style="padding-left:6px">{p[c]:.3f}</td></tr>' for c in top)
    return f'<table class="cnnw-topk" style="font-size:13px">{rows}</table>'


class GradCAMExplorer(widgets.VBox):
    """Choose an image, a class and a layer: Grad-CAM overlay and the top-k probabilities.

    Every combination is computed up front, and the dropdowns switch ``Stack`` widgets
    through ``jslink``, so the saved page works without a kernel; Python observers keep the
    kernel-side state (and the tests) in step. New images need a running kernel.
    """

    def __init__(self, model, x, images, classes, layers, labels, k, method, size, alpha):
        from .cam import GradCAM, GradCAMPlusPlus, overlay
        cam_cls = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus}[method]
        N, K = len(x), len(classes)
        self.method, self.classes, self.layer_names = method, list(classes), list(layers)
        self.maps = {}                        # (layer index, target index) -> (N, H, W)
        for li, layer in enumerate(layers.values()):
            with cam_cls(model, layer) as cam:
                self.maps[li, 0] = cam(x).cpu()
                self.probs = cam.probs.cpu().numpy()
                if self.probs.shape[1] != K:
                    raise ValueError(f"the model has {self.probs.shape[1]} classes but "
                                     f"{K} class names were given")
                for c in range(K):
                    self.maps[li, c + 1] = cam(x, c).cpu()
        self.pred = self.probs.argmax(1)
        imgs = images.detach().cpu().permute(0, 2, 3, 1).numpy()
        self.labels = None if labels is None else [int(v) for v in labels]
        style = {"description_width": "initial"}
        narrow = lambda em: widgets.Layout(width=f"{em}em")  # noqa: E731  (fits the text column)

        def image_name(i):
            true = "" if self.labels is None else f"正解: {classes[self.labels[i]]}, "
            return f"画像 {i + 1}（{true}予測: {classes[self.pred[i]]}）"
        self.image_select = widgets.Dropdown(options=[(image_name(i), i) for i in range(N)],
                                             value=0, description="画像", style=style,
                                             layout=narrow(19))
        self.class_select = widgets.Dropdown(
            options=[("予測クラス", 0)] + [(c, i + 1) for i, c in enumerate(classes)],
            value=0, description="クラス", style=style, layout=narrow(11))
        self.layer_select = widgets.Dropdown(options=[(n, i) for i, n in enumerate(layers)],
                                             value=len(layers) - 1, description="層", style=style,
                                             layout=narrow(13))
        self.info = widgets.Stack([widgets.HTML(
            '<div class="cnnw-row">' + _img_tag(imgs[i], size, "入力画像")
            + f'<div class="cnnw-block"><div class="cnnw-cap">上位{k}クラスの確率</div>'
            + _topk_html(self.probs[i], classes, k, None if labels is None else self.labels[i])
            + "</div></div>") for i in range(N)], selected_index=0)

        def cam_html(i, li, t):
            c = self.pred[i] if t == 0 else t - 1
            m = self.maps[li, t][i].numpy()
            what = f"予測クラス「{classes[c]}」" if t == 0 else f"「{classes[c]}」"
            return (_img_tag(overlay(imgs[i], m, alpha=alpha), size, "Grad-CAM")
                    + f'<div class="cnnw-cap" style="max-width:{size + 120}px">{what}に対する{"Grad-CAM++" if method == "gradcam++" else "Grad-CAM"}'
                    f"（層 {html.escape(self.layer_names[li])}、p = {self.probs[i, c]:.3f}）</div>")
        self.cams = widgets.Stack([widgets.Stack([widgets.Stack(
            [widgets.HTML(cam_html(i, li, t)) for t in range(K + 1)], selected_index=0)
            for li in range(len(layers))], selected_index=len(layers) - 1) for i in range(N)],
            selected_index=0)
        self._link()
        note = widgets.HTML(feedback("info", "赤いほど、その領域の特徴がクラスのスコアを押し上げています"
                                     "（各画像の最大値で 0〜1 に正規化）。"))
        wrap = widgets.Layout(flex_flow="row wrap")
        super().__init__([widgets.HTML(_CSS), widgets.HBox([self.image_select, self.class_select,
                                                            self.layer_select], layout=wrap),
                          widgets.HBox([self.info, self.cams], layout=wrap), note])

    def _link(self):
        """dropdown index -> Stack.selected_index, in the browser (jslink) and in Python."""
        pairs = [(self.image_select, [self.info, self.cams])]
        pairs.append((self.layer_select, list(self.cams.children)))
        pairs.append((self.class_select, [s for per_image in self.cams.children
                                          for s in per_image.children]))
        for dropdown, stacks in pairs:
            for stack in stacks:
                widgets.jslink((dropdown, "index"), (stack, "selected_index"))

            def sync(change, stacks=stacks):
                for stack in stacks:
                    stack.selected_index = change["new"]
            dropdown.observe(sync, "index")

    @property
    def displayed_html(self):
        """The HTML now visible: the image with its top-k, then the chosen overlay."""
        per_image = self.cams.children[self.cams.selected_index]
        per_layer = per_image.children[per_image.selected_index]
        return (self.info.children[self.info.selected_index].value
                + per_layer.children[per_layer.selected_index].value)


def gradcam_explorer(model, x, images, classes, layers, labels=None, k=3, method="gradcam",
                     size=128, alpha=0.5):
    """A Grad-CAM explorer over a small precomputed set (works in the static page).

    ``x``: model input (N, C, H, W); ``images``: the same images for display, RGB floats in
    [0, 1] (N, 3, H, W); ``classes``: class names; ``layers``: dict label -> layer (module or
    dotted name); ``labels``: true classes (optional); ``k``: how many probabilities to list.
    """
    import torch
    if not (torch.is_tensor(x) and torch.is_tensor(images)):
        raise TypeError("x and images must be torch tensors")
    if x.dim() != 4 or images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"x must be (N, C, H, W) and images (N, 3, H, W); got "
                         f"{tuple(x.shape)} and {tuple(images.shape)}")
    if len(x) != len(images) or x.shape[-2:] != images.shape[-2:]:
        raise ValueError(f"x and images must hold the same images: {tuple(x.shape)} vs "
                         f"{tuple(images.shape)}")
    if not 1 <= len(x) <= 12:
        raise ValueError(f"use 1..12 images (every combination is stored in the page); got {len(x)}")
    if images.min() < 0 or images.max() > 1:
        raise ValueError("images must be RGB floats in [0, 1] (undo the normalisation)")
    if not isinstance(layers, dict) or not layers:
        raise ValueError("layers must be a non-empty dict: label -> layer (module or dotted name)")
    if labels is not None and len(labels) != len(x):
        raise ValueError(f"labels must have one entry per image ({len(x)}); got {len(labels)}")
    if method not in ("gradcam", "gradcam++"):
        raise ValueError(f"method must be 'gradcam' or 'gradcam++'; got {method!r}")
    if not (isinstance(k, int) and 1 <= k <= len(classes)):
        raise ValueError(f"k must be an int in 1..{len(classes)}; got {k!r}")
    return GradCAMExplorer(model, x, images, list(classes), layers, labels, k, method, size, alpha)


def gradcam_value_feedback(text, w=(2.0, -1.0), a=(3.0, 1.0), hw=16):
    """(kind, html) for the reader's Grad-CAM value ReLU(sum_k alpha_k A_k) with alpha_k = w_k / hw."""
    w, a = np.asarray(w, float), np.asarray(a, float)
    answer = max(float((w / hw) @ a), 0.0)
    worked = (f"α<sub>k</sub> = w<sub>k</sub>/{hw} = ({fmt_number(w[0] / hw, 4)}, "
              f"{fmt_number(w[1] / hw, 4)}) なので ReLU({fmt_number(w[0] / hw, 4)}×{fmt_number(a[0])}"
              f" + ({fmt_number(w[1] / hw, 4)})×{fmt_number(a[1])}) = <b>{fmt_number(answer, 4)}</b>。")
    try:
        value = _parse_float(text, "答え")
    except InputError as e:
        return "error", str(e)
    if abs(value - answer) <= 1e-3:
        return "ok", "正解です。" + worked
    reasons = []
    if abs(value - max(float(w @ a), 0)) <= 1e-3:
        reasons.append(f"GAP は {hw} 画素の平均なので、各画素の勾配は w<sub>k</sub> ではなく "
                       f"w<sub>k</sub>/{hw} です（α<sub>k</sub> はその空間平均）。")
    if abs(value - float(np.abs(w / hw) @ a)) <= 1e-3:
        reasons.append("チャネル2の重みは負です。負の寄与も足し合わせてから ReLU をとります。")
    if abs(value - float(w[0] / hw * a[0])) <= 1e-3:
        reasons.append("チャネル2の寄与を忘れていませんか。全チャネルの重み付き和をとります。")
    if value < 0:
        reasons.append("Grad-CAM は最後に ReLU をとるので、負の値にはなりません。")
    if not reasons:
        reasons.append("α<sub>k</sub>（勾配の空間平均）を先に求め、A<sub>k</sub> との重み付き和に ReLU をかけます。")
    return "ng", f"{html.escape(str(text).strip())} ではありません。" + "".join(reasons)


def gradcam_value_exercise(w=(2.0, -1.0), a=(3.0, 1.0), hw=16):
    """Exercise: the Grad-CAM value at one pixel of a conv -> GAP -> linear model."""
    question = (f"畳み込み層の出力 A（2チャネル、{int(hw ** 0.5)}×{int(hw ** 0.5)}）→ GAP → 全結合、"
                f"というモデルで、クラス c の全結合の重みが w = ({fmt_number(w[0])}, {fmt_number(w[1])}) です。"
                f"ある画素で A<sub>1</sub> = {fmt_number(a[0])}, A<sub>2</sub> = {fmt_number(a[1])} のとき、"
                "その画素の Grad-CAM の値（0〜1 に正規化する前）はいくつ？")
    return AnswerBox(question, lambda text: gradcam_value_feedback(text, w, a, hw))


# =============================================================== chapter 7: CIFAR-10
def cifar_std_feedback(text, pixel_std, image_std, mean, tol=0.002):
    """Feedback for 'the per-pixel std of the R channel': right, a known mix-up, or input error."""
    try:
        v = _parse_float(text, "標準偏差")
    except InputError as e:
        return "error", str(e)
    if abs(v - pixel_std) <= tol:
        return "ok", (f"正解です（{pixel_std:.4f}）。訓練画像のすべての画素を一つの集団とみなした"
                      "標準偏差で、Normalize に渡すべき値です。")
    if abs(v - image_std) <= tol or abs(v - 0.2023) <= tol:
        return "ng", (f"{v:.4f} は「画像ごとの標準偏差の平均」（ここでは {image_std:.4f}、よく引用される "
                      "0.2023 もこれに近い値）です。画像の間のばらつきが入らないので小さくなります。"
                      "全画素をまとめて標準偏差を計算してください。")
    if abs(v - mean) <= tol:
        return "ng", f"{v:.4f} は R チャネルの平均です。聞いているのは標準偏差です。"
    if v > 1 or v < 0:
        return "ng", "画素値を 0〜1 に直した単位で答えてください（0〜255 のままだと 255 倍になります）。"
    return "ng", f"{v:.4f} ではありません。cifar10.channel_stats(train.X) の2つ目の値を見てください。"


def cifar_std_exercise(pixel_std, image_std, mean):
    """Checker: the reader types the per-pixel std of the R channel (0..1 units)."""
    q = ("CIFAR-10 の訓練画像で、R チャネルの画素値（0〜1）の標準偏差はいくつですか？"
         "（小数第3位まで）")
    return AnswerBox(q, lambda t: cifar_std_feedback(t, pixel_std, image_std, mean),
                     placeholder="例: 0.123")


__all__ += ["cifar_std_feedback", "cifar_std_exercise"]


# =============================================================== chapter 5: batch normalization
__all__ += ["BNExplorer", "bn_explorer"]


def _bn_panels(pre, train, ev, spread, B, s, spread_lim):
    """Four histograms: before BN, after BN (train / eval), one image's output over batches."""
    fig = Figure(figsize=(11, 2.6))
    axes = fig.subplots(1, 4)
    panels = [(pre, "#757575", "BN前"), (train, "#1565c0", "BN後（訓練モード）"),
              (ev, "#e65100", "BN後（評価モード）"), (spread, "#2e7d32", "同じ画像の出力（バッチ違い）")]
    for ax, (v, color, title) in zip(axes, panels):
        ax.hist(v, bins=40, color=color, range=spread_lim if ax is axes[3] else None)
        ax.set_title(title, fontsize=10)
        ax.tick_params(labelsize=8)
    for ax in axes[:3]:
        ax.set_yscale("log")
    axes[0].set_ylabel("個数（対数）", fontsize=8)
    axes[3].set_xlabel("画像 0 の BN 後の空間平均", fontsize=8)
    fig.suptitle(f"バッチサイズ {B}、入力スケール {s:g}", fontsize=11)
    fig.tight_layout()
    return fig


class BNExplorer(widgets.VBox):
    """Activation histograms before/after BN for a grid of batch sizes and input scales.

    Every combination is computed up front; the two sliders switch nested ``Stack``
    widgets through ``jslink``, so the saved page works without a kernel. Each batch
    size uses the same images at every scale, so only the scale differs between pages.
    """

    def __init__(self, pre, batch_sizes, scales, trials, seed):
        N, one = pre.shape[0], np.ones(1)
        mu, var = pre.mean(), pre.var()          # running statistics from scale-1 data
        draws = {}
        for B in batch_sizes:
            rng = np.random.default_rng([seed, B])
            draws[B] = (rng.choice(N, B, replace=False),
                        [np.r_[0, rng.choice(np.arange(1, N), B - 1, replace=False)]
                         for _ in range(trials)])
        self.stats, data = {}, {}
        for s in scales:
            for B in batch_sizes:
                batch = pre[draws[B][0]] * s
                y = F.batch_norm2d(batch, one, 0 * one)[0]
                y_eval = F.batch_norm2d(batch, one, 0 * one, mu * one, var * one, training=False)[0]
                spread = np.array([F.batch_norm2d(pre[idx] * s, one, 0 * one)[0][0].mean()
                                   for idx in draws[B][1]])
                st = {k: (float(v.mean()), float(v.std())) for k, v in
                      (("pre", batch), ("train", y), ("eval", y_eval))}
                st["spread"] = float(spread.std())
                self.stats[B, s], data[B, s] = st, (batch.ravel(), y.ravel(), y_eval.ravel(), spread)
        lim = max(np.abs(d[3]).max() for d in data.values()) * 1.05
        pages = [widgets.Stack([widgets.HTML(self._page(
            B, s, self.stats[B, s], _bn_panels(*data[B, s], B, s, (-lim, lim))))
            for B in batch_sizes], selected_index=0) for s in scales]
        self.pages = widgets.Stack(pages, selected_index=0)
        style = {"description_width": "initial"}
        self.batch_slider = widgets.SelectionSlider(
            options=[str(b) for b in batch_sizes], value=str(batch_sizes[0]),
            description="バッチサイズ", style=style, continuous_update=False)
        self.scale_slider = widgets.SelectionSlider(
            options=[f"{s:g}" for s in scales], value=f"{scales[0]:g}",
            description="入力のスケール", style=style, continuous_update=False)
        self._link()
        super().__init__([widgets.HBox([self.batch_slider, self.scale_slider]), self.pages])

    @staticmethod
    def _page(B, s, st, fig):
        import base64
        uri = "data:image/png;base64," + base64.b64encode(figure_png(fig, dpi=72)).decode()
        rows = "".join(
            f"<tr><td>{name}</td><td>{round(st[key][0], 3) + 0.0:.3f}</td>"
            f"<td>{st[key][1]:.3f}</td></tr>"
            for name, key in (("BN前", "pre"), ("BN後（訓練）", "train"), ("BN後（評価）", "eval")))
        return (f'<img src="{uri}" alt="バッチサイズ {B}、入力スケール {s:g} の活性化の分布" '
                f'style="max-width:100%">'
                f'<table class="cnnw-bn" style="font-size:13px"><tr><th></th><th>平均</th>'
                f"<th>標準偏差</th></tr>{rows}</table>"
                f'<div class="cnnw-sum">バッチサイズ {B}、入力スケール {s:g}: 画像 0 の BN 後の出力'
                f"（空間平均）は、一緒に入るバッチによって標準偏差 {st['spread']:.3f} だけ変わります。</div>")

    def _link(self):
        """slider index -> Stack.selected_index, in the browser (jslink) and in Python."""
        pairs = [(self.scale_slider, [self.pages]), (self.batch_slider, list(self.pages.children))]
        for slider, stacks in pairs:
            for stack in stacks:
                widgets.jslink((slider, "index"), (stack, "selected_index"))

            def sync(change, stacks=stacks):
                for stack in stacks:
                    stack.selected_index = change["new"]
            slider.observe(sync, "index")

    @property
    def displayed_html(self):
        """The HTML page now visible."""
        row = self.pages.children[self.pages.selected_index]
        return row.children[row.selected_index].value


def bn_explorer(images, batch_sizes=(2, 8, 32, 128), scales=(0.01, 1, 100), trials=40, seed=0):
    """BN explorer over ``images`` (N, 1, H, W), filtered by one fixed random 3x3 conv (no bias).

    For every batch size and input scale: histograms of the conv output before BN, after
    BN in training mode (batch statistics) and in eval mode (statistics estimated at scale
    1), and how much one image's output changes with the other images in its batch.
    """
    x = np.asarray(images, dtype=np.float64)
    if x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"images must have shape (N, 1, H, W); got {x.shape}")
    sizes = [b for b in batch_sizes if isinstance(b, int) and not isinstance(b, bool)]
    if len(sizes) != len(batch_sizes) or not sizes or min(sizes) < 2 or max(sizes) > len(x):
        raise ValueError(f"batch_sizes must be ints from 2 to the number of images ({len(x)}); "
                         f"got {batch_sizes!r}")
    if not scales or any(not isinstance(s, (int, float)) or not s > 0 for s in scales):
        raise ValueError(f"scales must be positive numbers; got {scales!r}")
    if not (isinstance(trials, int) and trials >= 2):
        raise ValueError(f"trials must be an int >= 2; got {trials!r}")
    w = np.random.default_rng(seed).normal(0.0, np.sqrt(2 / 9), (1, 1, 3, 3))
    pre = F.conv2d(x, w, padding=1)
    return BNExplorer(pre, list(batch_sizes), list(scales), trials, seed)
