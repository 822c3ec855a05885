"""Chapter 8 (Grad-CAM): the Grad-CAM explorer and the exercise 'Grad-CAM by hand'.

The explorer needs torch, so everything it can show is computed up front and switched in the
page through ``jslink`` (new images need a kernel); the exercise checks in the page.
"""
import base64
import html
import io

import ipywidgets as widgets
import numpy as np

from ..checks import check_int, check_number
from .answers import AnswerChecker, answer_spec, check_answer
from .core import CSS_TAG, feedback, fmt_number, link_index

__all__ = ["GradCAMExplorer", "gradcam_explorer", "gradcam_value_spec", "gradcam_value_feedback",
           "gradcam_value_exercise"]


def _png_uri(rgb):
    """An (H, W, 3) float image in [0, 1] as a PNG data URI."""
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray((np.clip(rgb, 0, 1) * 255).round().astype(np.uint8)).save(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _img_tag(rgb, size, alt):
    """An <img> of a small image, enlarged without smoothing (pixels stay visible)."""
    return (f'<img src="{_png_uri(rgb)}" width="{size}" height="{size}" alt="{html.escape(alt)}" '
            f'style="image-rendering:pixelated;margin:2px">')


def _topk_html(p, classes, k, true_label):
    """Top-k probabilities as bars; the true class is marked."""
    top = np.argsort(-p, kind="stable")[:k]
    rows = "".join(
        f'<tr><td style="padding-right:6px">{html.escape(classes[c])}{" ✔" if c == true_label else ""}'
        f'</td><td><div style="background:#1565c0;height:0.9em;width:{max(1, round(120 * p[c]))}px">'
        f'</div></td><td style="padding-left:6px">{p[c]:.3f}</td></tr>' for c in top)
    return f'<table class="cnnw-topk" style="font-size:13px">{rows}</table>'


class GradCAMExplorer(widgets.VBox):
    """Choose an image, a class and a layer: Grad-CAM overlay and the top-k probabilities.

    Every combination is computed up front, and the dropdowns switch ``Stack`` widgets
    through ``jslink``, so the saved page works without a kernel; Python observers keep the
    kernel-side state (and the tests) in step. New images need a running kernel.

    本書: 章のコードからは直接使いません
    """

    def __init__(self, model, x, images, classes, layers, labels, k, method, size, alpha):
        from ..figures.cam import overlay
        from ..nn.cam import GradCAM, GradCAMPlusPlus
        cam_cls = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus}[method]
        N, K = len(x), len(classes)
        self.method, self.classes, self.layer_names = method, list(classes), list(layers)
        self.maps = {}                        # (layer index, target index) -> (N, H, W)
        for li, layer in enumerate(layers.values()):
            with cam_cls(model, layer) as cam:
                self.maps[li, 0] = cam(x).cpu()
                self.probs = cam.probs.cpu().numpy()
                if self.probs.shape[1] != K:
                    raise ValueError(f"the model has {self.probs.shape[1]} classes but "
                                     f"{K} class names were given")
                for c in range(K):
                    self.maps[li, c + 1] = cam(x, c).cpu()
        self.pred = self.probs.argmax(1)
        imgs = images.detach().cpu().permute(0, 2, 3, 1).numpy()
        self.labels = None if labels is None else [int(v) for v in labels]
        style = {"description_width": "initial"}
        narrow = lambda em: widgets.Layout(width=f"{em}em")  # noqa: E731  (fits the text column)

        def image_name(i):
            true = "" if self.labels is None else f"正解: {classes[self.labels[i]]}, "
            return f"画像 {i + 1}（{true}予測: {classes[self.pred[i]]}）"
        self.image_select = widgets.Dropdown(options=[(image_name(i), i) for i in range(N)],
                                             value=0, description="画像", style=style,
                                             layout=narrow(19))
        self.class_select = widgets.Dropdown(
            options=[("予測クラス", 0)] + [(c, i + 1) for i, c in enumerate(classes)],
            value=0, description="クラス", style=style, layout=narrow(11))
        self.layer_select = widgets.Dropdown(options=[(n, i) for i, n in enumerate(layers)],
                                             value=len(layers) - 1, description="層", style=style,
                                             layout=narrow(13))
        self.info = widgets.Stack([widgets.HTML(
            '<div class="cnnw-row">' + _img_tag(imgs[i], size, "入力画像")
            + f'<div class="cnnw-block"><div class="cnnw-cap">上位{k}クラスの確率</div>'
            + _topk_html(self.probs[i], classes, k, None if labels is None else self.labels[i])
            + "</div></div>") for i in range(N)], selected_index=0)

        def cam_html(i, li, t):
            c = self.pred[i] if t == 0 else t - 1
            m = self.maps[li, t][i].numpy()
            what = f"予測クラス「{classes[c]}」" if t == 0 else f"「{classes[c]}」"
            return (_img_tag(overlay(imgs[i], m, alpha=alpha), size, "Grad-CAM")
                    + f'<div class="cnnw-cap" style="max-width:{size + 120}px">{what}に対する{"Grad-CAM++" if method == "gradcam++" else "Grad-CAM"}'
                    f"（層 {html.escape(self.layer_names[li])}、p = {self.probs[i, c]:.3f}）</div>")
        self.cams = widgets.Stack([widgets.Stack([widgets.Stack(
            [widgets.HTML(cam_html(i, li, t)) for t in range(K + 1)], selected_index=0)
            for li in range(len(layers))], selected_index=len(layers) - 1) for i in range(N)],
            selected_index=0)
        link_index(self.image_select, [self.info, self.cams])
        link_index(self.layer_select, list(self.cams.children))
        link_index(self.class_select, [s for per_image in self.cams.children for s in per_image.children])
        note = widgets.HTML(feedback("info", "赤いほど、その領域の特徴がクラスのスコアを押し上げています"
                                     "（各画像の最大値で 0〜1 に正規化）。"))
        wrap = widgets.Layout(flex_flow="row wrap")
        super().__init__([widgets.HTML(CSS_TAG), widgets.HBox([self.image_select, self.class_select,
                                                            self.layer_select], layout=wrap),
                          widgets.HBox([self.info, self.cams], layout=wrap), note])


    @property
    def displayed_html(self):
        """The HTML now visible: the image with its top-k, then the chosen overlay."""
        per_image = self.cams.children[self.cams.selected_index]
        per_layer = per_image.children[per_image.selected_index]
        return (self.info.children[self.info.selected_index].value
                + per_layer.children[per_layer.selected_index].value)


