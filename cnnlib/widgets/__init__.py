"""Explorers and exercise checkers for the chapters, by topic, on one small core.

- ``core``: reading what a reader types (bounded parsers; bad input becomes a Japanese
  message, never an exception or a hang), number formatting, message boxes, and ``PageWidget``,
  the anywidget base whose JavaScript (``js/``) runs in the page.
- ``answers``: the one engine behind every numeric exercise checker (``answer_checker``).
- ``convolution`` (chapter 1), ``pooling`` (2), ``batchnorm`` (5), ``cifar`` (7), ``gradcam`` (8).

Checkers and the convolution/pooling explorers compute in the page, so they work in the static
HTML book with no kernel; in JupyterLab the same widgets sync their state to Python, which
recomputes it with the reference functions. The BN and Grad-CAM explorers precompute every
view (they need NumPy's batch statistics or torch) and switch them in the page.
"""
from ..data.lessons import CONV_INPUTS, EDGE_MAP, POOL_INPUTS
from .answers import AnswerChecker, answer_checker, check_answer
from .batchnorm import BNExplorer, bn_explorer
from .cifar import cifar_std_exercise, cifar_std_feedback
from .convolution import (ConvExplorer, conv_explorer, conv_view, output_size_exercise,
                          output_size_feedback)
from .core import InputError, feedback, fmt_number, html_matrix, parse_answer, parse_matrix
from .gradcam import GradCAMExplorer, gradcam_explorer, gradcam_value_exercise, gradcam_value_feedback
from .pooling import (PoolExercise, PoolExplorer, pool_exercise, pool_exercise_feedback,
                      pool_explorer, pool_view)

# The chapters read the lessons' matrices through these names; new code uses cnnlib.data.lessons.
INPUTS = CONV_INPUTS

__all__ = ["InputError", "parse_answer", "parse_matrix", "fmt_number", "feedback", "html_matrix",
           "AnswerChecker", "answer_checker", "check_answer",
           "ConvExplorer", "conv_explorer", "conv_view", "output_size_exercise",
           "output_size_feedback", "PoolExplorer", "pool_explorer", "pool_view", "PoolExercise",
           "pool_exercise", "pool_exercise_feedback", "BNExplorer", "bn_explorer",
           "cifar_std_exercise", "cifar_std_feedback", "GradCAMExplorer", "gradcam_explorer",
           "gradcam_value_exercise", "gradcam_value_feedback", "INPUTS", "POOL_INPUTS", "EDGE_MAP"]
