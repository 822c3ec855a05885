"""Pictures of the convolution's geometry (chapter 1), drawn from the numbers the text uses.

- ``conv_matrix_figure``: the dense layer's weight matrix that equals a small convolution;
- ``equivariance_figure``: shift the input, and the output shifts with it;
- ``conv_window_figure`` / ``conv_window_animation``: the kernel's window on the (padded) input
  and the output grid, in the style of Dumoulin & Visin's conv_arithmetic; output sizes come
  from ``cnnlib.scratch.functional.conv_output_size``;
- ``conv_volume_figure``: a multi-channel input, several kernels and the output as 3-D blocks.
"""
import html as _html
import re

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import Animation, FuncAnimation
from matplotlib.patches import ConnectionPatch, FancyArrowPatch, Polygon, Rectangle

from ..checks import check_int, check_number
from ..scratch import convmath as CM
from ..scratch import functional as F

__all__ = ["conv_matrix_figure", "equivariance_figure", "conv_window_figure",
           "conv_window_animation", "animation_html", "conv_volume_figure"]

WINDOW = "#ffb300"        # the kernel's window and its output cell
DONE = "#b3e5fc"          # outputs already computed
PAD = "#eeeeee"           # padding cells (zeros)
INPUT = "#e3f2fd"         # input cells


# ---------------------------------------------------------------- a convolution as a dense layer
def conv_matrix_figure(k, input_shape):
    """The kernel and the dense weight matrix that computes the same 'valid' convolution.

    Each of the kernel's entries has one colour, wherever it appears in the matrix; zero weights
    are left white. Returns the figure.

    本書: 第1章
    """
    M = CM.conv_matrix(k, input_shape)
    if M.shape[1] > 64:
        raise ValueError(f"input_shape must have at most 64 pixels for a legible figure (such as "
                         f"(5, 5)); got {tuple(input_shape)}")
    index = CM.kernel_index_matrix(np.shape(k), input_shape)
    k = np.asarray(k, dtype=float)
    colours = plt.get_cmap("tab10" if k.size <= 10 else "tab20")
    rows, cols = M.shape
    fig, (ax_k, ax_m) = plt.subplots(1, 2, figsize=(9.5, 3.6),
                                     gridspec_kw={"width_ratios": [k.shape[1] + 1, cols]})

    def cells(ax, idx, values):
        for (r, c), t in np.ndenumerate(idx):
            face = colours(t % colours.N) if t >= 0 else "white"
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor=face, edgecolor="#9e9e9e", lw=0.5,
                                   alpha=0.85 if t >= 0 else 1))
            if t >= 0:
                ax.text(c + 0.5, r + 0.5, f"{values[r, c]:g}", ha="center", va="center", fontsize=10)
        ax.set_xlim(0, idx.shape[1])
        ax.set_ylim(idx.shape[0], 0)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])

    cells(ax_k, np.arange(k.size).reshape(k.shape), k)
    ax_k.set_title(f"カーネル {k.shape[0]}×{k.shape[1]}", fontsize=12)
    cells(ax_m, index, M)
    H, W = input_shape
    ax_m.set_title(f"同じ計算をする全結合層の重み行列 {rows}×{cols}\n"
                   f"（行 = 出力 {rows} 画素、列 = 入力 {H}×{W} 画素、白 = 重み 0）", fontsize=12)
    ax_m.set_xlabel("入力の画素（左上から行ごとに平坦化）", fontsize=11)
    ax_m.set_ylabel("出力の画素", fontsize=11)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- translation equivariance
