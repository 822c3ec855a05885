"""The widgets' page-side JavaScript gives the same answers as the Python reference.

A table of cases is generated here from the Python functions (inputs from the specs and a list
of hostile texts; expected outputs by calling Python), and tests/js/run_cases.mjs runs it through
the exact ES modules the widgets carry into the page, in node. A change to the Python feedback
that the JavaScript does not follow fails here. Also: the page-side code and data never hold
``<!--``, ``<script`` or ``</script`` (they travel inside a <script> element of the page).
"""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import cnnlib.widgets as W
from cnnlib.scratch.convmath import KERNELS
from cnnlib.data.lessons import CONV_INPUTS, EDGE_MAP, POOL_INPUTS
from cnnlib.widgets import answers, cifar, convolution, core, gradcam, pooling

RUNNER = Path(__file__).with_name("js") / "run_cases.mjs"
MODULES = {"answer": W.AnswerChecker, "conv": W.ConvExplorer, "pool": W.PoolExplorer,
           "pool_exercise": W.PoolExercise}

# What readers type that is not a plain answer: IME input, separators, overflow, garbage.
HOSTILE = ["", "   ", "　", "abc", "1..2", "--1", "+-1", "1/0", "0/0", "1/", "/2", "2/-1", "nan",
           "inf", "-inf", "1e400", "-1e400", "1e-99999999", "1e308", "1" * 5000, "9" * 33,
           "1" * 32, "１２", "－３", "ー３", "３．５", "１／９", "1,5", "1 2", "<script>", "</script>",
           "<!--", "&amp;", "'\"", "3.0", "1e1", "1E+1", ".5", "5.", "+.5e-1", "1/9", "−2",
           "\u00a03", "٣", "0x10", "1_000", "½", "3²", "🙂", "3\n", "\t4\t", "4 ", "{x}", "$&"]


