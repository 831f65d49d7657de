"""Side-by-side benchmarks, measured in one run on the same model and data; prints ratios.

    python benchmarks/bench.py attacks   # this project's BIM vs torchattacks' BIM: throughput and robust accuracy
    python benchmarks/bench.py ifa       # IFA throughput and Δ_N storage vs a plain float32 loop
    python benchmarks/bench.py data      # CIFAR-10 load: first (decode) vs second (cache)
    python benchmarks/bench.py executors # each profile's plan per seed, then `smoke` wall time in-process vs on a local Ray

Needs real CIFAR-10 ($UNCERTAINTY_NN_DATA) for meaningful accuracies; torchattacks for `attacks`
(`pip install --no-deps torchattacks==3.5.1`).
"""
import argparse, statistics, sys, tempfile, time
from pathlib import Path
import torch

def timeit(*fns, reps=3):
    "Median seconds of each of `fns` over `reps` rounds, the calls interleaved so that drift hits all alike (after a warm-up)."
    for f in fns: f()
    ts = [[] for _ in fns]
    for _ in range(reps):
        for f, t in zip(fns, ts):
            t0 = time.perf_counter(); f(); t.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in ts]

def trained_model(arch, size, n_train, epochs, device):
    from uncertainty_nn.data import cifar_subsets
    from uncertainty_nn.classifiers import train_classifier
    trn, tst = cifar_subsets(None, n_train, 1000, 0)
    m = train_classifier(arch, trn, tst, epochs, size=size, device=device, quiet=True)
    return m.to(device).eval(), trn, tst

