"""Benchmarks, as subcommands: ``python -m cnnlib.tools.bench {cifar10,archs,buildup,conv} ...``.

``conv`` times cnnlib.scratch.fast's conv2d forward + conv2d_backward and the pooling backward
against torch on float32, side by side in one process (interleaved repeats, medians); every
line with a time, a ratio or the load average carries the marker "⏱".

``archs`` trains the three architectures of the lesson's exercise 5 (LeNet-5, a VGG and
ResNet-20) with one recipe on a training subset, an epoch of each in turn (so their times share the
load), and records validation accuracy per epoch (validation images carved from the training split),
time per epoch, parameters, FLOPs, and the test accuracy at the end.

``buildup`` trains the steps of ``cnnlib.nn.recipes.BUILDUP`` (the book's recipe with its
ingredients turned on one at a time) at one epoch budget, each with several seeds, interleaved, and
records per run the test accuracy with and without flip-translate TTA (the test set is evaluated
once, after training), the training, wall and process CPU time (wall and CPU include the
evaluation), and /proc/loadavg before and after (results in chapter 7).

``cifar10`` trains the book's recipe at named budgets (``cnnlib.nn.recipes.BOOK_PRESETS``, in bf16
and fp32) and the lesson's recipe one after the other on the same data and machine, and prints
test accuracy against training wall time, the time to reach 80/90/92 %, and the load average
before and after each run. The lesson's recipe is slow; ``--lesson-budget`` stops it after the
epoch that passes that many seconds of training (if it had not reached 80 % by then, the
speed-up is printed as a lower bound). ``--throughput`` instead interleaves short runs of each
recipe and compares milliseconds per training image under the same load.
"""
import argparse
import json
import math
import os
import sys
import time

from ..checks import check_int

SUBCOMMANDS = {}
MARK = "⏱"                      # on every line with a time, a ratio or the load average


def subcommand(fn):
    """Register ``fn(args)`` with its ``add_arguments(parser)`` as a subcommand.

    本書: 章のコードからは直接使いません
    """
    if not callable(fn) or not getattr(fn, "__name__", "").startswith("cmd_"):
        raise TypeError(f"fn must be a function named cmd_<subcommand>; got {fn!r}")
    SUBCOMMANDS[fn.__name__.removeprefix("cmd_").replace("_", "-")] = fn
    return fn


def _at_least(minimum, kind=int):
    """An argparse type: a number (``kind``) >= minimum, with a message saying what is allowed."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value >= minimum:
            raise argparse.ArgumentTypeError(f"must be {'an int' if kind is int else 'a number'} "
                                             f">= {minimum}; got {text!r}")
        return value
    return parse


def _positive(text):
    """An argparse type: a finite number > 0 (such as a learning rate)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 < value < math.inf):
        raise argparse.ArgumentTypeError(f"must be a number > 0; got {text!r}")
    return value


def _ints(text):
    """An argparse type: comma-separated positive ints such as 32,128,128."""
    try:
        values = [int(t) for t in text.split(",")] if text else []
    except ValueError:
        values = [0]
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"must be comma-separated positive ints such as "
                                         f"32,128,128; got {text!r}")
    return text


def _check_args(args, fn):
    """Raise unless ``args`` is the argparse.Namespace that ``fn``'s subcommand parses."""
    parser = argparse.ArgumentParser()
    fn.add_arguments(parser)
    missing = sorted(set(vars(parser.parse_args([]))) - set(vars(args))) if isinstance(
        args, argparse.Namespace) else None
    if missing is None or missing:
        raise TypeError(f"args must be the argparse.Namespace of `python -m cnnlib.tools.bench "
                        f"{fn.__name__.removeprefix('cmd_')}` (call main([...]) instead); "
                        f"{'missing ' + ', '.join(missing) if missing else f'got {args!r:.60}'}")


def _load():
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def _fmt(t):
    return "—" if t is None else f"{t:.0f} s"


