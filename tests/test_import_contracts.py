"""The layers of cnnlib hold: import-linter's contracts (pyproject.toml) are kept, cnnlib.scratch
imports with torch and matplotlib absent, and ``import cnnlib`` loads nothing until it is used."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python(code):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_import_linter_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_scratch_imports_without_torch_and_matplotlib():
    """Every module of cnnlib.scratch loads, and computes, with torch and matplotlib unimportable."""
    _python("import sys; sys.modules['torch'] = None; sys.modules['matplotlib'] = None\n"
            "import importlib, pkgutil\n"
            "import numpy as np\n"
            "import cnnlib.scratch as S\n"
            "names = [m.name for m in pkgutil.iter_modules(S.__path__, 'cnnlib.scratch.')]\n"
            "assert {'cnnlib.scratch.functional', 'cnnlib.scratch.fast', 'cnnlib.scratch.layers',\n"
            "        'cnnlib.scratch.train'} <= set(names), names\n"
            "for name in names:\n"
            "    importlib.import_module(name)\n"
            "from cnnlib.scratch import fast, functional, train\n"
            "x, w = np.ones((2, 1, 4, 4)), np.ones((1, 1, 3, 3))\n"
            "assert np.array_equal(functional.conv2d(x, w), fast.conv2d(x, w))\n"
            "assert train.small_cnn().num_params > 0\n")


def test_import_cnnlib_is_lazy_and_sets_the_omp_wait_policy_first():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    code = ("import os, sys\n"
            "import cnnlib\n"
            "assert os.environ['OMP_WAIT_POLICY'] == 'PASSIVE'\n"
            "assert 'torch' not in sys.modules and 'matplotlib' not in sys.modules\n"
            "assert cnnlib.set_seed(0) is not None and callable(cnnlib.summary)\n"
            "assert cnnlib.get_device().type in ('cpu', 'cuda', 'mps')\n"
            "assert cnnlib.scratch.__name__ == 'cnnlib.scratch'\n"
            "try:\n"
            "    cnnlib.no_such_name\n"
            "except AttributeError as e:\n"
            "    assert 'no_such_name' in str(e)\n"
            "else:\n"
            "    raise AssertionError('cnnlib.no_such_name did not raise')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env=env)
    assert done.returncode == 0, done.stdout + done.stderr
