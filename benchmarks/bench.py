"""Side-by-side benchmarks, measured in one run on the same model and data; prints ratios.

    python benchmarks/bench.py attacks   # this project's BIM vs torchattacks' BIM: throughput and robust accuracy
    python benchmarks/bench.py ifa       # IFA throughput and Δ_N storage vs a plain float32 loop
    python benchmarks/bench.py data      # CIFAR-10 load: first (decode) vs second (cache)
    python benchmarks/bench.py executors # each profile's plan per seed, then `smoke` wall time in-process vs on a local Ray
    python benchmarks/bench.py stages --size paper   # each stage's throughput, fp32 eager vs the fast path; projected `paper` time

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
    # both through the same loop (a clean pass, the attack, an adversarial pass): ours with its defaults, torchattacks as it runs (default layout)
    ours = lambda: robust_accuracy(m, (x, y), 'bim', bs=a.bs, device=dev, eps=8/255, alpha=2/255, steps=a.steps)
    theirs = lambda: robust_accuracy(m, (x, y), lambda mm, xb, yb: ta(xb, yb), bs=a.bs, device=dev, channels_last=False)
    t_ours, t_theirs = timeit(ours, theirs, reps=a.reps)
    ra_ours, ra_theirs = ours(), theirs()
    print(f"BIM ({a.steps} steps, eps 8/255, alpha 2/255) on {a.arch}-{a.size}, {len(y)} images, batch {a.bs}, {dev}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"  uncertainty_nn  {len(y)/t_ours:8.1f} img/s   clean {ra_ours['clean']:.2%}  robust {ra_ours['robust']:.2%}")
    print(f"  torchattacks    {len(y)/t_theirs:8.1f} img/s   clean {ra_theirs['clean']:.2%}  robust {ra_theirs['robust']:.2%}")
    print(f"  throughput ratio (ours / torchattacks): {t_theirs/t_ours:.3f}x   robust accuracy difference: {100*(ra_ours['robust']-ra_theirs['robust']):+.2f} points")
    options = (dict(channels_last=True),) + ((dict(amp=True, channels_last=False), dict(amp=True, channels_last=True)) if dev.type == 'cuda' else ())
    for kw in options:      # against fp32 in the default (contiguous) layout
            t32, t = timeit(lambda: robust_accuracy(m, (x, y), 'bim', bs=a.bs, device=dev, steps=a.steps, channels_last=False),
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

def bench_stages(a):
    """Throughput of each stage at `--size` on `--device`: fp32 eager (contiguous) against the fast path (bf16 autocast and
    channels-last on CUDA; channels-last on the CPU), measured side by side; then the `paper` profile's projected time
    for one seed from its plan's work and the fast rates. Random images: throughput does not depend on their content."""
    from uncertainty_nn.data import Split
    from uncertainty_nn.classifiers import train_classifier, build_classifier
    from uncertainty_nn.attacks import robust_accuracy
    from uncertainty_nn.ifa import ifa
    from uncertainty_nn.pix2pix import train_pix2pix
    from uncertainty_nn.artifacts import make_plan
    dev = torch.device(a.device); cuda = dev.type == 'cuda'
    g = torch.Generator().manual_seed(0)
    imgs = lambda n: Split(torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g), torch.randint(0, 10, (n,), generator=g))
    fast = dict(amp=cuda, channels_last=True)
    def timed(f):
        if cuda: torch.cuda.synchronize()
        t = time.perf_counter(); out = f()
        if cuda: torch.cuda.synchronize()
        return time.perf_counter() - t, out
    print(f"stages at size `{a.size}` on {dev} ({torch.cuda.get_device_name(dev) if cuda else f'{torch.get_num_threads()} threads'}), torch {torch.__version__}")
    rates = {}
    trn, val = imgs(a.n_stage), imgs(256)
    for arch in a.archs:
        t32, _ = timed(lambda: train_classifier(arch, trn, val, 1, size=a.size, device=dev, quiet=True, amp=False, channels_last=False))
        tf, _ = timed(lambda: train_classifier(arch, trn, val, 1, size=a.size, device=dev, quiet=True, **fast))
        rates[f'train {arch}'] = len(trn) / tf
        print(f"  training {arch:<9} {len(trn) / t32:9.1f} img/s fp32 eager   {len(trn) / tf:9.1f} img/s fast   ratio {t32 / tf:.2f}x  (one epoch incl. evaluation)")
    x = imgs(a.n_stage)
    for arch in ('conv', 'res'):
        m = build_classifier(arch, a.size).eval()
        t32, r32 = timed(lambda: robust_accuracy(m, x, 'bim', bs=a.bs, device=dev, steps=4))
        tf, rf = timed(lambda: robust_accuracy(m, x, 'bim', bs=a.bs, device=dev, steps=4, **fast))
        rates[f'attack {arch}'] = len(x.y) * 5 / tf                       # BIM-4 + one clean pass: image-steps
        print(f"  BIM-4     {arch:<9} {len(x.y) / t32:9.1f} img/s fp32 eager   {len(x.y) / tf:9.1f} img/s fast   ratio {t32 / tf:.2f}x   "
              f"clean {100 * (rf['clean'] - r32['clean']):+.2f} / robust {100 * (rf['robust'] - r32['robust']):+.2f} points vs fp32")
        t32, d32 = timed(lambda: ifa(m, x, n_iter=a.iters, bs=a.bs, device=dev, quiet=True))
        tf, df = timed(lambda: ifa(m, x, n_iter=a.iters, bs=a.bs, device=dev, quiet=True, **fast))
        rates[f'ifa {arch}'] = len(x.y) * a.iters / tf
        print(f"  IFA       {arch:<9} {len(x.y) * a.iters / t32:9.1f} img-steps/s fp32   {len(x.y) * a.iters / tf:9.1f} fast   ratio {t32 / tf:.2f}x   "
              f"Δ_N counts that differ from fp32: {(df.steps != d32.steps).float().mean().item():.2%}")
    pairs = imgs(a.n_stage)
    from uncertainty_nn.ifa import IFAResult
    from uncertainty_nn.data import tensor_digest
    res = IFAResult(torch.randint(-20, 21, pairs.x.shape, dtype=torch.int16, generator=g), 8/255, 8/255, 20, False, tensor_digest(pairs.x, pairs.y))
    tp, _ = timed(lambda: train_pix2pix(pairs, res, epochs=1, ngf=64, ndf=64, device=dev, quiet=True))
    rates['pix2pix'] = len(pairs) / tp
    print(f"  Pix2Pix (ngf 64)    {len(pairs) / tp:9.1f} img/s (fp32; one epoch)")
    plan = make_plan('paper', seeds=(0,))
    secs = 0.0
    for art in plan:
        if art.kind == 'classifier': r = rates.get(f'train {art.arch}')
        elif art.kind == 'ifa': r = rates.get(f"ifa {art.classifier.arch}", rates.get('ifa res'))
        else: r = rates['pix2pix']
        secs += art.work() / r if r else float('nan')
    missing = sorted({f'train {x.arch}' for x in plan.of_kind('classifier')} - set(rates))
    if missing: print(f"  (no rate for {', '.join(missing)}: time them with --archs to project the whole profile)")
    print(f"projected artifacts of `paper` (one seed) at these rates (size {a.size}): {secs / 60:.1f} min; "
          f"the chapters' own evaluations (Fig 1 and Fig 6 attacks on 10,000 test images) come on top")

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('what', choices=['attacks', 'ifa', 'data', 'executors', 'stages'])
    p.add_argument('--profile', default='smoke', help='profile run by `executors`')
    p.add_argument('--archs', nargs='+', default=['conv', 'res', 'googlenet'], help='families timed by `stages`')
    p.add_argument('--n-stage', type=int, default=2048, help='images per stage timed by `stages`')
    p.add_argument('--arch', default='res'); p.add_argument('--size', default='small')
    p.add_argument('--n-train', type=int, default=5000); p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--n', type=int, default=512, help='images attacked'); p.add_argument('--bs', type=int, default=128)
    p.add_argument('--steps', type=int, default=4); p.add_argument('--iters', type=int, default=20)
    p.add_argument('--reps', type=int, default=5)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    a = p.parse_args()
    {'attacks': bench_attacks, 'ifa': bench_ifa, 'data': bench_data, 'executors': bench_executors, 'stages': bench_stages}[a.what](a)