def _cifar10_args(p):
    p.add_argument("--recipes", default=DEFAULT_RECIPES,
                   help="comma-separated runs: lesson, or book-bf16 / book-fp32 followed by "
                        "@PRESET (one of cnnlib.nn.recipes.BOOK_PRESETS: 3ep, 8ep, wide-8ep)")
    p.add_argument("--book-epochs", type=_at_least(1), default=None, help="override the presets' epochs")
    p.add_argument("--widths", type=_ints, default="", help="override the presets' widths, e.g. 32,128,128")
    p.add_argument("--lesson-epochs", type=_at_least(1), default=50)
    p.add_argument("--lesson-budget", type=_at_least(0, float), default=1200,
                   help="stop the lesson's recipe after the epoch that passes this many seconds "
                        "of training (or once it reaches 80 %%)")
    p.add_argument("--subset", type=_at_least(0), default=0, help="train on a class-balanced subset (0 = all)")
    p.add_argument("--test-subset", type=_at_least(0), default=0, help="evaluate on a subset (0 = all)")
    p.add_argument("--threads", type=_at_least(0), default=0, help="torch threads (0: CNNLIB_THREADS or torch's)")
    p.add_argument("--throughput", type=_at_least(0), default=0, metavar="ROUNDS",
                   help="only measure training speed: ROUNDS interleaved rounds of each recipe "
                        "on --throughput-images images (ratios under the same load)")
    p.add_argument("--throughput-images", type=_at_least(1), default=1024)
    p.add_argument("--note", default="", help="free text stored with the results (e.g. the load)")
    p.add_argument("--seed", type=_at_least(0), default=0)
    p.add_argument("--out", default="", help="write the results as JSON here")


DEFAULT_RECIPES = "book-bf16@3ep,book-fp32@3ep,book-bf16@8ep,book-bf16@wide-8ep,lesson"


def parse_recipe(spec, args):
    """``"book-bf16@8ep"`` -> ``("book", "bf16", hyp)``; ``"lesson"`` -> ``("lesson", None, None)``.

    本書: 章のコードからは直接使いません
    """
    from ..nn.recipes import BOOK_HYP, BOOK_PRESETS
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a recipe name such as 'book-bf16@8ep' or 'lesson'; got "
                        f"{spec!r}")
    name, _, preset = spec.strip().partition("@")
    if name == "lesson" and not preset:
        return "lesson", None, None
    amps = {"book-bf16": "bf16", "book-fp32": None}
    if name not in amps or preset not in BOOK_PRESETS:
        raise ValueError(f"unknown recipe {spec!r}; allowed: lesson, or book-bf16/book-fp32 "
                         f"with @ and a preset from {sorted(BOOK_PRESETS)} (e.g. book-bf16@8ep)")
    hyp = {**BOOK_HYP, **BOOK_PRESETS[preset]}
    if args.book_epochs:
        hyp["epochs"] = args.book_epochs
    if args.widths:
        hyp["widths"] = tuple(int(w) for w in args.widths.split(","))
    return "book", amps[name], hyp


def run_recipe(spec, train, test, args, mean, std):
    """Train one recipe; returns a dict of its per-epoch curve and summary numbers.

    本書: 章のコードからは直接使いません
    """
    from ..nn.recipes import time_to, train_book, train_lesson
    kind, amp, hyp = parse_recipe(spec, args)
    load_before = _load()
    if kind == "book":
        _, h = train_book(train, test, mean=mean, std=std, hyp=hyp, amp=amp, seed=args.seed)
        final_tta, planned = h.tta["acc"], hyp["epochs"]
    else:
        def budget(epoch, hist, model):
            return hist["time"][-1] >= args.lesson_budget or hist["test_acc"][-1] >= 0.8
        _, h = train_lesson(train, test, epochs=args.lesson_epochs, seed=args.seed, on_epoch=budget)
        final_tta, planned = None, args.lesson_epochs
    # A threshold counts when the epoch's test accuracy (without TTA) reaches it; the book's
    # flip-translate TTA accuracy at the end is reported separately, and counts at the total time.
    reach = {f"t{p}": time_to(h, p / 100) for p in (80, 90, 92)}
    if final_tta is not None:
        for k, t in reach.items():
            if t is None and final_tta >= int(k[1:]) / 100:
                reach[k] = h["time"][-1]
    return dict(recipe=spec, hyp=hyp and {k: list(v) if isinstance(v, tuple) else v
                                          for k, v in hyp.items()},
                epochs=h.epochs, time=h["time"], test_acc=h["test_acc"],
                final_acc=h["test_acc"][-1], final_tta_acc=final_tta, total_time=h["time"][-1],
                load_before=load_before, load_after=_load(), interrupted=h.interrupted,
                planned_epochs=planned, **reach)


