"""Exercise checkers for one numeric answer: a data ``spec`` and one engine that reads it.

Python builds each question's spec (the answer, the known mistakes with their explanations,
the hint and the worked answer); ``check_answer`` is the reference engine and ``js/answer.js``
is the same engine in the page, so a checker gives the same feedback with or without a kernel.

A spec is a dict::

    question   HTML of the question
    name       what the answer is called in messages ('答え', '倍率', ...)
    integer    only whole numbers are answers (a fraction gets an explanation, not a 'wrong')
    not_integer  sentence added to that explanation
    answer, tol  right when |value - answer| <= tol
    correct    message for a right answer
    rules      [{"kind": "error" | "ng", "near": [x, tol] | "below": x | "above": x,
                 "message": html}]; '{x}' in a message is the reader's text. The first
               matching 'error' rule wins (checked before the answer); every matching 'ng'
               rule adds its message (each message once), else ``fallback``.
    hint       added to a wrong answer's message on the first attempt
    reveal     added from the second attempt on (usually the worked answer)
"""
import html

import numpy as np
import traitlets as t

from ..checks import check_int, check_number, check_str
from .core import InputError, PageWidget, clean, esm, fmt_number, parse_answer

__all__ = ["check_answer", "answer_spec", "AnswerChecker", "answer_checker"]

HINT = "演習のヒントを開いて、もう一度計算してみてください（2回目からは答えを表示します）。"


def _matches(rule, value):
    if "near" in rule:
        x, tol = rule["near"]
        return abs(value - x) <= tol
    if "below" in rule:
        return value < rule["below"]
    return value > rule["above"]


def check_answer(spec, text, attempt=1):
    """``(kind, html)`` for the reader's ``text`` on the ``attempt``-th try (1, 2, ...).

    kind is 'ok', 'ng' (a wrong answer) or 'error' (input that is not an answer).

    本書: 章のコードからは直接使いません
    """
    shown = html.escape(clean(text))
    try:
        value = parse_answer(text, spec["name"], spec["integer"])
    except InputError as e:
        extra = spec["not_integer"] if e.reason == "not_integer" else ""
        return "error", str(e) + extra
    rules = spec["rules"]
    for rule in rules:
        if rule["kind"] == "error" and _matches(rule, value):
            return "error", rule["message"].replace("{x}", shown)
    if abs(value - spec["answer"]) <= spec["tol"]:
        return "ok", spec["correct"]
    reasons = []
    for rule in rules:
        message = rule["message"].replace("{x}", shown)
        if rule["kind"] == "ng" and _matches(rule, value) and message not in reasons:
            reasons.append(message)
    message = f"{shown} ではありません。" + "".join(reasons or [spec["fallback"]])
    tail = spec["reveal"] if attempt >= 2 else spec["hint"]
    return "ng", message + ("<br>" + tail if tail else "")


def answer_spec(question, answer, correct, *, name="答え", tol=0.0, integer=False, rules=(),
                fallback="", hint=HINT, reveal="", not_integer=""):
    """A spec dict (see the module docstring) with every number as a plain float.

    本書: 章のコードからは直接使いません
    """
    def plain(v):
        return [float(u) for u in v] if isinstance(v, (list, tuple)) else float(v)
    rules = [{k: (v if k in ("kind", "message") else plain(v)) for k, v in r.items()} for r in rules]
    return {"question": question, "name": name, "integer": integer, "not_integer": not_integer,
            "answer": float(answer), "tol": float(tol), "correct": correct, "rules": rules,
            "fallback": fallback, "hint": hint, "reveal": reveal}


class AnswerChecker(PageWidget):
    """Question, answer field, 確認 (or Enter), feedback; 新しい問題 when there are several.

    ``problems`` holds the specs; ``index`` is the one shown. A check sets ``answer``,
    ``attempt`` (wrong answers so far + 1) and ``checks``; Python then computes ``kind`` and
    ``feedback`` (in the page, js/answer.js computes the same).

    本書: 章のコードからは直接使いません
    """

    _esm = esm("answer.js")
    problems = t.List(t.Dict()).tag(sync=True)
    index = t.Int(0).tag(sync=True)
    answer = t.Unicode("").tag(sync=True)
    attempt = t.Int(0).tag(sync=True)
    wrong = t.Int(0).tag(sync=True)
    checks = t.Int(0).tag(sync=True)
    kind = t.Unicode("").tag(sync=True)
    feedback = t.Unicode("").tag(sync=True)
    placeholder = t.Unicode("答えを入力").tag(sync=True)
    note = t.Unicode("").tag(sync=True)

    @property
    def spec(self):
        """The spec of the problem shown."""
        return self.problems[self.index]

    def check(self, text):
        """Check ``text`` as the 確認 button does; returns ``(kind, html)``."""
        self.answer = str(text)
        self.attempt = self.wrong + 1
        self.checks += 1                       # -> _on_check computes kind and feedback
        self.wrong += self.kind == "ng"
        return self.kind, self.feedback

    def new_problem(self):
        """Show the next problem of the set, as the 新しい問題 button does."""
        self.index = (self.index + 1) % len(self.problems)

    @t.observe("checks")
    def _on_check(self, _):
        self.kind, self.feedback = check_answer(self.spec, self.answer, self.attempt)

    @t.observe("index")
    def _on_index(self, _):
        self.answer, self.attempt, self.wrong, self.kind, self.feedback = "", 0, 0, "", ""


def _number_rules(mistakes, tol):
    """'ng' rules from {value: message} (or (value, message) pairs), each value checked."""
    items = mistakes.items() if isinstance(mistakes, dict) else mistakes
    rules = []
    for i, item in enumerate(items):
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise TypeError(f"mistakes must map numbers to messages; entry {i} is {item!r}")
        value = check_number(item[0], f"mistakes[{i}] value")
        rules.append({"kind": "ng", "near": [value, tol],
                      "message": check_str(item[1], f"mistakes[{i}] message")})
    return rules


def answer_checker(question_html, expected, explanation="", name="答え", tol=0.0, hint="",
                   mistakes=None, note=""):
    """A checker for one numeric answer, right within ``tol``.

    ``mistakes``: {value: explanation} of known wrong answers; ``hint``: shown after the first
    wrong answer (default: open the exercise's hint); from the second on, the answer and
    ``explanation`` are shown. ``note``: a line above the question (e.g. that computing the
    answer needs Python).

    本書: 第1章、第2章、第3章、第4章、第5章、第6章、第7章
    """
    check_str(question_html, "question_html", nonempty=True)
    expected = check_number(expected, "expected")
    tol = check_number(tol, "tol", minimum=0)
    for value, arg in ((explanation, "explanation"), (hint, "hint"), (note, "note")):
        check_str(value, arg)
    check_str(name, "name", nonempty=True)
    rules = _number_rules(mistakes or {}, tol)
    answer = fmt_number(expected, 4)
    spec = answer_spec(question_html, expected, f"正解です（{answer}）。{explanation}", name=name,
                       tol=tol, rules=rules, hint=hint or HINT,
                       reveal=f"答えは {answer} です。{explanation}")
    return AnswerChecker(problems=[spec], note=note)


def problem_set(first, make, n, seed):
    """``first`` (if given) followed by problems from ``make(rng)`` up to ``n`` in all.

    本書: 章のコードからは直接使いません
    """
    check_int(n, "n", minimum=1)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    problems = [first] if first is not None else []
    while len(problems) < n:
        problems.append(make(rng))
    return problems
