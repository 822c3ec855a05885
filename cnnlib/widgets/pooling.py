"""Chapter 2 (pooling): the pooling explorer and exercise 1 (pool the edge map by hand).

Both compute in the page (js/pool.js, js/pool_exercise.js) and, with a kernel, in Python:
``pool_view`` and ``check_pool_exercise`` are the references, built on ``cnnlib.scratch.functional``.
"""
import numpy as np
import traitlets as t

from ..scratch import functional as F
from ..checks import check_choice
from ..data.lessons import EDGE_MAP, POOL_INPUTS
from ..scratch.pooling import winner_counts
from .core import (Explorer, InputError, PageWidget, esm, explorer_settings, fmt_number,
                   html_matrix, parse_matrix)

__all__ = ["pool_view", "PoolExplorer", "pool_explorer", "pool_exercise_spec",
           "check_pool_exercise", "pool_exercise_feedback", "PoolExercise", "pool_exercise"]

MODES = {"最大": "max", "平均": "avg", "GAP（全体の平均）": "gap"}
LIMITS = {"kernel_size": (1, 4), "stride": (1, 4), "padding": (0, 2)}
MAX_INPUT = (8, 8)


def matrix_text(a):
    """A matrix as editable text: one row per line, entries separated by spaces.

    本書: 章のコードからは直接使いません
    """
    return "\n".join(" ".join(fmt_number(v) for v in row) for row in np.asarray(a, float))


def _geometry_error(shape, k, p):
    """Japanese explanation if a k x k window with padding p cannot pool ``shape``, else None."""
    if 2 * p > k:
        return (f"パディング P={p} はカーネル K={k} の半分（K//2 = {k // 2}）までにしてください。"
                "それより大きいと、パディングだけでできた窓ができてしまいます（PyTorch も同じ制限でエラーにします）。")
    for axis, n in (("縦", shape[0]), ("横", shape[1])):
        if k > n + 2 * p:
            return (f"{axis}方向に窓を1つも置けません。カーネル K={k} が、パディング後の入力の幅 "
                    f"{n}+2×{p} = {n + 2 * p} より大きいからです。")
    return None


def _summary(kind, shape, k, s, p, out_shape):
    (H, W), (OH, OW) = shape, out_shape
    if kind == "gap":
        return (f"GAP: 窓は入力全体（{H}×{W}）で、出力は 1×1 です（チャネルごとに1つの値）。"
                "カーネル・ストライド・パディングのスライダーは使いません。")
    name = "最大" if kind == "max" else "平均"
    pad = ""
    if p:
        pad = ("（パディングは −∞ 扱いで、勝つことはありません）" if kind == "max"
               else "（パディングの 0 も平均に数えます。PyTorch の既定 count_include_pad=True）")
    return (f"{name}プーリング: 入力 {H}×{W}、K={k}, S={s}, P={p} → 出力 {OH}×{OW}"
            f"（縦: floor(({H}+2×{p}−{k})/{s})+1 = {OH}）{pad}")


def pool_view(source, mode, kernel_size, stride, padding):
    """What the explorer shows: ``(kind, message, x, output, wins)``.

    ``source`` is the typed text of the input (or the photo as a matrix); ``mode`` one of
    MODES. kind is 'info' (output from ``F.max_pool2d`` / ``F.avg_pool2d``; ``wins`` counts the
    windows each input wins in max pooling, else None) or 'error' (x, output, wins None, or x
    set when only the window settings are wrong).

    本書: 章のコードからは直接使いません
    """
    kind = MODES[mode]
    try:
        x = (parse_matrix(source, "入力", max_shape=MAX_INPUT) if isinstance(source, str)
             else np.asarray(source, dtype=np.float64))
    except InputError as e:
        return "error", str(e), None, None, None
    k, s, p = kernel_size, stride, padding
    if kind == "gap":
        k, s, p = x.shape, 1, 0
    else:
        problem = _geometry_error(x.shape, k, p)
        if problem:
            return "error", problem, x, None, None
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    out = pool(x[None, None], k, s, p)[0, 0]
    wins = winner_counts(x, k, s, p) if kind == "max" else None
    return "info", _summary(kind, x.shape, kernel_size, stride, padding, out.shape), x, out, wins


