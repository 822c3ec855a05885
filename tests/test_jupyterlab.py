"""The chapters in a real JupyterLab, run as a reader runs them (README: `make install`, then
`.venv/bin/jupyter lab`).

The project's JupyterLab (with jupyterlab-myst and the settings `make install` copies from
jupyterlab/overrides.json) is started on a loopback port with a copy of chapters/. Each chapter is
opened in headless Chromium (Playwright), Run All is clicked through JupyterLab's own command, and
the test checks what the reader then sees:

- every code cell ran, and none shows an error;
- no rendered Markdown cell shows raw MyST (``{eval``, ``{glue``, ``:::``, ``:class:``,
  ``{exercise``, ``{solution``, ``{admonition``, a code fence) or math that KaTeX could not render;
- every ``{eval}`g.NAME``` of the prose was evaluated in the kernel and its text is in the rendered
  cell, and it is the same text the HTML book shows (the value glued in _build/jupyter_execute);
- every hint and solution (``:class: dropdown``) is folded, its body hidden, until its title is
  clicked, and then shown;
- the first exercise checker of the chapter answers a reader: the right answer typed into the
  page's box and 確認 give 正解です, and the kernel's widget received the check and its Python
  engine (``check_answer``) gives the same verdict.

Chapters run with the budgets at their tops, as in the book (their claims need those budgets).
Screenshots go to _build/screenshots/lab-*.png. Needs the built book (`make book`) for the HTML
values; the chapters' trained models are read from CNNLIB_CACHE when the book build left them.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from test_book_browser import CHAPTERS, ROOT, SHOTS, browser  # noqa: F401 (the shared Chromium fixture)

EXECUTED = ROOT / "_build" / "jupyter_execute"
OVERRIDES = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
RAW_MYST = ["{eval", "{glue", "{ref", ":::", ":class:", "{exercise", "{solution", "{admonition", "```"]
EVAL_RE = re.compile(r"\{eval\}`([^`]+)`")
RUN_TIMEOUT_S = 1800          # one chapter's Run All (chapter 7 trains for minutes)
TIMES: dict[str, float] = {}     # chapter -> seconds of Run All (printed by conftest.py)

APP = "window.jupyterapp"
PANEL = f"{APP}.shell.currentWidget"

CELLS_JS = """() => %s.content.widgets.map(cell => {
  const m = cell.model, r = {type: m.type, source: m.sharedModel.getSource()};
  if (m.type === 'code') {
    r.count = m.executionCount;
    r.errors = m.outputs.toJSON().filter(o => o.output_type === 'error')
                .map(o => `${o.ename}: ${o.evalue}`);
  } else if (m.type === 'markdown') {
    const out = cell.node.querySelector('.myst') || cell.node.querySelector('.jp-RenderedMarkdown');
    r.text = out ? out.textContent : '';
    r.myst = !!cell.node.querySelector('.myst');
    r.mathErrors = [...cell.node.querySelectorAll('.katex-error')].map(e => e.textContent);
    r.expressions = m.getMetadata('user_expressions') || null;
  }
  return r;
})""" % PANEL

KERNEL_EXEC_JS = """async code => {
  const kernel = %s.sessionContext.session.kernel;
  let out = '';
  const future = kernel.requestExecute({code, store_history: false, silent: false});
  future.onIOPub = msg => { if (msg.header.msg_type === 'stream') out += msg.content.text; };
  const reply = await future.done;
  if (reply.content.status !== 'ok') throw new Error(reply.content.evalue || 'kernel error');
  return out;
}""" % PANEL

CHECKERS_PY = """
import json as _json
import ipywidgets.widgets.widget as _widget
from cnnlib.widgets.answers import AnswerChecker as _Checker, check_answer as _check
print(_json.dumps([{"id": w.model_id, "question": w.spec["question"], "answer": w.spec["answer"],
                    "checks": w.checks, "typed": w.answer, "kind": w.kind,
                    "python_kind": _check(w.spec, w.answer, w.attempt)[0] if w.checks else ""}
                   for w in list(_widget._instances.values()) if isinstance(w, _Checker)]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The project's JupyterLab on loopback, serving a copy of chapters/ (the reader's files)."""
    assert OVERRIDES.is_file(), f"{OVERRIDES} missing: run `make install` (it copies jupyterlab/overrides.json)"
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "chapters", root / "chapters")
    port, token = free_port(), secrets.token_hex(16)
    log = (root / "jupyterlab.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True"],
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("JupyterLab did not start:\n" + (root / "jupyterlab.log").read_text()[-3000:])
            time.sleep(0.5)
    yield base, token
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def html_values(docname: str) -> dict[str, str]:
    """name -> text/plain of every value the HTML build glued for this chapter (myst-nb keeps a
    notebook's glue outputs in _build/jupyter_execute/<doc>.glue.json)."""
    path = EXECUTED / f"{docname}.glue.json"
    if not path.is_file():
        pytest.fail(f"{path} missing: build the book first (`make book`).")
    return {name: out["data"]["text/plain"]
            for name, out in json.loads(path.read_text(encoding="utf-8")).items()}


def run_all(page, notebook: str) -> float:
    """Run All through JupyterLab's command; wait for it and for the prose's expressions."""
    page.wait_for_function(f"() => {APP} && {PANEL} && {PANEL}.context && "
                           f"{PANEL}.context.path === {json.dumps(notebook)}", timeout=120_000)
    page.evaluate(f"async () => {{ await {PANEL}.context.ready; await {PANEL}.sessionContext.ready; }}")
    start = time.perf_counter()
    page.evaluate(f"""() => {{ window.__ran = undefined;
        {APP}.commands.execute('notebook:run-all-cells')
          .then(() => {{ window.__ran = 'done'; }}, e => {{ window.__ran = 'failed: ' + e; }}); }}""")
    page.wait_for_function("() => window.__ran !== undefined", timeout=RUN_TIMEOUT_S * 1000,
                           polling=1000)
    seconds = time.perf_counter() - start
    assert page.evaluate("() => window.__ran") == "done"
    # jupyterlab-myst asks the kernel for a Markdown cell's expressions when the cell runs; the
    # replies, and the cell's rendering of them, can come after Run All returns. (A cell that
    # never shows its values times out here; check_prose then names it.)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        page.wait_for_function(f"""() => {PANEL}.content.widgets.every(c => {{
            if (c.model.type !== 'markdown') return true;
            const wanted = [...c.model.sharedModel.getSource().matchAll(/\\{{eval\\}}`([^`]+)`/g)].map(m => m[1]);
            const shown = (c.node.querySelector('.myst') || c.node).textContent;
            return wanted.length === 0 || ((c.model.getMetadata('user_expressions') || []).length > 0
                                           && wanted.every(e => !shown.includes(e)));
        }})""", timeout=120_000)
    except PlaywrightTimeout:
        pass
    return seconds


def check_prose(docname: str, cells: list[dict]) -> None:
    html = html_values(docname)
    problems = []
    for i, cell in enumerate(cells):
        if cell["type"] == "code":
            if cell["count"] is None:
                problems.append(f"cell {i}: did not run")
            problems += [f"cell {i}: {e}" for e in cell["errors"]]
        if cell["type"] != "markdown":
            continue
        text = cell["text"]
        if not cell["myst"]:
            problems.append(f"cell {i}: not rendered by jupyterlab-myst")
        problems += [f"cell {i}: raw MyST {raw!r} in {text[:80]!r}" for raw in RAW_MYST if raw in text]
        problems += [f"cell {i}: math not rendered: {m[:80]!r}" for m in cell["mathErrors"]]
        wanted = EVAL_RE.findall(cell["source"])
        got = cell["expressions"] or []
        if [e["expression"] for e in got] != wanted:
            problems.append(f"cell {i}: expressions {wanted} evaluated as {[e['expression'] for e in got]}")
            continue
        for expr, e in zip(wanted, got):
            result = e["result"]
            shown = result.get("data", {}).get("text/plain")
            if result["status"] != "ok" or shown is None:
                problems.append(f"cell {i}: {expr} -> {result}")
            elif shown not in text or expr in text:
                problems.append(f"cell {i}: {expr} = {shown!r} is not what the cell shows: {text[:120]!r}")
            elif html.get(expr.removeprefix("g.")) != shown:
                problems.append(f"cell {i}: {expr} = {shown!r} in JupyterLab, "
                                f"{html.get(expr.removeprefix('g.'))!r} in the HTML book")
    assert not problems, f"{docname}:\n" + "\n".join(problems[:40])


def check_folded(page, cells: list[dict]) -> int:
    """Every dropdown (hint, solution) is a closed <details> until its title is clicked."""
    dropdowns = sum(c["source"].count(":class: dropdown") for c in cells if c["type"] == "markdown")
    details = page.locator(".jp-MarkdownCell .myst details")
    # jupyterlab-myst re-renders a Markdown cell when its expressions arrive, so a cell's
    # <details> can be absent for a moment after Run All (CI once counted 6 of ch8's 8).
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        page.wait_for_function("n => document.querySelectorAll('.jp-MarkdownCell .myst details').length === n",
                               arg=dropdowns, timeout=60_000, polling=500)
    except PlaywrightTimeout:
        pass
    assert details.count() == dropdowns, (details.count(), dropdowns)
    for k in range(details.count()):
        d = details.nth(k)
        body = d.locator(":scope > :not(summary)").first
        assert d.evaluate("d => !d.open") and not body.is_visible(), f"dropdown {k} is open"
        d.locator(":scope > summary").click()
        assert d.evaluate("d => d.open") and body.is_visible(), f"dropdown {k} did not open"
    return dropdowns


def answer_first_checker(page) -> dict:
    """Type the right answer into the chapter's first answer checker; return the kernel's view of it."""
    kernel = lambda: json.loads(page.evaluate(KERNEL_EXEC_JS, CHECKERS_PY))  # noqa: E731
    checkers = kernel()
    assert checkers, "no exercise checker in the kernel"
    texts = page.evaluate("""qs => qs.map(q => { const d = document.createElement('div');
        d.innerHTML = q; return d.textContent; })""",
                          [c["question"] for c in checkers])
    boxes = page.locator(".cnnw-checker")      # answer checkers (and ch2's pooling exercise)
    shown = boxes.evaluate_all("els => els.map(e => (e.querySelector('.cnnw-question') || e).textContent)")
    first = next((k for k, q in enumerate(shown) if q in texts), None)
    assert first is not None, (shown, texts)
    root = boxes.nth(first)
    root.scroll_into_view_if_needed()
    mine = checkers[texts.index(shown[first])]
    answer = mine["answer"]
    typed = str(int(answer)) if float(answer).is_integer() else repr(answer)
    root.locator("input.cnnw-answer").fill(typed)
    root.locator("button.cnnw-check").click()
    page.wait_for_function("el => el.textContent.includes('正解です')",
                           arg=root.locator(".cnnw-out").element_handle(), timeout=30_000)
    deadline = time.monotonic() + 30
    while True:
        now = next(c for c in kernel() if c["id"] == mine["id"])
        if now["checks"] >= 1 or time.monotonic() > deadline:
            return {**now, "typed_in_page": typed}
        time.sleep(0.5)


@pytest.mark.parametrize("docname", CHAPTERS)
def test_chapter_runs_and_reads_like_the_book(lab, browser, docname):  # noqa: F811
    base, token = lab
    notebook = f"{docname}.ipynb"
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    blocked = []
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
              else (blocked.append(r.request.url), r.abort()))
    page = ctx.new_page()
    try:
        page.goto(f"{base}/lab/tree/{notebook}?reset&token={token}", wait_until="load")
        TIMES[Path(docname).name] = run_all(page, notebook)
        cells = page.evaluate(CELLS_JS)
        check_prose(docname, cells)
        SHOTS.mkdir(parents=True, exist_ok=True)
        first = next(i for i, c in enumerate(cells) if c["type"] == "markdown" and "{eval}" in c["source"])
        page.evaluate(f"i => {PANEL}.content.widgets[i].node.scrollIntoView()", first)
        page.screenshot(path=str(SHOTS / f"lab-{Path(docname).name}.png"))
        check_folded(page, cells)
        seen = answer_first_checker(page)
        assert seen["checks"] == 1 and seen["typed"] == seen["typed_in_page"], seen
        assert seen["kind"] == seen["python_kind"] == "ok", seen
        assert not blocked, f"requests leaving loopback: {blocked[:5]}"
    finally:
        ctx.close()