def throughput(tr, mean, std, args):
    """Median training ms per image of each recipe, measured in interleaved rounds.

    本書: 章のコードからは直接使いません
    """
    import statistics
    from ..data.cifar10 import ImageSplit
    from ..nn.recipes import train_book, train_lesson
    if not isinstance(tr, ImageSplit):
        raise TypeError(f"tr must be the ImageSplit of load_cifar10('train'); got "
                        f"{type(tr).__name__}")
    n = args.throughput_images
    sub = tr.subset(n, seed=args.seed)
    data = (sub.X, sub.y)

    def run(spec):
        kind, amp, hyp = parse_recipe(spec, args)
        if kind == "lesson":
            return train_lesson(data, epochs=1, progress=False)[1]
        return train_book(data, mean=mean, std=std, amp=amp, progress=False,
                          hyp={**hyp, "epochs": 1})[1]

    names = [r.strip() for r in args.recipes.split(",")]
    ms = {r: [] for r in names}
    for k in range(args.throughput):
        for r in names:
            ms[r].append(1e3 * run(r)["time"][-1] / n)
            print(f"  {MARK} round {k + 1} {r}: {ms[r][-1]:.2f} ms/image (load {_load()})", flush=True)
    med = {r: statistics.median(v) for r, v in ms.items()}
    base = med[names[0]]
    print(f"\n| recipe | ms per training image (median of {args.throughput}) | epoch of 50,000 | "
          f"relative to {names[0]} |\n|---|---|---|---|")
    for r in names:
        print(f"| {r} | {med[r]:.2f} | {med[r] * 50:.0f} s | {med[r] / base:.1f}x |")
    return dict(recipes=names, ms_per_image=ms, median=med, images=n)


