"""Benchmarks, as subcommands: ``python -m cnnlib.bench cifar10 [options]``.

``cifar10`` trains the book's recipe (bf16 and fp32) and the lesson's recipe side by side on
the same data and machine and prints test accuracy against training wall time, the time to
reach 80/90/92 %, and the load average before and after each run. The lesson's recipe is slow;
``--lesson-budget`` stops it after that many seconds of training (the table then says it had
not reached a threshold within the budget, so the speed-up is a lower bound).
"""
import argparse
import json
import os
import sys
import time

SUBCOMMANDS = {}


def subcommand(fn):
    """Register ``fn(args)`` with its ``add_arguments(parser)`` as a subcommand."""
    SUBCOMMANDS[fn.__name__.removeprefix("cmd_").replace("_", "-")] = fn
    return fn


def _load():
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def _fmt(t):
    return "—" if t is None else f"{t:.0f} s"


def _cifar10_args(p):
    p.add_argument("--recipes", default="book-bf16,book-fp32,lesson",
                   help="comma-separated: book-bf16, book-fp32, lesson")
    p.add_argument("--book-epochs", type=int, default=10)
    p.add_argument("--lesson-epochs", type=int, default=50)
    p.add_argument("--lesson-budget", type=float, default=3600,
                   help="stop the lesson's recipe after this many seconds of training")
    p.add_argument("--subset", type=int, default=0, help="train on a class-balanced subset (0 = all)")
    p.add_argument("--test-subset", type=int, default=0, help="evaluate on a subset (0 = all)")
    p.add_argument("--widths", default="", help="book net widths, e.g. 32,128,128 (default: recipe's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="", help="write the results as JSON here")


def _book_hyp(args):
    hyp = dict(epochs=args.book_epochs)
    if args.widths:
        hyp["widths"] = tuple(int(w) for w in args.widths.split(","))
    return hyp


def run_recipe(name, train, test, args, mean, std):
    """Train one recipe; returns a dict of its per-epoch curve and summary numbers."""
    from .recipes import time_to, train_book, train_lesson
    load_before = _load()
    if name.startswith("book"):
        amp = "bf16" if name == "book-bf16" else None
        _, h = train_book(train, test, mean=mean, std=std, hyp=_book_hyp(args),
                          amp=amp, seed=args.seed)
        final_tta = h.tta["acc"]
    elif name == "lesson":
        def budget(epoch, hist, model):
            return hist["time"][-1] >= args.lesson_budget or hist["test_acc"][-1] >= 0.8
        _, h = train_lesson(train, test, epochs=args.lesson_epochs, seed=args.seed, on_epoch=budget)
        final_tta = None
    else:
        raise ValueError(f"unknown recipe {name!r}; allowed: book-bf16, book-fp32, lesson")
    return dict(recipe=name, epochs=h.epochs, time=h["time"], test_acc=h["test_acc"],
                final_acc=h["test_acc"][-1], final_tta_acc=final_tta, total_time=h["time"][-1],
                t80=time_to(h, 0.80), t90=time_to(h, 0.90), t92=time_to(h, 0.92),
                load_before=load_before, load_after=_load(), interrupted=h.interrupted)


@subcommand
def cmd_cifar10(args):
    """Book recipe vs lesson recipe on CIFAR-10: accuracy against training time."""
    import torch
    from .data.cifar10 import channel_stats, load_cifar10
    from .train import configure_threads
    n_threads = configure_threads()
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
    results = []
    for name in args.recipes.split(","):
        print(f"\n== {name} (load average before: {_load()})", flush=True)
        r = run_recipe(name.strip(), (tr.X, tr.y), (te.X, te.y), args, mean, std)
        results.append(r)
        for e, (t, a) in enumerate(zip(r["time"], r["test_acc"]), 1):
            print(f"  epoch {e:2d}  train time {t:7.1f} s  test acc {a:.4f}")
        print(f"  load average after: {r['load_after']}", flush=True)
    print("\n| recipe | epochs | final acc | flip-TTA acc | train time | to 80% | to 90% | to 92% "
          "| load before → after |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        tta = "—" if r["final_tta_acc"] is None else f"{r['final_tta_acc']:.4f}"
        print(f"| {r['recipe']} | {r['epochs']} | {r['final_acc']:.4f} | {tta} | "
              f"{r['total_time']:.0f} s | {_fmt(r['t80'])} | {_fmt(r['t90'])} | {_fmt(r['t92'])} "
              f"| {r['load_before']} → {r['load_after']} |")
    book = [r for r in results if r["recipe"].startswith("book") and r["t80"]]
    lesson = [r for r in results if r["recipe"] == "lesson"]
    for b in book:
        for L in lesson:
            if L["t80"]:
                print(f"{b['recipe']}: {L['t80'] / b['t80']:.1f}x less time to 80% than the lesson")
            else:
                print(f"{b['recipe']}: lesson did not reach 80% in {L['total_time']:.0f} s; "
                      f"speed-up ≥ {L['total_time'] / b['t80']:.1f}x")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(dict(source=tr.source, threads=n_threads, results=results), f, indent=1)
    return results


cmd_cifar10.add_arguments = _cifar10_args


def main(argv=None):
    """Parse ``argv`` and run the chosen subcommand."""
    parser = argparse.ArgumentParser(prog="python -m cnnlib.bench", description=__doc__,
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
