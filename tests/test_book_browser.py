"""The built book in a real browser: every page of _toc.yml, served on loopback, fully offline.

Debian's Chromium (`make browser`) is driven headless by Playwright. Every request that leaves
the loopback server is blocked and counted as a failure, so these tests also prove that the
pages need no network (MathJax, require.js and the widget manager come from _static/_vendor).
The book must be built first (`make book`; `make test` builds before running pytest).
Screenshots of every page go to _build/screenshots/ for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import yaml

ROOT = Path(os.environ.get("BOOK_DIR", Path(__file__).resolve().parents[1]))
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'
STATE_RE = re.compile(
    r'(<script type="application/vnd\.jupyter\.widget-state\+json">)(.*?)(</script>)', re.S)
# Text reprs a widget shows when the front end failed, e.g. "IntSlider(value=3, ...)".
WIDGET_REPR_RE = re.compile(r"\b[A-Z][A-Za-z]*\((value|children|description|options|layout)=")
RAW_TEX_RE = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\\frac\{")
CONVOLUTION_QUERY = "畳み込み"


def toc_docnames(toc: dict) -> list[str]:
    """Return the root and every `file:` entry of a jb-book _toc.yml, in reading order."""
    names = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key))

    for key in ("parts", "chapters", "sections"):
        walk(toc.get(key))
    return [re.sub(r"\.(ipynb|md)$", "", n) for n in names]


DOCNAMES = toc_docnames(yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8")))
CHAPTERS = DOCNAMES[1:]


@dataclass
class PageReport:
    """What one page showed in the browser."""
    docname: str
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static file handler that does not log every request."""

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def base_url():
    """Serve _build/html on a free loopback port for the module's tests."""
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML} has no built book: run `make book` first (make test does it).")
    handler = functools.partial(QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, with background networking off."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run `make browser` (apt-get install chromium).")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def open_page(browser, base_url, path, report, rewrite=None):
    """Open path with only loopback requests allowed; record errors into report."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP",
                              service_workers="block")

    def route(r):
        url = r.request.url
        if not url.startswith(base_url):
            report.blocked.append(url)
            return r.abort()
        if rewrite and urlsplit(url).path == urlsplit(base_url + path).path:
            resp = r.fetch()
            return r.fulfill(response=resp, body=rewrite(resp.text()))
        return r.continue_()

    ctx.route("**/*", route)
    page = ctx.new_page()
    page.on("console", lambda m: m.type == "error" and report.errors.append(m.text))
    page.on("pageerror", lambda e: report.errors.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: report.failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and report.failed.append(
        f"{r.url} (HTTP {r.status})"))
    page.goto(base_url + path, wait_until="load")
    settle(page)
    return ctx, page


def settle(page):
    """Wait for MathJax to finish and every widget view to be rendered (or time out)."""
    page.evaluate("""async () => {
        const mj = window.MathJax;
        if (mj && mj.startup && mj.startup.promise) await mj.startup.promise;
    }""")
    try:
        page.wait_for_function(f"""() => [...document.querySelectorAll('{WIDGET_VIEW}')]
            .every(s => s.previousElementSibling &&
                        s.previousElementSibling.classList.contains('widget-subarea') &&
                        s.previousElementSibling.childElementCount > 0)""", timeout=20000)
    except Exception:
        pass  # reported by test_widgets_render
    try:  # lazily loaded fonts and images; a busy shared machine can be slow, so do not fail here
        page.wait_for_load_state("networkidle", timeout=15000)
    except Exception:
        pass  # anything that then fails to load is still recorded by the request listeners


PAGE_FACTS_JS = """() => {
  const main = document.querySelector('main') || document.body;
  const prose = main.cloneNode(true);
  prose.querySelectorAll('div.cell, pre, code, script, style, mjx-container, mjx-assistive-mml')
       .forEach(e => e.remove());
  const views = [...document.querySelectorAll('%(view)s')];
  const outputs = [...main.querySelectorAll('div.cell_output')].map(e => e.innerText);
  const math = [...main.querySelectorAll('.math')];
  const sols = [...main.querySelectorAll('.admonition.solution')];
  const exercises = [...main.querySelectorAll('.admonition.exercise')].map(ex => {
    let text = ex.innerText, n = ex.nextElementSibling;
    while (n && !n.classList.contains('solution') && !n.classList.contains('exercise')) {
      text += n.innerText; n = n.nextElementSibling;
    }
    return {label: ex.id, hasHint: text.includes('ヒント'),
            hasSolution: !!(n && n.classList.contains('solution'))};
  });
  return {
    lang: document.documentElement.getAttribute('lang'),
    proseText: prose.innerText,
    mathCount: math.length,
    mathRendered: math.filter(m => m.querySelector('mjx-container')).length,
    views: views.length,
    viewsRendered: views.filter(s => {
      const a = s.previousElementSibling;
      return a && a.classList.contains('widget-subarea') && a.childElementCount > 0 &&
             a.getBoundingClientRect().height > 0;
    }).length,
    outputs: outputs,
    badImages: [...main.querySelectorAll('img')].filter(i => i.getClientRects().length > 0)
      .map(i => [i.getAttribute('src'), i.getAttribute('alt')])
      .filter(([s, a]) => !a || !a.trim() || /(^|\\/)_images\\/|\\.(png|jpe?g|svg|gif)$/i.test(a.trim())),
    solutions: sols.length,
    solutionsFolded: sols.filter(s => s.classList.contains('toggle-hidden')).length,
    exercises: exercises,
    headings: [...main.querySelectorAll('h1, h2')].map(h => h.innerText.replace(/[#¶]/g, '').trim()),
    overflow: [...main.querySelectorAll('table, img, .cell_output')]
      .filter(e => e.getBoundingClientRect().right > main.getBoundingClientRect().right + 2)
      .map(e => e.tagName + (e.className ? '.' + e.className : ''))
      .concat([...main.querySelectorAll('mjx-container[display]')]   // cut off, scrolls sideways
        .filter(m => m.scrollWidth > m.clientWidth + 1)
        .map(m => 'display math: ' + (m.querySelector('mjx-assistive-mml') || m).textContent.slice(0, 60))),
  };
}""" % {"view": WIDGET_VIEW}


def built_page(docname: str) -> Path:
    """The HTML file of a TOC page; fail clearly when the build is older than _toc.yml."""
    path = HTML / f"{docname}.html"
    if not path.is_file():
        pytest.fail(f"{path} missing: _toc.yml lists {docname} but the build predates it; "
                    "run `make book`")
    return path


@pytest.fixture(scope="module")
def visited(browser, base_url):
    """Visit every TOC page once (lazily) and keep what it showed; save screenshots."""
    cache: dict[str, PageReport] = {}

    def get(docname: str) -> PageReport:
        if docname not in cache:
            built_page(docname)
            report = PageReport(docname)
            ctx, page = open_page(browser, base_url, docname + ".html", report)
            report.facts = page.evaluate(PAGE_FACTS_JS)
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SHOTS / (docname.replace("/", "__") + ".png"), full_page=True)
            ctx.close()
            cache[docname] = report
        return cache[docname]

    return get


@pytest.mark.parametrize("docname", DOCNAMES)
def test_page_loads_offline_without_errors(visited, docname):
    """No console errors, no failed request, no request leaving loopback."""
    r = visited(docname)
    assert not r.blocked, f"{docname}: requests to the network (must be vendored): {r.blocked}"
    assert not r.failed, f"{docname}: failed requests: {r.failed}"
    assert not r.errors, f"{docname}: console errors: {r.errors}"


@pytest.mark.parametrize("docname", DOCNAMES)
def test_page_is_japanese(visited, docname):
    """The page declares lang="ja"."""
    assert visited(docname).facts["lang"] == "ja"


@pytest.mark.parametrize("docname", DOCNAMES)
def test_math_rendered(visited, docname):
    """Every math element was typeset by MathJax and no raw TeX is left in the prose."""
    f = visited(docname).facts
    assert f["mathRendered"] == f["mathCount"], (
        f"{docname}: {f['mathCount'] - f['mathRendered']} of {f['mathCount']} math elements "
        "not rendered by MathJax")
    raw = RAW_TEX_RE.findall(f["proseText"])
    assert not raw, f"{docname}: raw TeX in the text: {raw[:5]}"


@pytest.mark.parametrize("docname", DOCNAMES)
def test_widgets_render(visited, docname):
    """Every saved widget view shows real controls, never a placeholder or a text repr."""
    f = visited(docname).facts
    assert f["viewsRendered"] == f["views"], (
        f"{docname}: {f['views'] - f['viewsRendered']} of {f['views']} widget views not rendered")
    for text in f["outputs"]:
        assert "Loading widget" not in text, f"{docname}: widget placeholder: {text[:200]!r}"
        m = WIDGET_REPR_RE.search(text)
        assert not m, f"{docname}: widget shown as text repr: {text[m.start():m.start() + 120]!r}"


@pytest.mark.parametrize("docname", DOCNAMES)
def test_images_have_alt_text(visited, docname):
    """Every image has alt text that is not just its file name."""
    bad = visited(docname).facts["badImages"]
    assert not bad, f"{docname}: images without real alt text (src, alt): {bad}"


@pytest.mark.parametrize("docname", DOCNAMES)
def test_nothing_overflows_the_text_column(visited, docname):
    """Tables, images and outputs fit in the main column; no display equation is cut off."""
    over = visited(docname).facts["overflow"]
    assert not over, f"{docname}: elements wider than the page column: {over}"


@pytest.mark.parametrize("docname", CHAPTERS)
def test_chapter_ends_with_folded_exercises(visited, docname):
    """A chapter's last section is 演習; each exercise has a hint and a folded solution."""
    f = visited(docname).facts
    assert f["headings"] and f["headings"][-1].endswith("演習"), (
        f"{docname}: last section is {f['headings'][-1:]} (expected 演習)")
    assert f["exercises"], f"{docname}: no sphinx-exercise exercise"
    for ex in f["exercises"]:
        assert ex["hasHint"], f"{docname}: exercise {ex['label']} has no ヒント"
        assert ex["hasSolution"], f"{docname}: exercise {ex['label']} has no solution after it"
    assert f["solutionsFolded"] == f["solutions"], (
        f"{docname}: {f['solutions'] - f['solutionsFolded']} solutions are not folded")


def font_covers(family: str, text: str) -> bool:
    """Whether fontconfig has a font of this family with a glyph for every character of text."""
    charset = " ".join(f"{ord(ch):x}" for ch in sorted(set(text)))
    out = subprocess.run(["fc-list", f":family={family}:charset={charset}", "family"],
                         capture_output=True, text=True, check=False).stdout
    return bool(out.strip())


def test_japanese_text_has_glyphs(browser, base_url):
    """The root page's first paragraph is drawn with a font that has its glyphs (no tofu).

    Chromium reports the fonts it used for a node (CDP CSS.getPlatformFontsForNode); when no
    Japanese font is installed it reports e.g. DejaVu Sans, whose glyphs for 畳 are .notdef boxes.
    """
    report = PageReport(DOCNAMES[0])
    ctx, page = open_page(browser, base_url, DOCNAMES[0] + ".html", report)
    cdp = ctx.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "main p"})["nodeId"]
    text = "".join(ch for ch in page.inner_text("main p >> nth=0") if ord(ch) > 0x2FFF)
    fonts = [f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode",
                                               {"nodeId": node})["fonts"]]
    ctx.close()
    assert text, "the root page's first paragraph has no Japanese text to check"
    assert any(font_covers(f, text) for f in fonts), (
        f"Japanese text drawn with {fonts}, which lack glyphs for {text[:20]!r}… (tofu): "
        "install a Japanese font (make browser)")


