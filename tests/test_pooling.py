"""cnnlib.scratch.pooling helpers and the chapter-2 widgets' Python side."""
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

import cnnlib.widgets as W
from cnnlib.scratch import functional as F
from cnnlib.scratch import pooling as P


def text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# ------------------------------------------------------------ helpers
def test_reduction_rates_match_torch_output_sizes():
    x = torch.zeros(1, 1, 8, 8)
    for k, s in ((2, 2), (3, 2), (2, 1)):
        out, rate = P.reduction_rate(8, k, s)
        assert out == tF.max_pool2d(x, k, s).shape[-1]
        assert rate == pytest.approx(1 - out ** 2 / 64)
    assert P.reduction_rate(8, 3, 2) == (3, pytest.approx(55 / 64))


def test_receptive_field_matches_backprop():
    spec = [("conv", 3, 1), ("pool", 2, 2), ("conv", 3, 1), ("pool", 2, 2), ("conv", 3, 1)]
    r = P.receptive_field(spec)[-1][1]
    x = torch.zeros(1, 1, 40, 40, requires_grad=True)
    y = x
    for kind, k, s in spec:
        y = tF.conv2d(y, torch.ones(1, 1, k, k)) if kind == "conv" else tF.avg_pool2d(y, k, s)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows, cols = np.nonzero(x.grad[0, 0].numpy())
    assert np.ptp(rows) + 1 == r and np.ptp(cols) + 1 == r == 18


def test_shift_moves_and_zero_fills():
    x = np.arange(9.0).reshape(3, 3)
    assert np.array_equal(P.shift(x, 1, 0), [[0, 0, 0], [0, 1, 2], [3, 4, 5]])
    assert np.array_equal(P.shift(x, 0, -1), [[1, 2, 0], [4, 5, 0], [7, 8, 0]])
    assert not P.shift(x, 3, 0).any()
    assert P.pooled_change(x, 0, 0) == 0


def test_head_params_match_torch_modules():
    counts = P.head_params(512, 7, 7, 10)
    fc = torch.nn.Linear(512 * 7 * 7, 10)
    gap = torch.nn.Linear(512, 10)
    assert counts == {"fc": sum(p.numel() for p in fc.parameters()),
                      "gap": sum(p.numel() for p in gap.parameters())}


def test_winner_counts_and_the_lesson_rule():
    x = np.array([[0., 1, 0], [0, 5, 0], [0, 0, 0]])
    assert P.winner_counts(x, 2, 1)[1, 1] == 4
    tie = np.ones((2, 2))
    assert P.max_pool_grad_lesson(tie, np.ones((1, 1)), 2, 2).sum() == 4   # every tie gets dZ
    xt = torch.tensor(tie, requires_grad=True)
    tF.max_pool2d(xt[None, None], 2).sum().backward()
    assert xt.grad.sum() == 1                                              # torch: only the first


# ------------------------------------------------------------ explorer (its Python side; the page's
# rendering is driven in tests/test_book_widgets.py)
def test_explorer_default_matches_torch_and_counts_the_winners():
    e = W.pool_explorer()
    x = torch.tensor(W.POOL_INPUTS["資料の4×4（例1）"], dtype=torch.float64)[None, None]
    assert np.array_equal(e.result, tF.max_pool2d(x, 2).numpy()[0, 0])
    assert np.array_equal(e.wins, P.winner_counts(x[0, 0].numpy(), 2))


@pytest.mark.parametrize("mode,k,s,p", [("最大", 3, 2, 1), ("平均", 3, 2, 1), ("平均", 2, 1, 0),
                                        ("最大", 3, 1, 1)])
def test_explorer_settings_match_torch(mode, k, s, p):
    e = W.pool_explorer("エッジの特徴マップ 6×6", mode, k, s, p)
    x = torch.tensor(W.EDGE_MAP, dtype=torch.float64)[None, None]
    pool = tF.max_pool2d if mode == "最大" else tF.avg_pool2d
    assert np.allclose(e.result, pool(x, k, s, p).numpy()[0, 0])
    assert f"出力 {e.result.shape[0]}×{e.result.shape[1]}" in e.message


