"""Transfer learning helpers: freeze/unfreeze parts of a model, new heads, per-group LRs.

``requires_grad`` lives on parameters, not on modules: ``module.requires_grad = False`` only
sets a new Python attribute and freezes nothing. ``freeze(module)`` sets it on every parameter.
"""
from torch import nn

from ..checks import check_int, check_number
from ..torch_checks import check_module


def freeze(module):
    """Stop gradients for every parameter of ``module`` (returns it).

    本書: 第7章
    """
    for p in check_module(module, "module").parameters():
        p.requires_grad_(False)
    return module


def unfreeze(module):
    """Let every parameter of ``module`` train again (returns it).

    本書: 第7章
    """
    for p in check_module(module, "module").parameters():
        p.requires_grad_(True)
    return module


def count_trainable(model):
    """(trainable, total) parameter counts.

    本書: 第7章
    """
    ps = list(check_module(model).parameters())
    return sum(p.numel() for p in ps if p.requires_grad), sum(p.numel() for p in ps)


def param_groups(groups):
    """Optimizer groups from ``{module: lr}`` (frozen parameters left out).

    本書: 第7章
    """
    if not isinstance(groups, dict) or not groups:
        raise TypeError(f"groups must be a non-empty dict {{module: lr}}; got {groups!r:.80}")
    out = []
    for module, lr in groups.items():
        check_module(module, "every key of groups")
        lr = check_number(lr, f"the lr of {type(module).__name__}", 0, open_min=True)
        params = [p for p in module.parameters() if p.requires_grad]
        if params:
            out.append({"params": params, "lr": lr})
    if not out:
        raise ValueError("no trainable parameters in the given modules (all frozen?)")
    return out


def new_head(model, num_classes, attr="fc"):
    """Replace ``model.<attr>`` (a Linear layer) by a fresh one with ``num_classes`` outputs.

    本書: 第7章
    """
    num_classes = check_int(num_classes, "num_classes", 1)
    if not isinstance(attr, str):
        raise TypeError(f"attr must be the name (str) of the Linear layer; got {attr!r}")
    old = getattr(check_module(model), attr, None)
    if not isinstance(old, nn.Linear):
        raise TypeError(f"model.{attr} must be an nn.Linear, got {type(old).__name__}")
    setattr(model, attr, nn.Linear(old.in_features, num_classes, bias=old.bias is not None))
    return model


class FrozenBN:
    """Keep the BatchNorm layers of a frozen backbone in eval mode while the model trains, so
    the new task's batches do not overwrite its running statistics (``FrozenBN.attach(m)``).

    本書: 第7章
    """

    @staticmethod
    def hook(module, inputs):
        """The forward pre-hook: put every BatchNorm layer of ``module`` in eval mode."""
        for m in check_module(module, "module").modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.eval()

    @classmethod
    def attach(cls, module):
        """Register the hook on ``module``; returns the handle (``.remove()`` to undo)."""
        return check_module(module, "module").register_forward_pre_hook(cls.hook)