def gradcam_explorer(model, x, images, classes, layers, labels=None, k=3, method="gradcam",
                     size=128, alpha=0.5):
    """A Grad-CAM explorer over a small precomputed set (works in the static page).

    ``x``: model input (N, C, H, W); ``images``: the same images for display, RGB floats in
    [0, 1] (N, 3, H, W); ``classes``: class names; ``layers``: dict label -> layer (module or
    dotted name); ``labels``: true classes (optional); ``k``: how many probabilities to list.

    本書: 第8章
    """
    import torch
    if not (torch.is_tensor(x) and torch.is_tensor(images)):
        raise TypeError("x and images must be torch tensors")
    if x.dim() != 4 or images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"x must be (N, C, H, W) and images (N, 3, H, W); got "
                         f"{tuple(x.shape)} and {tuple(images.shape)}")
    if len(x) != len(images) or x.shape[-2:] != images.shape[-2:]:
        raise ValueError(f"x and images must hold the same images: {tuple(x.shape)} vs "
                         f"{tuple(images.shape)}")
    if not 1 <= len(x) <= 12:
        raise ValueError(f"use 1..12 images (every combination is stored in the page); got {len(x)}")
    if images.min() < 0 or images.max() > 1:
        raise ValueError("images must be RGB floats in [0, 1] (undo the normalisation)")
    if not isinstance(layers, dict) or not layers:
        raise ValueError("layers must be a non-empty dict: label -> layer (module or dotted name)")
    if labels is not None and len(labels) != len(x):
        raise ValueError(f"labels must have one entry per image ({len(x)}); got {len(labels)}")
    if method not in ("gradcam", "gradcam++"):
        raise ValueError(f"method must be 'gradcam' or 'gradcam++'; got {method!r}")
    k = check_int(k, "k", 1, len(classes))
    return GradCAMExplorer(model, x, images, list(classes), layers, labels, k, method, size, alpha)


