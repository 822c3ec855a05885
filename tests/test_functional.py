"""cnnlib.scratch.functional against torch.nn.functional, its own naive loops and numerical gradients.

Shapes, strides, paddings and dilations are drawn by hypothesis (derandomized, so every run
checks the same cases); array values come from a drawn seed. Everything is float64 unless a
test is about dtypes.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from cnnlib.scratch import fast, functional as F
from cnnlib.scratch.gradcheck import numerical_gradient, relative_error

TORCH_TOL = 1e-10       # relative error of every op vs torch (forward and autograd backward)
NAIVE_TOL = 1e-10       # conv2d_naive vs the vectorised conv2d
GRAD_TOL = 1e-7         # numerical gradient (central differences, h=1e-5) vs analytic backward
FLOAT32_TOL = 1e-5      # float32 result vs the float64 result of the same op
WRONG = 1e-2            # a deliberately wrong gradient must be at least this far off

PROPERTY = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
GRADIENT = settings(PROPERTY, max_examples=15)
# conv2d and conv2d_backward: the reference ops and the fast path beside them pass the same tests
CONV = pytest.mark.parametrize("conv", [F, fast], ids=["reference", "fast"])


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny arrays: one BLAS/torch thread is faster and immune to a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        yield
    torch.set_num_threads(before)


# ---------------------------------------------------------------- strategies
def _arg(draw, a, b):
    """An (h, w) pair, or the plain int when both are equal (half the time)."""
    return a if a == b and draw(st.booleans()) else (a, b)


@st.composite
def conv_cases(draw, max_size=4):
    """Geometry (x shape, w shape, stride, padding, dilation) where the kernel fits, and a seed."""
    k = [draw(st.integers(1, 4)) for _ in "hw"]
    s = [draw(st.integers(1, 3)) for _ in "hw"]
    p = [draw(st.integers(0, 2)) for _ in "hw"]
    d = [draw(st.integers(1, 3)) for _ in "hw"]
    hw = [max(1, di * (ki - 1) + 1 - 2 * pi) + draw(st.integers(0, max_size))
          for ki, pi, di in zip(k, p, d)]
    N, C, Fo = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return dict(x_shape=(N, C, *hw), w_shape=(Fo, C, *k), stride=_arg(draw, *s),
                padding=_arg(draw, *p), dilation=_arg(draw, *d),
                seed=draw(st.integers(0, 2**32 - 1)))


@st.composite
def pool_cases(draw, max_size=5):
    """Pooling geometry with padding <= kernel // 2; stride may be None (= kernel_size)."""
    k = [draw(st.integers(1, 4)) for _ in "hw"]
    p = [draw(st.integers(0, ki // 2)) for ki in k]
    s = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    hw = [max(1, ki - 2 * pi) + draw(st.integers(0, max_size)) for ki, pi in zip(k, p)]
    return dict(x_shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3)), *hw),
                kernel_size=_arg(draw, *k), padding=_arg(draw, *p),
                stride=None if s is None else _arg(draw, *s),
                seed=draw(st.integers(0, 2**32 - 1)))


def _geo(case):
    return {k: case[k] for k in ("stride", "padding", "dilation")}


def _conv_arrays(case):
    rng = np.random.default_rng(case["seed"])
    x, w = rng.standard_normal(case["x_shape"]), rng.standard_normal(case["w_shape"])
    return rng, x, w, rng.standard_normal(case["w_shape"][0])


