"""cnnlib.claims, and the rule that ties every guarded claim to the sentence the page shows."""
import ast
import json
from pathlib import Path

import numpy as np
import pytest

from cnnlib.claims import ClaimError, choose, claim, exceeds, monotone, outranks

CHAPTERS = sorted((Path(__file__).resolve().parents[1] / "chapters").glob("*.ipynb"))


def test_claim_returns_the_sentence_or_names_it_with_the_numbers():
    assert claim("A は B より速い", 1.0 < 2.0, a=1.0, b=2.0) == "A は B より速い"
    assert claim("numpy の真偽値も受け付ける", np.float64(1) < 2)
    with pytest.raises(ClaimError, match=r"「A は B より速い」.*a=3.0, b=2.0"):
        claim("A は B より速い", 3.0 < 2.0, a=3.0, b=2.0)


@pytest.mark.parametrize("sentence, holds", [("", True), (None, True), ("文", 1), ("文", "yes"),
                                             ("文", np.array([True, True]))])
def test_claim_rejects_what_is_not_a_sentence_and_a_condition(sentence, holds):
    with pytest.raises(TypeError):
        claim(sentence, holds)


def test_choose_needs_exactly_one_true_case():
    assert choose({"上がる": True, "下がる": False}) == "上がる"
    with pytest.raises(ClaimError, match="exactly one"):
        choose({"上がる": False, "下がる": False}, x=1)
    with pytest.raises(ClaimError, match="2 do"):
        choose({"上がる": True, "下がる": True})
    with pytest.raises(TypeError):
        choose({})


def test_monotone_means_every_step():
    assert monotone([1, 2, 3])
    assert not monotone([1, 3, 2, 4])                  # the ends alone would say "increasing"
    assert monotone([3, 2, 2], increasing=False, strict=False)
    assert not monotone([3, 2, 2], increasing=False)
    assert not monotone([1])
    assert not monotone([1, float("nan"), 3])


def test_exceeds_is_above_the_baseline_by_more_than_the_margin():
    assert exceeds(0.35, 0.20, 0.1)
    assert not exceeds(0.32, 0.25, 0.1)
    assert not exceeds(float("nan"), 0.0, 0.0)
    with pytest.raises(ValueError, match="margin"):
        exceeds(1, 0, -1)


def test_outranks_means_the_worst_of_a_beats_the_best_of_b():
    assert outranks([0.8, 0.9], [0.6, 0.7])
    assert not outranks([0.8, 0.65], [0.6, 0.7])          # the means alone would say "beats"
    assert not outranks([0.8], [0.75], margin=0.1)
    assert not outranks([float("nan")], [0.1])
    with pytest.raises(ValueError):
        outranks([], [1])
    with pytest.raises(ValueError, match="margin"):
        outranks([1], [0], margin=-1)


def guarded_sentences(nb):
    """The literal first arguments of every claim(...) call in the notebook's code cells."""
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        try:
            tree = ast.parse("\n".join(l for l in src.splitlines() if not l.lstrip().startswith(("%", "!"))))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "claim"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                found.append(node.args[0].value)
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_guarded_sentence_is_in_the_page(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    prose = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    squash = lambda text: "".join(text.split())   # Japanese prose breaks lines mid-sentence
    missing = [s for s in guarded_sentences(nb) if squash(s) not in squash(prose)]
    assert not missing, f"{path.name}: claim() sentences not found verbatim in its Markdown: {missing}"


def test_the_sentence_check_can_fail():
    nb = {"cells": [{"cell_type": "markdown", "source": ["A は速い。"]},
                    {"cell_type": "code", "source": ["claim('B は速い', True)\n"]}]}
    assert guarded_sentences(nb) == ["B は速い"]


def test_paired_se_is_the_noise_of_an_accuracy_difference():
    from cnnlib.claims import paired_se
    a = np.array([1, 1, 1, 0, 1, 0, 1, 1])
    assert paired_se(a, a) == 0.0                          # the same answers: no difference at all
    b = np.array([1, 0, 1, 0, 1, 1, 0, 1])
    d = a - b
    assert paired_se(a, b) == pytest.approx(d.std(ddof=1) / np.sqrt(len(d)))
    rng = np.random.default_rng(0)                         # agrees with the spread of resampled differences
    a, b = rng.random(4000) < 0.9, rng.random(4000) < 0.85
    boot = [np.mean(a[i]) - np.mean(b[i]) for i in rng.integers(0, 4000, (400, 4000))]
    assert paired_se(a, b) == pytest.approx(np.std(boot), rel=0.15)
    with pytest.raises(ValueError, match="same examples"):
        paired_se([1, 0, 1], [1, 0])
