"""cnnlib: the small, tested library behind the CNN textbook."""
import os as _os

# Idle OpenMP threads sleep instead of spinning: on a shared, busy CPU spinning made small torch
# ops 3-25x slower (measured in the CIFAR-10 work). Only effective if torch is not imported yet.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
from . import functional, gradcheck, utils, viz  # noqa: F401  (viz sets the Japanese font)
from .utils import get_device, set_seed  # noqa: F401
from . import models  # noqa: F401
from .summary import summary  # noqa: F401  (cnnlib.summary(model, input_size) is the function)

__version__ = "0.1.0"