def bench_attacks(a):
    import torchattacks
    from uncertainty_nn.attacks import bim, robust_accuracy
    dev = torch.device(a.device)
    m, _, tst = trained_model(a.arch, a.size, a.n_train, a.epochs, dev)
    x, y = (tst.x[:a.n].float() / 255).to(dev), tst.y[:a.n].to(dev)
    ta = torchattacks.BIM(m, eps=8/255, alpha=2/255, steps=a.steps)
    ours = lambda: [bim(m, x[i:i+a.bs], y[i:i+a.bs], eps=8/255, alpha=2/255, steps=a.steps) for i in range(0, len(y), a.bs)]
    theirs = lambda: [ta(x[i:i+a.bs], y[i:i+a.bs]) for i in range(0, len(y), a.bs)]
    t_ours, t_theirs = timeit(ours, theirs, reps=a.reps)
    ra_ours = robust_accuracy(m, (x, y), 'bim', bs=a.bs, device=dev, eps=8/255, alpha=2/255, steps=a.steps)
    ra_theirs = robust_accuracy(m, (x, y), lambda mm, xb, yb: ta(xb, yb), bs=a.bs, device=dev)
    print(f"BIM ({a.steps} steps, eps 8/255, alpha 2/255) on {a.arch}-{a.size}, {len(y)} images, batch {a.bs}, {dev}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"  uncertainty_nn  {len(y)/t_ours:8.1f} img/s   clean {ra_ours['clean']:.2%}  robust {ra_ours['robust']:.2%}")
    print(f"  torchattacks    {len(y)/t_theirs:8.1f} img/s   clean {ra_theirs['clean']:.2%}  robust {ra_theirs['robust']:.2%}")
    print(f"  throughput ratio (ours / torchattacks): {t_theirs/t_ours:.3f}x   robust accuracy difference: {100*(ra_ours['robust']-ra_theirs['robust']):+.2f} points")
    options = (dict(channels_last=True),) + ((dict(amp=True), dict(amp=True, channels_last=True)) if dev.type == 'cuda' else ())
    for kw in options:
            t32, t = timeit(lambda: robust_accuracy(m, (x, y), 'bim', bs=a.bs, device=dev, steps=a.steps),
                            lambda: robust_accuracy(m, (x, y), 'bim', bs=a.bs, device=dev, steps=a.steps, **kw), reps=a.reps)
            r = robust_accuracy(m, (x, y), 'bim', bs=a.bs, device=dev, steps=a.steps, **kw)
            print(f"  {kw}: speed-up {t32/t:.2f}x vs fp32, clean {r['clean']:.2%} ({100*(r['clean']-ra_ours['clean']):+.2f}), robust {r['robust']:.2%} ({100*(r['robust']-ra_ours['robust']):+.2f})")

def bench_ifa(a):
    from uncertainty_nn.ifa import ifa
    from uncertainty_nn.attacks import signed_step, eval_mode
    dev = torch.device(a.device)
    m, trn, _ = trained_model(a.arch, a.size, a.n_train, a.epochs, dev)
    x, y = trn.x[:a.n], trn.y[:a.n]
    eps = 8/255
    def plain():
        "The obvious loop: float32 X_n, Δ_N kept as float32."
        out = []
        with eval_mode(m):
            for i in range(0, len(y), a.bs):
                x0 = (x[i:i+a.bs].float() / 255).to(dev); xn = x0
                for _ in range(a.iters): xn = signed_step(m, xn, y[i:i+a.bs].to(dev), -eps)
                out.append((xn - x0).cpu())
        return torch.cat(out)
    ours = lambda: ifa(m, x, y, n_iter=a.iters, eps=eps, bs=a.bs, device=dev, quiet=True)
    t_plain, t_ours = timeit(plain, ours, reps=a.reps)
    res, ref = ours(), plain()
    n_it = len(y) * a.iters
    print(f"IFA, {len(y)} images x {a.iters} iterations on {a.arch}-{a.size}, batch {a.bs}, {dev}")
    print(f"  uncertainty_nn  {n_it/t_ours:9.1f} image-iterations/s   Δ_N storage {res.steps.element_size() * res.steps.numel()/2**20:7.2f} MiB ({res.steps.dtype})")
    print(f"  plain float32   {n_it/t_plain:9.1f} image-iterations/s   Δ_N storage {ref.element_size() * ref.numel()/2**20:7.2f} MiB (torch.float32)")
    differ = (res.delta - ref).abs() > 1e-4
    print(f"  throughput ratio {t_plain/t_ours:.3f}x   storage ratio {ref.element_size()/res.steps.element_size():.1f}x smaller")
    print(f"  pixels whose Δ_N differs: {differ.float().mean().item():.2%} (the float loop accumulates rounding error in X_n, "
          f"which flips the sign of near-zero gradients; the integer form is exact)")
    full = 50_000 * 3 * 32 * 32
    print(f"  Δ_N storage for all 50,000 training images at N = 200: {full * 2 / 2**20:.0f} MiB (int16) vs {full * 4 / 2**20:.0f} MiB (float32)")

def bench_data(a):
    from uncertainty_nn.data import load_cifar10
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter(); load_cifar10(cache_dir=d); first = time.perf_counter() - t
        t = time.perf_counter(); load_cifar10(cache_dir=d); second = time.perf_counter() - t
    print(f"CIFAR-10 load: first (decode + cache) {first:.1f} s, second (cache) {second:.2f} s, ratio {first/second:.0f}x")

def bench_executors(a):
    "The work a plan holds per seed, then one profile run end to end by each executor into fresh run directories."
    import os, shutil
    from uncertainty_nn.artifacts import make_plan, plan_rows, Store
    from uncertainty_nn.reproduce import reproduce
    for prof in ('tiny', 'smoke', 'paper'):
        plan = make_plan(prof, seeds=(0,))
        rows = plan_rows(plan, Store(tempfile.mkdtemp()))
        print(f"plan of `{prof}` per seed: " + '; '.join(f"{r['count']} {r['kind']} ({r['work']:,} image-steps)" for r in rows))
    import ray
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, configure_logging=False)
    times, metrics = {}, {}
    root = Path(tempfile.mkdtemp(prefix='bench-executors-'))
    for ex in ('inprocess', 'ray'):
        t = time.perf_counter()
        metrics[ex] = reproduce(a.profile, root/ex, executor=ex, log=lambda *x, **k: None)
        times[ex] = time.perf_counter() - t
        print(f"`{a.profile}` with the {ex:<9} executor: {times[ex] / 60:5.2f} min wall ({os.cpu_count()} CPUs, torch {torch.get_num_threads()} threads in this process)")
    ray.shutdown()
    same = metrics['inprocess']['per_seed'] == metrics['ray']['per_seed']
    print(f"  ratio in-process / Ray: {times['inprocess'] / times['ray']:.2f}x   metrics identical: {same}")
    shutil.rmtree(root)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('what', choices=['attacks', 'ifa', 'data', 'executors'])
    p.add_argument('--profile', default='smoke', help='profile run by `executors`')
    p.add_argument('--arch', default='res'); p.add_argument('--size', default='small')
    p.add_argument('--n-train', type=int, default=5000); p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--n', type=int, default=512, help='images attacked'); p.add_argument('--bs', type=int, default=128)
    p.add_argument('--steps', type=int, default=4); p.add_argument('--iters', type=int, default=20)
    p.add_argument('--reps', type=int, default=5)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    a = p.parse_args()
    {'attacks': bench_attacks, 'ifa': bench_ifa, 'data': bench_data, 'executors': bench_executors}[a.what](a)
