"""cnnlib.prose: the numbers the prose shows, as text that {eval} shows without quotes."""
import IPython.lib.pretty as pretty
import numpy as np
import pytest

import cnnlib.prose as prose
from cnnlib.prose import Glued, Text


@pytest.fixture
def glued(monkeypatch):
    calls = []
    monkeypatch.setattr(prose, "_glue", lambda name, text: calls.append((name, text)))
    return Glued(), calls


def test_text_is_shown_as_itself():
    t = Text("0.75")
    assert t == "0.75" and repr(t) == "0.75" and pretty.pretty(t) == "0.75"
    assert repr("0.75") == "'0.75'"          # what a plain str would show in {eval}


def test_set_keeps_the_text_and_glues_it(glued):
    g, calls = glued
    g.acc = format(np.float64(0.98765), ".1%")
    g.n = np.int64(56)
    g["acc_k3"] = 0.5
    assert (g.acc, g.n, g.acc_k3) == ("98.8%", "56", "0.5")
    assert all(isinstance(v, Text) for v in (g.acc, g.n, g.acc_k3))
    assert calls == [("acc", "98.8%"), ("n", "56"), ("acc_k3", "0.5")]
    assert repr(g) == "g.acc = 98.8%\ng.n = 56\ng.acc_k3 = 0.5"
    g.n = 57                                 # a rerun cell replaces the value
    assert g.n == "57"


@pytest.mark.parametrize("name", ["", "1a", "a-b", "a b", "class", 3])
def test_names_must_be_identifiers(glued, name):
    g, _ = glued
    with pytest.raises(ValueError, match="name must be a Python identifier"):
        g[name] = 1


@pytest.mark.parametrize("value", [True, None])
def test_values_that_are_not_shown_are_refused(glued, value):
    g, _ = glued
    with pytest.raises(TypeError, match="number or text"):
        g.x = value


def test_reading_an_unset_name_says_what_is_set(glued):
    g, _ = glued
    g.a = 1
    with pytest.raises(AttributeError, match=r"g\.b has not been set.*set so far: a"):
        g.b


def test_glue_is_myst_nbs_when_it_is_installed(monkeypatch):
    import myst_nb
    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: calls.append((name, value, display)))
    Glued().x = 3
    assert calls == [("x", "3", False)]
