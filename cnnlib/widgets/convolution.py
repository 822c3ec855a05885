"""Chapter 1 (convolution): the convolution explorer and the output-size exercise.

The explorer computes in the page (js/conv.js) and, with a kernel, in Python (``conv_view``,
the reference, which uses ``cnnlib.scratch.functional.conv2d``); both read the same synced traits.
"""
import numpy as np
import traitlets as t

from ..scratch import functional as F
from ..checks import check_choice, check_int
from ..scratch.convmath import KERNELS
from ..data.lessons import CONV_INPUTS
from .answers import AnswerChecker, answer_spec, check_answer, problem_set
from .core import (CUSTOM, PHOTO, Explorer, InputError, esm, explorer_settings, fmt_number,
                   parse_matrix)

__all__ = ["conv_view", "ConvExplorer", "conv_explorer", "output_size_spec",
           "output_size_feedback", "output_size_exercise", "KERNEL_NAMES", "PHOTO", "CUSTOM"]

KERNEL_NAMES = {
    "恒等": "identity", "縦エッジ (Prewitt)": "vertical_edge",
    "横エッジ (Prewitt)": "horizontal_edge", "Sobel（横方向の変化）": "sobel_x",
    "Sobel（縦方向の変化）": "sobel_y", "ぼかし（平均）": "blur", "シャープ化": "sharpen",
    "L字": "l_shape", "L字（±1）": "l_shape_pm",
}
LIMITS = {"padding": (0, 3), "stride": (1, 3), "dilation": (1, 3)}


def kernel_text(k):
    """A kernel as editable text: one row per line, 1/9 written as a fraction.

    本書: 章のコードからは直接使いません
    """
    def entry(v):
        return "1/9" if abs(v - 1 / 9) < 1e-12 else fmt_number(v, 4)
    return "\n".join(" ".join(entry(v) for v in row) for row in np.asarray(k, dtype=float))


def _geometry_error(shape, k_shape, p, d):
    """Japanese explanation if the (dilated) kernel does not fit the padded input, else None."""
    for axis, n, k in (("縦", shape[0], k_shape[0]), ("横", shape[1], k_shape[1])):
        span = d * (k - 1) + 1
        if span > n + 2 * p:
            return (f"{axis}方向に窓を1つも置けません。ダイレーション込みのカーネルの幅 "
                    f"D(K−1)+1 = {d}×({k}−1)+1 = {span} が、パディング後の入力の幅 "
                    f"H+2P = {n}+2×{p} = {n + 2 * p} より大きいからです。"
                    "パディングを増やすか、カーネルかダイレーションを小さくしてください。")
    return None


def conv_view(x, text, padding, stride, dilation):
    """What the explorer shows: ``(kind, message, output, kernel)``.

    kind is 'info' (output is ``F.conv2d`` of x with the kernel typed in ``text``) or 'error'
    (message explains the text or the geometry; output and kernel are None).

    本書: 章のコードからは直接使いません
    """
    x = np.asarray(x, dtype=np.float64)
    p, s, d = padding, stride, dilation
    try:
        k = parse_matrix(text, "カーネル")
        problem = _geometry_error(x.shape, k.shape, p, d)
        if problem:
            raise InputError(problem)
    except InputError as e:
        return "error", str(e), None, None
    out = F.conv2d(x[None, None], k[None, None], stride=s, padding=p, dilation=d)[0, 0]
    (H, W), (KH, KW), (OH, OW) = x.shape, k.shape, out.shape
    message = (f"入力 {H}×{W}、カーネル {KH}×{KW}、P={p}, S={s}, D={d} → 出力 {OH}×{OW}"
               f"（縦: floor(({H}+2×{p}−{d}×({KH}−1)−1)/{s})+1 = {OH}）")
    return "info", message, out, k


class ConvExplorer(Explorer):
    """Convolution explorer: input, kernel, padding/stride/dilation, output position.

    In the page js/conv.js computes everything; in a kernel, Python recomputes ``result``,
    ``kernel``, ``kind`` and ``message`` from the same traits on every change.

    本書: 章のコードからは直接使いません
    """

    _esm = esm("explorer.js", "conv.js")
    kernels = t.Dict().tag(sync=True)             # preset name -> text
    kernel_name = t.Unicode().tag(sync=True)
    kernel_text = t.Unicode().tag(sync=True)
    padding = t.Int(0).tag(sync=True)
    stride = t.Int(1).tag(sync=True)
    dilation = t.Int(1).tag(sync=True)
    _settings = ("input_name", "kernel_text", "padding", "stride", "dilation")
    _preset = ("kernels", "kernel_name", "kernel_text")

    def input_matrix(self):
        """The current input as a float64 (H, W) array."""
        if self.is_photo:
            return self.photo_matrix()
        return np.array(self.inputs[self.input_name], dtype=np.float64)

    def _compute(self):
        self.kind, self.message, self.result, self.kernel = conv_view(
            self.input_matrix(), self.kernel_text, self.padding, self.stride, self.dilation)