class PoolExplorer(Explorer):
    """Pooling explorer: input, max/avg/GAP, kernel, stride, padding and the winning inputs.

    In the page js/pool.js computes everything; in a kernel, Python recomputes ``result``,
    ``wins``, ``kind`` and ``message`` from the same traits on every change.

    本書: 章のコードからは直接使いません
    """

    _esm = esm("explorer.js", "pool.js")
    modes = t.List(t.Unicode()).tag(sync=True)
    input_text = t.Unicode().tag(sync=True)
    mode = t.Unicode().tag(sync=True)
    kernel_size = t.Int(2).tag(sync=True)
    stride = t.Int(2).tag(sync=True)
    padding = t.Int(0).tag(sync=True)
    _settings = ("input_name", "input_text", "mode", "kernel_size", "stride", "padding")
    _preset = ("inputs", "input_name", "input_text")

    def _compute(self):
        source = self.photo_matrix() if self.is_photo else self.input_text
        self.kind, self.message, self.x, self.result, self.wins = pool_view(
            source, self.mode, self.kernel_size, self.stride, self.padding)


def pool_explorer(input="資料の4×4（例1）", mode="最大", kernel_size=2, stride=2, padding=0,
                  photo_height=32):
    """Explore max / average / global average pooling on a small matrix or a photo; the page
    computes the pooling itself, so all of it works in the static HTML book too.

    本書: 第2章
    """
    check_choice(mode, "mode", MODES)
    values, photo = explorer_settings(input, POOL_INPUTS, LIMITS, photo_height,
                                      kernel_size=kernel_size, stride=stride, padding=padding)
    texts = {name: matrix_text(a) for name, a in POOL_INPUTS.items()}
    return PoolExplorer(inputs=texts, photo=photo, modes=list(MODES),
                        limits=LIMITS, input_name=input, input_text=texts.get(input, ""),
                        mode=mode, **values)


# ---------------------------------------------------------------- exercise 1: max vs average
def _pool2(x, kind):
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    return pool(np.asarray(x, float)[None, None], 2, 2)[0, 0]


def _part_spec(x, kind):
    """Spec of one typed 2x2/stride-2 pooling output: the truth and the known mistakes."""
    name = "最大プーリング" if kind == "max" else "平均プーリング"
    truth, other = _pool2(x, kind), _pool2(x, "avg" if kind == "max" else "max")
    (n, m), (OH, OW) = np.shape(x), truth.shape
    strict = {"atol": 1e-6, "rtol": 1e-5}                # np.allclose(..., atol=1e-6)
    matches = [{"matrix": other.tolist(), **strict, "message":
                f"{name}の欄に{'平均' if kind == 'max' else '最大'}プーリングの結果が入っています（入れ替わり）。"}]
    if kind == "avg":
        matches.append({"matrix": (4 * truth).tolist(), **strict, "message":
                        "平均プーリングの欄が窓の合計になっています。窓の要素数 4 で割ってください。"})
        for rounded in (np.ceil(truth), np.floor(truth), np.round(truth), np.floor(truth + 0.5)):
            matches.append({"matrix": rounded.tolist(), "atol": 1e-8, "rtol": 1e-5, "message":
                            "平均を整数に丸めていませんか。平均プーリングの出力は小数のままです"
                            "（資料の一つも、平均を切り上げた値を結果として載せていました）。"})
    what = "最大値" if kind == "max" else "平均"
    cells = [[f"たとえば位置 ({i}, {j}) の窓は入力の {2 * i}〜{2 * i + 1} 行・{2 * j}〜{2 * j + 1} 列 "
              f"[{' '.join(fmt_number(v) for v in np.asarray(x, float)[2 * i:2 * i + 2, 2 * j:2 * j + 2].ravel())}]"
              f" で、その{what}は {fmt_number(truth[i, j])} です。" for j in range(OW)] for i in range(OH)]
    return {"name": name, "truth": truth.tolist(), **strict, "matches": matches, "cells": cells,
            "shape": (f"{name}の出力の形が {{rows}}×{{cols}} になっています。{{hint}}2×2・ストライド2なら "
                      f"floor(({n}−2)/2)+1 = {OH} なので {OH}×{OW} です。"),
            "shape_hints": [{"shape": [n - 1, m - 1], "message": "ストライド1で計算していませんか。"}],
            "ok": f"{name}: 正解です。", "wrong": f"{name}: {{count}} か所が違います。"}


def pool_exercise_spec(x):
    """The spec of exercise 1 for the map ``x``: two pooled maps and a choice.

    本書: 章のコードからは直接使いません
    """
    n, m = np.shape(x)
    question = (f"<div>次の {n}×{m} のエッジの特徴マップに、2×2・ストライド2の最大プーリングと"
                "平均プーリングをかけた出力を、行ごとに改行して入力してください。</div>"
                + html_matrix(np.asarray(x, float), "エッジの特徴マップ"))
    choice = {"label": "細いエッジを強く残すのは？", "options": ["最大プーリング", "平均プーリング"],
              "answer": "最大プーリング",
              "none": "3つ目の問い（どちらが細いエッジを強く残すか）を選んでください。",
              "ok": "3つ目: 正解です。最大プーリングは窓に1画素でもエッジがあれば 1 を出すので、"
                    "太さ1画素の輪郭が強さを保ったまま残ります。",
              "ng": "3つ目: 平均プーリングでは、エッジの1画素が窓の4画素で薄められて 0.25〜0.5 に"
                    "弱まります。窓に1画素でもあれば 1 を出す最大プーリングの方が強く残します。"
                    "平均が向くのは、窓全体の傾向（なめらかな量、ノイズをならしたい量）を残したいときです。"}
    return {"question": question, "parts": [_part_spec(x, "max"), _part_spec(x, "avg")],
            "choice": choice}