def widget_state(html: str) -> dict:
    """Return the saved widget models of a page ({} if it has none)."""
    m = STATE_RE.search(html)
    return json.loads(m.group(2))["state"] if m else {}


def tag_views(html: str) -> str:
    """Add a CSS class naming its model id to every DOM widget, so a test can find its view."""
    def sub(m):
        doc = json.loads(m.group(2))
        for mid, model in doc["state"].items():
            if "_dom_classes" in model["state"]:
                model["state"]["_dom_classes"] = [*model["state"]["_dom_classes"], f"bt-{mid}"]
        return m.group(1) + json.dumps(doc).replace("</", "<\\/") + m.group(3)
    return STATE_RE.sub(sub, html)


def links(state: dict) -> list[tuple[str, tuple[str, str], tuple[str, str]]]:
    """Return (kind, (source id, trait), (target id, trait)) of every jslink / jsdlink."""
    out = []
    for model in state.values():
        name = model["model_name"]
        if name in ("LinkModel", "DirectionalLinkModel"):
            (src, s_attr), (tgt, t_attr) = model["state"]["source"], model["state"]["target"]
            out.append((name, (src.removeprefix("IPY_MODEL_"), s_attr),
                        (tgt.removeprefix("IPY_MODEL_"), t_attr)))
    return out