def conv_explorer(input="L字・正方形・横棒 (8×8)", kernel="L字", padding=0, stride=1, dilation=1,
                  photo_height=32):
    """Explore a 2-D convolution: window, products, their sum and the output map.

    Everything works in the static page too (the page computes the convolution itself).

    本書: 第1章
    """
    check_choice(kernel, "kernel", KERNEL_NAMES)
    values, photo = explorer_settings(input, CONV_INPUTS, LIMITS, photo_height, padding=padding,
                                      stride=stride, dilation=dilation)
    kernels = {name: kernel_text(KERNELS[key]) for name, key in KERNEL_NAMES.items()}
    return ConvExplorer(inputs=CONV_INPUTS, photo=photo, kernels=kernels,
                        limits=LIMITS, input_name=input, kernel_name=kernel,
                        kernel_text=kernels[kernel], **values)


# ---------------------------------------------------------------- output-size exercise
GENERAL = "出力サイズ = floor((H + 2P − D(K−1) − 1) / S) + 1"


def output_size_spec(H, K, P, S, D):
    """The answer spec (see answers.py) of 'output height of (H, K, P, S, D)', mistakes included.

    本書: 章のコードからは直接使いません
    """
    answer = F.conv_output_size(H, K, P, S, D)          # ValueError if the kernel does not fit
    num = H + 2 * P - D * (K - 1) - 1
    worked = (f"{GENERAL} に代入すると floor(({H} + 2×{P} − {D}×({K}−1) − 1) / {S}) + 1 = "
              f"floor({num} / {S}) + 1 = {num // S} + 1 = <b>{answer}</b>。")
    rules = [{"kind": "error", "below": 1, "message":
              "{x} は出力サイズになりません。出力サイズは窓を置ける位置の個数で、1以上の整数です"
              "（窓が1つも置けない設定は PyTorch でもエラーになります）。"}]
    if D > 1:
        rules.append({"kind": "ng", "near": [(H + 2 * P - K) // S + 1, 0], "message":
                      f"ダイレーションを忘れていませんか。D={D} のとき、カーネルが覆う幅は "
                      f"K ではなく D(K−1)+1 = {D * (K - 1) + 1} です。"})
    if P > 0:
        rules.append({"kind": "ng", "near": [(H + P - D * (K - 1) - 1) // S + 1, 0],
                      "message": "パディングは上下（左右）の両側に付くので 2P です。"})
    if num % S:
        rules.append({"kind": "ng", "near": [-(-num // S) + 1, 0], "message":
                      f"{num}/{S} は割り切れません。PyTorch は切り上げずに切り捨て（floor）、"
                      "つまり最後の半端な位置には窓を置きません。"})
    if S > 1:
        rules.append({"kind": "ng", "near": [num + 1, 0],
                      "message": "ストライド S で割るのを忘れていませんか。"})
    rules.append({"kind": "ng", "near": [num // S, 0],
                  "message": "最後の +1（最初の窓の位置の分）を忘れていませんか。"})
    rules.append({"kind": "ng", "above": H + 2 * P, "message":
                  f"出力がパディング後の入力（{H + 2 * P}）より大きくなることはありません。"})
    question = (f"入力の高さ <b>H = {H}</b>、カーネル <b>K = {K}</b>、パディング <b>P = {P}</b>、"
                f"ストライド <b>S = {S}</b>、ダイレーション <b>D = {D}</b> の畳み込みの出力の高さ OH は？")
    return answer_spec(
        question, answer, "正解です。" + worked, integer=True, rules=rules,
        fallback="式の各項を確かめてください。",
        hint=f"ヒント: {GENERAL} に H={H}, K={K}, P={P}, S={S}, D={D} を代入して計算します。",
        reveal="計算: " + worked,
        not_integer=(" 出力サイズは窓を置ける位置の<b>個数</b>なので整数です。"
                     "割り切れないときは floor（切り捨て）で端数を捨てます。"))


def output_size_feedback(text, H, K, P, S, D, attempt=1):
    """``(kind, html)`` for the reader's answer to the output size of (H, K, P, S, D).

    From the second attempt on, a wrong answer also shows the worked computation.

    本書: 章のコードからは直接使いません
    """
    return check_answer(output_size_spec(H, K, P, S, D), text, attempt)


def random_problem(rng):
    """A random valid (H, K, P, S, D); about half of them have a stride that does not divide.

    本書: 章のコードからは直接使いません
    """
    while True:
        H = int(rng.integers(5, 33))
        K = int(rng.choice([1, 2, 3, 5, 7]))
        P = int(rng.integers(0, K // 2 + 2))
        S = int(rng.choice([1, 2, 2, 3]))
        D = int(rng.choice([1, 1, 1, 2])) if K > 1 else 1
        if D * (K - 1) + 1 <= H + 2 * P:
            return H, K, P, S, D


def output_size_exercise(H=None, K=None, P=None, S=None, D=None, seed=0, n=None):
    """Output-size exercise: the problem (H, K, P, S, D) if given, else random problems.

    ``n`` problems in all (default: 1 for a given problem, 10 random ones from ``seed``); they
    travel in the page, so 新しい問題 works without a kernel.

    本書: 第1章
    """
    given = [H, K, P, S, D]
    if any(v is None for v in given) and any(v is not None for v in given):
        raise ValueError("give all of H, K, P, S, D, or none of them for a random problem")
    first = None
    if H is not None:
        first = tuple(check_int(v, name, minimum=0 if name == "P" else 1)
                      for v, name in zip(given, "HKPSD"))
    problems = problem_set(first, random_problem, n or (1 if first else 10), seed)
    return AnswerChecker(problems=[output_size_spec(*p) for p in problems],
                         placeholder="出力の高さ OH")
