"""Benchmark of the costs TSynD adds to training (issues 3, 24). Not a test: prints, measured in one run, the median
and the spread (min-max and interquartile range) over interleaved repeats of

(a) the cost of one MC-dropout estimate (trunk once, head K times) divided by one deterministic forward pass
    (target <= 1.3 at K = 10), beside the naive scheme (K full forward passes);
(b) latent-ascent throughput (images/s through ``uncertainty_ascent``: decode, K-mask MI, backward to the latent,
    Adam) divided by the raw throughput of decoder + classifier forward/backward to the latent (target >= 0.8);
(c) the cost of the ascent's record (issue 24: one extra K-mask forward after the last step, for the MI after the
    ascent) as a share of the ascent's own time.

Defaults are the quick profile's ascent (its ascent_steps, ascent_lr in latent std and K, read from the profile;
half-batch 16). Each figure is measured twice: with one torch thread, as the chapter's runs execute (every executor
worker limits itself to one intra-op thread, ``synthmed.executor``), and with torch's default thread count.

Usage: python scripts/bench_tsynd.py [--backbone smallcnn] [--batch 16] [--k K] [--steps N] [--lr LR] [--repeats 30]
       [--threads 1,0]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from synthmed import profiles
from synthmed.device import describe, get_device
from synthmed.tsynd.autoencoder import VQVAE
from synthmed.tsynd.classifiers import build_classifier
from synthmed.tsynd.latent import uncertainty_ascent


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved(fns: dict, device, repeats: int, inner: int) -> dict:
    """Seconds per call of each function: every repeat calls the functions in turn, one call each, ``inner`` times
    over, timing every call alone, so that a burst of load from other processes hits all of them alike (on these
    shared 2-core machines, timing ``inner`` calls of one function and then of the next let single repeats' ratios
    range from 0.4 to 1.9). Returns {name: list of per-repeat mean times}."""
    for fn in fns.values():
        fn()
    _sync(device)
    times = {name: [] for name in fns}
    for _ in range(repeats):
        total = dict.fromkeys(fns, 0.0)
        for _ in range(inner):
            for name, fn in fns.items():
                start = time.perf_counter()
                fn()
                _sync(device)
                total[name] += time.perf_counter() - start
        for name in fns:
            times[name].append(total[name] / inner)
    return times


def median_ratio(num: list, den: list) -> float:
    """Median over repeats of num[r] / den[r]."""
    return statistics.median(a / b for a, b in zip(num, den))


def spread(num: list, den: list) -> str:
    """'min-max, IQR q1-q3' of the per-repeat ratios num[r] / den[r]."""
    r = sorted(a / b for a, b in zip(num, den))
    q = statistics.quantiles(r, n=4) if len(r) >= 2 else [r[0]] * 3
    return f"range {r[0]:.2f}-{r[-1]:.2f}, IQR {q[0]:.2f}-{q[2]:.2f}, {len(r)} repeats"


def measure(args, device) -> None:
    """Prints (a)-(c) at the current number of torch threads."""
    torch.manual_seed(0)
    model = build_classifier(args.backbone, 1, 2, args.size).to(device).eval()
    vq = VQVAE(1, hidden=32).to(device).eval().requires_grad_(False)
    x = torch.rand(args.batch, 1, args.size, args.size, device=device)
    z0 = vq.encode(x)

    for p in model.parameters():
        p.requires_grad_(False)

    def raw_step():
        z = z0.detach().requires_grad_(True)
        model(vq.decode(z)).sum().backward()

    with torch.no_grad():
        t = interleaved({"det": lambda: model(x), "mc": lambda: model.mc_logits(x, args.k),
                         "naive": lambda: model.mc_logits_naive(x, args.k)}, device, args.repeats, args.inner)
    t_det, t_mc, t_naive = (statistics.median(t[n]) for n in ("det", "mc", "naive"))
    r_mc, r_naive = median_ratio(t["mc"], t["det"]), median_ratio(t["naive"], t["det"])

    def ascent(final: bool):
        return lambda: uncertainty_ascent(vq.decode, model, z0, steps=args.steps, lr=args.lr, k=args.k,
                                          measure_final=final)

    u = interleaved({"raw": raw_step, "ascent": ascent(False), "recorded": ascent(True)}, device, args.repeats,
                    max(1, 20 // args.steps))
    overhead = [r / a - 1 for r, a in zip(u["recorded"], u["ascent"])]
    u["ascent"] = [a / args.steps for a in u["ascent"]]
    t_raw, t_ascent = statistics.median(u["raw"]), statistics.median(u["ascent"])
    r_ascent = median_ratio(u["raw"], u["ascent"])
    print(f"device: {describe(device)}; backbone {args.backbone}, {args.size}x{args.size}, batch {args.batch}, "
          f"K={args.k}")
    print(f"ascent: {args.steps} steps, lr {args.lr}")
    print(f"(a) MC estimate / deterministic forward: head-only {r_mc:.2f} ({spread(t['mc'], t['det'])}; target "
          f"<= 1.3), naive K full forwards {r_naive:.2f}  [forward {1e3 * t_det:.2f} ms, head-only "
          f"{1e3 * t_mc:.2f} ms, naive {1e3 * t_naive:.2f} ms]")
    print(f"(b) latent-ascent throughput / raw decoder+classifier fwd/bwd throughput: {r_ascent:.2f} "
          f"({spread(u['raw'], u['ascent'])}; target >= 0.8)  [ascent step {1e3 * t_ascent:.2f} ms, raw fwd/bwd "
          f"{1e3 * t_raw:.2f} ms; {args.batch / t_ascent:.0f} vs {args.batch / t_raw:.0f} images/s]")
    o = sorted(overhead)
    print(f"(c) the ascent's record (MI after the last step) adds {100 * statistics.median(o):.0f} % to an ascent "
          f"of {args.steps} steps (range {100 * o[0]:.0f}-{100 * o[-1]:.0f} %)")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backbone", default="smallcnn")
    ap.add_argument("--size", type=int, default=28)
    ap.add_argument("--batch", type=int, default=16)
    quick = profiles.resolve("tsynd", "quick")
    ap.add_argument("--k", type=int, default=quick["k"])
    ap.add_argument("--steps", type=int, default=quick["ascent_steps"])
    ap.add_argument("--lr", type=float, default=quick["ascent_lr"])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--inner", type=int, default=10)
    ap.add_argument("--threads", default="1,0",
                    help="comma-separated torch CPU thread counts to measure in turn (0: torch's default). "
                         "Default 1,0: one thread is what the chapter's runs use (every executor worker sets "
                         "one intra-op thread); torch's default is what a single interactive call uses")
    args = ap.parse_args(argv)
    try:
        threads = [int(n) for n in args.threads.split(",")]
    except ValueError:
        ap.error(f"--threads takes comma-separated integers, got {args.threads!r}")
    if any(n < 0 for n in threads):
        ap.error(f"--threads must be >= 0, got {args.threads!r}")
    device = get_device()
    default = torch.get_num_threads()
    for i, n in enumerate(threads):
        torch.set_num_threads(n or default)
        if i:
            print()
        label = "as the chapter's workers" if n == 1 else "torch's default" if n == 0 else "set by --threads"
        print(f"== {torch.get_num_threads()} torch thread(s) ({label}) ==")
        measure(args, device)


if __name__ == "__main__":
    main()
