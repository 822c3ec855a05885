"""The bad-input suite's machinery: cases, how one is judged, and the list of public names.

A case is one adversarial call of one public name of cnnlib. It either must raise (a
``ValueError``/``TypeError``/``FileNotFoundError`` or a subclass, raised by cnnlib's own code, whose
message contains the given words: the argument's name and what is allowed) or must return a
correct result (``check`` asserts it). Every case runs under a generous timeout and a cap on the
memory it may add, so an input that makes cnnlib loop or allocate without end fails instead of
hanging the suite or the machine.

``public_names()`` lists every public function, class and public method of the modules in scope;
``tests/test_bad_input_coverage.py`` fails when one of them has no case, so a new public name
cannot slip in untested. The terminal summary (``tests/conftest.py``) prints how many cases ran,
by module.
"""
import functools
import importlib
import inspect
import os
import pkgutil
import resource
import signal
import traceback
from dataclasses import dataclass
from pathlib import Path

import cnnlib

CNNLIB_DIR = Path(cnnlib.__file__).resolve().parent
# Not in this suite: widgets (their own bad-input tests live with the widgets package) and the
# build-time claim checks (cnnlib.claims raises ClaimError by design, for authors, not readers).
OUT_OF_SCOPE = ("cnnlib.widgets", "cnnlib.claims")
TIMEOUT = 120          # seconds; a guard against hangs, not a performance assertion
MEMORY = 4 << 30       # bytes of address space a case may add (an allocation loop in C, such as
                       # a resize to 10^6 x 10^6 pixels, is out of the timeout's reach)
ALLOWED = (ValueError, TypeError, FileNotFoundError)


@dataclass
class Case:
    """One adversarial call: ``call()`` must raise ``raises`` with ``words`` in its message,
    or (``raises=None``) return a result that ``check`` accepts."""
    target: str                  # the public name, e.g. "cnnlib.scratch.layers.Conv2d.backward"
    label: str
    call: object
    raises: type = None
    words: tuple = ()
    check: object = None

    def __post_init__(self):
        if self.raises is not None:
            assert issubclass(self.raises, ALLOWED), f"{self.id}: not an allowed exception type"
            assert len(self.words) >= 2, f"{self.id}: name the argument and what is allowed"
        else:
            assert self.check is not None, f"{self.id}: a case must raise or check its result"

    @property
    def id(self):
        return f"{self.target}[{self.label}]"

    @property
    def module(self):
        """The module that owns the target (``cnnlib.scratch.layers`` for ``cnnlib.scratch.layers.Conv2d.forward``)."""
        parts = self.target.split(".")
        known = set(modules())
        for i in range(len(parts), 0, -1):
            if ".".join(parts[:i]) in known:
                return ".".join(parts[:i])
        return ".".join(parts[:2])          # a module the code under test does not have (yet)


def bad(target, label, call, raises, *words):
    """A case that must raise ``raises`` whose message contains every one of ``words``."""
    return Case(target, label, call, raises, tuple(words))


def ok(target, label, call, check):
    """A case that must return; ``check(result)`` must hold (it may also assert)."""
    return Case(target, label, call, check=check)


class CaseTimeout(BaseException):
    """Raised inside a case that runs longer than TIMEOUT (BaseException: no library catches it)."""


def _alarm(signum, frame):
    raise CaseTimeout(f"no result after {TIMEOUT} s: the call hangs")


def _raised_in_cnnlib(err):
    """True when the innermost frame of ``err``'s traceback is cnnlib's own code."""
    frames = traceback.extract_tb(err.__traceback__)
    return bool(frames) and CNNLIB_DIR in Path(frames[-1].filename).resolve().parents


def _address_space():
    """This process's virtual memory size in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def run(case):
    """Run one case and assert what it must do (see ``Case``)."""
    old = signal.signal(signal.SIGALRM, _alarm)
    limits = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space() + MEMORY
    if limits[1] != resource.RLIM_INFINITY:
        cap = min(cap, limits[1])
    resource.setrlimit(resource.RLIMIT_AS, (cap, limits[1]))
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    try:
        try:
            result = case.call()
        except AssertionError:
            raise
        except Exception as err:                                   # judged below
            if case.raises is None:
                raise AssertionError(f"{case.id}: must succeed, raised {err!r}") from err
            assert isinstance(err, case.raises), (
                f"{case.id}: expected {case.raises.__name__}, got {type(err).__name__}: {err}")
            assert _raised_in_cnnlib(err), (
                f"{case.id}: {type(err).__name__} comes from outside cnnlib "
                f"({traceback.extract_tb(err.__traceback__)[-1].filename}): {err}")
            message = str(err)
            missing = [w for w in case.words if w not in message]
            assert not missing, f"{case.id}: message lacks {missing}: {message!r}"
            return
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        resource.setrlimit(resource.RLIMIT_AS, limits)
    if case.raises is not None:
        raise AssertionError(f"{case.id}: expected {case.raises.__name__}, returned {result!r:.200}")
    verdict = case.check(result)
    assert verdict is None or verdict, f"{case.id}: wrong result {result!r:.300}"


# ---------------------------------------------------------------- what must have cases
@functools.lru_cache(maxsize=None)
def modules():
    """The cnnlib modules in scope, by name."""
    names = ["cnnlib"] + [m.name for m in pkgutil.walk_packages(cnnlib.__path__, "cnnlib.")]
    return tuple(n for n in names if not n.startswith(OUT_OF_SCOPE) and not n.endswith("__main__"))


def _params(obj):
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    return [p for name, p in sig.parameters.items() if name not in ("self", "cls")]


def public_names():
    """{qualified name: takes arguments} for every public function, class and public method
    defined in the modules in scope (``__all__`` plus any other public def or class there)."""
    out = {}
    for name in modules():
        mod = importlib.import_module(name)
        own = {n for n, o in vars(mod).items() if not n.startswith("_")
               and (inspect.isfunction(o) or inspect.isclass(o)) and o.__module__ == name}
        for n in sorted(own | set(getattr(mod, "__all__", ()))):
            obj = getattr(mod, n)
            if not callable(obj):
                continue                                            # constants
            if getattr(obj, "__module__", name) != name:
                continue                                            # re-exported from elsewhere
            out[f"{name}.{n}"] = bool(_params(obj))
            if inspect.isclass(obj):
                if issubclass(obj, BaseException):
                    out[f"{name}.{n}"] = False                     # exception types: a message
                    continue
                for m in vars(obj):
                    v = getattr(obj, m)
                    if callable(v) and (not m.startswith("_") or m == "__call__"):
                        out[f"{name}.{n}.{m}"] = bool(_params(v))
    return out


def table(prefix, rows):
    """Cases from rows ``(name, label, call, raises, *words)`` or ``(name, label, call, None,
    check)``; ``prefix.name`` is the public name each case calls."""
    return [ok(f"{prefix}.{name}", label, call, rest[0]) if raises is None
            else bad(f"{prefix}.{name}", label, call, raises, *rest)
            for name, label, call, raises, *rest in rows]


def case_test(cases):
    """A case file's test: ``test_case = case_test(CASES)`` runs each case as one test (on one
    torch thread, figures closed afterwards), tagged with its module for the summary line."""
    import pytest
    ids = [c.id for c in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"duplicate case ids: {sorted(duplicates)}"

    @pytest.mark.parametrize("case", cases, ids=ids)
    def test_case(case, request, one_thread):
        import matplotlib.pyplot as plt
        request.node.user_properties.append(("bad_input_module", case.module))
        try:
            run(case)
        finally:
            plt.close("all")
    return test_case