def equivariance_figure(maps, shift):
    """The square input -> shifted input, output -> output of the shifted input, and the
    difference ``y_shifted - y_moved`` with the interior (windows inside the moved image) framed.

    ``maps`` is the dict of ``cnnlib.scratch.convmath.shift_equivariance``; ``shift`` its (dy, dx).

    本書: 第1章
    """
    need = ("x", "x_shifted", "y", "y_shifted", "diff", "interior")
    if not isinstance(maps, dict) or any(key not in maps for key in need):
        raise TypeError(f"maps must be the dict of shift_equivariance with keys {need}; got "
                        f"{maps!r:.60}")
    if not (isinstance(shift, tuple) and len(shift) == 2):
        raise ValueError(f"shift must be the (dy, dx) pair given to shift_equivariance; got {shift!r}")
    dy, dx = shift
    fig = plt.figure(figsize=(9.5, 6.2))
    grid = fig.add_gridspec(2, 3, width_ratios=[1, 1, 1.15])
    lim = float(np.abs(maps["y"]).max()) or 1.0
    panels = [((0, 0), maps["x"], "入力", "gray", None),
              ((0, 1), maps["x_shifted"], f"ずらした入力（下へ {dy}、右へ {dx} 画素）", "gray", None),
              ((1, 0), maps["y"], "入力の出力", "RdBu_r", lim),
              ((1, 1), maps["y_shifted"], "ずらした入力の出力", "RdBu_r", lim)]
    axes = {}
    for (r, c), img, title, cmap, v in panels:
        ax = fig.add_subplot(grid[r, c])
        ax.imshow(img, cmap=cmap, vmin=-v if v else None, vmax=v)
        ax.set_title(title, fontsize=12)
        ax.set_xticks([])
        ax.set_yticks([])
        axes[r, c] = ax
    ax = fig.add_subplot(grid[:, 2])
    d = maps["diff"]
    im = ax.imshow(d, cmap="RdBu_r", vmin=-lim, vmax=lim)
    rows, cols = np.nonzero(maps["interior"])
    if rows.size:
        ax.add_patch(Rectangle((cols.min() - 0.5, rows.min() - 0.5), np.ptp(cols) + 1, np.ptp(rows) + 1,
                               fill=False, edgecolor="#2e7d32", lw=1.5, ls="--"))
    inside = np.abs(d[maps["interior"]]).max() if rows.size else 0.0
    ax.set_title("差: ずらした入力の出力\n− 出力をずらしたもの\n"
                 f"（緑の枠の内側の最大 |差| = {inside:g}）", fontsize=12)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(im, ax=ax, fraction=0.046, orientation="horizontal", pad=0.04)
    for (r, c), title in (((1, 0), "入力の出力"), ((1, 1), "ずらした入力の出力")):
        axes[r, c].set_title("")
        axes[r, c].set_xlabel(title, fontsize=12)
    fig.tight_layout(h_pad=3.0, w_pad=5.0)
    for a, b, text in ((axes[0, 0], axes[0, 1], f"ずらす\n({dy}, {dx})"), (axes[1, 0], axes[1, 1], "ずらすと\n一致\n（内側）"),
                       (axes[0, 0], axes[1, 0], "畳み込み"), (axes[0, 1], axes[1, 1], "畳み込み")):
        a.apply_aspect()
        b.apply_aspect()
        pa, pb = a.get_position(), b.get_position()
        if a is axes[0, 0] and b is axes[0, 1] or a is axes[1, 0]:
            start, end = (pa.x1 + 0.005, (pa.y0 + pa.y1) / 2), (pb.x0 - 0.005, (pb.y0 + pb.y1) / 2)
            where, ha, va = ((start[0] + end[0]) / 2, start[1] + 0.015), "center", "bottom"
        else:
            start, end = ((pa.x0 + pa.x1) / 2, pa.y0 - 0.005), ((pb.x0 + pb.x1) / 2, pb.y1 + 0.005)
            where, ha, va = (start[0] + 0.012, (start[1] + end[1]) / 2), "left", "center"
        fig.add_artist(FancyArrowPatch(start, end, transform=fig.transFigure, arrowstyle="-|>",
                                       color="#424242", lw=1.2, mutation_scale=12))
        fig.text(*where, text, ha=ha, va=va, fontsize=10.5, color="#424242")
    return fig


# ---------------------------------------------------------------- windows on a grid
def _geometry(size, kernel_size, padding, stride, dilation):
    n, k = check_int(size, "size", 1), check_int(kernel_size, "kernel_size", 1)
    p, s = check_int(padding, "padding", 0), check_int(stride, "stride", 1)
    d = check_int(dilation, "dilation", 1)
    o = F.conv_output_size(n, k, p, s, d)
    if n + 2 * p > 16:
        raise ValueError(f"size + 2*padding must be <= 16 cells for a legible drawing; got "
                         f"size={n}, padding={p}")
    return n, k, p, s, d, o


def _taps(i, j, k, s, d):
    """Padded-input cells read by output (i, j)."""
    return [(i * s + m * d, j * s + n * d) for m in range(k) for n in range(k)]


def _title(n, k, p, s, d, o):
    return (f"入力 {n}×{n}、カーネル {k}×{k}、パディング {p}、ストライド {s}、ダイレーション {d}"
            f"\n出力の大きさ $\\lfloor({n}+2\\cdot{p}-{d}\\cdot({k}-1)-1)/{s}\\rfloor+1 = {o}$")


