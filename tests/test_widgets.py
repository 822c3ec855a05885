"""The widgets' Python side: parsers, checkers and explorers driven through their traits.

In JupyterLab the page sends the reader's input as trait changes (``set_state``); Python then
computes the feedback or the explorer's state with the reference functions. These tests drive
that path (traits in, feedback out) and compare the explorers with torch. The page-side
JavaScript is held to these functions by tests/test_widgets_js.py.
"""
import re
import time

import numpy as np
import pytest
import torch

import cnnlib.widgets as W
from cnnlib.data.lessons import CONV_INPUTS, POOL_INPUTS
from cnnlib.widgets import convolution, core, pooling


def text(html):
    """Visible text of an HTML snippet, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def torch_conv(x, k, padding, stride, dilation):
    t = torch.nn.functional.conv2d(torch.tensor(x)[None, None], torch.tensor(k)[None, None],
                                   stride=stride, padding=padding, dilation=dilation)
    return t[0, 0].numpy()


# ---------------------------------------------------------------- parsers
@pytest.mark.parametrize("src, expected", [
    ("1 0 -1\n1 0 -1", [[1, 0, -1], [1, 0, -1]]),
    ("1, 2; 3, 4", [[1, 2], [3, 4]]),
    ("[[1/9, 0.5], [-2, 1e-1]]", [[1 / 9, 0.5], [-2, 0.1]]),
    ("１　－２", [[1, -2]]),                      # full-width IME input
    ("ー１、２", [[-1, 2]]),                      # the long-vowel mark typed for a minus
])
def test_parse_matrix_accepts_common_formats(src, expected):
    np.testing.assert_allclose(W.parse_matrix(src), expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("src, words", [
    ("", ["空"]),
    ("1 2\n3 x", ["2行目", "「x」", "数として読めません"]),
    ("1 2 3\n4 5", ["そろっていません", "1行目 3個", "2行目 2個"]),
    ("nan 1", ["「nan」"]),
    ("1/0", ["「1/0」", "0 で割っています"]),
    ("1e400", ["大きすぎて計算できません"]),
    ("1e308 1", ["絶対値 1000000 まで"]),
    ("1" * 100, ["100文字の数は長すぎます"]),
    ("1" * 5000, ["長すぎます（5000文字）"]),
    ("1 " * 3000, ["長すぎます（5999文字）"]),
    ("\n".join(["1 " * 8] * 8), ["大きすぎます", "8×8"]),
])
def test_parse_matrix_explains_bad_text(src, words):
    with pytest.raises(W.InputError) as e:
        W.parse_matrix(src)
    for w in words:
        assert w in str(e.value)


@pytest.mark.parametrize("src, value", [("3", 3), ("３", 3), ("-0.5", -0.5), ("1/9", 1 / 9),
                                        ("1e-99999999", 0.0), (" 4\n", 4), ("－３", -3)])
def test_parse_answer_reads_numbers(src, value):
    assert W.parse_answer(src) == value


@pytest.mark.parametrize("src, words", [
    ("", ["空"]), ("abc", ["「abc」", "数として読めません"]), ("1e400", ["大きすぎて"]),
    ("1" * 5000, ["長すぎます（5000文字）"]), ("<b>", ["「&lt;b&gt;」"]), ("1/0", ["0 で割って"])])
def test_parse_answer_explains_bad_text(src, words):
    with pytest.raises(W.InputError) as e:
        W.parse_answer(src)
    for w in words:
        assert w in str(e.value)


def test_parsing_is_bounded():
    """Huge exponents, long digit strings and long texts are answered at once (no bignums)."""
    start = time.perf_counter()
    for src in ("1e-99999999", "1e99999999", "9" * 100000, "1/" + "3" * 100000,
                ("1 " * 100000) + "\n"):
        for parse in (W.parse_answer, W.parse_matrix):
            try:
                parse(src)
            except W.InputError:
                pass
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("v, digits, shown", [(3.0000000001, 2, "3"), (-0.001, 2, "0.00"),
                                              (0.125, 2, "0.12"), (-1 / 3, 2, "-0.33"),
                                              (1e21, 2, "1000000000000000000000")])
def test_fmt_number(v, digits, shown):
    assert W.fmt_number(v, digits) == shown


def test_feedback_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of"):
        W.feedback("great", "x")


# ---------------------------------------------------------------- the kernel path of a checker
def front_end_check(box, answer):
    """What the page sends when the reader presses 確認: answer, attempt, wrong, checks."""
    attempt = box.wrong + 1
    box.set_state({"answer": answer, "attempt": attempt, "checks": box.checks + 1})
    box.set_state({"wrong": box.wrong + (box.kind == "ng")})
    return box.kind, box.feedback


def test_checker_traits_in_feedback_out():
    box = W.answer_checker("3×3×3 のカーネル2個とバイアスのパラメータ数は？", 56,
                           explanation="54 + 2", mistakes={54: "バイアスを忘れていませんか。"})
    assert front_end_check(box, "54") == (
        "ng", "54 ではありません。バイアスを忘れていませんか。<br>" + W.answers.HINT)
    kind, message = front_end_check(box, "55")                    # second try: the answer
    assert kind == "ng" and "答えは 56 です。54 + 2" in message
    assert front_end_check(box, "５６") == ("ok", "正解です（56）。54 + 2")
    assert front_end_check(box, "abc")[0] == "error"
    assert box.answer == "abc"                                     # Python sees the answer


def test_checker_check_method_matches_the_engine():
    box = W.answer_checker("q", 0.25, tol=1e-9)
    for attempt, (answer, kind) in enumerate([("1/3", "ng"), ("x", "error"), ("1/4", "ok")], 1):
        expected = W.check_answer(box.spec, answer, box.wrong + 1)
        assert box.check(answer) == expected and expected[0] == kind
    assert box.wrong == 1 and box.checks == 3


@pytest.mark.parametrize("kwargs, error", [
    (dict(question_html=3, expected=1), TypeError), (dict(question_html="q", expected="1"), TypeError),
    (dict(question_html="q", expected=float("nan")), ValueError),
    (dict(question_html="q", expected=1, tol=-1), ValueError),
    (dict(question_html="q", expected=1, mistakes={"a": "b"}), TypeError),
    (dict(question_html="q", expected=1, mistakes=[(1,)]), TypeError),
    (dict(question_html="", expected=1), ValueError)])
def test_answer_checker_validates_arguments(kwargs, error):
    with pytest.raises(error):
        W.answer_checker(**kwargs)


# ---------------------------------------------------------------- output-size exercise
def test_output_size_correct_answer_explains_formula():
    kind, message = W.output_size_feedback("4", 7, 3, 1, 2, 1)
    assert kind == "ok"
    assert "floor((7 + 2×1 − 1×(3−1) − 1) / 2) + 1 = floor(6 / 2) + 1 = 3 + 1 = 4" in text(message)


@pytest.mark.parametrize("value, words", [
    ("", ["空"]),
    ("abc", ["「abc」", "数として読めません"]),
    ("2.5", ["「2.5」は整数ではありません", "floor"]),
    ("-3", ["-3 は出力サイズになりません", "1以上"]),
    ("0", ["1以上"]),
    ("1e400", ["大きすぎて"]),
])
def test_output_size_nonsense_gets_explanation(value, words):
    kind, message = W.output_size_feedback(value, 6, 3, 0, 2, 1)
    assert kind == "error"
    for w in words:
        assert w in text(message)


def test_output_size_wrong_answers_diagnose_and_reveal_on_second_try():
    box = W.output_size_exercise(H=6, K=3, P=0, S=2, D=1)         # (6-3)/2 = 1.5 -> floor: 2
    kind, first = front_end_check(box, "3")                        # rounded up
    assert kind == "ng" and "切り捨て" in first
    assert "= 2" not in text(first) and "代入" in first           # hint, not the answer yet
    second = text(front_end_check(box, "3")[1])
    assert "floor(3 / 2) + 1 = 1 + 1 = 2" in second
    assert front_end_check(box, "2.0")[0] == "ok"                  # an integral value is an integer


def test_output_size_dilation_and_padding_mistakes():
    assert "ダイレーション" in W.output_size_feedback("10", 10, 3, 1, 1, 2)[1]   # answer 8
    assert "2P" in W.output_size_feedback("10", 10, 3, 2, 1, 1)[1]             # answer 12


def test_output_size_problem_set_is_valid_reproducible_and_cycles():
    a, b = W.output_size_exercise(seed=3, n=25), W.output_size_exercise(seed=3, n=25)
    assert a.problems == b.problems and len(a.problems) == 25
    for _ in range(25):
        H, K, P, S, D = (int(v) for v in re.findall(r"= (\d+)", text(a.spec["question"])))
        expected = torch.nn.functional.conv2d(torch.zeros(1, 1, H, H), torch.zeros(1, 1, K, K),
                                              stride=S, padding=P, dilation=D).shape[-1]
        front_end_check(a, "1000")
        assert a.wrong == 1
        assert a.check(str(expected))[0] == "ok", (H, K, P, S, D)
        a.set_state({"index": (a.index + 1) % 25})                 # 新しい問題 from the page
        assert (a.answer, a.wrong, a.feedback) == ("", 0, "")
    assert a.index == 0


def test_output_size_exercise_first_problem_and_validation():
    box = W.output_size_exercise(H=28, K=5, P=1, S=2, D=1)
    assert "H = 28" in box.spec["question"] and len(box.problems) == 1
    assert len(W.output_size_exercise(H=28, K=5, P=1, S=2, D=1, n=4).problems) == 4
    assert len(W.output_size_exercise(seed=2).problems) == 10
    with pytest.raises(ValueError, match="all of H, K, P, S, D"):
        W.output_size_exercise(H=5)
    with pytest.raises(ValueError):
        W.output_size_exercise(H=2, K=5, P=0, S=1, D=1)    # kernel larger than the input
    with pytest.raises(TypeError):
        W.output_size_exercise(H=2.5, K=1, P=0, S=1, D=1)


# ---------------------------------------------------------------- convolution explorer
def test_conv_explorer_default_matches_torch():
    e = W.conv_explorer()
    x = np.array(CONV_INPUTS["L字・正方形・横棒 (8×8)"], dtype=float)
    k = np.array([[1, 0, 0], [1, 0, 0], [1, 1, 1]], dtype=float)
    np.testing.assert_allclose(e.result, torch_conv(x, k, 0, 1, 1), rtol=0, atol=1e-12)
    assert e.kind == "info" and "出力 6×6" in e.message


@pytest.mark.parametrize("p, s, d", [(1, 2, 1), (2, 3, 2), (1, 1, 2), (3, 2, 1)])
def test_conv_explorer_traits_match_torch(p, s, d):
    e = W.conv_explorer(input="レッスンの5×5", kernel="Sobel（横方向の変化）")
    e.set_state({"padding": p, "stride": s, "dilation": d})
    x = np.array(CONV_INPUTS["レッスンの5×5"], dtype=float)
    k = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    expected = torch_conv(x, k, p, s, d)
    np.testing.assert_allclose(e.result, expected, rtol=0, atol=1e-12)
    assert f"出力 {expected.shape[0]}×{expected.shape[1]}" in e.message


def test_conv_explorer_typed_kernel_switches_to_custom_and_presets_fill_text():
    e = W.conv_explorer(input="レッスンの5×5", kernel="恒等")
    e.set_state({"kernel_text": "1 0 -1\n1 0 -1\n1 0 -1"})          # the lesson's kernel
    assert e.kernel_name == core.CUSTOM
    np.testing.assert_array_equal(e.result, [[-6, 12, 12], [-6, 8, 8], [-6, 6, 6]])
    e.kernel_name = "ぼかし（平均）"
    assert e.kernel_text.splitlines() == ["1/9 1/9 1/9"] * 3
    assert e.kernel_name == "ぼかし（平均）"                         # not flipped to custom
    np.testing.assert_allclose(e.result[0, 0], 45 / 9, rtol=1e-12)


@pytest.mark.parametrize("kernel_src, words", [
    ("abc", ["「abc」", "数として読めません"]), ("1 2 3\n4 5", ["そろっていません"]), ("", ["空"]),
    ("1e308", ["絶対値 1000000"]), ("1e-99999999", None)])
def test_conv_explorer_bad_kernel_explains_and_recovers(kernel_src, words):
    e = W.conv_explorer()
    e.set_state({"kernel_text": kernel_src})
    if words is None:                                           # a tiny number is just 0
        assert e.kind == "info" and not e.result.any()
        return
    assert e.result is None and e.kind == "error" and e.position == 0
    for w in words:
        assert w in e.message
    e.set_state({"kernel_text": "1"})
    assert e.result is not None and e.kind == "info"


def test_conv_explorer_kernel_larger_than_padded_input_explains():
    e = W.conv_explorer(input="レッスンの5×5")
    e.kernel_text = "\n".join(["1 1 1 1 1 1"] * 6)              # 6x6 kernel on a 5x5 input
    assert e.result is None and "窓を1つも置けません" in e.message and "H+2P = 5+2×0 = 5" in e.message
    e.padding = 1
    assert e.result.shape == (2, 2)
    e.kernel_text = "1 1 1\n1 1 1\n1 1 1"
    e.padding, e.dilation = 0, 3                                 # span 7 > 5
    assert e.result is None and "D(K−1)+1 = 3×(3−1)+1 = 7" in e.message


def test_conv_explorer_position_is_clamped_when_the_output_shrinks():
    e = W.conv_explorer()
    e.position = 35
    e.stride = 3                                                 # 6x6 -> 2x2
    assert e.position == 3


def test_conv_explorer_photo_mode():
    e = W.conv_explorer(kernel="Sobel（横方向の変化）", photo_height=20)
    e.input_name = core.PHOTO
    from cnnlib.data.images import load_sample_image
    x = load_sample_image(size=20)
    np.testing.assert_array_equal(e.input_matrix(), x)           # the page carries exact pixels
    k = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    np.testing.assert_allclose(e.result, torch_conv(x, k, 0, 1, 1), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kwargs, error", [
    (dict(stride=0), ValueError), (dict(kernel="nope"), ValueError), (dict(input="x"), ValueError),
    (dict(padding=1.0), TypeError), (dict(dilation=True), TypeError), (dict(photo_height=4), ValueError)])
def test_conv_explorer_validates_arguments(kwargs, error):
    with pytest.raises(error):
        W.conv_explorer(**kwargs)


# ---------------------------------------------------------------- pooling explorer
def torch_pool(x, kind, k, s, p):
    t = torch.tensor(np.asarray(x, float))[None, None]
    if kind == "max":
        out, idx = torch.nn.functional.max_pool2d(t, k, s, p, return_indices=True)
        wins = np.bincount(idx.flatten().numpy(), minlength=t[0, 0].numel()).reshape(t.shape[2:])
        return out[0, 0].numpy(), wins
    return torch.nn.functional.avg_pool2d(t, k, s, p)[0, 0].numpy(), None


@pytest.mark.parametrize("mode, k, s, p", [("最大", 2, 2, 0), ("最大", 3, 1, 1), ("平均", 2, 1, 1),
                                           ("平均", 4, 3, 2), ("最大", 2, 1, 0)])
@pytest.mark.parametrize("name", list(POOL_INPUTS))
def test_pool_explorer_matches_torch(name, mode, k, s, p):
    e = W.pool_explorer(input=name)
    e.set_state({"mode": mode, "kernel_size": k, "stride": s, "padding": p})
    out, wins = torch_pool(POOL_INPUTS[name], pooling.MODES[mode], k, s, p)
    np.testing.assert_allclose(e.result, out, rtol=0, atol=1e-12)
    if wins is None:
        assert e.wins is None
    else:
        np.testing.assert_array_equal(e.wins, wins)


def test_pool_explorer_gap_custom_text_and_errors():
    e = W.pool_explorer()
    e.set_state({"input_text": "1 2\n3 4\n5 6"})
    assert e.input_name == core.CUSTOM
    e.mode = "GAP（全体の平均）"
    assert e.result.tolist() == [[3.5]] and "GAP" in e.message
    e.set_state({"mode": "最大", "kernel_size": 3, "padding": 2})
    assert e.result is None and "パディング P=2" in e.message
    e.set_state({"input_text": "1 x"})
    assert e.kind == "error" and "「x」" in e.message
    e.set_state({"kernel_size": 2, "padding": 0})
    e.input_name = "資料の4×4（例2）"                              # a preset fills the text
    assert e.input_text.splitlines()[0] == "2 5 6 1" and e.kind == "info"


@pytest.mark.parametrize("kwargs, error", [
    (dict(mode="min"), ValueError), (dict(kernel_size=5), ValueError), (dict(stride="2"), TypeError),
    (dict(input="nope"), ValueError)])
def test_pool_explorer_validates_arguments(kwargs, error):
    with pytest.raises(error):
        W.pool_explorer(**kwargs)


# ---------------------------------------------------------------- pooling exercise 1
def test_pool_exercise_traits_in_feedback_out():
    box = W.pool_exercise()
    right_max, right_avg = "0 1 0\n1 0 1\n0 1 0", "0.25 0.5 0.25\n0.5 0 0.5\n0.25 0.5 0.25"
    right_max = "1 1 1\n1 0 1\n1 1 1"
    box.set_state({"max_text": right_avg, "avg_text": right_max, "choice": "", "checks": 1})
    assert box.kind == "ng" and "入れ替わり" in box.feedback and "3つ目の問い" in box.feedback
    box.set_state({"max_text": right_max, "avg_text": "1 2 1\n2 0 2\n1 2 1",
                   "choice": "平均プーリング", "checks": 2})
    assert "窓の合計" in box.feedback and "3つ目: 平均プーリングでは" in box.feedback
    assert box.check(right_max, right_avg, "最大プーリング")[0] == "ok"


@pytest.mark.parametrize("max_text, words", [
    ("1 1 1 1 1\n" * 5, ["5×5", "ストライド1"]), ("x", ["「x」"]),
    ("1 1 1\n1 0 1\n1 1 2", ["1 か所が違います", "位置 (2, 2)"]), ("１ １ １\n１ ０ １\n１ １ １", ["最大プーリング: 正解"])])
def test_pool_exercise_explains_one_map(max_text, words):
    kind, message = W.pool_exercise_feedback(max_text, "", None)
    for w in words:
        assert w in message


def test_pool_exercise_validates_its_map():
    with pytest.raises(ValueError):
        W.pool_exercise([[1, 2, 3]])
    with pytest.raises(TypeError):
        W.pool_exercise("abc")


# ---------------------------------------------------------------- chapter 7 and 8 checkers
def test_cifar_std_feedback_names_the_mix_ups():
    args = (0.2470, 0.2000, 0.4914)
    assert W.cifar_std_feedback("0.247", *args)[0] == "ok"
    assert "画像ごとの標準偏差の平均" in W.cifar_std_feedback("0.2023", *args)[1]
    assert "平均です" in W.cifar_std_feedback("0.491", *args)[1]
    assert "0〜255" in W.cifar_std_feedback("63", *args)[1]
    assert "答えは 0.2470" in W.cifar_std_feedback("0.3", *args, attempt=2)[1]
    box = W.cifar_std_exercise(*args)
    assert "Python" in box.note
    with pytest.raises(ValueError):
        W.cifar_std_exercise(2.0, 0.2, 0.5)


@pytest.mark.parametrize("answer, words", [
    ("0.3125", ["正解です", "0.3125"]), ("5", ["w<sub>k</sub>/16"]), ("0.4375", ["負です"]),
    ("0.375", ["チャネル2の寄与"]), ("-1", ["ReLU"]), ("abc", ["数として読めません"])])
def test_gradcam_value_feedback(answer, words):
    message = W.gradcam_value_feedback(answer)[1]
    for w in words:
        assert w in message


def test_gradcam_value_exercise_validates():
    with pytest.raises(ValueError, match="square"):
        W.gradcam_value_exercise(hw=15)
    with pytest.raises(TypeError):
        W.gradcam_value_exercise(w=(1, 2, 3))


# ---------------------------------------------------------------- nothing a reader types raises
HOSTILE = ["", "1e400", "1e308", "1e-99999999", "1" * 5000, "１２", "ー３", "<script>", "nan",
           "1/0", "\x00", "🙂" * 50, "1 2\n3", "[[", "]]", ";;;", "  \n  "]


@pytest.mark.parametrize("src", HOSTILE)
def test_no_reader_input_raises(src):
    for box in (W.answer_checker("q", 1), W.output_size_exercise(seed=0),
                W.cifar_std_exercise(0.25, 0.2, 0.5), W.gradcam_value_exercise()):
        assert front_end_check(box, src)[0] in ("ok", "ng", "error")
    conv, pool, ex = W.conv_explorer(), W.pool_explorer(), W.pool_exercise()
    conv.set_state({"kernel_text": src})
    pool.set_state({"input_text": src})
    ex.set_state({"max_text": src, "avg_text": src, "choice": src, "checks": 1})
    assert conv.kind in ("info", "error") and pool.kind in ("info", "error") and ex.kind == "ng"
    assert core.clean(src) is not None
