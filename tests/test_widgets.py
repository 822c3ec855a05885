"""Drive the chapter-1 widgets like a reader and check what they display."""
import re

import numpy as np
import pytest
import torch

import cnnlib.widgets as W


def text(html):
    """Visible text of an HTML snippet, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def torch_conv(x, k, padding, stride, dilation):
    t = torch.nn.functional.conv2d(torch.tensor(x)[None, None], torch.tensor(k)[None, None],
                                   stride=stride, padding=padding, dilation=dilation)
    return t[0, 0].numpy()


def table_numbers(html, caption):
    """Numbers in the table that follows ``caption`` in the displayed HTML."""
    block = html.split(caption, 1)[1].split("</table>", 1)[0]
    return [float(v) for v in re.findall(r"<td[^>]*>([-0-9.]+)</td>", block)]


# ------------------------------------------------------------ parsers and feedback
@pytest.mark.parametrize("src, expected", [
    ("1 0 -1\n1 0 -1", [[1, 0, -1], [1, 0, -1]]),
    ("1, 2; 3, 4", [[1, 2], [3, 4]]),
    ("[[1/9, 0.5], [-2, 1e-1]]", [[1 / 9, 0.5], [-2, 0.1]]),
    ("１　－２", [[1, -2]]),                      # full-width IME input
])
def test_parse_matrix_accepts_common_formats(src, expected):
    np.testing.assert_allclose(W.parse_matrix(src), expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("src, words", [
    ("", ["空"]),
    ("1 2\n3 x", ["2行目", "「x」", "数として読めません"]),
    ("1 2 3\n4 5", ["そろっていません", "1行目 3個", "2行目 2個"]),
    ("nan 1", ["「nan」"]),
    ("1/0", ["「1/0」"]),
    ("\n".join(["1 " * 8] * 8), ["大きすぎます", "8×8"]),
])
def test_parse_matrix_explains_bad_text(src, words):
    with pytest.raises(W.InputError) as e:
        W.parse_matrix(src)
    for w in words:
        assert w in str(e.value)


def test_feedback_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of"):
        W.feedback("great", "x")


def test_answer_checker_generic():
    box = W.answer_checker("3×3×3 のカーネル2個とバイアスのパラメータ数は？", 56)
    for answer, kind in [("56", "ok"), ("54", "ng"), ("abc", "error"), ("", "error")]:
        box.answer.value = answer
        box.check_button.click()
        assert f"cnnw-{kind}" in box.feedback.value, answer


# ------------------------------------------------------------ convolution explorer
def test_explorer_default_shows_window_products_and_sum():
    e = W.conv_explorer()
    x = np.array(W.INPUTS["L字・正方形・横棒 (8×8)"], dtype=float)
    k = np.array([[1, 0, 0], [1, 0, 0], [1, 1, 1]], dtype=float)
    np.testing.assert_allclose(e.result, torch_conv(x, k, 0, 1, 1), rtol=0, atol=1e-12)
    assert len(e.frames.children) == 36 and e.position.max == 35
    e.position.value = 7                          # row-major: (1, 1), the corner of the L
    assert e.frames.selected_index == 7
    shown = e.displayed_html
    assert "出力位置 (i, j) = (1, 1)" in text(shown)
    assert table_numbers(shown, "窓の値") == [1, 0, 0, 1, 0, 0, 1, 1, 1]
    assert table_numbers(shown, "要素ごとの積") == [1, 0, 0, 1, 0, 0, 1, 1, 1]
    assert "出力[1, 1] = 積の合計 = 5" in text(shown)
    assert 'class="cur">5</td>' in shown        # highlighted in the output map


@pytest.mark.parametrize("p, s, d", [(1, 2, 1), (2, 3, 2), (1, 1, 2), (3, 2, 1)])
def test_explorer_sliders_match_torch(p, s, d):
    e = W.conv_explorer(input="レッスンの5×5", kernel="Sobel（横方向の変化）")
    e.padding.value, e.stride.value, e.dilation.value = p, s, d
    x = np.array(W.INPUTS["レッスンの5×5"], dtype=float)
    k = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    expected = torch_conv(x, k, p, s, d)
    np.testing.assert_allclose(e.result, expected, rtol=0, atol=1e-12)
    OH, OW = expected.shape
    assert f"出力 {OH}×{OW}" in text(e.message.value)
    last = OH * OW - 1
    e.position.value = last
    shown = e.displayed_html
    assert f"積の合計 = {W.fmt_number(expected[-1, -1])}" in text(shown)
    assert len(table_numbers(shown, "パディング後の入力")) == (5 + 2 * p) ** 2


def test_explorer_typed_kernel_switches_to_custom():
    e = W.conv_explorer(input="レッスンの5×5", kernel="恒等")
    e.kernel_text.value = "1 0 -1\n1 0 -1\n1 0 -1"          # the lesson's kernel
    assert e.kernel_select.value == W._CUSTOM
    np.testing.assert_array_equal(e.result, [[-6, 12, 12], [-6, 8, 8], [-6, 6, 6]])
    e.kernel_text.value = "1/9 1/9\n1/9 1/9"
    np.testing.assert_allclose(e.result[0, 0], (1 + 2 + 4 + 5) / 9, rtol=1e-12)


def test_explorer_preset_fills_text():
    e = W.conv_explorer()
    e.kernel_select.value = "ぼかし（平均）"
    assert e.kernel_text.value.splitlines() == ["1/9 1/9 1/9"] * 3
    assert e.kernel_select.value == "ぼかし（平均）"       # not flipped to custom by the sync


@pytest.mark.parametrize("kernel_src, words", [
    ("abc", ["「abc」", "数として読めません"]),
    ("1 2 3\n4 5", ["そろっていません"]),
    ("", ["空"]),
])
def test_explorer_nonsense_kernel_explains(kernel_src, words):
    e = W.conv_explorer()
    e.kernel_text.value = kernel_src
    shown = text(e.displayed_html)
    assert e.result is None and "cnnw-error" in e.message.value
    for w in words:
        assert w in shown
    assert e.frames.children == ()
    e.kernel_text.value = "1"                                  # recovers
    assert e.result is not None and "cnnw-error" not in e.message.value


def test_explorer_kernel_larger_than_padded_input_explains():
    e = W.conv_explorer(input="レッスンの5×5")
    e.kernel_text.value = "\n".join(["1 1 1 1 1 1"] * 6)      # 6x6 kernel on a 5x5 input
    shown = text(e.displayed_html)
    assert e.result is None
    assert "窓を1つも置けません" in shown and "H+2P = 5+2×0 = 5" in shown
    e.padding.value = 1                                        # 5 + 2 = 7 >= 6: fits now
    assert e.result.shape == (2, 2)
    e.kernel_text.value = "1 1 1\n1 1 1\n1 1 1"
    e.padding.value, e.dilation.value = 0, 3                   # span 7 > 5
    assert e.result is None and "D(K−1)+1 = 3×(3−1)+1 = 7" in text(e.displayed_html)


def test_explorer_photo_mode_draws_image_and_details():
    e = W.conv_explorer(kernel="Sobel（横方向の変化）", photo_height=20)
    e.input_select.value = W._PHOTO
    assert e.frames.children == () and e.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    x = e.input_matrix()
    assert x.shape[0] == 20 and 0 <= x.min() and x.max() <= 1
    k = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    np.testing.assert_allclose(e.result, torch_conv(x, k, 0, 1, 1), rtol=0, atol=1e-12)
    before = e.image.value
    e.position.value = 40
    i, j = divmod(40, e.result.shape[1])
    assert f"出力位置 (i, j) = ({i}, {j})" in text(e.displayed_html)
    assert e.image.value != before
    e.input_select.value = "縦の境界 (6×6)"                    # back to frames
    assert len(e.frames.children) == 16 and e.image.layout.display == "none"


def test_explorer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="stride must be an int in"):
        W.conv_explorer(stride=0)
    with pytest.raises(ValueError, match="kernel must be one of"):
        W.conv_explorer(kernel="nope")


# ------------------------------------------------------------ output-size exercise
def answer(box, value):
    box.answer.value = value
    box.check_button.click()
    return box.feedback.value


def test_output_size_correct_answer_explains_formula():
    box = W.output_size_exercise(H=7, K=3, P=1, S=2, D=1)
    shown = text(answer(box, "4"))
    assert "cnnw-ok" in box.feedback.value
    assert "floor((7 + 2×1 − 1×(3−1) − 1) / 2) + 1 = floor(6 / 2) + 1 = 3 + 1 = 4" in shown


@pytest.mark.parametrize("value, words", [
    ("", ["空"]),
    ("abc", ["「abc」", "数として読めません"]),
    ("2.5", ["「2.5」は整数ではありません", "floor"]),
    ("-3", ["-3 は出力サイズになりません", "1以上"]),
    ("0", ["1以上"]),
])
def test_output_size_nonsense_gets_explanation(value, words):
    box = W.output_size_exercise(H=6, K=3, P=0, S=2, D=1)
    shown = text(answer(box, value))
    assert "cnnw-error" in box.feedback.value
    for w in words:
        assert w in shown


def test_output_size_wrong_answers_diagnose_and_reveal_on_second_try():
    box = W.output_size_exercise(H=6, K=3, P=0, S=2, D=1)        # (6-3)/2 = 1.5 -> floor: 2
    first = text(answer(box, "3"))                                 # rounded up
    assert "cnnw-ng" in box.feedback.value and "切り捨て" in first
    assert "= 2" not in first and "代入" in first                 # hint, not the answer yet
    second = text(answer(box, "3"))
    assert "floor(3 / 2) + 1 = 1 + 1 = 2" in second
    assert "cnnw-ok" in answer(box, "2")


def test_output_size_dilation_and_padding_mistakes():
    box = W.output_size_exercise(H=10, K=3, P=1, S=1, D=2)        # answer 8
    assert "ダイレーション" in text(answer(box, "10"))              # used K instead of D(K-1)+1
    box = W.output_size_exercise(H=10, K=3, P=2, S=1, D=1)        # answer 12
    assert "2P" in text(answer(box, "10"))


def test_output_size_random_problems_are_valid_and_reproducible():
    a, b = W.output_size_exercise(seed=3), W.output_size_exercise(seed=3)
    assert a.problem == b.problem
    for _ in range(30):
        a.new_button.click()
        H, K, P, S, D = a.problem
        expected = torch.nn.functional.conv2d(torch.zeros(1, 1, H, H), torch.zeros(1, 1, K, K),
                                              stride=S, padding=P, dilation=D).shape[-1]
        assert "cnnw-ok" in answer(a, str(expected)), a.problem
        assert a.answer.value == str(expected)


def test_output_size_exercise_rejects_partial_or_invalid_problem():
    with pytest.raises(ValueError, match="all of H, K, P, S, D"):
        W.output_size_exercise(H=5)
    with pytest.raises(ValueError):
        W.output_size_exercise(H=2, K=5, P=0, S=1, D=1)    # kernel larger than the input
