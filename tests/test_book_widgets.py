"""The built book's widgets, driven like a reader in Chromium with no kernel and no network.

Every exercise checker of every page: the right answer (computed in Python at build time and
read from the page's saved state), each known mistake, garbage, full-width digits, overflow,
empty input, Enter and the button, attempts 1-3, and 新しい問題 through the whole problem set.
The expected feedback comes from the Python engine (``check_answer``); the page must show
exactly the same HTML. The convolution and pooling explorers are driven through their inputs,
kernels, modes and sliders, and the numbers they show are compared with cnnlib's NumPy
functions (``conv_view`` / ``pool_view``). Needs the built book (``make book``).
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from cnnlib.widgets import check_answer, conv_view, fmt_number, pool_view
from cnnlib.widgets.core import feedback
from cnnlib.widgets.pooling import check_pool_exercise, matrix_text
from test_book_browser import (DOCNAMES, STATE_RE, PageReport, base_url, browser, built_page,  # noqa: F401
                               open_page, tag_views, widget_state)

KINDS = {"answer": "cnnlib.widgets.answers.AnswerChecker",
         "conv": "cnnlib.widgets.convolution.ConvExplorer",
         "pool": "cnnlib.widgets.pooling.PoolExplorer",
         "pool_exercise": "cnnlib.widgets.pooling.PoolExercise"}
FULLWIDTH = str.maketrans("0123456789.-", "０１２３４５６７８９．－")
GARBAGE = ["abc", "", "1e400", "1" * 5000, "<script>", "1/0", "１２ー"]
TALLY = {"cases": 0, "seconds": 0.0}


def widgets_of(kind):
    """(docname, model id, state) of every saved widget of one kind, in reading order."""
    found = []
    for docname in DOCNAMES:
        state = widget_state(built_page(docname).read_text(encoding="utf-8"))
        found += [(docname, mid, m["state"]) for mid, m in state.items()
                  if m["state"].get("_anywidget_id") == KINDS[kind]]
    return found


@pytest.fixture(scope="module")
def pages(browser, base_url):  # noqa: F811
    """Open each page once (views tagged with their model id); close them at the end."""
    opened = {}

    def get(docname):
        if docname not in opened:
            report = PageReport(docname)
            ctx, page = open_page(browser, base_url, docname + ".html", report, rewrite=tag_views)
            opened[docname] = (ctx, page, report)
        return opened[docname][1:]

    yield get
    print(f"\nstatic-page widget cases: {TALLY['cases']} in {TALLY['seconds']:.1f} s")
    for ctx, _, report in opened.values():
        ctx.close()
        assert not (report.errors or report.failed or report.blocked), report


def normalized(page, html):
    """The HTML as the browser serialises it after parsing (to compare with innerHTML)."""
    return page.evaluate("h => { const d = document.createElement('div'); d.innerHTML = h; "
                         "return d.innerHTML; }", html)


def shown(root):
    return root.locator(".cnnw-out").first.inner_html()


def timed(fn):
    start = time.perf_counter()
    n = fn()
    TALLY["cases"] += n
    TALLY["seconds"] += time.perf_counter() - start
    return n


# ---------------------------------------------------------------- answer checkers
def texts_for(spec):
    """Inputs: garbage, each known mistake, a full-width wrong answer, then the right answer."""
    a = spec["answer"]
    right = str(int(a)) if a == int(a) else repr(a)
    mistakes = [repr(r["near"][0]) if r["near"][0] != int(r["near"][0]) else str(int(r["near"][0]))
                for r in spec["rules"] if "near" in r and abs(r["near"][0] - a) > spec["tol"]]
    wrong = str(int(a) + 7).translate(FULLWIDTH)
    return GARBAGE + [wrong] + mistakes + [wrong, right.translate(FULLWIDTH), right]


def drive_checker(page, root, spec, texts):
    """Type each text, check it (Enter and 確認 in turn), compare with check_answer."""
    box, wrong = root.locator("input.cnnw-answer"), 0
    for n, text in enumerate(texts):
        box.fill(text)
        if n % 2:
            box.press("Enter")
        else:
            root.locator("button.cnnw-check").click()
        kind, message = check_answer(spec, text, wrong + 1)
        wrong += kind == "ng"
        assert shown(root) == normalized(page, feedback(kind, message)), (text[:40], wrong)
    return len(texts)


@pytest.mark.parametrize("docname, mid, state", widgets_of("answer"),
                         ids=lambda v: v if isinstance(v, str) and "/" in v else None)
def test_every_checker_gives_pythons_feedback(pages, docname, mid, state):
    page, report = pages(docname)
    root = page.locator(f".bt-{mid}")
    problems = state["problems"]
    question = root.locator(".cnnw-question")
    assert question.inner_html() == normalized(page, problems[0]["question"])

    def run():
        n = 0
        for i, spec in enumerate(problems):
            if i:                                          # 新しい問題: the next one, cleared
                root.locator("button.cnnw-new").click()
                assert question.inner_html() == normalized(page, spec["question"])
                assert root.locator("input.cnnw-answer").input_value() == "" and shown(root) == ""
            texts = texts_for(spec) if i < 2 else [texts_for(spec)[-1]]
            n += drive_checker(page, root, spec, texts)
        if len(problems) > 1:                              # back to the first problem
            root.locator("button.cnnw-new").click()
            assert question.inner_html() == normalized(page, problems[0]["question"])
        else:
            assert not root.locator("button.cnnw-new").is_visible()
        return n
    assert timed(run) > 0
    assert not report.errors, report.errors


def test_pages_hold_the_expected_checkers():
    """16 checkers (15 numeric, one with a set of 10 problems, and pooling's exercise 1)."""
    found = widgets_of("answer") + widgets_of("pool_exercise")
    per_page = {}
    for docname, _, _ in found:
        per_page[docname] = per_page.get(docname, 0) + 1
    assert len(found) == 16, per_page
    assert sum(len(s.get("problems", ())) > 1 for _, _, s in found) >= 1


# ---------------------------------------------------------------- pooling exercise
def test_pool_exercise_gives_pythons_feedback(pages):
    (docname, mid, state), = widgets_of("pool_exercise")
    page, report = pages(docname)
    root = page.locator(f".bt-{mid}")
    spec = state["spec"]
    mx, av = (np.asarray(p["truth"]) for p in spec["parts"])
    right = [matrix_text(mx), matrix_text(av)]
    answers = [(right[1], right[0], ""), (right[0], matrix_text(4 * av), "平均プーリング"),
               (right[0], matrix_text(np.ceil(av)), "最大プーリング"), ("x", "", "最大プーリング"),
               (right[0].translate(FULLWIDTH), right[1], "平均プーリング"),
               ("1 1\n1 1", right[1], "最大プーリング"), (right[0], right[1], "最大プーリング")]

    def run():
        for max_text, avg_text, choice in answers:
            areas = root.locator("textarea")
            areas.nth(0).fill(max_text)
            areas.nth(1).fill(avg_text)
            if choice:
                root.locator(f"input[value='{choice}']").check()
            root.locator("button.cnnw-check").click()
            kind, message = check_pool_exercise(spec, max_text, avg_text, choice or _checked(root))
            assert shown(root) == normalized(page, feedback(kind, message)), (max_text, avg_text, choice)
        return len(answers)
    timed(run)
    assert "正解です" in shown(root)


def _checked(root):
    picked = root.locator("input[type=radio]:checked")
    return picked.first.get_attribute("value") if picked.count() else ""


# ---------------------------------------------------------------- explorers
def set_range(root, trait, value):
    """Move a slider like a user: focus it, Home, then ArrowRight to the value."""
    slider = root.locator(f"input[data-trait={trait}]")
    slider.focus()
    slider.press("Home")
    for _ in range(value - int(slider.get_attribute("min"))):
        slider.press("ArrowRight")
    assert int(slider.input_value()) == value


def table(root, caption):
    """Cell texts of the table under ``caption`` in the explorer."""
    block = root.locator(".cnnw-block", has=root.page.locator(f".cnnw-cap:text-is('{caption}')"))
    return block.locator("tr").evaluate_all("rs => rs.map(r => [...r.cells].map(c => c.textContent))")


def formatted(a):
    return [[fmt_number(v) for v in row] for row in np.asarray(a)]


def settings(root, *traits):
    return [int(root.locator(f"input[data-trait={t}]").input_value()) for t in traits]


def check_shown(root, kind, message, out, detail, tables=()):
    """The message, the tables and the detail at the shown position agree with Python's view."""
    assert root.locator(".cnnw-message").inner_html() == normalized(root.page, feedback(kind, message))
    if out is None:
        assert root.locator(".cnnw-maps").inner_html() == ""
        return 1
    for caption, a in tables:
        assert table(root, caption) == formatted(a), caption
    i, j = divmod(settings(root, "position")[0], out.shape[1])
    assert detail(i, j) in root.locator(".cnnw-detail").inner_text()
    return 1


def check_conv(root, x):
    text = root.locator("textarea[data-trait=kernel_text]").input_value()
    kind, message, out, _ = conv_view(x, text, *settings(root, "padding", "stride", "dilation"))
    tables = [(f"出力 ({out.shape[0]}×{out.shape[1]})", out)] if out is not None and x.shape[0] <= 8 else []
    return check_shown(root, kind, message, out,
                       lambda i, j: f"出力[{i}, {j}] = 積の合計 = {fmt_number(out[i, j])}", tables)


def explorer(pages, kind):
    """The page's only explorer of this kind: (page, its root element, saved state, photo)."""
    (docname, mid, state), = widgets_of(kind)
    page, _ = pages(docname)
    return page, page.locator(f".bt-{mid}"), state, np.array(state["photo"], dtype=float) / 255.0


def test_conv_explorer_computes_in_the_page(pages):
    page, root, state, photo = explorer(pages, "conv")
    inputs = {name: np.array(v, dtype=float) for name, v in state["inputs"].items()}

    def run():
        n = 0
        for name in [*inputs, state["photo_name"]]:
            root.locator("select[data-trait=input_name]").select_option(name)
            x = photo if name == state["photo_name"] else inputs[name]
            for kernel in ("Sobel（横方向の変化）", "ぼかし（平均）", "L字"):
                root.locator("select[data-trait=kernel_name]").select_option(kernel)
                assert root.locator("textarea[data-trait=kernel_text]").input_value() == state["kernels"][kernel]
                for p, s, d in [(0, 1, 1), (1, 2, 1), (2, 1, 2), (3, 3, 3)]:
                    set_range(root, "padding", p)
                    set_range(root, "stride", s)
                    set_range(root, "dilation", d)
                    n += check_conv(root, x)
            if name == state["photo_name"]:
                assert root.locator("canvas").count() == 2
        # typed kernels: custom, fractions, IME input, then every kind of bad text
        for text in ["1 0 -1\n1 0 -1\n1 0 -1", "1/9 1/9\n1/9 1/9", "１　－１", "0.5, -0.25; 2, 1e-3",
                     "1 2\n3", "abc", "", "1e308", "\n".join(["1 1 1 1 1 1 1"] * 7), "1 " * 3000]:
            root.locator("textarea[data-trait=kernel_text]").fill(text)
            assert root.locator("select[data-trait=kernel_name]").input_value() == state["custom_name"]
            n += check_conv(root, photo)
        root.locator("select[data-trait=input_name]").select_option("レッスンの5×5")
        root.locator("textarea[data-trait=kernel_text]").fill("1 1 1 1 1 1")
        set_range(root, "padding", 0)
        assert "窓を1つも置けません" in root.locator(".cnnw-message").inner_text()
        n += check_conv(root, inputs["レッスンの5×5"])
        root.locator("textarea[data-trait=kernel_text]").fill("1 0\n0 -1")
        set_range(root, "stride", 1)
        set_range(root, "dilation", 1)
        for t in (0, 7, 15):                              # the position slider and the sum
            set_range(root, "position", t)
            n += check_conv(root, inputs["レッスンの5×5"])
        root.locator("button.cnnw-play").click()          # 再生 steps the window
        page.wait_for_timeout(1800)
        root.locator("button.cnnw-play").click()
        assert int(root.locator("input[data-trait=position]").input_value()) != 15
        n += check_conv(root, inputs["レッスンの5×5"])
        return n
    timed(run)


def check_pool(root, source, mode):
    kind, message, x, out, wins = pool_view(source, mode, *settings(root, "kernel_size", "stride", "padding"))
    tables = []
    if out is not None and isinstance(source, str):
        tables.append((f"出力 ({out.shape[0]}×{out.shape[1]})", out))
        if wins is not None:
            tables.append(("勝った回数", wins))
    return check_shown(root, kind, message, out, lambda i, j: f"= {fmt_number(out[i, j])}", tables)


def test_pool_explorer_computes_in_the_page(pages):
    page, root, state, photo = explorer(pages, "pool")

    def run():
        n = 0
        for name in [*state["inputs"], state["photo_name"]]:
            root.locator("select[data-trait=input_name]").select_option(name)
            source = photo if name == state["photo_name"] else state["inputs"][name]
            for mode in state["modes"]:
                root.locator(f"button[data-mode='{mode}']").click()
                for k, s, p in [(2, 2, 0), (3, 1, 1), (2, 1, 1), (4, 3, 2), (1, 1, 0)]:
                    set_range(root, "kernel_size", k)
                    set_range(root, "stride", s)
                    set_range(root, "padding", p)
                    n += check_pool(root, source, mode)
        root.locator("button[data-mode='最大']").click()
        root.locator("select[data-trait=input_name]").select_option(state["custom_name"])  # from the photo
        for text in ["1 2 3\n4 5 6\n7 8 9", "１ ２\n３ ４", "1 x", "1 2\n3", "", "1e7"]:
            root.locator("textarea[data-trait=input_text]").fill(text)
            assert root.locator("select[data-trait=input_name]").input_value() == state["custom_name"]
            n += check_pool(root, text, "最大")
        return n
    timed(run)


# ---------------------------------------------------------------- the pages' saved state
@pytest.mark.parametrize("docname", DOCNAMES)
def test_saved_widget_state_has_no_script_breakers(docname):
    """myst-nb escapes only '</script>': nothing in the state may open a comment or a script."""
    html = built_page(docname).read_text(encoding="utf-8")
    for m in STATE_RE.finditer(html):
        body = m.group(2).lower()
        assert not [s for s in ("<!--", "<script", "</script", "<\\/script") if s in body], docname
