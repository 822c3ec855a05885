"""cnnlib: the small, tested library behind the CNN textbook."""
from . import functional, gradcheck, utils, viz  # noqa: F401  (viz sets the Japanese font)
from .utils import get_device, set_seed  # noqa: F401
from . import models  # noqa: F401
from .summary import summary  # noqa: F401  (cnnlib.summary(model, input_size) is the function)

__version__ = "0.1.0"
