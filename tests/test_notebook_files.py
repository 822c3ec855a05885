"""The committed chapter notebooks themselves: valid nbformat 4.5, every cell with its own id,
and no outputs (the build executes them)."""
import json
import re
from pathlib import Path

import nbformat
import pytest

CHAPTERS = sorted((Path(__file__).resolve().parents[1] / "chapters").glob("*.ipynb"))
CELL_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")     # nbformat 4.5's pattern for cell ids


def test_there_are_chapters():
    assert len(CHAPTERS) >= 8


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_cell_has_a_unique_valid_id(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5), "cell ids need nbformat 4.5"
    missing = [i for i, c in enumerate(nb["cells"]) if "id" not in c]
    assert not missing, f"{path.name}: cells without an id (by position): {missing}"
    ids = [c["id"] for c in nb["cells"]]
    assert all(CELL_ID.match(i) for i in ids), [i for i in ids if not CELL_ID.match(i)]
    assert len(set(ids)) == len(ids), f"{path.name}: duplicate cell ids"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_notebook_validates_and_has_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [c.id for c in code if c.outputs or c.execution_count], \
        f"{path.name}: commit notebooks without outputs or execution counts"
