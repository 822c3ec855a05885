"""NumPy batch norm and inverted dropout: torch parity, numerical gradients, bad input.

Tolerances (float64): torch parity 1e-10 relative error; central-difference gradients
(h = 1e-5) 1e-7 relative error.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlib.scratch import functional as F
from cnnlib.scratch.gradcheck import numerical_gradient, relative_error

PARITY, GRAD = 1e-10, 1e-7


def bn_case(shape, seed=0):
    rng = np.random.default_rng(seed)
    C = shape[1]
    x = rng.normal(1.5, 3.0, shape)
    return (x, rng.normal(size=C), rng.normal(size=C), rng.normal(size=C),
            rng.uniform(0.5, 2.0, C), rng.normal(size=shape))


def torch_bn(C, gamma, beta, rm, rv, momentum, eps=1e-5):
    bn = torch.nn.BatchNorm2d(C, momentum=momentum, eps=eps).double()
    with torch.no_grad():
        for t, v in ((bn.weight, gamma), (bn.bias, beta), (bn.running_mean, rm),
                     (bn.running_var, rv)):
            t.copy_(torch.from_numpy(v))
    return bn


def torch_forward_backward(bn, x, dy):
    xt = torch.tensor(x, requires_grad=True)
    yt = bn(xt)
    yt.backward(torch.from_numpy(dy))
    return yt.detach().numpy(), xt.grad.numpy(), bn.weight.grad.numpy(), bn.bias.grad.numpy()


# ---------------------------------------------------------------- batch norm vs torch
@pytest.mark.parametrize("shape,momentum", [((4, 3, 5, 5), 0.1), ((1, 2, 3, 4), 0.5),
                                            ((8, 1, 1, 1), 1.0), ((2, 5, 7, 3), 0.0)])
def test_bn_training_matches_torch(shape, momentum):
    x, g, b, rm, rv, dy = bn_case(shape)
    bn = torch_bn(shape[1], g, b, rm, rv, momentum).train()
    y_t, dx_t, dg_t, db_t = torch_forward_backward(bn, x, dy)
    y, rm2, rv2 = F.batch_norm2d(x, g, b, rm, rv, training=True, momentum=momentum)
    dx, dg, db = F.batch_norm2d_backward(dy, x, g)
    for ours, ref in ((y, y_t), (rm2, bn.running_mean.numpy()), (rv2, bn.running_var.numpy()),
                      (dx, dx_t), (dg, dg_t), (db, db_t)):
        assert relative_error(ours, ref) < PARITY


def test_bn_running_stats_over_several_batches_and_unbiased_variance():
    C, momentum = 3, 0.3
    _, g, b, _, _, _ = bn_case((2, C, 4, 4))
    rm, rv = np.zeros(C), np.ones(C)                     # torch's initial running statistics
    bn = torch_bn(C, g, b, rm, rv, momentum).train()
    rng = np.random.default_rng(1)
    for _ in range(4):
        x = rng.normal(2.0, 3.0, (2, C, 4, 4))
        bn(torch.from_numpy(x))
        prev_rv = rv
        _, rm, rv = F.batch_norm2d(x, g, b, rm, rv, momentum=momentum)
    assert relative_error(rm, bn.running_mean.numpy()) < PARITY
    assert relative_error(rv, bn.running_var.numpy()) < PARITY
    n = 2 * 4 * 4                                      # the running variance is unbiased: n-1
    unbiased = x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(rv, (1 - momentum) * prev_rv + momentum * unbiased, rtol=1e-12)
    assert not np.allclose(unbiased, x.var(axis=(0, 2, 3)) * 1.0)
    assert np.isclose(unbiased[0] / x.var(axis=(0, 2, 3))[0], n / (n - 1))


def test_bn_eval_matches_torch():
    x, g, b, rm, rv, dy = bn_case((3, 4, 5, 5))
    bn = torch_bn(4, g, b, rm, rv, 0.1).eval()
    y_t, dx_t, dg_t, db_t = torch_forward_backward(bn, x, dy)
    y, rm2, rv2 = F.batch_norm2d(x, g, b, rm, rv, training=False)
    dx, dg, db = F.batch_norm2d_backward(dy, x, g, rm, rv, training=False)
    assert rm2 is rm and rv2 is rv                      # eval leaves the statistics alone
    for ours, ref in ((y, y_t), (dx, dx_t), (dg, dg_t), (db, db_t)):
        assert relative_error(ours, ref) < PARITY


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(1, 4), h=st.integers(1, 4), w=st.integers(2, 4),
       seed=st.integers(0, 2**16))
def test_bn_training_parity_any_shape(n, c, h, w, seed):
    x, g, b, rm, rv, dy = bn_case((n, c, h, w), seed)
    bn = torch_bn(c, g, b, rm, rv, 0.1).train()
    y_t, dx_t, _, _ = torch_forward_backward(bn, x, dy)
    assert relative_error(F.batch_norm2d(x, g, b)[0], y_t) < PARITY
    assert relative_error(F.batch_norm2d_backward(dy, x, g)[0], dx_t) < PARITY


# ---------------------------------------------------------------- numerical gradients
@pytest.mark.parametrize("training", [True, False])
def test_bn_numerical_gradients(training):
    x, g, b, rm, rv, dy = bn_case((2, 3, 3, 4), seed=2)

    def loss(xx, gg, bb):
        return np.sum(F.batch_norm2d(xx, gg, bb, rm, rv, training=training)[0] * dy)

    dx, dg, db = F.batch_norm2d_backward(dy, x, g, rm, rv, training=training)
    assert relative_error(numerical_gradient(lambda v: loss(v, g, b), x.copy()), dx) < GRAD
    assert relative_error(numerical_gradient(lambda v: loss(x, v, b), g.copy()), dg) < GRAD
    assert relative_error(numerical_gradient(lambda v: loss(x, g, v), b.copy()), db) < GRAD


# ---------------------------------------------------------------- properties used in the chapter
def test_bn_training_output_is_normalised_per_channel():
    x, _, _, _, _, _ = bn_case((8, 3, 4, 4))
    y = F.batch_norm2d(x, np.ones(3), np.zeros(3))[0]
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), x.var(axis=(0, 2, 3)) /
                               (x.var(axis=(0, 2, 3)) + 1e-5), rtol=1e-12)


def test_bn_cancels_a_per_channel_constant_in_training_mode():
    x, g, b, _, _, dy = bn_case((4, 3, 5, 5))
    c = np.array([5.0, -2.0, 100.0])[None, :, None, None]      # a conv bias, one per channel
    y0, y1 = F.batch_norm2d(x, g, b)[0], F.batch_norm2d(x + c, g, b)[0]
    assert relative_error(y0, y1) < 1e-12
    dx = F.batch_norm2d_backward(dy, x, g)[0]
    np.testing.assert_allclose(dx.sum(axis=(0, 2, 3)), 0, atol=1e-10)   # the bias gets no gradient


# ---------------------------------------------------------------- bad input
def test_bn_bad_input():
    x, g, b, rm, rv, dy = bn_case((2, 3, 4, 4))
    with pytest.raises(ValueError, match="4-D"):
        F.batch_norm2d(x[0], g, b)
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        F.batch_norm2d(x, g[:2], b)
    with pytest.raises(ValueError, match="beta"):
        F.batch_norm2d(x, g, np.zeros(4))
    with pytest.raises(ValueError, match="running_mean and running_var"):
        F.batch_norm2d(x, g, b, training=False)
    with pytest.raises(ValueError, match="running_var"):
        F.batch_norm2d(x, g, b, rm, rv[:1])
    with pytest.raises(ValueError, match="more than one value"):
        F.batch_norm2d(x[:1, :, :1, :1], g, b)
    with pytest.raises(ValueError, match="momentum"):
        F.batch_norm2d(x, g, b, rm, rv, momentum=1.5)
    with pytest.raises(ValueError, match="eps"):
        F.batch_norm2d(x, g, b, eps=0)
    with pytest.raises(ValueError, match="dy must have the shape"):
        F.batch_norm2d_backward(dy[:1], x, g)
    with pytest.raises(TypeError, match="numeric"):
        F.batch_norm2d(x.astype(complex), g, b)


# ---------------------------------------------------------------- dropout
def test_dropout_eval_and_p0_are_identity():
    x = np.random.default_rng(0).normal(size=(3, 4))
    for y, mask in (F.dropout(x, 0.5, training=False), F.dropout(x, 0.0, rng=1)):
        np.testing.assert_array_equal(y, x)
        np.testing.assert_array_equal(mask, np.ones_like(x))
    assert np.count_nonzero(F.dropout(x, 1.0, rng=0)[0]) == 0
    assert torch.count_nonzero(TF.dropout(torch.from_numpy(x), 1.0, training=True)) == 0


@pytest.mark.parametrize("p", [0.3, 0.5, 0.7])
def test_dropout_is_inverted_and_keeps_the_mean(p):
    x = np.ones((400, 500))
    y, mask = F.dropout(x, p, rng=123)
    np.testing.assert_allclose(np.unique(y), [0.0, 1.0 / (1.0 - p)])
    n = x.size
    kept = np.count_nonzero(y) / n
    assert abs(kept - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)           # 5 binomial sigmas
    assert abs(y.mean() - 1.0) < 5 * np.sqrt(p / (1 - p) / n)           # E[y] = x, no test-time scaling


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_matches_torch_semantics(p):
    rng = np.random.default_rng(0)
    x, dy = rng.uniform(0.5, 2.0, (6, 7)), rng.normal(size=(6, 7))
    torch.manual_seed(0)
    xt = torch.tensor(x, requires_grad=True)
    yt = TF.dropout(xt, p, training=True)
    yt.backward(torch.from_numpy(dy))
    keep = (yt != 0).detach().numpy()                  # torch's random mask, read off its output
    mask = keep / (1.0 - p)
    assert relative_error(x * mask, yt.detach().numpy()) < PARITY      # survivors scaled 1/(1-p)
    assert relative_error(F.dropout_backward(dy, mask), xt.grad.numpy()) < PARITY
    torch.testing.assert_close(TF.dropout(xt, p, training=False), xt)  # eval: identity


def test_dropout_gradient_numerically():
    rng = np.random.default_rng(3)
    x, dy = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    _, mask = F.dropout(x, 0.4, rng=7)
    num = numerical_gradient(lambda v: np.sum(F.dropout(v, 0.4, rng=7)[0] * dy), x.copy())
    assert relative_error(num, F.dropout_backward(dy, mask)) < GRAD


def test_dropout_seeding():
    x = np.ones((5, 5))
    np.testing.assert_array_equal(F.dropout(x, 0.5, rng=3)[1], F.dropout(x, 0.5, rng=3)[1])
    np.random.seed(11)
    a = F.dropout(x, 0.5)[1]
    np.random.seed(11)
    np.testing.assert_array_equal(a, F.dropout(x, 0.5)[1])


def test_dropout_bad_input():
    x = np.ones((2, 3))
    for p in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"p must be (in \[0, 1\]|a finite number)"):
            F.dropout(x, p)
    for p in ("0.5", True, None):
        with pytest.raises(TypeError, match="p must be a real number"):
            F.dropout(x, p)
    with pytest.raises(TypeError, match="rng"):
        F.dropout(x, 0.5, rng="seed")
    with pytest.raises(ValueError, match="same shape"):
        F.dropout_backward(np.ones((2, 2)), x)