# Traits a user changes by operating the control (a link on e.g. "max" is not driven).
USER_TRAITS = ("value", "index", "selected_index")
# Controls whose value is not visible, so they can drive a check but not show its result.
UNOBSERVABLE = ("PlayModel",)


SNAPSHOT_JS = """el => JSON.stringify({
  text: el.innerText,
  inputs: [...el.querySelectorAll('input, select, textarea')].map(i => i.value),
  now: [...el.querySelectorAll('[aria-valuenow]')].map(i => i.getAttribute('aria-valuenow')),
  imgs: [...el.querySelectorAll('img')].filter(i => i.offsetParent).map(i => i.src),
  pressed: [...el.querySelectorAll('.mod-active, :checked')].length,
  visible: [...el.querySelectorAll('*')].filter(e => e.offsetParent).length,
})"""


def drive(page, model: dict, mid: str) -> bool:
    """Change the value of the control with model id mid like a user would; False if unknown."""
    model_name = model["model_name"]
    root = page.locator(f".bt-{mid}").first
    if "Slider" in model_name:
        handle = root.locator(".noUi-handle").first
        handle.focus()
        now = float(handle.get_attribute("aria-valuenow"))
        top = float(handle.get_attribute("aria-valuemax"))
        handle.press("ArrowLeft" if now >= top else "ArrowRight")
    elif model_name.endswith("TextModel") and ("Int" in model_name or "Float" in model_name):
        box = root.locator("input").first
        box.fill(str(int(float(box.input_value() or 0)) + 1))
        box.press("Enter")
    elif model_name == "DropdownModel":
        sel = root.locator("select").first
        values = sel.locator("option").evaluate_all("os => os.map(o => o.value)")
        sel.select_option(next(v for v in values if v != sel.input_value()))
    elif model_name == "ToggleButtonsModel":
        root.locator("button:not(.mod-active)").first.click()
    elif model_name in ("CheckboxModel", "ToggleButtonModel"):
        root.locator("input, button").first.click()
    elif model_name == "PlayModel":
        root.locator("button").first.click()     # play, let it take a step or two, pause
        page.wait_for_timeout(int(model["state"].get("interval", 100)) * 2 + 300)
        root.locator("button").first.click()
    else:
        return False
    page.wait_for_timeout(300)
    return True


