"""Sample photographs that ship with installed packages, so no download is ever needed."""
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image

from . import DatasetMissingError
from ..checks import check_bool, check_int

# name -> (file under matplotlib's mpl-data/sample_data, description)
MAX_SIDE = 4096          # a larger resize would only allocate memory (the photo is 600x512)
SAMPLE_IMAGES = {
    "grace_hopper": ("grace_hopper.jpg", "Grace Hopper's portrait (600x512 RGB, matplotlib sample data)"),
}


def sample_image_path(name="grace_hopper"):
    """Path of a bundled sample photograph; DatasetMissingError if it is not installed.

    本書: 章のコードからは直接使いません
    """
    if not isinstance(name, str) or name not in SAMPLE_IMAGES:
        raise ValueError(f"unknown sample image {name!r}; available: {sorted(SAMPLE_IMAGES)}")
    path = Path(matplotlib.get_data_path()) / "sample_data" / SAMPLE_IMAGES[name][0]
    if not path.is_file():
        raise DatasetMissingError(
            f"sample image {name!r} not found at {path}; it ships with matplotlib's "
            "mpl-data/sample_data — reinstall matplotlib (pip install --force-reinstall "
            "matplotlib) to restore it")
    return path


def _target_size(size, shape):
    """(height, width) for ``size``: None keeps ``shape``, an int sets the height, a pair is exact."""
    H, W = shape
    if size is None:
        return H, W
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise ValueError(f"size must be an int (height) or an (h, w) pair; got {size!r}")
        h, w = size
    else:
        h, w = size, None
    h = check_int(h, "size", 1, MAX_SIDE, kind="an int (height) or an (h, w) pair of ints",
                  shown=size)
    w = w if w is None else check_int(w, "size", 1, MAX_SIDE, kind="an (h, w) pair of ints",
                                      shown=size)
    w = w if w is not None else max(1, round(W * h / H))
    if not 1 <= w <= MAX_SIDE:
        raise ValueError(f"size must keep the width in [1, {MAX_SIDE}] with the aspect ratio; "
                         f"got height {h} (width {w})")
    return h, w


def load_sample_image(name="grace_hopper", size=None, gray=True):
    """A bundled photo as float64 in [0, 1]: (H, W) if gray, else (H, W, 3).

    ``size``: None (original), an int (new height, aspect ratio kept) or an (h, w) pair.

    本書: 第1章、第2章
    """
    img = Image.open(sample_image_path(name)).convert("L" if check_bool(gray, "gray") else "RGB")
    h, w = _target_size(size, (img.height, img.width))
    if (h, w) != (img.height, img.width):
        img = img.resize((w, h), Image.Resampling.LANCZOS)
    return np.asarray(img, dtype=np.float64) / 255.0