def _close(a, b, atol, rtol):
    """np.allclose for two lists of rows of the same shape (what js/pool_exercise.js does)."""
    return all(abs(u - v) <= atol + rtol * abs(v) for ra, rb in zip(a, b) for u, v in zip(ra, rb))


def _check_part(part, text):
    """(right, html) for one typed pooled map."""
    try:
        got = parse_matrix(text, f"{part['name']}の出力", max_shape=MAX_INPUT).tolist()
    except InputError as e:
        return False, str(e)
    truth = part["truth"]
    if [len(got), len(got[0])] != [len(truth), len(truth[0])]:
        shape = [len(got), len(got[0])]
        hint = "".join(h["message"] for h in part["shape_hints"] if h["shape"] == shape)
        return False, (part["shape"].replace("{rows}", str(shape[0]))
                       .replace("{cols}", str(shape[1])).replace("{hint}", hint))
    if _close(got, truth, part["atol"], part["rtol"]):
        return True, part["ok"]
    for m in part["matches"]:
        if _close(got, m["matrix"], m["atol"], m["rtol"]):
            return False, m["message"]
    wrong = [(i, j) for i, row in enumerate(truth) for j, v in enumerate(row)
             if abs(got[i][j] - v) > part["atol"]]
    i, j = wrong[0]
    return False, part["wrong"].replace("{count}", str(len(wrong))) + part["cells"][i][j]


def check_pool_exercise(spec, max_text, avg_text, choice):
    """``(kind, html)`` for exercise 1: 'ok' only when both maps and the choice are right.

    本書: 章のコードからは直接使いません
    """
    (ok_max, msg_max), (ok_avg, msg_avg) = (_check_part(part, text) for part, text in
                                            zip(spec["parts"], (max_text, avg_text)))
    c = spec["choice"]
    ok_choice = choice == c["answer"]
    line = c["none"] if not choice else (c["ok"] if ok_choice else c["ng"])
    kind = "ok" if ok_max and ok_avg and ok_choice else "ng"
    return kind, "<br>".join([msg_max, msg_avg, line])


def pool_exercise_feedback(max_text, avg_text, choice, x=EDGE_MAP):
    """``(kind, html)`` for exercise 1 on the map ``x`` (the lesson's edge map by default).

    本書: 章のコードからは直接使いません
    """
    return check_pool_exercise(pool_exercise_spec(x), max_text, avg_text, choice or "")


class PoolExercise(PageWidget):
    """Exercise 1: two text areas (max and average pooling), a choice, 確認 and the feedback.

    本書: 章のコードからは直接使いません
    """

    _esm = esm("pool_exercise.js")
    spec = t.Dict().tag(sync=True)
    max_text = t.Unicode("").tag(sync=True)
    avg_text = t.Unicode("").tag(sync=True)
    choice = t.Unicode("").tag(sync=True)
    checks = t.Int(0).tag(sync=True)
    kind = t.Unicode("").tag(sync=True)
    feedback = t.Unicode("").tag(sync=True)

    def check(self, max_text, avg_text, choice=""):
        """Check the three answers as the 確認 button does; returns ``(kind, html)``."""
        self.max_text, self.avg_text, self.choice = max_text, avg_text, choice or ""
        self.checks += 1
        return self.kind, self.feedback

    @t.observe("checks")
    def _on_check(self, _):
        self.kind, self.feedback = check_pool_exercise(self.spec, self.max_text, self.avg_text,
                                                       self.choice)


def pool_exercise(x=EDGE_MAP):
    """Exercise 1 of the pooling chapter (the lesson's 6x6 edge map by default).

    本書: 第2章
    """
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"x must be a 2-D matrix of numbers; got {type(x).__name__}") from None
    if a.ndim != 2 or not (2 <= a.shape[0] <= 8 and 2 <= a.shape[1] <= 8) \
            or not np.isfinite(a).all():
        raise ValueError(f"x must be a finite 2-D map between 2x2 and 8x8; got shape {a.shape}")
    return PoolExercise(spec=pool_exercise_spec(a.tolist()))