def test_jslinked_controls_move_their_partner(browser, base_url):
    """Drive every jslinked control of the book (no kernel) and check its partner changed."""
    checked, problems = [], []
    for docname in DOCNAMES:
        state = widget_state(built_page(docname).read_text(encoding="utf-8"))
        pairs = links(state)
        if not pairs:
            continue
        report = PageReport(docname)
        ctx, page = open_page(browser, base_url, docname + ".html", report, rewrite=tag_views)
        for kind, src, tgt in pairs:
            roles = [(src, tgt)] + ([(tgt, src)] if kind == "LinkModel" else [])
            for (driver, d_attr), (partner, _) in roles:
                name = state[driver]["model_name"]
                if d_attr not in USER_TRAITS or state[partner]["model_name"] in UNOBSERVABLE:
                    continue
                if not page.locator(f".bt-{driver}").count() or \
                        not page.locator(f".bt-{partner}").count():
                    continue
                before = page.locator(f".bt-{partner}").first.evaluate(SNAPSHOT_JS)
                if not drive(page, state[driver], driver):
                    continue
                after = page.locator(f".bt-{partner}").first.evaluate(SNAPSHOT_JS)
                (checked if after != before else problems).append(
                    f"{docname}: {name} {driver[:8]} -> {state[partner]['model_name']} "
                    f"{partner[:8]}")
                break
        ctx.close()
        problems += [f"{docname}: {e}" for e in report.errors]
    print("jslinks driven:", *checked, sep="\n  ")
    assert not problems, f"jslinked partners that did not change (or errors): {problems}"
    assert checked, ("no jslinked control found in any page: the book needs at least one "
                     "front-end-only (jslink) interaction that works without a kernel")