def _t(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def _torch_pool(kind, x, case):
    fn = TF.max_pool2d if kind == "max" else TF.avg_pool2d
    stride = case["stride"] if case["stride"] is not None else case["kernel_size"]
    return fn(x, case["kernel_size"], stride, case["padding"])


def _pool_args(case):
    return case["kernel_size"], case["stride"], case["padding"]


def _distinct(shape, rng):
    """Values 0.1 apart in random order: no ties, and a step h=1e-5 never changes the max."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1


# ---------------------------------------------------------------- vs torch
@CONV
@PROPERTY
@given(conv_cases(), st.booleans())
def test_conv2d_forward_matches_torch_and_naive(conv, case, bias):
    _, x, w, b = _conv_arrays(case)
    b = b if bias else None
    y = conv.conv2d(x, w, b, **_geo(case))
    expected = TF.conv2d(_t(x), _t(w), None if b is None else _t(b), **_geo(case))
    assert y.shape == tuple(expected.shape)
    assert relative_error(y, expected.numpy()) <= TORCH_TOL
    assert relative_error(F.conv2d_naive(x, w, b, **_geo(case)), y) <= NAIVE_TOL


@CONV
@PROPERTY
@given(conv_cases())
def test_conv2d_backward_matches_torch_autograd(conv, case):
    rng, x, w, b = _conv_arrays(case)
    xt, wt, bt = _t(x, True), _t(w, True), _t(b, True)
    yt = TF.conv2d(xt, wt, bt, **_geo(case))
    dy = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.from_numpy(dy))
    dx, dw, db = conv.conv2d_backward(dy, x, w, **_geo(case))
    for ours, theirs in ((dx, xt.grad), (dw, wt.grad), (db, bt.grad)):
        assert ours.shape == tuple(theirs.shape)
        assert relative_error(ours, theirs.numpy()) <= TORCH_TOL


@PROPERTY
@given(conv_cases())
def test_im2col_matches_unfold_and_col2im_matches_fold(case):
    rng, x, w, _ = _conv_arrays(case)
    k = case["w_shape"][2:]
    cols = F.im2col(x, k, **_geo(case))
    expected = TF.unfold(_t(x), k, case["dilation"], case["padding"], case["stride"])
    assert cols.shape == tuple(expected.shape)
    assert relative_error(cols, expected.numpy()) <= TORCH_TOL
    c = rng.standard_normal(cols.shape)
    folded = F.col2im(c, x.shape, k, **_geo(case))
    expected = TF.fold(_t(c), x.shape[2:], k, case["dilation"], case["padding"], case["stride"])
    assert folded.shape == x.shape
    assert relative_error(folded, expected.numpy()) <= TORCH_TOL
    # col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>
    assert abs(np.sum(cols * c) - np.sum(x * folded)) <= TORCH_TOL * np.abs(cols * c).sum()


@settings(PROPERTY, max_examples=150)
@given(st.integers(1, 12), st.integers(1, 6), st.integers(0, 3), st.integers(1, 4),
       st.integers(1, 3))
def test_conv_output_size_matches_torch_shape_and_errors(size, k, p, s, d):
    try:
        expected = TF.conv2d(torch.zeros(1, 1, size, 1), torch.zeros(1, 1, k, 1), stride=(s, 1),
                             padding=(p, 0), dilation=(d, 1)).shape[2]
    except RuntimeError:
        expected = None                       # torch refuses: the kernel does not fit
    if expected is None:
        with pytest.raises(ValueError, match="does not fit"):
            F.conv_output_size(size, k, p, s, d)
    else:
        assert F.conv_output_size(size, k, p, s, d) == expected


def test_conv_output_size_floors_when_stride_does_not_divide():
    assert F.conv_output_size(7, 3, padding=0, stride=2) == 3       # (7 - 3) / 2 + 1
    assert F.conv_output_size(8, 3, padding=0, stride=2) == 3       # floor(5 / 2) + 1
    assert F.conv_output_size(32, 3, padding=1) == 32
    assert F.conv_output_size(5, 3, dilation=2) == 1                 # span 5


@PROPERTY
@given(pool_cases(), st.sampled_from(["max", "avg"]))
def test_pooling_forward_and_backward_match_torch(case, kind):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["x_shape"])
    xt = _t(x, True)
    yt = _torch_pool(kind, xt, case)
    dy = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.from_numpy(dy))
    fwd = F.max_pool2d if kind == "max" else F.avg_pool2d
    bwd = F.max_pool2d_backward if kind == "max" else F.avg_pool2d_backward
    y, dx = fwd(x, *_pool_args(case)), bwd(dy, x, *_pool_args(case))
    assert y.shape == tuple(yt.shape) and dx.shape == x.shape
    assert relative_error(y, yt.detach().numpy()) <= TORCH_TOL
    assert relative_error(dx, xt.grad.numpy()) <= TORCH_TOL


@PROPERTY
@given(pool_cases())
def test_max_pool_ties_send_the_gradient_to_one_maximum_like_torch(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.integers(0, 3, case["x_shape"]).astype(np.float64)       # many ties
    xt = _t(x, True)
    yt = _torch_pool("max", xt, case)
    dy = rng.uniform(1, 2, tuple(yt.shape))
    yt.backward(torch.from_numpy(dy))
    dx = F.max_pool2d_backward(dy, x, *_pool_args(case))
    assert relative_error(dx, xt.grad.numpy()) <= TORCH_TOL
    assert np.isclose(dx.sum(), dy.sum())                  # each dy went to exactly one place


@pytest.mark.parametrize("fill", [-np.inf, np.nan])
def test_max_pool_backward_matches_torch_on_inf_and_nan(fill):
    x = np.array([[[[fill, fill, 1.0], [fill, fill, fill], [2.0, fill, fill]]]])
    for kwargs in (dict(kernel_size=2, stride=1, padding=1), dict(kernel_size=3, padding=1)):
        xt = _t(x, True)
        yt = TF.max_pool2d(xt, **kwargs)
        dy = np.arange(1.0, yt.numel() + 1).reshape(tuple(yt.shape))
        yt.backward(torch.from_numpy(dy))
        dx = F.max_pool2d_backward(dy, x, **kwargs)
        np.testing.assert_array_equal(dx, xt.grad.numpy())
        np.testing.assert_array_equal(F.max_pool2d(x, **kwargs), yt.detach().numpy())


# ---------------------------------------------------------------- numerical gradients
@CONV
@GRADIENT
@given(conv_cases(max_size=2))
def test_conv2d_backward_matches_numerical_gradient(conv, case):
    rng, x, w, b = _conv_arrays(case)
    dy = rng.standard_normal(conv.conv2d(x, w, b, **_geo(case)).shape)
    dx, dw, db = conv.conv2d_backward(dy, x, w, **_geo(case))

    def loss(x=x, w=w, b=b):
        return np.sum(conv.conv2d(x, w, b, **_geo(case)) * dy)       # dL/dy = dy
    assert relative_error(numerical_gradient(lambda v: loss(x=v), x), dx) <= GRAD_TOL
    assert relative_error(numerical_gradient(lambda v: loss(w=v), w), dw) <= GRAD_TOL
    assert relative_error(numerical_gradient(lambda v: loss(b=v), b), db) <= GRAD_TOL


@GRADIENT
@given(pool_cases(max_size=3), st.sampled_from(["max", "avg"]))
def test_pooling_backward_matches_numerical_gradient(case, kind):
    rng = np.random.default_rng(case["seed"])
    x = _distinct(case["x_shape"], rng)
    fwd = F.max_pool2d if kind == "max" else F.avg_pool2d
    bwd = F.max_pool2d_backward if kind == "max" else F.avg_pool2d_backward
    dy = rng.standard_normal(fwd(x, *_pool_args(case)).shape)
    num = numerical_gradient(lambda v: np.sum(fwd(v, *_pool_args(case)) * dy), x)
    assert relative_error(num, bwd(dy, x, *_pool_args(case))) <= GRAD_TOL


@CONV
def test_the_checks_catch_a_wrong_backward(conv):
    """The tolerances separate right from wrong: classic mistakes give large errors."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3))
    dy = rng.standard_normal((2, 4, 6, 6))
    num_dx = numerical_gradient(lambda v: np.sum(conv.conv2d(v, w, padding=1) * dy), x)
    num_dw = numerical_gradient(lambda v: np.sum(conv.conv2d(x, v, padding=1) * dy), w)
    dx, dw, _ = conv.conv2d_backward(dy, x, w, padding=1)
    assert relative_error(num_dx, dx) <= GRAD_TOL and relative_error(num_dw, dw) <= GRAD_TOL
    # forgetting that dx needs the flipped kernel (passing w[::-1, ::-1] "pre-flipped")
    wrong_dx, _, _ = conv.conv2d_backward(dy, x, w[:, :, ::-1, ::-1], padding=1)
    assert relative_error(num_dx, wrong_dx) > WRONG
    # dw of the wrong correlation direction (kernel axes reversed)
    assert relative_error(num_dw, dw[:, :, ::-1, ::-1]) > WRONG
    # convolution instead of cross-correlation in the forward pass
    flipped = conv.conv2d(x, w[:, :, ::-1, ::-1], padding=1)
    assert relative_error(conv.conv2d(x, w, padding=1), flipped) > WRONG
    # max-pool gradient copied to every tied maximum instead of one
    xt = _t(np.ones((1, 1, 4, 4)), True)
    TF.max_pool2d(xt, 2).backward(torch.ones(1, 1, 2, 2, dtype=torch.float64))
    assert relative_error(np.ones((1, 1, 4, 4)), xt.grad.numpy()) > WRONG
    # a tiny slip that a loose tolerance would let through is still caught
    assert relative_error(dx, dx * (1 + 1e-6)) > TORCH_TOL


@CONV
def test_naive_conv_is_the_formula_on_a_hand_example(conv):
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])                  # x[i,j] - x[i+1,j+1]
    expected = np.full((1, 1, 3, 3), -5.0)
    np.testing.assert_array_equal(F.conv2d_naive(x, w), expected)
    np.testing.assert_array_equal(conv.conv2d(x, w, b=[1.0]), expected + 1)