def _draw(ax_in, ax_out, n, k, p, s, d, o, i, j):
    """One frame: the padded input with output (i, j)'s window, and the output grid."""
    for ax in (ax_in, ax_out):
        ax.clear()
        ax.set_aspect("equal")
        ax.axis("off")
    N = n + 2 * p
    used = {t for a in range(o) for b in range(o) for t in _taps(a, b, k, s, d)}
    for r in range(N):
        for c in range(N):
            pad = not (p <= r < p + n and p <= c < p + n)
            ax_in.add_patch(Rectangle((c, r), 1, 1, facecolor=PAD if pad else INPUT,
                                      edgecolor="#9e9e9e" if pad else "#1565c0",
                                      ls="--" if pad else "-", lw=0.8,
                                      hatch=None if (r, c) in used else "////"))
            if pad:
                ax_in.text(c + 0.5, r + 0.5, "0", ha="center", va="center", fontsize=8,
                           color="#9e9e9e")
    taps = _taps(i, j, k, s, d)
    for r, c in taps:
        ax_in.add_patch(Rectangle((c, r), 1, 1, facecolor=WINDOW, edgecolor="#e65100", lw=1.2,
                                  alpha=0.9))
    span = d * (k - 1) + 1
    ax_in.add_patch(Rectangle((j * s, i * s), span, span, fill=False, edgecolor="#e65100", lw=2))
    ax_in.set_xlim(-0.2, N + 0.2)
    ax_in.set_ylim(N + 0.2, -0.2)
    notes = ([f"灰色 = パディング {p}"] if p else []) + (["斜線 = どの窓にも入らない"]
                                                     if len(used) < N * N else [])
    title = f"入力 {n}×{n}" + (f"（{'、'.join(notes)}）" if notes else "")
    ax_in.set_title(title, fontsize=10)
    for a in range(o):
        for b in range(o):
            done = a * o + b < i * o + j
            face = WINDOW if (a, b) == (i, j) else DONE if done else "white"
            ax_out.add_patch(Rectangle((b, a), 1, 1, facecolor=face, edgecolor="#1565c0", lw=0.8))
    ax_out.set_xlim(-0.2, max(o, N) + 0.2)
    ax_out.set_ylim(max(o, N) + 0.2, -0.2)
    ax_out.set_title(f"出力 {o}×{o}（いま計算する位置 ({i}, {j})）", fontsize=10)
    arrow = ConnectionPatch((j * s + span, i * s + span / 2), (j, i + 0.5), "data", "data",
                            axesA=ax_in, axesB=ax_out, arrowstyle="-|>", color="#e65100",
                            lw=1.2, mutation_scale=12)
    ax_out.add_artist(arrow)


def _frame_figure(n, k, p, s, d, o, dpi=None):
    N = n + 2 * p
    fig, (ax_in, ax_out) = plt.subplots(1, 2, figsize=(6.4, 3.3), dpi=dpi,
                                        gridspec_kw={"width_ratios": [N, max(o, N)]})
    fig.suptitle(_title(n, k, p, s, d, o), fontsize=10)
    return fig, ax_in, ax_out


def conv_window_figure(size, kernel_size, padding=0, stride=1, dilation=1, position=(0, 0)):
    """One output's window on the padded input (hatched cells: read by no window) and the
    output grid, whose size is ``conv_output_size(size, kernel_size, padding, stride, dilation)``.

    本書: 第1章
    """
    n, k, p, s, d, o = _geometry(size, kernel_size, padding, stride, dilation)
    if not (isinstance(position, tuple) and len(position) == 2
            and all(isinstance(v, int) and 0 <= v < o for v in position)):
        raise ValueError(f"position must be an (i, j) pair of ints in [0, {o - 1}] (the output is "
                         f"{o}×{o}); got {position!r}")
    fig, ax_in, ax_out = _frame_figure(n, k, p, s, d, o)
    _draw(ax_in, ax_out, n, k, p, s, d, o, *position)
    fig.tight_layout()
    return fig