def convolution_docname() -> str:
    """The convolution chapter's docname, from the TOC."""
    hits = [d for d in CHAPTERS if "convolution" in d]
    assert hits, f"no convolution chapter in the TOC: {CHAPTERS}"
    return hits[0]


def test_search_finds_convolution_chapter(browser, base_url):
    """The search page, asked for 畳み込み, lists the convolution chapter."""
    report = PageReport("search")
    ctx, page = open_page(browser, base_url, f"search.html?q={quote(CONVOLUTION_QUERY)}", report)
    page.wait_for_selector("#search-results ul.search li a", timeout=20000)
    hrefs = page.locator("#search-results ul.search li a").evaluate_all(
        "as => as.map(a => a.getAttribute('href'))")
    page.screenshot(path=SHOTS / "search.png", full_page=True)
    ctx.close()
    assert not report.errors and not report.failed and not report.blocked, report
    target = convolution_docname()
    assert any(h.split("#")[0].removesuffix(".html") == target for h in hrefs), (
        f"search for {CONVOLUTION_QUERY} did not list {target}: {hrefs}")


def test_search_index_is_japanese():
    """The index is built for Japanese: LANGUAGE 'ja' and short, segmented Japanese terms."""
    opts = (HTML / "_static" / "documentation_options.js").read_text(encoding="utf-8")
    assert "LANGUAGE: 'ja'" in opts, "documentation_options.js does not say LANGUAGE: 'ja'"
    text = (HTML / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    cjk = [t for t in index["terms"] if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", t)]
    assert len(cjk) >= 20, f"only {len(cjk)} Japanese terms in the search index"
    lengths = sorted(len(t) for t in cjk)
    median = lengths[len(lengths) // 2]
    # An English splitter keeps whole clauses ("この本は畳み込み…を学ぶための教科書です") as one term.
    assert median <= 4, f"Japanese terms are not segmented (median length {median})"


@pytest.mark.parametrize("docname", [d for d in DOCNAMES if d.startswith("chapters/")])
def test_figures_have_every_glyph(docname):
    """No executed cell warns that a figure label has a character the bundled font lacks
    (matplotlib draws it as an empty box, and the warning itself shows on the page)."""
    nb = json.loads((ROOT / "_build" / "jupyter_execute" / f"{docname}.ipynb").read_text(encoding="utf-8"))
    missing = sorted({m for cell in nb["cells"] for out in cell.get("outputs", [])
                      for m in re.findall(r"Glyph \d+ \([^)]*\) missing from font\(s\) [\w ]+",
                                          "".join(out.get("text", "")))})
    assert not missing, f"{docname}: {missing}"