def _py(value):
    """A Python result as JSON-able data (ndarrays as lists, tuples as lists)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, list)):
        return [_py(v) for v in value]
    if isinstance(value, dict):
        return {k: _py(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def call(fn, *args):
    """fn(*args), or {"error": message} for an InputError (what the runner records)."""
    try:
        return _py(fn(*args))
    except core.InputError as e:
        return {"error": str(e)}


def case(module, fn_name, py_fn, *args, tol=None):
    return {"module": module, "fn": fn_name, "args": _py(list(args)),
            "expected": call(py_fn, *args), "tol": tol}


# ---------------------------------------------------------------- generated cases
def core_cases():
    out = []
    for text in HOSTILE + ["3", "-0.5", "1e-2", "1/9", "-1/3", "12345678901234567890"]:
        out.append(case("conv", "clean", core.clean, text))
        out.append(case("conv", "readNumber", core.read_number, core.clean(text)))
        for integer in (False, True):
            out.append(case("conv", "parseAnswer", core.parse_answer, text, "答え", integer))
    rng = np.random.default_rng(0)
    values = [0.0, -0.0, 0.125, -0.125, 0.375, 2.5, 3.5, -2.5, 2.675, 0.005, 1 / 3, -1 / 3,
              3 + 1e-10, 3 - 1e-10, 3 + 2e-9, -0.001, -0.004, 1e300, -1e300, 1e-300, 5e-324,
              123456789.125, 2 ** 53 + 0.0, 1e22, 0.5, 1.5, -0.5]
    values += list(rng.normal(0, 1, 40)) + list(rng.normal(0, 1000, 20)) + \
        list(np.round(rng.normal(0, 10, 20), 3)) + [k / 8 for k in range(-20, 21)]
    for v in values:
        for digits in (1, 2, 3, 4):
            out.append(case("conv", "fmtNumber", core.fmt_number, float(v), digits))
    matrices = ["1 0 -1\n1 0 -1", "1, 2; 3, 4", "[[1/9, 0.5], [-2, 1e-1]]", "１　－２",
                "1 2\n3 x", "1 2 3\n4 5", "nan 1", "1/0", "\n".join(["1 " * 8] * 8), "",
                "1e7 1", "1e308", "1\r\n2", "1;;2", "[1 2]", "1 2\n\n3 4", "1\t2", "1" * 40,
                "1 " * 3000, "-1000000 1000000", "<script> 1"] + HOSTILE
    for text in matrices:
        out.append(case("conv", "parseMatrix", core.parse_matrix, text, "カーネル", (7, 7)))
        out.append(case("pool", "parseMatrix", core.parse_matrix, text, "入力", (8, 8)))
    return out


def answer_texts(spec):
    """Texts for one spec: the answer in several spellings, each mistake, boundaries, garbage."""
    a, tol = spec["answer"], spec["tol"]
    values = [a, a + 1, a - 1, a + tol / 2, a - tol / 2, a + 2 * tol + 1e-3, -a, 0.0]
    for rule in spec["rules"]:
        values += [rule["near"][0]] if "near" in rule else \
            [rule.get("below", rule.get("above")) + d for d in (-1, -0.5, 0, 0.5, 1)]
    texts = []
    for v in values:
        texts += [repr(v), f"{v:.3f}", f"{v:g}"]
        if v == int(v):
            texts.append(str(int(v)))
    texts.append(repr(a).translate(str.maketrans("0123456789.-", "０１２３４５６７８９．－")))
    return texts + HOSTILE


def answer_specs():
    specs = [W.answer_checker("q", 56).problems[0],
             W.answer_checker("q", 27 / 49, "e", name="倍率", tol=2e-3,
                              mistakes={49 / 27: "逆", 3 / 7: "x"}).problems[0],
             W.answer_checker("q", 1 / (1 - 0.2), "e", tol=1e-9, hint="h").problems[0],
             W.answer_checker("q", 75.0, "e", tol=0.05, mistakes={25: "m", 75.05: "edge"}).problems[0],
             cifar.cifar_std_spec(0.2470, 0.2023, 0.4914),
             cifar.cifar_std_spec(0.2470, 0.2051, 0.4914),
             gradcam.gradcam_value_spec(),
             gradcam.gradcam_value_spec((-1.0, 0.5), (2.0, 4.0), 9)]
    specs += W.output_size_exercise(seed=0, n=30).problems
    specs += [convolution.output_size_spec(*p) for p in
              [(28, 5, 1, 2, 1), (6, 3, 0, 2, 1), (10, 3, 1, 1, 2), (10, 3, 2, 1, 1), (5, 1, 0, 3, 1)]]
    return specs


def checker_cases():
    out = []
    for spec in answer_specs():
        for text in answer_texts(spec):
            for attempt in (1, 2, 3):
                out.append(case("answer", "checkAnswer", answers.check_answer, spec, text, attempt))
    return out


def conv_cases():
    rng = np.random.default_rng(1)
    inputs = [*CONV_INPUTS.values(), np.round(rng.random((9, 7)), 3).tolist()]
    texts = [convolution.kernel_text(k) for k in KERNELS.values()]
    texts += ["1", "1 -1", "1/9 1/9\n1/9 1/9", "0.1 -0.25 3\n2 1e-3 -1/7", "\n".join(["1 1 1 1 1 1"] * 6),
              "1 2\n3", "abc", "", "1e308", "1e6 1e6\n1e6 1e6", "\n".join(["1 " * 7] * 7)]
    out = []
    for x in inputs:
        for text in texts:
            for p, s, d in [(0, 1, 1), (1, 2, 1), (2, 3, 2), (1, 1, 2), (3, 2, 1), (0, 3, 3)]:
                out.append(case("conv", "convView", lambda *a: dict(zip(
                    ("kind", "message", "output", "kernel"), convolution.conv_view(*a))),
                    x, text, p, s, d, tol=1e-12))
    return out


def pool_cases():
    rng = np.random.default_rng(2)
    sources = [pooling.matrix_text(a) for a in POOL_INPUTS.values()]
    sources += [pooling.matrix_text(np.round(rng.normal(0, 3, (7, 5)), 2)), "1 2\n3", "x", "",
                "\n".join(["1 " * 9] * 9), "5"]
    sources.append(np.round(rng.random((11, 9)), 3).tolist())          # like the photo
    out = []
    for source in sources:
        for mode in pooling.MODES:
            for k, s, p in [(2, 2, 0), (1, 1, 0), (3, 1, 1), (2, 1, 1), (4, 4, 2), (3, 2, 2), (4, 3, 1)]:
                out.append(case("pool", "poolView", lambda *a: dict(zip(
                    ("kind", "message", "x", "output", "wins"), pooling.pool_view(*a))),
                    source, mode, k, s, p, tol=1e-12))
    return out


def pool_exercise_cases():
    out = []
    for x in (EDGE_MAP, POOL_INPUTS["資料の4×4（例2）"], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]):
        spec = pooling.pool_exercise_spec(x)
        mx, av = (np.asarray(p["truth"]) for p in spec["parts"])
        xa = np.asarray(x, float)
        one_off = mx.copy()
        one_off[-1, -1] += 1
        stride1 = pooling.F.max_pool2d(xa[None, None], 2, 1)[0, 0]
        answers_ = [mx, av, 4 * av, np.ceil(av), np.round(av), one_off, stride1, mx[:1]]
        texts = [pooling.matrix_text(a) for a in answers_] + ["", "x", "1 2\n3", "１　０"]
        for mt in texts:
            for at in texts:
                for choice in ("", "最大プーリング", "平均プーリング"):
                    out.append(case("pool_exercise", "checkPoolExercise",
                                    pooling.check_pool_exercise, spec, mt, at, choice))
    return out


@pytest.fixture(scope="module")
def node():
    exe = shutil.which("node")
    if not exe:
        pytest.fail("node is missing (Node.js is a prerequisite of the book: see the README)")
    return exe


def run(node, tmp_path, cases):
    for name, cls in MODULES.items():
        (tmp_path / f"{name}.mjs").write_text(cls._esm, encoding="utf-8")
    (tmp_path / "cases.json").write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run([node, str(RUNNER), str(tmp_path)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("make", [core_cases, checker_cases, conv_cases, pool_cases,
                                  pool_exercise_cases])
def test_page_code_matches_python(node, tmp_path, make):
    cases = make()
    result = run(node, tmp_path, cases)
    print(f"{make.__name__}: {result['count']} cases run through the page's JavaScript")
    assert result["count"] == len(cases) > 0
    assert not result["failed"], "\n".join(
        f"{f['fn']}{json.dumps(f['args'], ensure_ascii=False)[:300]}\n  python: "
        f"{json.dumps(f['expected'], ensure_ascii=False)[:400]}\n  page:   "
        f"{json.dumps(f['got'], ensure_ascii=False)[:400]}" for f in result["failures"][:5])


def test_runner_detects_a_difference(node, tmp_path):
    """The comparison can fail: a wrong expected value is reported."""
    cases = [case("answer", "checkAnswer", answers.check_answer, answer_specs()[0], "56", 1)]
    cases[0]["expected"][1] += "（変更）"
    assert run(node, tmp_path, cases)["failed"] == 1


# ---------------------------------------------------------------- lint
FORBIDDEN = ("<!--", "<script", "</script")


def test_page_code_has_no_script_breakers():
    files = sorted(core.JS_DIR.iterdir())
    assert {f.name for f in files} >= {"core.js", "answer.js", "conv.js", "pool.js",
                                       "pool_exercise.js", "explorer.js", "widgets.css"}
    for f in files:
        text = f.read_text(encoding="utf-8").lower()
        assert not [s for s in FORBIDDEN if s in text], f.name


@pytest.mark.parametrize("make", [
    lambda: W.conv_explorer(), lambda: W.pool_explorer(), lambda: W.pool_exercise(),
    lambda: W.output_size_exercise(seed=1), lambda: W.answer_checker("q <b>x</b>", 3),
    lambda: W.cifar_std_exercise(0.247, 0.2, 0.49), lambda: W.gradcam_value_exercise()])
def test_widget_state_has_no_script_breakers(make):
    state = json.dumps(make().get_state(), ensure_ascii=False).lower()
    assert not [s for s in FORBIDDEN if s in state]