def gradcam_value_spec(w=(2.0, -1.0), a=(3.0, 1.0), hw=16):
    """The answer spec of ReLU(sum_k alpha_k A_k) at one pixel, alpha_k = w_k / hw.

    本書: 章のコードからは直接使いません
    """
    w, a = np.asarray(w, float), np.asarray(a, float)
    alpha = w / hw
    answer = max(float(alpha @ a), 0.0)
    worked = (f"α<sub>k</sub> = w<sub>k</sub>/{hw} = ({fmt_number(alpha[0], 4)}, "
              f"{fmt_number(alpha[1], 4)}) なので ReLU({fmt_number(alpha[0], 4)}×{fmt_number(a[0])}"
              f" + ({fmt_number(alpha[1], 4)})×{fmt_number(a[1])}) = <b>{fmt_number(answer, 4)}</b>。")
    tol = 1e-3
    rules = [
        {"kind": "ng", "near": [max(float(w @ a), 0), tol], "message":
         f"GAP は {hw} 画素の平均なので、各画素の勾配は w<sub>k</sub> ではなく "
         f"w<sub>k</sub>/{hw} です（α<sub>k</sub> はその空間平均）。"},
        {"kind": "ng", "near": [float(np.abs(alpha) @ a), tol], "message":
         "チャネル2の重みは負です。負の寄与も足し合わせてから ReLU をとります。"},
        {"kind": "ng", "near": [float(alpha[0] * a[0]), tol], "message":
         "チャネル2の寄与を忘れていませんか。全チャネルの重み付き和をとります。"},
        {"kind": "ng", "below": 0, "message": "Grad-CAM は最後に ReLU をとるので、負の値にはなりません。"}]
    side = int(round(hw ** 0.5))
    question = (f"畳み込み層の出力 A（2チャネル、{side}×{side}）→ GAP → 全結合、"
                f"というモデルで、クラス c の全結合の重みが w = ({fmt_number(w[0])}, {fmt_number(w[1])}) です。"
                f"ある画素で A<sub>1</sub> = {fmt_number(a[0])}, A<sub>2</sub> = {fmt_number(a[1])} のとき、"
                "その画素の Grad-CAM の値（0〜1 に正規化する前）はいくつ？")
    return answer_spec(
        question, answer, "正解です。" + worked, tol=tol, rules=rules,
        fallback="α<sub>k</sub>（勾配の空間平均）を先に求め、A<sub>k</sub> との重み付き和に ReLU をかけます。",
        hint=f"ヒント: まず α<sub>k</sub> = w<sub>k</sub>/{hw} を求めます。", reveal="計算: " + worked)


def gradcam_value_feedback(text, w=(2.0, -1.0), a=(3.0, 1.0), hw=16, attempt=1):
    """``(kind, html)`` for the reader's Grad-CAM value (see gradcam_value_spec).

    本書: 章のコードからは直接使いません
    """
    return check_answer(gradcam_value_spec(w, a, hw), text, attempt)


def _pair(v, name):
    if not (isinstance(v, (tuple, list)) and len(v) == 2):
        raise TypeError(f"{name} must be a pair of numbers; got {v!r}")
    return tuple(check_number(u, f"{name}[{i}]") for i, u in enumerate(v))


def gradcam_value_exercise(w=(2.0, -1.0), a=(3.0, 1.0), hw=16):
    """Exercise: the Grad-CAM value at one pixel of a conv -> GAP -> linear model.

    ``w``: the class's two linear weights; ``a``: the two channels at the pixel; ``hw``: the
    number of pixels of the (square) feature map.

    本書: 第8章
    """
    hw = check_int(hw, "hw", minimum=1)
    if round(hw ** 0.5) ** 2 != hw:
        raise ValueError(f"hw must be a square number of pixels (4, 9, 16, ...); got {hw}")
    return AnswerChecker(problems=[gradcam_value_spec(_pair(w, "w"), _pair(a, "a"), hw)])