def test_explorer_explains_padding_and_gap():
    e = W.pool_explorer("同点のある 4×4")
    e.padding = 1
    assert "−∞ 扱い" in e.message
    e.mode = "平均"
    assert "count_include_pad" in e.message
    e.mode = "GAP（全体の平均）"
    assert e.result.shape == (1, 1) and e.result[0, 0] == pytest.approx(11 / 16)


@pytest.mark.parametrize("change, words", [
    (dict(padding=2), ["半分"]),
    (dict(input_text="1 2\n3"), ["そろっていません"]),
    (dict(input_text="a b"), ["「a」"]),
    (dict(input_text="1 2\n3 4", kernel_size=4), ["窓を1つも置けません"]),
])
def test_explorer_nonsense_input_gets_an_explanation(change, words):
    e = W.pool_explorer()
    e.set_state(change)                                    # as the page sends it
    assert e.result is None and e.kind == "error"
    for w in words:
        assert w in e.message
    e.set_state({"input_name": "資料の4×4（例2）", "padding": 0, "kernel_size": 2})
    assert e.result is not None                                            # recovers


def test_explorer_photo_and_bad_arguments():
    e = W.pool_explorer("写真（グレースケール）", kernel_size=4, stride=4)
    assert e.result.shape == (8, 6)
    with pytest.raises(ValueError, match="mode must be one of"):
        W.pool_explorer(mode="min")
    with pytest.raises(ValueError, match="kernel_size must be in"):
        W.pool_explorer(kernel_size=9)


# ------------------------------------------------------------ exercise 1
MAX = "1 1 1\n1 0 1\n1 1 1"
AVG = "0.25 0.5 0.25\n0.5 0 0.5\n0.25 0.5 0.25"


def test_exercise_answers_match_torch():
    x = torch.tensor(W.EDGE_MAP, dtype=torch.float64)[None, None]
    assert np.array_equal(W.parse_matrix(MAX), tF.max_pool2d(x, 2).numpy()[0, 0])
    assert np.array_equal(W.parse_matrix(AVG), tF.avg_pool2d(x, 2).numpy()[0, 0])


@pytest.mark.parametrize("answers, kind, words", [
    ((MAX, AVG, "最大プーリング"), "ok", ["正解です"]),
    ((AVG, MAX, "最大プーリング"), "ng", ["入れ替わり"]),
    ((MAX, "1 2 1\n2 0 2\n1 2 1", "最大プーリング"), "ng", ["合計", "4 で割って"]),
    ((MAX, "1 1 1\n1 0 1\n1 1 1", "最大プーリング"), "ng", ["入れ替わり"]),
    ((MAX, "0 1 0\n1 0 1\n0 1 0", "最大プーリング"), "ng", ["丸めて"]),
    (("1 1 1 1 1\n" * 5, AVG, "最大プーリング"), "ng", ["5×5", "ストライド1"]),
    (("1 1 1\n1 1 1\n1 1 1", AVG, "最大プーリング"), "ng", ["1 か所", "(1, 1)", "2〜3 行"]),
    ((MAX, AVG, "平均プーリング"), "ng", ["薄められて"]),
    ((MAX, AVG, None), "ng", ["選んでください"]),
    (("", "？", None), "ng", ["空", "「？」"]),
])
def test_exercise_feedback_explains(answers, kind, words):
    got_kind, message = W.pool_exercise_feedback(*answers)
    assert got_kind == kind
    for w in words:
        assert w in text(message)


def test_exercise_widget_check():
    ex = W.pool_exercise()
    assert ex.check(MAX, AVG, "最大プーリング")[0] == "ok"
    kind, message = ex.check(MAX, "1 2 1\n2 0 2\n1 2 1", "最大プーリング")
    assert kind == "ng" and "合計" in message and ex.feedback == message
    with pytest.raises(ValueError, match="between 2x2 and 8x8"):
        W.pool_exercise([[1, 2, 3]])