@subcommand
def cmd_cifar10(args):
    """Book recipe vs lesson recipe on CIFAR-10: accuracy against training time.

    本書: 章のコードからは直接使いません
    """
    _check_args(args, cmd_cifar10)
    import torch
    from ..data.cifar10 import channel_stats, load_cifar10
    from ..nn.train import configure_threads
    for spec in args.recipes.split(","):
        parse_recipe(spec, args)                                # fail before loading any data
    n_threads = configure_threads(args.threads or None)
    tr, te = load_cifar10("train"), load_cifar10("test")
    if args.subset:
        tr = tr.subset(args.subset, seed=args.seed)
    if args.test_subset:
        te = te.subset(args.test_subset, seed=args.seed)
    mean, std = channel_stats(tr.X)
    print(f"data: {tr.source}, train {len(tr)}, test {len(te)}; torch {torch.__version__}, "
          f"{n_threads} threads, cpu capability {torch.backends.cpu.get_cpu_capability()}")
    print("Accuracies on the offline JPEG copy are not the official CIFAR-10 benchmark's."
          if "JPEG" in tr.source else "")
    info = dict(source=tr.source, threads=n_threads, train=len(tr), test=len(te), note=args.note,
                command="python -m cnnlib.tools.bench " + " ".join(sys.argv[1:]))
    if args.throughput:
        res = throughput(tr, mean, std, args)
        _save(args.out, "throughput", dict(info, load_end=_load(), **res))
        return res
    results = []
    for spec in args.recipes.split(","):
        print(f"\n== {spec} (load average before: {_load()})", flush=True)
        r = run_recipe(spec, (tr.X, tr.y), (te.X, te.y), args, mean, std)
        results.append(r)
        for e, (t, a) in enumerate(zip(r["time"], r["test_acc"]), 1):
            print(f"  {MARK} epoch {e:2d}  train time {t:7.1f} s  test acc {a:.4f}")
        print(f"  {MARK} load average after: {r['load_after']}", flush=True)
        _save(args.out, "training", dict(info, results=results))   # keep what is done so far
    print("\n| recipe | epochs | final acc | flip-translate TTA | train time | to 80% | to 90% "
          "| to 92% | load before → after |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        tta = "—" if r["final_tta_acc"] is None else f"{r['final_tta_acc']:.4f}"
        print(f"| {r['recipe']} | {r['epochs']} | {r['final_acc']:.4f} | {tta} | "
              f"{r['total_time']:.0f} s | {_fmt(r['t80'])} | {_fmt(r['t90'])} | {_fmt(r['t92'])} "
              f"| {r['load_before']} → {r['load_after']} |")
    for line in speedups(results):
        print(f"{MARK} {line}")
    return results


def speedup(book, lesson):
    """``(ratio, is_bound)``: the lesson's time to 80 % over ``book``'s; when the lesson never got
    there, its whole training time over ``book``'s, rounded down: a lower bound.

    本書: 第7章
    """
    if not (isinstance(book, dict) and isinstance(book.get("t80"), (int, float)) and book["t80"] > 0):
        raise ValueError(f"book must be a run_recipe dict of a run that reached 80 % (t80 > 0); "
                         f"got {book!r:.80}")
    if not (isinstance(lesson, dict) and "t80" in lesson
            and (lesson["t80"] or isinstance(lesson.get("total_time"), (int, float)))):
        raise ValueError(f"lesson must be a run_recipe dict (with 't80', and 'total_time' when "
                         f"t80 is None); got {lesson!r:.80}")
    if lesson["t80"]:
        return lesson["t80"] / book["t80"], False
    return math.floor(10 * lesson["total_time"] / book["t80"]) / 10, True   # never rounded up


def speedups(results):
    """Lines comparing each book run's time to 80 % with the lesson's (a bound if it never got there).

    本書: 章のコードからは直接使いません
    """
    keys = {"recipe", "t80"}
    if not isinstance(results, list) or not all(isinstance(r, dict) and keys <= set(r)
                                                for r in results):
        raise TypeError(f"results must be the list of run_recipe dicts (with {sorted(keys)}); "
                        f"got {results!r:.80}")
    lesson = [r for r in results if r["recipe"] == "lesson"]
    lines = []
    for b in (r for r in results if r["recipe"] != "lesson" and r["t80"]):
        for L in lesson:
            ratio, bound = speedup(b, L)
            if bound:
                lines.append(f"{b['recipe']}: the lesson did not reach 80% in {L['total_time']:.0f} s; "
                             f"speed-up ≥ {ratio:.1f}x")
            else:
                lines.append(f"{b['recipe']}: {ratio:.1f}x less time to 80% than the lesson")
    return lines


def _save(path, key, obj):
    """Store ``obj`` under ``key`` in the JSON file ``path``, keeping its other keys (so a
    ``--throughput`` run and a training run can share one file)."""
    if not path:
        return
    data = json.loads(open(path).read()) if os.path.exists(path) else {}
    data[key] = obj
    with open(path, "w") as f:
        json.dump(data, f, indent=1, ensure_ascii=False)


cmd_cifar10.add_arguments = _cifar10_args


# ---------------------------------------------------------------- archs: the lesson's exercise 5
def arch_builders():
    """The three architectures of the lesson's exercise 5, as ``{key: builder}`` (10 classes).

    本書: 章のコードからは直接使いません
    """
    from ..nn import models
    return {"lenet5": lambda: models.LeNet5(num_classes=10, input_size=32, in_channels=3),
            "vgg": lambda: models.vgg("vgg_cifar", num_classes=10),
            "resnet20": lambda: models.resnet_cifar(20, num_classes=10)}


def _archs_args(p):
    p.add_argument("--archs", default=",".join(arch_builders()),
                   help=f"comma-separated, from {', '.join(arch_builders())}")
    p.add_argument("--train", type=_at_least(1), default=10000, help="class-balanced training images")
    p.add_argument("--val", type=_at_least(1), default=5000,
                   help="validation images carved from the training split (disjoint from --train)")
    p.add_argument("--epochs", type=_at_least(1), default=8)
    p.add_argument("--batch-size", type=_at_least(1), default=128)
    p.add_argument("--lr", type=_positive, default=2e-3, help="Adam's peak LR (one-cycle schedule)")
    p.add_argument("--threads", type=_at_least(0), default=0, help="torch threads (0: CNNLIB_THREADS or torch's)")
    p.add_argument("--note", default="", help="free text stored with the results (e.g. the load)")
    p.add_argument("--seed", type=_at_least(0), default=0)
    p.add_argument("--out", default="", help="write the results as JSON here")


@subcommand
def cmd_archs(args):
    """LeNet-5 / VGG / ResNet-20 with one recipe; epochs interleaved so times share the load.

    本書: 章のコードからは直接使いません
    """
    _check_args(args, cmd_archs)
    import torch
    from ..nn import models
    from ..nn.summarize import summary
    from ..data.augment import Augment
    from ..data.cifar10 import channel_stats, load_cifar10, normalizer
    from ..nn.train import configure_threads, evaluate, fit
    builders = arch_builders()
    names = [a.strip() for a in args.archs.split(",")]
    unknown = [a for a in names if a not in builders]
    if unknown:
        raise ValueError(f"unknown --archs {unknown}; allowed: {sorted(builders)}")
    n_threads = configure_threads(args.threads or None)
    rest, val = load_cifar10("train").split(args.val, seed=args.seed)
    tr, te = rest.subset(args.train, seed=args.seed), load_cifar10("test")
    mean, std = channel_stats(tr.X)
    norm = normalizer(mean, std)
    print(f"data: {tr.source}, train {len(tr)}, validation {len(val)} (from the training split), "
          f"test {len(te)}; {n_threads} threads; load average {_load()}", flush=True)
    runs = {}
    for a in names:
        torch.manual_seed(args.seed)
        m = builders[a]()
        opt = torch.optim.Adam(m.parameters(), lr=args.lr)
        steps = args.epochs * -(-len(tr) // args.batch_size)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps,
                                                    cycle_momentum=False)
        runs[a] = dict(model=m, opt=opt, sched=sched,
                       aug=Augment(flip=True, crop=4, crop_mode="constant", seed=args.seed),
                       out=dict(arch=a, params=models.count_params(m),
                                mflops=summary(m, (1, 3, 32, 32)).total_flops / 1e6,
                                sec=[], train_loss=[], train_acc=[], val_loss=[], val_acc=[]))
    torch.manual_seed(args.seed)                    # batch order: the global generator, in turns
    load_before = _load()
    for epoch in range(1, args.epochs + 1):
        for a, r in runs.items():                  # one epoch of each in turn: same load for all
            h = fit(r["model"], (tr.X, tr.y), (val.X, val.y), epochs=1, batch_size=args.batch_size,
                    optimizer=r["opt"], schedule=lambda o, n, s=r["sched"]: s, prepare=norm,
                    augment=r["aug"], progress=False)
            o = r["out"]
            o["sec"].append(h["time"][-1])
            for k in ("train_loss", "train_acc"):
                o[k].append(h[k][-1])
            o["val_loss"].append(h["test_loss"][-1])
            o["val_acc"].append(h["test_acc"][-1])
            print(f"  {MARK} epoch {epoch:2d} {a:<9} {o['sec'][-1]:6.1f} s  "
                  f"val acc {o['val_acc'][-1]:.4f} (load {_load()})", flush=True)
    results = []
    for a, r in runs.items():
        r["out"]["test_acc"] = evaluate(r["model"], (te.X, te.y), prepare=norm)["acc"]
        results.append(r["out"])
    print("\n| arch | params | MFLOP/image | val acc per epoch | test acc | s/epoch (median) |\n"
          "|---|---|---|---|---|---|")
    for o in results:
        print(f"| {o['arch']} | {o['params']:,} | {o['mflops']:.1f} | "
              f"{' '.join(f'{v:.3f}' for v in o['val_acc'])} | {o['test_acc']:.4f} | "
              f"{MARK} {sorted(o['sec'])[len(o['sec']) // 2]:.1f} |")
    _save(args.out, "archs", dict(source=tr.source, threads=n_threads, train=len(tr), val=len(val),
                                  test=len(te), epochs=args.epochs, batch_size=args.batch_size,
                                  lr=args.lr, note=args.note, load_before=load_before,
                                  load_after=_load(), results=results,
                                  command="python -m cnnlib.tools.bench " + " ".join(sys.argv[1:])))
    return results


cmd_archs.add_arguments = _archs_args


# ---------------------------------------------------------------- buildup: one ingredient at a time
def _buildup_args(p):
    p.add_argument("--steps", default="",
                   help="comma-separated step names of cnnlib.nn.recipes.BUILDUP (default: all, in "
                        "order; each step adds its ingredient to all the steps before it)")
    p.add_argument("--seeds", type=_ints, default="1,2", help="comma-separated seeds (>= 1)")
    p.add_argument("--preset", default="3ep", help="a preset of cnnlib.nn.recipes.BOOK_PRESETS")
    p.add_argument("--epochs", type=_at_least(0), default=0, help="override the preset's epochs (0: keep)")
    p.add_argument("--widths", type=_ints, default="", help="override the widths, e.g. 32,128,128")
    p.add_argument("--amp", default="bf16", choices=("bf16", "fp32"))
    p.add_argument("--subset", type=_at_least(0), default=0, help="train on a class-balanced subset (0 = all)")
    p.add_argument("--test-subset", type=_at_least(0), default=0, help="evaluate on a subset (0 = all)")
    p.add_argument("--threads", type=_at_least(0), default=0, help="torch threads (0: CNNLIB_THREADS or torch's)")
    p.add_argument("--note", default="", help="free text stored with the results (e.g. the load)")
    p.add_argument("--out", default="", help="write the results as JSON here (after every run)")


def _proc_loadavg():
    """The first three fields of /proc/loadavg (or os.getloadavg's where there is none)."""
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())


