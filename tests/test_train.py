"""cnnlib.nn.train: fit on a tiny synthetic problem, Ctrl-C, metrics, checkpoints and their errors."""
import pytest
import torch
from torch import nn
import torch.nn.functional as F

from cnnlib.nn import checkpoints as CK
from cnnlib.nn import metrics as MET
from cnnlib.nn import train as T



pytestmark = pytest.mark.usefixtures("one_thread")


def problem(n=256, seed=0):
    """Linearly separable 4-class blobs as 1x4x4 'images'."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    X = torch.randn(n, 1, 4, 4, generator=g) * 0.5
    X[torch.arange(n), 0, y, y] += 3.0
    return X, y


def net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(64, 4))


def test_fit_reduces_loss_and_history_shapes():
    X, y = problem()
    h = T.fit(net(), (X, y), (X[:64], y[:64]), epochs=4, batch_size=32, lr=1e-2, seed=0,
              progress=False, amp=None)
    assert h.epochs == 4 and not h.interrupted
    assert h["train_loss"][-1] < 0.5 * h["train_loss"][0]
    assert h["test_acc"][-1] > 0.9
    assert h.rows()[0].keys() == set(T.HISTORY_KEYS)
    assert all(b >= a for a, b in zip(h["time"], h["time"][1:]))
    assert h.best("test_loss", "min")["test_loss"] == min(h["test_loss"])


def test_fit_is_deterministic_with_seed():
    X, y = problem()
    kw = dict(epochs=2, batch_size=32, seed=3, progress=False, amp=None)
    a, b = T.fit(net(), (X, y), **kw), T.fit(net(), (X, y), **kw)
    assert a["train_loss"] == b["train_loss"]


def test_fit_accepts_iterable_of_batches_and_schedules():
    X, y = problem()
    dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=64)
    for schedule in ("onecycle", "cosine"):
        h = T.fit(net(), dl, dl, epochs=2, schedule=schedule, lr=1e-2, progress=False)
        assert h.epochs == 2
    h = T.fit(net(), (X, y), epochs=2, schedule="cosine", lr=0.1, optimizer="sgd", progress=False)
    assert h["lr"][-1] == pytest.approx(0.0, abs=1e-12)      # cosine ends at 0


def test_keyboard_interrupt_keeps_history_and_model():
    X, y = problem()
    model = net()

    def interrupt(info):
        if info["epoch"] == 3 and info["step"] == 2:
            raise KeyboardInterrupt

    h = T.fit(model, (X, y), (X, y), epochs=5, batch_size=32, on_batch=interrupt, progress=False)
    assert h.interrupted and h.epochs == 2
    assert not model.training
    assert T.evaluate(model, (X, y))["acc"] > 0.5            # still usable


def test_interrupt_from_data_iterator():
    X, y = problem()

    class Stopping:
        def __init__(self):
            self.calls = 0

        def __iter__(self):
            self.calls += 1
            if self.calls == 2:
                raise KeyboardInterrupt
            yield X, y

    h = T.fit(net(), Stopping(), epochs=3, progress=False)
    assert h.interrupted and h.epochs == 1


def test_early_stopping_restores_best():
    X, y = problem()
    losses = iter([1.0, 0.5, 0.7, 0.8, 0.9, 1.0])
    stop = T.EarlyStopping(patience=2)
    model = net()

    def fake_epoch(epoch, hist, m):
        hist["test_loss"][-1] = next(losses)
        if epoch == 2:
            fake_epoch.best = {k: v.clone() for k, v in m.state_dict().items()}
        return stop(epoch, hist, m)

    h = T.fit(model, (X, y), (X, y), epochs=6, on_epoch=fake_epoch, progress=False)
    assert h.epochs == 4 and stop.best_epoch == 2
    assert all(torch.equal(v, fake_epoch.best[k]) for k, v in model.state_dict().items())


def test_label_smoothing_and_soft_targets():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([0, 1])
    soft = torch.tensor([[0.95, 0.05], [0.05, 0.95]], dtype=torch.float64)
    assert torch.allclose(T.soft_cross_entropy(logits, y, 0.1),
                          -(soft * logits.log_softmax(1)).sum(1).mean().float())


def test_confusion_matrix_and_per_class_accuracy():
    yt = torch.tensor([0, 0, 1, 1, 1, 2])
    yp = torch.tensor([0, 1, 1, 1, 0, 2])
    cm = MET.confusion_matrix(yt, yp, 3)
    assert cm.tolist() == [[1, 1, 0], [1, 2, 0], [0, 0, 1]]
    assert torch.allclose(MET.per_class_accuracy(cm), torch.tensor([0.5, 2 / 3, 1.0], dtype=torch.float64))
    assert MET.most_confused(cm, 2, ["a", "b", "c"]) == [("a", "b", 1), ("b", "a", 1)]
    with pytest.raises(ValueError, match="shape"):
        MET.confusion_matrix(yt, yp[:3])


def test_predict_flip_tta_averages():
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    X, y = problem(8)
    logits, _ = T.predict(model, (X, y), tta="flip", amp=None)
    with torch.no_grad():
        want = (model(X) + model(X.flip(-1))) / 2
    assert torch.allclose(logits, want, atol=1e-6)


def test_predict_flip_translate_tta_weights_views():
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    X, y = problem(8)
    logits, _ = T.predict(model, (X, y), tta="flip-translate", amp=None)
    padded = F.pad(X, (1, 1, 1, 1), mode="reflect")
    with torch.no_grad():
        views = [X, padded[..., :4, :4], padded[..., 2:, 2:]]
        mirrored = [(model(v) + model(v.flip(-1))) / 2 for v in views]
        want = mirrored[0] / 2 + (mirrored[1] + mirrored[2]) / 4
    assert torch.allclose(logits, want, atol=1e-6)
    with pytest.raises(ValueError, match="tta must be one of"):
        T.predict(model, (X, y), tta="rotate")


def test_checkpoint_round_trip(tmp_path):
    model, other = net(), nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                                        nn.Linear(64, 4))
    p = CK.save_checkpoint(tmp_path / "sub" / "m.pt", model, name="net", classes=["a", "b"],
                          mean=[0.5], extra={"n": 3})
    ck = CK.load_checkpoint(p, other)
    assert ck["meta"] == {"name": "net", "classes": ["a", "b"], "mean": [0.5], "extra": {"n": 3}}
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                 other.state_dict().values()))


def test_checkpoint_errors(tmp_path):
    model = net()
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        CK.load_checkpoint(tmp_path / "absent.pt")
    p = CK.save_checkpoint(tmp_path / "m.pt", model)
    data = p.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CK.CheckpointError, match="corrupt"):
        CK.load_checkpoint(tmp_path / "cut.pt")
    torch.save({"weights": 1}, tmp_path / "foreign.pt")
    with pytest.raises(CK.CheckpointError, match="not a cnnlib checkpoint"):
        CK.load_checkpoint(tmp_path / "foreign.pt")
    wrong = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(128, 4))
    with pytest.raises(CK.CheckpointError, match="shape mismatches"):
        CK.load_checkpoint(p, wrong)
    with pytest.raises(CK.CheckpointError, match="missing keys"):
        CK.load_checkpoint(p, nn.Sequential(nn.Linear(2, 2)))
    with pytest.raises(ValueError, match="meta must hold"):
        CK.save_checkpoint(tmp_path / "bad.pt", model, fn=lambda: 0)        # not picklable
    with pytest.raises(ValueError, match="meta must hold"):
        CK.save_checkpoint(tmp_path / "bad.pt", model, where=tmp_path)       # not weights_only-safe
    assert not list(tmp_path.glob("bad.pt*"))


def test_bad_arguments():
    X, y = problem()
    with pytest.raises(ValueError, match="optimizer"):
        T.fit(net(), (X, y), epochs=1, optimizer="lbfgs", progress=False)
    with pytest.raises(ValueError, match="schedule"):
        T.fit(net(), (X, y), epochs=1, schedule="step", progress=False)
    with pytest.raises(ValueError, match="amp"):
        T.autocast_dtype("cpu", "fp16")
    with pytest.raises(TypeError, match="tuple"):
        T.fit(net(), 5, epochs=1, progress=False)
    with pytest.raises(ValueError, match="same number of examples"):
        T.fit(net(), (X, y[:3]), epochs=1, progress=False)


def test_book_checkpoint_path_under_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLIB_CACHE", str(tmp_path))
    assert CK.book_checkpoint_path() == tmp_path / "checkpoints" / "cifar10_book.pt"


def test_fit_reuses_one_batch_bar(monkeypatch):
    """Two progress bars (epochs, batches) whatever the number of epochs: a closed bar per epoch
    would leave an empty widget area per epoch in the static HTML."""
    made = []

    def counting_tqdm(*args, **kw):
        if not kw.get("disable"):
            made.append(kw.get("desc"))
        return real(*args, **kw)
    real = T.tqdm
    monkeypatch.setattr(T, "tqdm", counting_tqdm)
    X, y = problem(32)
    T.fit(net(), (X, y), (X, y), epochs=3, batch_size=8, amp=None)
    assert len(made) == 2, made                       # "epoch" and the batch bar
