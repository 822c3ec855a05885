"""The bad-input suite covers every public name of cnnlib (tests/badinput.py lists them): a new
public function, class or method without a case fails here, naming it."""
import importlib.util
import subprocess
import sys

import test_bad_input_data
import test_bad_input_misc
import test_bad_input_numpy
import test_bad_input_torch
from badinput import CNNLIB_DIR, public_names

CASE_FILES = (test_bad_input_numpy, test_bad_input_torch, test_bad_input_data, test_bad_input_misc)
# Public names that take arguments but have nothing a reader could get wrong, with the reason.
NOTHING_TO_CHECK = {
    "cnnlib.nn.summarize.LayerRow": "a result record that summary() fills in; readers only read it",
    "cnnlib.nn.summarize.Summary": "a result record that summary() fills in; readers only read it",
}


def test_every_public_name_taking_arguments_has_cases():
    covered = {c.target for f in CASE_FILES for c in f.CASES}
    names = public_names()
    missing = sorted(n for n, takes_arguments in names.items()
                     if takes_arguments and n not in covered and n not in NOTHING_TO_CHECK)
    assert not missing, f"public names without bad-input cases: {missing}"
    stale = sorted((covered | set(NOTHING_TO_CHECK)) - set(names))
    assert not stale, f"cases for names that are not public (renamed or removed?): {stale}"


def test_checks_import_without_torch():
    """cnnlib.checks is NumPy only: it loads with torch made unimportable."""
    code = (f"import sys; sys.modules['torch'] = None\n"
            f"import importlib.util as u\n"
            f"spec = u.spec_from_file_location('checks', {str(CNNLIB_DIR / 'checks.py')!r})\n"
            f"m = u.module_from_spec(spec); spec.loader.exec_module(m)\n"
            f"assert m.check_int(3, 'n', 1) == 3\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert importlib.util.find_spec("cnnlib.checks") is not None