def buildup_plan(steps, seeds):
    """The runs ``(seed, step)`` in the order they are done: every step once per seed, forwards
    for the first seed, backwards for the second, and so on, so that a slow drift of the machine's
    load falls on the early and the late steps alike.

    本書: 章のコードからは直接使いません
    """
    if not (isinstance(steps, (list, tuple)) and steps and isinstance(seeds, (list, tuple))
            and seeds):
        raise ValueError(f"steps and seeds must be non-empty lists; got {steps!r:.60} and "
                         f"{seeds!r:.60}")
    return [(s, st) for k, s in enumerate(seeds) for st in (steps if k % 2 == 0 else steps[::-1])]


@subcommand
def cmd_buildup(args):
    """The book's recipe built up one ingredient at a time (recipes.BUILDUP), several seeds.

    本書: 章のコードからは直接使いません
    """
    _check_args(args, cmd_buildup)
    import torch
    from ..data.cifar10 import channel_stats, load_cifar10
    from ..nn.recipes import BOOK_HYP, BOOK_PRESETS, BUILDUP, buildup_hyp, train_book
    from ..data.cifar10 import normalizer
    from ..nn.train import configure_threads, evaluate
    names = [n for n, _ in BUILDUP]
    steps = [t.strip() for t in args.steps.split(",")] if args.steps else names
    unknown = [t for t in steps if t not in names]
    if unknown or len(set(steps)) != len(steps):
        raise ValueError(f"--steps must name distinct steps of recipes.BUILDUP; allowed: {names}; "
                         f"got {args.steps!r}")
    steps = [n for n in names if n in steps]                          # always in build-up order
    if args.preset not in BOOK_PRESETS:
        raise ValueError(f"unknown --preset {args.preset!r}; allowed: {sorted(BOOK_PRESETS)}")
    seeds = [int(t) for t in args.seeds.split(",")] if args.seeds else []
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds must be distinct ints >= 1 such as 1,2; got {args.seeds!r}")
    base = {**BOOK_HYP, **BOOK_PRESETS[args.preset]}
    if args.epochs:
        base["epochs"] = args.epochs
    if args.widths:
        base["widths"] = tuple(int(w) for w in args.widths.split(","))
    n_threads = configure_threads(args.threads or None)
    tr, te = load_cifar10("train"), load_cifar10("test")
    if args.subset:
        tr = tr.subset(args.subset, seed=0)
    if args.test_subset:
        te = te.subset(args.test_subset, seed=0)
    mean, std = channel_stats(tr.X)
    norm = normalizer(mean, std)
    amp = None if args.amp == "fp32" else args.amp
    print(f"data: {tr.source}, train {len(tr)}, test {len(te)}; torch {torch.__version__}, "
          f"{n_threads} threads; {len(steps)} steps x {len(seeds)} seeds", flush=True)
    hyps = {n: buildup_hyp(n, base) for n in steps}
    info = dict(source=tr.source, threads=n_threads, cpus=os.cpu_count(), train=len(tr),
                test=len(te), preset=args.preset, amp=args.amp, note=args.note, seeds=seeds,
                steps=[dict(name=n, change={k: v for k, v in dict(BUILDUP)[n].items()},
                            hyp={k: list(v) if isinstance(v, tuple) else v
                                 for k, v in hyps[n].items()}) for n in steps],
                command="python -m cnnlib.tools.bench " + " ".join(
                    sys.argv[1:] if sys.argv[1:2] == ["buildup"] else ["buildup", "..."]),
                loadavg_start=_proc_loadavg(), runs=[])
    warm = tr.subset(min(len(tr), 512), seed=0)                # first-call costs out of the runs
    train_book((warm.X, warm.y), mean=mean, std=std, hyp={**base, "epochs": 1}, amp=amp,
               progress=False)
    for seed, name in buildup_plan(steps, seeds):
        load_before = _proc_loadavg()
        w0, c0 = time.perf_counter(), time.process_time()
        model, h = train_book((tr.X, tr.y), None, mean=mean, std=std, hyp=hyps[name], amp=amp,
                              seed=seed, progress=False)           # the test set once, at the end
        acc, tta = (evaluate(model, (te.X, te.y), prepare=norm, amp=amp, tta=t)["acc"]
                    for t in (None, "flip-translate"))
        r = dict(step=name, seed=seed, test_acc=acc, tta_acc=tta, train_loss=h["train_loss"],
                 train_time=h["time"][-1], wall=time.perf_counter() - w0,
                 cpu=time.process_time() - c0, loadavg_before=load_before,
                 loadavg_after=_proc_loadavg())
        info["runs"].append(r)
        print(f"  {MARK} seed {seed} {name:<17} test acc {r['test_acc']:.4f}  TTA {r['tta_acc']:.4f}"
              f"  train {r['train_time']:6.1f} s  wall {r['wall']:6.1f} s  cpu {r['cpu']:6.1f} s  "
              f"load {load_before} -> {r['loadavg_after']}", flush=True)
        info["loadavg_end"] = _proc_loadavg()
        _save(args.out, "buildup", info)                         # keep what is done so far
    print("\n| step | test acc (mean of seeds) | TTA | train time | cpu |\n|---|---|---|---|---|")
    for n in steps:
        rs = [r for r in info["runs"] if r["step"] == n]
        mean_of = lambda k: sum(r[k] for r in rs) / len(rs)           # noqa: E731
        print(f"| {n} | {mean_of('test_acc'):.4f} | {mean_of('tta_acc'):.4f} | "
              f"{MARK} {mean_of('train_time'):.0f} s | {mean_of('cpu'):.0f} s |")
    return info


