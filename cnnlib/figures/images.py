"""Images side by side with Japanese titles (chapter 1 and the lessons' feature maps)."""
import matplotlib
import matplotlib.pyplot as plt

from ..checks import check_int, check_number

__all__ = ["show_images"]


def _signed_limit(img):
    """Colour limit for a signed map: max |value|, or its 99th percentile for large images
    (so a few strong pixels do not wash out the rest)."""
    import numpy as np
    a = np.abs(np.asarray(img, dtype=float))
    lim = float(np.percentile(a, 99)) if a.size >= 1024 else float(a.max())
    return lim or float(a.max()) or 1.0


def show_images(images, titles, suptitle=None, ncols=None, cmap="gray", signed=False, size=3.0):
    """Images side by side with Japanese titles.

    ``signed`` (one bool, or one per image) draws with a red-blue map centred on 0 and a colorbar.

    本書: 第1章
    """
    import numpy as np
    if not len(images) or len(images) != len(titles):
        raise ValueError(f"need at least one image and one title per image; got {len(images)} "
                         f"images, {len(titles)} titles")
    if not isinstance(cmap, matplotlib.colors.Colormap) and (not isinstance(cmap, str)
                                                             or cmap not in matplotlib.colormaps):
        raise ValueError(f"cmap must be the name of a matplotlib colormap such as 'gray'; got "
                         f"{cmap!r}")
    check_number(size, "size", 0, open_min=True)
    signed = [signed] * len(images) if isinstance(signed, bool) else list(signed)
    if len(signed) != len(images):
        raise ValueError(f"signed must be a bool or one bool per image; got {len(signed)} values")
    ncols = len(images) if ncols is None else check_int(ncols, "ncols", 1)
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat[len(images):]:
        ax.axis("off")
    for ax, img, title, sgn in zip(axes.flat, images, titles, signed):
        img = np.asarray(img)
        if sgn:
            lim = _signed_limit(img)
            im = ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim)
            fig.colorbar(im, ax=ax, fraction=0.046, extend="both" if lim < np.abs(img).max() else "neither")
        else:
            ax.imshow(img, cmap=cmap)
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