def conv_window_animation(size, kernel_size, padding=0, stride=1, dilation=1, interval=700,
                          dpi=100):
    """The window stepping over every output position (first frame: output (0, 0)), as a
    ``FuncAnimation`` whose figure is already closed: show it with
    ``IPython.display.HTML(animation_html(anim))`` (``anim.to_jshtml()`` for an offline page).

    本書: 第1章
    """
    n, k, p, s, d, o = _geometry(size, kernel_size, padding, stride, dilation)
    interval = check_int(interval, "interval", 50, 10000)
    dpi = check_number(dpi, "dpi", 30, 200)
    fig, ax_in, ax_out = _frame_figure(n, k, p, s, d, o, dpi=dpi)
    fig.tight_layout()

    def frame(t):
        _draw(ax_in, ax_out, n, k, p, s, d, o, t // o, t % o)
        return []

    frame(0)
    anim = FuncAnimation(fig, frame, frames=o * o, interval=interval, blit=False)
    anim.alt_text = (f"畳み込みの窓が出力の順に動くアニメーション: 入力 {n}×{n}、カーネル {k}×{k}、"
                     f"パディング {p}、ストライド {s}、ダイレーション {d}、出力 {o}×{o}")
    plt.close(fig)
    return anim


# matplotlib's player: its Font Awesome icons come from a CDN stylesheet; the book's pages load
# nothing from the network, so the buttons get Japanese words instead (title, label).
_BUTTONS = {"Decrease speed": ("遅く", "fa fa-minus"), "First frame": ("最初", "fa fa-fast-backward"),
            "Previous frame": ("前", "fa fa-step-backward"),
            "Play backwards": ("逆再生", "fa fa-play fa-flip-horizontal"),
            "Pause": ("停止", "fa fa-pause"), "Play": ("再生", "fa fa-play"),
            "Next frame": ("次", "fa fa-step-forward"), "Last frame": ("最後", "fa fa-fast-forward"),
            "Increase speed": ("速く", "fa fa-plus")}
_MODES = {"Once": "1回", "Loop": "繰り返し", "Reflect": "往復", "Repetition mode": "繰り返し方"}


def animation_html(anim, default_mode="loop", alt=None):
    """``anim.to_jshtml()`` for an offline page: without the CDN stylesheet matplotlib links for
    its button icons, with Japanese words on the buttons, and with alt text on the frame image
    (``alt``, or the description ``conv_window_animation`` attaches). Raises RuntimeError if any
    network address is left (a new matplotlib template), so a page never loads one silently.

    本書: 第1章
    """
    if not isinstance(anim, Animation):
        raise TypeError(f"anim must be a matplotlib Animation (such as conv_window_animation's); "
                        f"got {type(anim).__name__}")
    if default_mode not in ("once", "loop", "reflect"):
        raise ValueError(f"default_mode must be 'once', 'loop' or 'reflect'; got {default_mode!r}")
    alt = getattr(anim, "alt_text", "アニメーション") if alt is None else alt
    if not isinstance(alt, str) or not alt.strip():
        raise TypeError(f"alt must be a non-empty str describing the animation; got {alt!r}")
    html = anim.to_jshtml(default_mode=default_mode)
    html = html.replace('<img id="_anim_img',
                        f'<img alt="{_html.escape(alt)}" style="max-width: 100%;" id="_anim_img')
    html = re.sub(r'<link[^>]*font-awesome[^>]*>', "", html)
    for title, (word, icon) in _BUTTONS.items():
        html = html.replace(f'<i class="{icon}"></i>', word)
        html = html.replace(f'title="{title}" aria-label="{title}"', f'title="{word}" aria-label="{word}"')
    for english, word in _MODES.items():
        html = html.replace(f">{english}</label>", f">{word}</label>")
        html = html.replace(f'title="{english}" aria-label="{english}"', f'title="{word}" aria-label="{word}"')
    html = html.replace("<button ", '<button style="width: auto; padding: 0 6px;" ')
    left = re.findall(r'(?:href|src|url)\s*[=(]\s*["\']?(?:https?:)?//[^"\' )>]+', html)
    if left or "fa fa-" in html or "<img alt=" not in html:
        raise RuntimeError(f"matplotlib's animation HTML changed: network addresses {left} or icons "
                           "remain; update cnnlib.figures.geometry.animation_html")
    return html


# ---------------------------------------------------------------- 3-D blocks
def _cuboid(ax, x, y, width, height, depth, colour, skew=(0.45, 0.45), slices=1):
    """A box whose front face (width x height) has its lower-left corner at (x, y), receding by
    ``depth`` up and to the right (``skew`` per unit of depth), with ``slices`` lines across the
    depth (one per channel). Returns the far corner (right x, top y). Chapter 4's block diagrams
    (``cnnlib.figures.blocks``) draw their boxes with it too."""
    dx, dy = depth * skew[0], depth * skew[1]
    front = [(x, y), (x + width, y), (x + width, y + height), (x, y + height)]
    top = [(x, y + height), (x + width, y + height), (x + width + dx, y + height + dy),
           (x + dx, y + height + dy)]
    side = [(x + width, y), (x + width + dx, y + dy), (x + width + dx, y + height + dy),
            (x + width, y + height)]
    for face, shade in ((side, 0.75), (top, 0.9), (front, 1.0)):
        rgb = np.array(plt.matplotlib.colors.to_rgb(colour)) * shade
        ax.add_patch(Polygon(face, closed=True, facecolor=rgb, edgecolor="#37474f", lw=0.8))
    for t in np.arange(1, slices) / slices:
        ax.plot([x + t * dx, x + width + t * dx, x + width + t * dx],
                [y + height + t * dy, y + height + t * dy, y + t * dy], color="#37474f", lw=0.5)
    return x + width + dx, y + height + dy


def conv_volume_figure(in_channels, size, out_channels, kernel_size, stride=1, padding=0):
    """Input C_in×H×W, C_out kernels of C_in×k×k (each with one bias) and the output
    C_out×H'×W' as 3-D blocks; H' = ``conv_output_size(size, kernel_size, padding, stride)``.
    Kernel f and output channel f share a colour.

    本書: 第1章
    """
    c = check_int(in_channels, "in_channels", 1, 16)
    n = check_int(size, "size", 1, 64)
    f = check_int(out_channels, "out_channels", 1, 8)
    k = check_int(kernel_size, "kernel_size", 1)
    s, p = check_int(stride, "stride", 1), check_int(padding, "padding", 0)
    o = F.conv_output_size(n, k, p, s)
    unit, ch = 5.0 / n, 0.8                  # the input's side is 5 units; one channel 0.8 deep
    colours = plt.get_cmap("Set2")
    fig, ax = plt.subplots(figsize=(9.5, 3.9))
    x, _ = _cuboid(ax, 0, 0, n * unit, n * unit, c * ch, "#90caf9", slices=c)
    ax.text(x / 2, -0.4, f"入力 {c}×{n}×{n}\n（チャネル×高さ×幅）", ha="center", va="top", fontsize=12)
    ax.text(x + 0.55, n * unit / 2, r"$\ast$", fontsize=20, ha="center", va="center")
    x0, lift = x + 1.2, k * unit + c * ch * 0.45 + 0.3
    for i in range(f):                       # kernel 1 in front, the others behind it
        j = f - 1 - i
        _cuboid(ax, x0 + j * 0.35, j * lift, k * unit, k * unit, c * ch, colours(j % 8), slices=c)
        ax.text(x0 + j * 0.35 + k * unit / 2, j * lift + k * unit / 2, str(j + 1), fontsize=11,
                ha="center", va="center")
    x = x0 + (f - 1) * 0.35 + k * unit + c * ch * 0.45
    ax.text((x0 + x) / 2, -0.4, f"カーネル {f} 個\n（各 {c}×{k}×{k}、バイアス各1つ）", ha="center",
            va="top", fontsize=12)
    x += 2.6
    ax.annotate("", (x - 0.2, n * unit / 2), (x - 1.8, n * unit / 2),
                arrowprops={"arrowstyle": "-|>", "color": "#424242", "lw": 1.5})
    ax.text(x - 1.0, n * unit / 2 + 0.25, f"ストライド {s}\nパディング {p}", ha="center", va="bottom",
            fontsize=11)
    end = 0.0
    for i in range(f - 1, -1, -1):           # output channel i: one slab, kernel i's colour
        end = max(end, _cuboid(ax, x + i * ch * 0.45, i * ch * 0.45, o * unit, o * unit, ch,
                               colours(i % 8))[0])
    ax.text(x + o * unit / 2, o * unit / 2, "1", fontsize=11, ha="center", va="center")
    ax.text(x + (o * unit + f * ch * 0.45) / 2, -0.4,
            f"出力 {f}×{o}×{o}\n（色 = カーネル）", ha="center", va="top", fontsize=12)
    ax.set_xlim(-0.3, end + 0.3)
    ax.set_ylim(-2.3, max(n * unit + c * ch * 0.45, (f - 1) * lift + k * unit + c * ch * 0.45) + 0.4)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    return fig