cmd_buildup.add_arguments = _buildup_args


# ---------------------------------------------------------------- conv: NumPy core vs torch
def interleaved(fns, repeats, warmup=1):
    """Median seconds of each callable in ``fns`` (a dict), timed in turns (a, b, a, b, ...).

    本書: 章のコードからは直接使いません
    """
    import statistics
    if not isinstance(fns, dict) or not fns or not all(callable(f) for f in fns.values()):
        raise TypeError(f"fns must be a non-empty dict name -> function; got {fns!r:.80}")
    repeats, warmup = check_int(repeats, "repeats", 1), check_int(warmup, "warmup", 0)
    for f in fns.values():
        for _ in range(warmup):
            f()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def _show(label, ours, theirs):
    """Print one comparison line: both medians and ours / theirs."""
    print(f"{MARK} {label:<40s} cnnlib {ours * 1e3:8.1f} ms   torch {theirs * 1e3:7.1f} ms"
          f"   ratio {ours / theirs:5.2f}x", flush=True)


def _machine_threads():
    """Threads this process may run on (its CPU affinity, else os.cpu_count())."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _conv_args(p):
    p.add_argument("--batch", type=_at_least(1), default=64)
    p.add_argument("--channels", type=_at_least(1), default=64, help="input and output channels")
    p.add_argument("--size", type=_at_least(1), default=32, help="height = width")
    p.add_argument("--kernel", type=_at_least(1), default=3, help="conv kernel (padding = kernel // 2)")
    p.add_argument("--pool", type=_at_least(1), default=2, help="pooling kernel = stride")
    p.add_argument("--repeats", type=_at_least(1), default=7, help="interleaved timed repeats")
    p.add_argument("--threads", type=_ints, default=f"{_machine_threads()},1",
                   help="comma-separated thread counts, each used by torch and NumPy's BLAS "
                        "alike (default: this machine's threads, then 1); pooling at the first")


def _conv_case(torch, np, args, rng):
    """Callables: ours and torch's conv2d forward, and forward + backward."""
    from ..scratch import fast
    N, C, S, K = args.batch, args.channels, args.size, args.kernel
    x = rng.standard_normal((N, C, S, S), dtype=np.float32)
    w = rng.standard_normal((C, C, K, K), dtype=np.float32) / np.float32(np.sqrt(C * K * K))
    b = rng.standard_normal(C, dtype=np.float32)
    dy = rng.standard_normal((N, C, S, S), dtype=np.float32)
    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    dyt, pad = torch.from_numpy(dy), K // 2

    def ours():
        fast.conv2d(x, w, b, padding=pad)
        fast.conv2d_backward(dy, x, w, padding=pad)

    def theirs():
        xt.grad = wt.grad = bt.grad = None
        torch.nn.functional.conv2d(xt, wt, bt, padding=pad).backward(dyt)

    def theirs_fwd():
        with torch.no_grad():
            torch.nn.functional.conv2d(xt, wt, bt, padding=pad)

    return {"ours_fwd": lambda: fast.conv2d(x, w, b, padding=pad), "torch_fwd": theirs_fwd,
            "ours": ours, "torch": theirs}


