"""Every public function and class of cnnlib says where the book uses it: its docstring has one
line ``本書: 第N章、...`` (or ``本書: 章のコードからは直接使いません``) that matches the chapters
whose code cells use it (tests/booklinks.py scans them)."""
import inspect

import booklinks as B


def test_every_public_docstring_names_the_chapters_that_use_it():
    uses = B.book_uses()
    wrong = []
    for name, obj in B.public_definitions().items():
        lines = B.LINE.findall(inspect.getdoc(obj) or "")
        expected = B.book_line(uses.get(name, set()))
        if lines != [expected.removeprefix("本書: ")]:
            wrong.append(f"{name}: has {lines}, the chapters say {expected!r}")
    assert not wrong, "\n".join(wrong)


def test_the_scan_finds_uses_through_aliases_and_the_lazy_top_level():
    uses = B.book_uses()
    assert uses["cnnlib.scratch.functional.conv2d"] == {1}                       # F.conv2d
    assert 3 in uses["cnnlib.scratch.layers.Conv2d"]                           # L.Conv2d(...)
    assert uses["cnnlib.nn.summarize.summary"] >= {4, 7}                       # cnnlib.summary(...)
    assert uses["cnnlib.widgets.answers.answer_checker"] >= {1, 2, 3}          # widgets re-export
    assert "cnnlib.utils.set_seed" in uses                                     # cnnlib.set_seed(0)