# ---------------------------------------------------------------- dtypes
def _all_ops(dtype):
    """Every public op on small arrays of ``dtype``: name -> output (or tuple of outputs)."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((2, 3, 6, 5)) * 4).astype(dtype)
    w = (rng.standard_normal((4, 3, 3, 2)) * 4).astype(dtype)
    b = (rng.standard_normal(4) * 4).astype(dtype)
    dy = (rng.standard_normal((2, 4, 3, 4)) * 4).astype(dtype)
    pdy = (rng.standard_normal((2, 3, 3, 2)) * 4).astype(dtype)
    cols = F.im2col(x, (3, 2), stride=2, padding=1)
    return {
        "conv2d": F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0)),
        "conv2d_naive": F.conv2d_naive(x, w, b, stride=(2, 1), padding=(1, 0)),
        "conv2d_backward": F.conv2d_backward(dy, x, w, stride=(2, 1), padding=(1, 0)),
        "im2col": cols,
        "col2im": F.col2im(cols, x.shape, (3, 2), stride=2, padding=1),
        "max_pool2d": F.max_pool2d(x, 2),
        "max_pool2d_backward": F.max_pool2d_backward(pdy, x, 2),
        "avg_pool2d": F.avg_pool2d(x, 2),
        "avg_pool2d_backward": F.avg_pool2d_backward(pdy, x, 2),
    }


def _flat(outputs):
    return [(name, o) for name, out in outputs.items()
            for o in (out if isinstance(out, tuple) else (out,))]


def test_float32_inputs_give_float32_outputs_close_to_float64():
    f32, f64 = _flat(_all_ops(np.float32)), _flat(_all_ops(np.float64))
    for (name, a), (_, b) in zip(f32, f64):
        assert a.dtype == np.float32, name
        assert b.dtype == np.float64, name
        assert relative_error(a, b) <= FLOAT32_TOL, name


@CONV
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_integer_and_bool_inputs_are_promoted_to_float64(conv, dtype):
    for name, out in _flat(_all_ops(dtype)):
        assert out.dtype == np.float64, name
    x = np.arange(16).reshape(1, 1, 4, 4).astype(dtype)
    expected = conv.conv2d(x.astype(np.float64), np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(conv.conv2d(x, np.ones((1, 1, 2, 2), dtype=int)), expected)


@CONV
def test_mixed_float32_and_float64_compute_in_float64(conv):
    x = np.ones((1, 1, 3, 3), np.float32)
    assert conv.conv2d(x, np.ones((1, 1, 2, 2))).dtype == np.float64
    assert conv.conv2d(x, np.ones((1, 1, 2, 2), np.float32), b=np.zeros(1)).dtype == np.float64
    dx, dw, db = conv.conv2d_backward(np.ones((1, 1, 2, 2)), x, np.ones((1, 1, 2, 2), np.float32))
    assert dx.dtype == dw.dtype == db.dtype == np.float32       # dy follows x and w


@CONV
def test_lists_and_numpy_integers_are_accepted(conv):
    x = np.arange(9.0).reshape(1, 1, 3, 3).tolist()
    y = conv.conv2d(x, [[[[1.0]]]], stride=np.int64(2), padding=[0, 0])
    np.testing.assert_array_equal(y, [[[[0.0, 2.0], [6.0, 8.0]]]])
    assert F.conv_output_size(np.int32(5), np.int64(3)) == 3


@CONV
def test_ops_leave_inputs_alone_and_return_fresh_arrays(conv):
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 2, 4, 4)), rng.standard_normal((3, 2, 1, 1))
    before = x.copy(), w.copy()
    cols = F.im2col(x, 1)                                 # 1x1 windows: a view would be possible
    cols[...] = 7.0
    dy = rng.standard_normal((2, 3, 4, 4))
    conv.conv2d_backward(dy, x, w)
    F.max_pool2d_backward(np.ones((2, 2, 2, 2)), x, 2)
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(w, before[1])


@CONV
def test_empty_batch_gives_empty_outputs_like_torch(conv):
    x, w = np.zeros((0, 3, 5, 5)), np.zeros((2, 3, 3, 3))
    assert conv.conv2d(x, w).shape == tuple(TF.conv2d(_t(x), _t(w)).shape) == (0, 2, 3, 3)
    dx, dw, db = conv.conv2d_backward(np.zeros((0, 2, 3, 3)), x, w)
    assert dx.shape == x.shape and not dw.any() and not db.any()
    assert F.max_pool2d(x, 2).shape == (0, 3, 2, 2)


def test_fast_path_processes_a_large_batch_in_chunks_without_changing_the_result(monkeypatch):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((5, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    dy = rng.standard_normal((5, 3, 3, 3))

    def run():
        return (fast.conv2d(x, w, [1.0, 2.0, 3.0], 2, 1), *fast.conv2d_backward(dy, x, w, 2, 1))
    whole = run()
    pools = []

    class Pool(fast.ThreadPoolExecutor):                          # records that threads ran
        def __init__(self, workers):
            pools.append(workers)
            super().__init__(workers)
    monkeypatch.setattr(fast, "ThreadPoolExecutor", Pool)
    monkeypatch.setattr(fast, "_CHUNK_BYTES", 1)                 # one image per chunk
    serial = run()                                               # BLAS limited to 1 thread here
    with threadpool_limits(limits=2, user_api="blas"):
        threaded = run()                                         # 2 chunks at a time
    assert pools == [2, 2]                                       # conv2d, conv2d_backward
    for a, b, c in zip(whole, serial, threaded):
        assert relative_error(a, b) <= TORCH_TOL
        np.testing.assert_array_equal(b, c)                     # same sums in the same order


# ---------------------------------------------------------------- bad input
X, W = np.zeros((1, 3, 5, 5)), np.zeros((2, 3, 3, 3))
DY = np.zeros((1, 2, 3, 3))
POOL_DY = np.zeros((1, 3, 2, 2))
TEXT = np.full((1, 3, 5, 5), "a")
OBJ = np.zeros((1, 3, 5, 5), dtype=object)
CPLX = np.zeros((1, 3, 5, 5), dtype=complex)
GOOD_COLS = np.zeros((1, 27, 9))
NUMERIC = ["real numeric array", "float32 or float64"]

CONV_OPS = {
    "conv2d": lambda x=X, w=W, b=None, **kw: F.conv2d(x, w, b, **kw),
    "conv2d_naive": lambda x=X, w=W, b=None, **kw: F.conv2d_naive(x, w, b, **kw),
    "conv2d_backward": lambda x=X, w=W, b=None, dy=DY, **kw: F.conv2d_backward(dy, x, w, **kw),
    "fast.conv2d": lambda x=X, w=W, b=None, **kw: fast.conv2d(x, w, b, **kw),
    "fast.conv2d_backward": lambda x=X, w=W, b=None, dy=DY, **kw: fast.conv2d_backward(dy, x, w,
                                                                                       **kw),
}
POOL_OPS = {
    "max_pool2d": lambda x=X, k=2, **kw: F.max_pool2d(x, k, **kw),
    "avg_pool2d": lambda x=X, k=2, **kw: F.avg_pool2d(x, k, **kw),
    "max_pool2d_backward": lambda x=X, k=2, dy=POOL_DY, **kw: F.max_pool2d_backward(dy, x, k, **kw),
    "avg_pool2d_backward": lambda x=X, k=2, dy=POOL_DY, **kw: F.avg_pool2d_backward(dy, x, k, **kw),
}
WINDOW_OPS = {  # ops whose geometry is given by keyword (kernel from w, or kernel_size=3)
    **CONV_OPS,
    "im2col": lambda x=X, **kw: F.im2col(x, 3, **kw),
    "col2im": lambda x=X, **kw: F.col2im(GOOD_COLS, x.shape, 3, **kw),
}

GEOMETRY_ERRORS = [   # (kwargs, error type, fragments the message must contain)
    (dict(stride=0), ValueError, ["stride", "positive"]),
    (dict(stride=-1), ValueError, ["stride", "positive"]),
    (dict(stride=(1, 0)), ValueError, ["stride", "positive", "(1, 0)"]),
    (dict(dilation=0), ValueError, ["dilation", "positive"]),
    (dict(dilation=(0, 1)), ValueError, ["dilation", "positive"]),
    (dict(padding=-1), ValueError, ["padding", "non-negative"]),
    (dict(padding=(0, -2)), ValueError, ["padding", "non-negative"]),
    (dict(stride=True), TypeError, ["stride", "an int or an (h, w) pair of ints", "bool"]),
    (dict(stride=1.0), TypeError, ["stride", "an int or an (h, w) pair of ints", "float"]),
    (dict(padding=0.5), TypeError, ["padding", "an int or an (h, w) pair of ints"]),
    (dict(dilation=(1, 2.0)), TypeError, ["dilation", "an int or an (h, w) pair of ints"]),
    (dict(dilation=False), TypeError, ["dilation", "int"]),
    (dict(stride="2"), TypeError, ["stride", "int"]),
    (dict(stride=None), TypeError, ["stride", "int"]),
    (dict(stride=(1, 2, 3)), ValueError, ["stride", "(h, w) pair", "3 entries"]),
    (dict(padding=(1,)), ValueError, ["padding", "(h, w) pair", "1 entries"]),
    (dict(dilation=3), ValueError, ["does not fit", "padded input", "allowed"]),
    (dict(dilation=(1, 3), padding=(2, 0)), ValueError, ["does not fit", "along W"]),
]


def _check(excinfo, fragments):
    message = str(excinfo.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"message {message!r} lacks {missing}"


@pytest.mark.parametrize("op", WINDOW_OPS)
@pytest.mark.parametrize("kwargs, error, fragments", GEOMETRY_ERRORS)
def test_bad_geometry_is_rejected_with_a_clear_message(op, kwargs, error, fragments):
    with pytest.raises(error) as excinfo:
        WINDOW_OPS[op](**kwargs)
    _check(excinfo, fragments)


@pytest.mark.parametrize("op", CONV_OPS)
@pytest.mark.parametrize("kwargs, error, fragments", [
    (dict(x=np.zeros((3, 5, 5))), ValueError, ["x", "4-D", "(N, C, H, W)", "(3, 5, 5)"]),
    (dict(w=np.zeros((3, 3, 3))), ValueError, ["w", "4-D", "(F, C, KH, KW)"]),
    (dict(w=np.zeros((2, 4, 3, 3))), ValueError, ["channel mismatch", "x", "w", "C=3", "C=4",
                                                  "must be equal"]),
    (dict(w=np.zeros((2, 3, 7, 7))), ValueError, ["w's kernel", "does not fit into x along H",
                                                  "padded input", "5 + 2*0 = 5", "allowed"]),
    (dict(w=np.zeros((2, 3, 3, 9)), padding=1), ValueError, ["along W", "5 + 2*1 = 7"]),
    (dict(w=np.zeros((0, 3, 3, 3))), ValueError, ["w", "at least one filter", "F, KH, KW >= 1"]),
    (dict(w=np.zeros((2, 3, 0, 3))), ValueError, ["w", "kernel of at least 1x1"]),
    (dict(x=np.zeros((1, 3, 0, 5)), w=np.zeros((2, 3, 1, 1))), ValueError,
     ["x", "height and width >= 1"]),
    (dict(x=TEXT), TypeError, ["x", *NUMERIC, "<U1"]),
    (dict(x=OBJ), TypeError, ["x", *NUMERIC, "object"]),
    (dict(x=CPLX), TypeError, ["x", *NUMERIC, "complex128"]),
    (dict(x=None), TypeError, ["x", *NUMERIC, "NoneType"]),
    (dict(x=[[1.0, 2.0], [3.0]]), ValueError, ["x", "rectangular numeric array"]),
    (dict(w=W.astype(complex)), TypeError, ["w", *NUMERIC]),
    (dict(w=W.astype(str)), TypeError, ["w", *NUMERIC]),
])
def test_bad_conv_arrays_are_rejected_with_a_clear_message(op, kwargs, error, fragments):
    with pytest.raises(error) as excinfo:
        CONV_OPS[op](**kwargs)
    _check(excinfo, fragments)


@pytest.mark.parametrize("op", ["conv2d", "conv2d_naive"])
@pytest.mark.parametrize("b, error, fragments", [
    (np.zeros(3), ValueError, ["b", "shape (2,)", "one bias per filter", "(3,)"]),
    (np.zeros((2, 1)), ValueError, ["b", "1-D", "(F,)", "(2, 1)"]),
    (np.zeros(2, dtype=complex), TypeError, ["b", *NUMERIC]),
    ("ab", TypeError, ["b", *NUMERIC]),
])
def test_bad_bias_is_rejected(op, b, error, fragments):
    with pytest.raises(error) as excinfo:
        CONV_OPS[op](b=b)
    _check(excinfo, fragments)


@CONV
@pytest.mark.parametrize("dy, error, fragments", [
    (np.zeros((1, 2, 4, 4)), ValueError, ["dy", "output's shape", "(1, 2, 3, 3)", "(1, 2, 4, 4)"]),
    (np.zeros((1, 3, 3, 3)), ValueError, ["dy", "(N, F, OH, OW) = (1, 2, 3, 3)"]),
    (np.zeros((2, 3, 3)), ValueError, ["dy", "4-D", "(2, 3, 3)"]),
    (DY.astype(complex), TypeError, ["dy", *NUMERIC]),
    (DY.astype(object), TypeError, ["dy", *NUMERIC]),
])
def test_bad_conv_dy_is_rejected(conv, dy, error, fragments):
    with pytest.raises(error) as excinfo:
        conv.conv2d_backward(dy, X, W)
    _check(excinfo, fragments)


@pytest.mark.parametrize("op", POOL_OPS)
@pytest.mark.parametrize("kwargs, error, fragments", [
    (dict(k=3, padding=2), ValueError, ["padding=2", "kernel_size=3", "at most half the kernel"]),
    (dict(k=(3, 2), padding=(1, 2)), ValueError, ["padding=(1, 2)", "at most half the kernel"]),
    (dict(k=7), ValueError, ["kernel_size does not fit into x along H", "padded input"]),
    (dict(k=0), ValueError, ["kernel_size", "positive"]),
    (dict(k=2.0), TypeError, ["kernel_size", "int"]),
    (dict(k=[2, 2, 2]), ValueError, ["kernel_size", "(h, w) pair"]),
    (dict(stride=0), ValueError, ["stride", "positive"]),
    (dict(stride=1.5), TypeError, ["stride", "int"]),
    (dict(padding=-1), ValueError, ["padding", "non-negative"]),
    (dict(padding=True), TypeError, ["padding", "int"]),
    (dict(x=np.zeros((5, 5))), ValueError, ["x", "4-D", "(N, C, H, W)"]),
    (dict(x=TEXT), TypeError, ["x", *NUMERIC]),
    (dict(x=CPLX), TypeError, ["x", *NUMERIC]),
    (dict(x=OBJ), TypeError, ["x", *NUMERIC]),
])
def test_bad_pooling_input_is_rejected_with_a_clear_message(op, kwargs, error, fragments):
    with pytest.raises(error) as excinfo:
        POOL_OPS[op](**kwargs)
    _check(excinfo, fragments)


@pytest.mark.parametrize("op", ["max_pool2d_backward", "avg_pool2d_backward"])
@pytest.mark.parametrize("dy, error, fragments", [
    (np.zeros((1, 3, 3, 3)), ValueError, ["dy", "(N, C, OH, OW) = (1, 3, 2, 2)", "(1, 3, 3, 3)"]),
    (np.zeros((3, 2, 2)), ValueError, ["dy", "4-D"]),
    (POOL_DY.astype(complex), TypeError, ["dy", *NUMERIC]),
])
def test_bad_pooling_dy_is_rejected(op, dy, error, fragments):
    with pytest.raises(error) as excinfo:
        POOL_OPS[op](dy=dy)
    _check(excinfo, fragments)


@pytest.mark.parametrize("call, error, fragments", [
    (lambda: F.col2im(np.zeros((1, 27, 8)), X.shape, 3), ValueError,
     ["cols", "(N, C*KH*KW, OH*OW) = (1, 27, 9)", "(1, 27, 8)"]),
    (lambda: F.col2im(np.zeros((27, 9)), X.shape, 3), ValueError, ["cols", "3-D"]),
    (lambda: F.col2im(GOOD_COLS.astype(complex), X.shape, 3), TypeError, ["cols", *NUMERIC]),
    (lambda: F.col2im(GOOD_COLS, (3, 5, 5), 3), ValueError, ["x_shape", "(N, C, H, W)"]),
    (lambda: F.col2im(GOOD_COLS, 5, 3), TypeError, ["x_shape", "(N, C, H, W)"]),
    (lambda: F.col2im(GOOD_COLS, (1, 3, 5, 5.0), 3), TypeError, ["x_shape", "ints"]),
    (lambda: F.col2im(GOOD_COLS, (-1, 3, 5, 5), 3), ValueError, ["x_shape", "non-negative"]),
    (lambda: F.col2im(GOOD_COLS, (1, 3, 2, 5), 3), ValueError,
     ["kernel_size does not fit into x_shape along H", "x_shape[2]=2"]),
    (lambda: F.im2col(X, 6), ValueError, ["kernel_size does not fit into x along H"]),
    (lambda: F.im2col(X[0], 3), ValueError, ["x", "4-D"]),
    (lambda: F.im2col(TEXT, 3), TypeError, ["x", *NUMERIC]),
])
def test_bad_im2col_col2im_input_is_rejected(call, error, fragments):
    with pytest.raises(error) as excinfo:
        call()
    _check(excinfo, fragments)


@pytest.mark.parametrize("args, error, fragments", [
    ((5, 7), ValueError, ["kernel_size=7 does not fit into size=5", "5 + 2*0 = 5", "allowed"]),
    ((5, 3, 0, 1, 3), ValueError, ["dilation 3", "spans 7 pixels"]),
    ((0, 1), ValueError, ["size", "positive"]),
    ((5, 0), ValueError, ["kernel_size", "positive"]),
    ((5, 3, -1), ValueError, ["padding", "non-negative"]),
    ((5, 3, 0, 0), ValueError, ["stride", "positive"]),
    ((5, 3, 0, 1, 0), ValueError, ["dilation", "positive"]),
    ((5.0, 3), TypeError, ["size", "an int", "float"]),
    ((5, (3, 3)), TypeError, ["kernel_size", "an int", "tuple"]),
    ((5, 3, True), TypeError, ["padding", "an int", "bool"]),
    ((5, 3, 0, 1.5), TypeError, ["stride", "an int"]),
])
def test_bad_conv_output_size_arguments_are_rejected(args, error, fragments):
    with pytest.raises(error) as excinfo:
        F.conv_output_size(*args)
    _check(excinfo, fragments)
