"""The Grad-CAM explorer (cnnlib.widgets.gradcam_explorer), driven like a reader would."""
import base64
import io
import re

import numpy as np
import pytest
import torch
import torch.nn as nn
from PIL import Image

import cnnlib.widgets as W
from cnnlib.figures.cam import overlay
from cnnlib.nn.cam import GradCAM

CLASSES = ["ねこ", "いぬ", "とり"]


def model_and_data():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(6, 3))
    images = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    return model, (images - 0.5) / 0.25, images


def explorer(**kw):
    model, x, images = model_and_data()
    return W.gradcam_explorer(model, x, images, CLASSES, {"conv1": "0", "conv2": model[3]},
                              labels=[0, 1, 2, 0], **kw), model, x, images


def shown_overlay(w):
    """The overlay image currently displayed, decoded from its data URI (uint8 H x W x 3)."""
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', w.displayed_html)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uris[-1]))))


def test_default_view_is_predicted_class_at_last_layer():
    w, model, x, images = explorer()
    html = w.displayed_html
    assert "上位3クラスの確率" in html and "層 conv2" in html and "予測クラス" in html
    probs = torch.softmax(model(x), 1)[0].detach().numpy()
    assert f"{probs.max():.3f}" in html
    assert len(re.findall(r"<tr>", html)) == 3


@pytest.mark.parametrize("i, c, layer", [(2, 1, 0), (3, 2, 1), (1, 0, 1)])
def test_selection_shows_the_matching_overlay(i, c, layer):
    w, model, x, images = explorer()
    w.image_select.value, w.class_select.value, w.layer_select.value = i, c + 1, layer
    html = w.displayed_html
    assert f"「{CLASSES[c]}」に対するGrad-CAM" in html and f"層 {['conv1', 'conv2'][layer]}" in html
    with GradCAM(model, ["0", "3"][layer]) as cam:
        m = cam(x, c)[i]
    ref = overlay(images[i].permute(1, 2, 0), m)
    np.testing.assert_array_equal(shown_overlay(w), (ref * 255).round().astype(np.uint8))
    assert f"正解: {CLASSES[[0, 1, 2, 0][i]]}" in w.image_select.label


def test_every_combination_is_precomputed_and_jslinked():
    w, *_ = explorer()
    assert len(w.cams.children) == 4 and len(w.cams.children[0].children) == 2
    assert len(w.cams.children[0].children[0].children) == len(CLASSES) + 1


def test_gradcam_plus_plus_option_and_no_hooks_left():
    w, model, *_ = explorer(method="gradcam++", k=2)
    assert "Grad-CAM++" in w.displayed_html and len(re.findall(r"<tr>", w.displayed_html)) == 2
    assert all(not m._forward_hooks for m in model.modules())


def test_bad_arguments_are_explained():
    model, x, images = model_and_data()
    layers = {"conv2": "3"}
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        W.gradcam_explorer(model, x, x, CLASSES, layers)
    with pytest.raises(ValueError, match="1..12 images"):
        W.gradcam_explorer(model, x.repeat(4, 1, 1, 1), images.repeat(4, 1, 1, 1), CLASSES, layers)
    with pytest.raises(ValueError, match="3 classes but 2 class names"):
        W.gradcam_explorer(model, x, images, CLASSES[:2], layers, k=2)
    with pytest.raises(ValueError, match="no layer named"):
        W.gradcam_explorer(model, x, images, CLASSES, {"x": "conv9"})
    with pytest.raises(ValueError, match="method"):
        W.gradcam_explorer(model, x, images, CLASSES, layers, method="cam")
    with pytest.raises(ValueError, match="k must be"):
        W.gradcam_explorer(model, x, images, CLASSES, layers, k=5)
    with pytest.raises(ValueError, match="one entry per image"):
        W.gradcam_explorer(model, x, images, CLASSES, layers, labels=[0])


def answer(box, text):
    return box.check(text)[1]


def test_gradcam_value_exercise_correct_and_diagnosed():
    box = W.gradcam_value_exercise()
    assert "正解" in answer(box, "0.3125") and "0.3125" in box.feedback
    assert "正解" in answer(box, "5/16")
    assert "w<sub>k</sub>/16" in answer(box, "5")              # forgot the average
    assert "負です" in answer(box, "0.4375")                    # dropped the minus sign
    assert "チャネル2の寄与" in answer(box, "0.375")             # only channel 1
    assert "負の値にはなりません" in answer(box, "-0.3")


@pytest.mark.parametrize("text, words", [("", "空です"), ("abc", "数として読めません")])
def test_gradcam_value_exercise_nonsense_is_explained(text, words):
    box = W.gradcam_value_exercise()
    assert words in answer(box, text) and box.kind == "error"