def _pool_case(torch, np, args, rng, kind):
    """Callables: our pooling backward, torch's backward alone and its forward + backward."""
    from ..scratch import functional as F
    N, C, S, k = args.batch, args.channels, args.size, args.pool
    x = rng.permutation(N * C * S * S).astype(np.float32).reshape(N, C, S, S)   # no ties
    dy = rng.standard_normal((N, C, S // k, S // k), dtype=np.float32)
    ours_bwd = {"max": F.max_pool2d_backward, "avg": F.avg_pool2d_backward}[kind]
    torch_fwd = getattr(torch.nn.functional, f"{kind}_pool2d")
    xt, dyt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dy)
    y = torch_fwd(xt, k)

    def theirs_bwd():
        xt.grad = None
        y.backward(dyt, retain_graph=True)

    def theirs_both():
        xt.grad = None
        torch_fwd(xt, k).backward(dyt)

    return {"ours": lambda: ours_bwd(dy, x, k), "torch_bwd": theirs_bwd,
            "torch_both": theirs_both}


@subcommand
def cmd_conv(args):
    """cnnlib.scratch.fast conv2d forward+backward and pooling backward vs torch (float32).

    本書: 章のコードからは直接使いません
    """
    _check_args(args, cmd_conv)
    import numpy as np
    import torch
    from threadpoolctl import threadpool_info
    blas = "; ".join(f"{i['internal_api']} {i['version']} ({i.get('architecture', '?')})"
                     for i in threadpool_info() if i["user_api"] == "blas")
    env = ", ".join(f"{k}={os.environ.get(k, '(unset)')}" for k in (
        "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"))
    N, C, S, K = args.batch, args.channels, args.size, args.kernel
    print(f"torch {torch.__version__}; NumPy {np.__version__} with {blas}\n{env}\n"
          f"float32, batch {N}, {C}->{C} channels, {S}x{S}, {K}x{K} kernel, padding {K // 2}; "
          f"median of {args.repeats} interleaved repeats")
    print(f"{MARK} load average before: {_load()} on {os.cpu_count()} cores", flush=True)
    threads = [int(t) for t in str(args.threads).split(",")]
    ratios = {n: _run_conv(torch, np, args, n, pools=(i == 0)) for i, n in enumerate(threads)}
    print(f"{MARK} load average after: {_load()}")
    return ratios


def _run_conv(torch, np, args, threads, pools):
    """Time conv (and pooling) with ``threads`` torch and BLAS threads; returns the conv ratio."""
    from threadpoolctl import threadpool_limits
    torch.set_num_threads(threads)
    with threadpool_limits(limits=threads, user_api="blas"):              # NumPy's BLAS too
        print(f"-- {threads} thread(s) for torch and for NumPy's BLAS", flush=True)
        rng = np.random.default_rng(0)
        t = interleaved(_conv_case(torch, np, args, rng), args.repeats)
        _show("conv2d forward", t["ours_fwd"], t["torch_fwd"])
        _show("conv2d forward + conv2d_backward", t["ours"], t["torch"])
        ratio = t["ours"] / t["torch"]
        print(f"{MARK} conv forward+backward at {threads} thread(s): {ratio:.2f}x torch, "
              f"{'within' if ratio <= 3 else 'NOT within'} the 3x target", flush=True)
        for kind in ("max", "avg") if pools else ():
            t = interleaved(_pool_case(torch, np, args, rng, kind), args.repeats)
            label = f"{kind}_pool2d_backward k={args.pool}"
            _show(label + " vs torch bwd", t["ours"], t["torch_bwd"])
            _show(label + " vs torch fwd+bwd", t["ours"], t["torch_both"])
    return ratio


cmd_conv.add_arguments = _conv_args


def main(argv=None):
    """Parse ``argv`` and run the chosen subcommand.

    本書: 章のコードからは直接使いません
    """
    parser = argparse.ArgumentParser(prog="python -m cnnlib.tools.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, fn in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=fn.__doc__)
        getattr(fn, "add_arguments", lambda p: None)(p)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    SUBCOMMANDS[args.command](args)
    print(f"total wall time {time.perf_counter() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
