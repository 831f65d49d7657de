"""Side-by-side benchmarks, measured in one run on the same model and data; prints ratios, never absolute goals.

    python benchmarks/bench.py attacks   # BIM at this project's defaults vs torchattacks' BIM: throughput, accuracies
    python benchmarks/bench.py ifa       # IFA throughput and Δ_N storage vs a plain float32 loop
    python benchmarks/bench.py data      # CIFAR-10 load: first (decode) vs second (cache)
    python benchmarks/bench.py executors # each profile's plan per seed, then a profile's wall time in-process vs Ray
    python benchmarks/bench.py stages --size paper   # fp32 / channels-last / bf16 / both for every stage; projection
    python benchmarks/bench.py project --profiles smoke protocol pairs   # each profile's seed from one set of rates
    python benchmarks/bench.py verify --profile smoke --store RUN/store  # the store's digest checks vs the run's work
    python benchmarks/bench.py robustness --profile protocol --store RUN/store  # ε* and RA(ε) on vs off, per measure

Every timing is a median over `--reps` rounds after a warm-up call, the variants interleaved so that drift hits all
alike; the baseline is float32 in the default (contiguous) layout, which is what torchattacks and a plain PyTorch loop
run.
Each command prints the machine first: CPU model, native bfloat16 (AVX512-BF16 or AMX), threads, GPU.
Needs real CIFAR-10 ($UNCERTAINTY_NN_DATA) for meaningful accuracies (`stages` uses random images for throughput and
skips the projection without it); torchattacks for `attacks` (`pip install --no-deps torchattacks==3.5.1`).
"""
import argparse, statistics, sys, tempfile, time
from pathlib import Path
import torch

VARIANTS = {'fp32': dict(precision='fp32', channels_last=False),
            'channels-last': dict(precision='fp32', channels_last=True),
            'bf16': dict(precision='bf16', channels_last=False), 'both': dict(precision='bf16', channels_last=True)}

def machine(dev) -> str:
    from uncertainty_nn.core import cpu_info
    c = cpu_info()
    gpu = ''
    if dev.type == 'cuda':
        cc = '.'.join(map(str, torch.cuda.get_device_capability(dev)))
        gpu = f", GPU {torch.cuda.get_device_name(dev)} (compute capability {cc})"
    bf16 = f"yes ({', '.join(c['bf16'])})" if c['native_bf16'] else 'no (emulated: slower than fp32)'
    return (f"machine: {c['model']}, native bfloat16: {bf16}, {torch.get_num_threads()} threads, "
            f"torch {torch.__version__}{gpu}")

def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)

def timeit(*fns, reps=3, dev=torch.device('cpu')):
    "Median seconds of each of `fns` over `reps` rounds, interleaved, after one warm-up call of each."
    for f in fns: f()
    sync(dev)
    ts = [[] for _ in fns]
    for _ in range(reps):
        for f, t in zip(fns, ts):
            sync(dev); t0 = time.perf_counter(); f(); sync(dev); t.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in ts]

def random_images(n, seed=0):
    from uncertainty_nn.cifar10 import Split
    g = torch.Generator().manual_seed(seed)
    return Split(torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g),
                 torch.randint(0, 10, (n,), generator=g))

def stand_in_pairs(x):
    "Δ_N of N = 20 for images `x` drawn at random: Pix2Pix's time does not depend on what the pairs hold."
    from uncertainty_nn.ifa import IFAResult
    from uncertainty_nn.files import tensor_digest
    steps = torch.randint(-20, 21, x.x.shape, dtype=torch.int16, generator=torch.Generator().manual_seed(3))
    return IFAResult(steps, 8/255, 8/255, 20, False, tensor_digest(x.x, x.y))

def trained_model(arch, size, n_train, epochs, device):
    from uncertainty_nn.data import cifar_subsets
    from uncertainty_nn.classifiers import train_classifier
    trn, tst = cifar_subsets(None, n_train, 1000, 0)
    m = train_classifier(arch, trn, tst, epochs, size=size, device=device, quiet=True, precision='fp32')
    return m.eval(), trn, tst

def bench_attacks(a):
    "BIM through `robust_accuracy`: this project's defaults on this device against torchattacks' BIM (contiguous fp32)."
    import torchattacks
    from uncertainty_nn.attacks import robust_accuracy
    from uncertainty_nn.core import default_precision
    dev = torch.device(a.device); print(machine(dev))
    m, _, tst = trained_model(a.arch, a.size, a.n_train, a.epochs, dev)
    x, y = tst.x[:a.n], tst.y[:a.n]
    ta = torchattacks.BIM(m, eps=8/255, alpha=2/255, steps=a.steps)
    prec = default_precision(dev)
    ours = lambda: robust_accuracy(m, (x, y), 'bim', bs=a.bs, device=dev, precision=prec, eps=8/255, alpha=2/255,
                                   steps=a.steps)
    theirs = lambda: robust_accuracy(m, (x, y), lambda mm, xb, yb: ta(xb, yb), bs=a.bs, device=dev, precision='fp32',
                                     channels_last=False)
    t_ours, t_theirs = timeit(ours, theirs, reps=a.reps, dev=dev)
    r_ours, r_theirs = ours(), theirs()
    print(f"BIM ({a.steps} steps, eps 8/255, alpha 2/255) on {a.arch}-{a.size}, {len(y)} images, batch {a.bs}, {dev}")
    acc = lambda r: f"clean {r['clean']:.2%}  robust {r['robust']:.2%}"
    print(f"  uncertainty_nn ({prec}, channels-last) {len(y)/t_ours:8.1f} img/s   {acc(r_ours)}")
    print(f"  torchattacks   (fp32, contiguous)    {len(y)/t_theirs:8.1f} img/s   {acc(r_theirs)}")
    pts = lambda k: f"{100 * (r_ours[k] - r_theirs[k]):+.2f} points"
    print(f"  throughput ratio (ours / torchattacks): {t_theirs/t_ours:.2f}x   clean {pts('clean')}, "
          f"robust {pts('robust')}")

def bench_ifa(a):
    "IFA's exact integer form against the obvious float32 loop."
    from uncertainty_nn.ifa import ifa
    from uncertainty_nn.attacks import signed_step, eval_mode
    dev = torch.device(a.device); print(machine(dev))
    m, trn, _ = trained_model(a.arch, a.size, a.n_train, a.epochs, dev)
    x, y = trn.x[:a.n], trn.y[:a.n]
    eps = 8/255
    def plain():
        "The obvious loop: float32 X_n, Δ_N kept as float32."
        out = []
        mm = m.to(dev)
        with eval_mode(mm):
            for i in range(0, len(y), a.bs):
                x0 = (x[i:i+a.bs].float() / 255).to(dev); xn = x0
                for _ in range(a.iters): xn = signed_step(mm, xn, y[i:i+a.bs].to(dev), -eps)
                out.append((xn - x0).cpu())
        m.cpu()
        return torch.cat(out)
    ours = lambda: ifa(m, x, y, n_iter=a.iters, eps=eps, bs=a.bs, device=dev, precision='fp32', quiet=True)
    t_plain, t_ours = timeit(plain, ours, reps=a.reps, dev=dev)
    res, ref = ours(), plain()
    n_it = len(y) * a.iters
    print(f"IFA, {len(y)} images x {a.iters} iterations on {a.arch}-{a.size}, batch {a.bs}, {dev}, fp32")
    mib = lambda t: t.element_size() * t.numel() / 2**20
    print(f"  uncertainty_nn  {n_it/t_ours:9.1f} image-iterations/s   "
          f"Δ_N storage {mib(res.steps):7.2f} MiB ({res.steps.dtype})")
    print(f"  plain float32   {n_it/t_plain:9.1f} image-iterations/s   Δ_N storage {mib(ref):7.2f} MiB (float32)")
    differ = (res.delta - ref).abs() > 1e-4
    smaller = ref.element_size() / res.steps.element_size()
    print(f"  throughput ratio {t_plain/t_ours:.3f}x   storage ratio {smaller:.1f}x smaller")
    print(f"  pixels whose Δ_N differs: {differ.float().mean().item():.2%} (the float loop accumulates rounding "
          f"error in X_n, which flips the sign of near-zero gradients; the integer form is exact)")

def bench_data(a):
    from uncertainty_nn.cifar10 import load_cifar10
    print(machine(torch.device('cpu')))
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter(); load_cifar10(cache_dir=d); first = time.perf_counter() - t
        t = time.perf_counter(); load_cifar10(cache_dir=d); second = time.perf_counter() - t
    print(f"CIFAR-10 load: first (decode + cache) {first:.1f} s, second (cache) {second:.2f} s, "
          f"ratio {first/second:.0f}x")

def bench_executors(a):
    "The work a plan holds per seed, then one profile run end to end by each executor (at its defaults), afresh."
    import os, shutil
    from uncertainty_nn.plan import make_plan, plan_rows
    from uncertainty_nn.store import Store
    from uncertainty_nn.reproduce import reproduce
    print(machine(torch.device('cpu')))
    for prof in ('tiny', 'smoke', 'paper'):
        plan = make_plan(prof, seeds=(0,))
        rows = plan_rows(plan, Store(tempfile.mkdtemp()))
        kinds = '; '.join(f"{r['count']} {r['kind']} ({r['work']:,} image-steps)" for r in rows)
        print(f"plan of `{prof}` per seed: {kinds}")
    import ray
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, configure_logging=False)
    times, metrics = {}, {}
    root = Path(tempfile.mkdtemp(prefix='bench-executors-'))
    for ex in ('inprocess', 'ray'):
        t = time.perf_counter()
        metrics[ex] = reproduce(a.profile, root/ex, executor=ex, log=lambda *x, **k: None)
        times[ex] = time.perf_counter() - t
        print(f"`{a.profile}` with the {ex:<9} executor: {times[ex] / 60:5.2f} min wall ({os.cpu_count()} CPUs)")
    ray.shutdown()
    same = metrics['inprocess']['per_seed'] == metrics['ray']['per_seed']
    print(f"  ratio in-process / Ray: {times['inprocess'] / times['ray']:.2f}x   metrics identical: {same}")
    shutil.rmtree(root)

def _stage_rows(a, dev):
    "{stage: {variant: (seconds, images or image-steps, outcome)}}: every stage timed in every variant, side by side."
    from uncertainty_nn.classifiers import train_classifier
    from uncertainty_nn.networks import build_classifier
    from uncertainty_nn.attacks import robust_accuracy
    from uncertainty_nn.ifa import ifa
    from uncertainty_nn.pix2pix import train_pix2pix
    rows, trn, val, x = {}, random_images(a.n_stage), random_images(256, 1), random_images(a.n_stage, 2)
    res = stand_in_pairs(x)
    for arch in a.archs:
        fns = {v: (lambda kw=kw: train_classifier(arch, trn, val, 1, size=a.size, device=dev, quiet=True, **kw))
               for v, kw in VARIANTS.items()}
        secs = timeit(*fns.values(), reps=a.reps, dev=dev)
        rows[f'train {arch}'] = {v: (t, len(trn), None) for v, t in zip(VARIANTS, secs)}
    for arch in [r for r in a.archs if r != 'googlenet'] or a.archs[:1]:
        m = build_classifier(arch, a.size).eval()
        bim = {v: (lambda kw=kw: robust_accuracy(m, x, 'bim', bs=a.bs, device=dev, steps=4, **kw))
               for v, kw in VARIANTS.items()}
        secs = timeit(*bim.values(), reps=a.reps, dev=dev)
        # clean, 4 steps, adversarial pass
        rows[f'BIM-4 {arch}'] = {v: (t, len(x) * 6, bim[v]()) for v, t in zip(VARIANTS, secs)}
        it = {v: (lambda kw=kw: ifa(m, x, n_iter=a.iters, bs=a.bs, device=dev, quiet=True, **kw))
              for v, kw in VARIANTS.items()}
        secs = timeit(*it.values(), reps=a.reps, dev=dev)
        rows[f'IFA {arch}'] = {v: (t, len(x) * a.iters, it[v]()) for v, t in zip(VARIANTS, secs)}
    p2p = {v: (lambda kw=kw: train_pix2pix(x, res, updates=max(2, len(x) // 64), ngf=a.ngf, ndf=a.ngf, device=dev,
                                           quiet=True, precision=kw['precision']))
           for v, kw in VARIANTS.items() if not kw['channels_last']}                  # Pix2Pix has no layout option
    rows['Pix2Pix'] = {v: (t, len(x), None) for v, t in zip(p2p, timeit(*p2p.values(), reps=a.reps, dev=dev))}
    return rows

def _difference(base, out) -> str:
    "How a variant's outcome differs from the fp32 baseline's: accuracy points for BIM, Δ_N counts for IFA."
    if out is None or base is None: return ''
    pts = lambda k: f"{100 * (out[k] - base[k]):+.2f}"
    if isinstance(out, dict): return f"clean {pts('clean')} / robust {pts('robust')} pts"
    return f"Δ_N counts differing {(out.steps != base.steps).float().mean().item():.1%}"

def bench_stages(a):
    """Every stage (training each family, BIM-4, IFA, Pix2Pix) in every variant (fp32, channels-last, bf16, both),
    side by side, with ratios against contiguous fp32 and the outcome's difference; then the `paper` profile's projected
    time for one seed at the rates of the device's defaults. Random images: throughput does not depend on content."""
    from uncertainty_nn.core import default_precision
    dev = torch.device(a.device)
    print(machine(dev))
    print(f"stages at size `{a.size}`, {a.n_stage} images a stage, {a.reps} rounds after a warm-up")
    rows = _stage_rows(a, dev)
    print(f"{'stage':<16}" + ''.join(f"{v:>22}" for v in VARIANTS) + "   (img/s, ratio to fp32; difference to fp32)")
    for stage, r in rows.items():
        t32 = r['fp32'][0]
        cells = ''.join(f"{r[v][1] / r[v][0]:>10.1f} ({t32 / r[v][0]:4.2f}x)  " if v in r else f"{'-':>22}"
                        for v in VARIANTS)
        diffs = '; '.join(f"{v}: {d}" for v in VARIANTS
                          if v in r and v != 'fp32' and (d := _difference(r['fp32'][2], r[v][2])))
        print(f"{stage:<16}{cells} {diffs}")
    prec = default_precision(dev)
    variant = lambda cl: ('both' if cl else 'bf16') if prec == 'bf16' else ('channels-last' if cl else 'fp32')
    default = lambda stage, cl: rows[stage][variant(cl)]
    rate = {s: default(s, not s.startswith(('IFA', 'Pix2Pix'))) for s in rows}
    rate = {s: n / t for s, (t, n, _) in rate.items()}
    _project(rate, prec)

def _project(rate, prec):
    "The `paper` profile's artifacts for one seed at these rates: each kind at its own stage's rate."
    from uncertainty_nn.plan import make_plan
    try: plan = make_plan('paper', seeds=(0,), precision=prec)
    except (FileNotFoundError, ValueError) as e:
        print("projection of `paper` skipped: its plan needs CIFAR-10 to key its artifacts "
              f"({str(e).splitlines()[0][:120]})"); return
    secs, missing = {}, set()
    for art in plan:
        if art.kind in ('classifier', 'robust'): stage = f'train {art.arch}'
        elif art.kind == 'ifa': stage = f'IFA {art.classifier.arch}'
        elif art.kind == 'generator': stage = 'Pix2Pix'
        else: continue                                                      # a chapter's measurement: on top
        if stage not in rate: missing.add(stage); continue
        secs[art.kind] = secs.get(art.kind, 0) + art.work() / rate[stage]    # robust: work() counts the attack's
    kinds = ', '.join(f"{k} {v / 60:.1f} min" for k, v in secs.items())
    gaps = f" (no rate for {', '.join(sorted(missing))}: time them with --archs)" if missing else ''
    print(f"projected `paper` artifacts for one seed at the {prec} defaults: {kinds}; total "
          f"{sum(secs.values()) / 60:.1f} min{gaps}; the chapters' evaluations come on top")

def _stage_of(art):
    "The stage whose rate projects `art`'s time: training, adversarial training, IFA or Pix2Pix; None: a measurement."
    if art.kind == 'robust': return ('robust', art.arch, art.size, art.method, art.steps)
    if art.kind == 'classifier': return ('train', art.arch, art.size)
    if art.kind == 'ifa': return ('IFA', art.classifier.arch, art.classifier.size)
    if art.kind == 'generator': return ('Pix2Pix', art.variant, art.ngf)
    return None

def _time_stage(stage, a, prec, dev) -> float:
    "Work units (as the artifact's `work()` counts them) a second of `stage`, on random images, after a warm-up."
    from uncertainty_nn.classifiers import train_classifier
    from uncertainty_nn.frontier import train_robust
    from uncertainty_nn.networks import build_classifier
    from uncertainty_nn.ifa import ifa
    from uncertainty_nn.pix2pix import train_pix2pix
    trn, val, n = random_images(a.n_stage), random_images(a.n_stage // 4, 1), a.n_stage
    kw = dict(device=dev, quiet=True, precision=prec)
    what, *rest = stage
    if what == 'train':
        fn, work = (lambda: train_classifier(rest[0], trn, val, 1, size=rest[1], **kw)), n
    elif what == 'robust':
        arch, size, method, steps = rest
        fn = lambda: train_robust(arch, trn, val, 1, method=method, steps=steps, size=size, **kw)
        work = n * (steps + 1 + (method == 'trades'))
    elif what == 'IFA':
        m = build_classifier(rest[0], rest[1]).eval()
        fn, work = (lambda: ifa(m, trn, n_iter=a.iters, **kw)), n * a.iters
    else:
        res, updates = stand_in_pairs(trn), max(2, n // 64)
        fn = lambda: train_pix2pix(trn, res, updates=updates, ngf=rest[1], ndf=rest[1], gan=rest[0] == 'gan', **kw)
        work = updates * 64
    return work / timeit(fn, reps=a.reps, dev=dev)[0]

def bench_project(a):
    """One seed of each profile in `--profiles`, projected from one set of stage rates measured in this run (each
    stage a profile needs, timed once): minutes by kind, the total, and each total's ratio to the first profile's.
    The chapters' measurements (figures, the frontier's plane) are not projected: they come on top of every profile.
    With `--store`, the artifacts a store's log has timed are shown beside their projection."""
    import json
    from uncertainty_nn.plan import make_plan
    dev = torch.device(a.device)
    print(machine(dev))
    plans = {p: make_plan(p, seeds=(0,), precision=a.precision, device=a.device) for p in a.profiles}
    prec = next(iter(plans.values())).precision
    stages = list(dict.fromkeys(s for plan in plans.values() for art in plan if (s := _stage_of(art))))
    print(f"{len(stages)} stages at {prec}, {a.n_stage} random images each, median of {a.reps} after a warm-up")
    rate = {}
    for s in stages:
        rate[s] = _time_stage(s, a, prec, dev)
        print(f"  {' '.join(map(str, s)):<28} {rate[s]:>9.1f} work units/s", flush=True)
    logged = {}
    for d in a.store or []:
        for line in (Path(d)/'log.jsonl').read_text().splitlines():
            e = json.loads(line); logged[e['key']] = e['seconds']
    totals = {}
    for p, plan in plans.items():
        secs, seen, skipped = {}, {}, 0
        for art in plan:
            s = _stage_of(art)
            if s is None: skipped += art.work(); continue
            secs[art.kind] = secs.get(art.kind, 0) + art.work() / rate[s]
            if art.key in logged:
                t = seen.setdefault(art.kind, [0, 0]); t[0] += art.work() / rate[s]; t[1] += logged[art.key]
        totals[p] = sum(secs.values())
        kinds = ', '.join(f"{k} {v / 60:.1f}" for k, v in sorted(secs.items(), key=lambda kv: -kv[1]))
        print(f"{p}: {totals[p] / 60:.1f} min ({kinds}); measurements, {skipped:,} image-steps, on top")
        for k, (proj, meas) in seen.items():
            print(f"    {k} timed in the store's log: projected {proj:.0f} s, measured {meas:.0f} s")
    first = next(iter(totals))
    print('ratios to ' + first + ': ' + ', '.join(f"{p} {t / totals[first]:.1f}x" for p, t in totals.items()))
    print("a generator is projected at its whole budget of updates: one with patience may stop early (protocol's,\n"
          "pairs'), so theirs is an upper bound; measure a profile whole (`uncertainty-nn reproduce`) for its time")

def _plan_in(a, store_dir):
    "The plan of `--profile` (seed 0, fp32) and the finished store it ran into."
    from uncertainty_nn.plan import make_plan
    from uncertainty_nn.store import Store
    if not store_dir: sys.exit(f"{a.what} needs --store: a finished run's store (`RUN/store`) of --profile {a.profile}")
    plan, st = make_plan(a.profile, seeds=(0,), precision='fp32', device=a.device), Store(Path(store_dir))
    missing = [str(x) for x in plan if not st.done(x)]
    if missing: sys.exit(f"{store_dir} is not a finished {a.profile} store: {len(missing)} artifacts missing, "
                         f"e.g. {missing[0]}; finish it with `uncertainty-nn reproduce --profile {a.profile}`")
    return plan, st

def bench_verify(a):
    """What checking the digests costs a run: each artifact of a finished store hashed as often as the run reads it
    (once by each artifact that depends on it, once by the chapter that needs it), against the seconds the store's log
    recorded for computing them. A whole-store `verify` is the same hashing, once a file."""
    from uncertainty_nn.files import file_digest
    print(machine(torch.device('cpu')))
    plan, st = _plan_in(a, a.store[0] if a.store else None)
    reads = {x.key: 1 for x in plan}
    for x in plan:
        for d in x.deps(): reads[d.key] = reads.get(d.key, 1) + 1
    hashed, load = {}, {}
    for x in plan:
        p = st.path(x)
        hashed[x.key], load[x.key] = timeit(lambda: file_digest(p), lambda: x.load(p), reps=a.reps)
    logged = {e['key']: e['seconds'] for e in st.log()}
    work = sum(logged.get(x.key, 0) for x in plan)
    check = sum(reads[k] * hashed[k] for k in hashed)
    size = sum(st.path(x).stat().st_size for x in plan)
    print(f"{a.profile} store: {len(plan)} artifacts, {size / 2**20:.0f} MiB, {sum(reads.values())} reads in a run")
    print(f"  hashing every file once (`uncertainty-nn verify`): {sum(hashed.values()):.2f} s; "
          f"loading every file once: {sum(load.values()):.2f} s")
    print(f"  hashing as often as a run reads: {check:.2f} s, against {work:,.0f} s of computing in the store's log: "
          f"{100 * check / work:.2f}% (goal: at most 2%)")

def bench_robustness(a):
    """ε* and the RA(ε) curves against TA and RA at the run's one reading: each measurement of `--profile` that scores
    classifiers (Fig 6, the frontier) computed twice from one finished store, interleaved, with the full scores and with
    TA and RA alone; the difference against the profile's whole time (`--run-seconds`, else the store's log)."""
    import uncertainty_nn.tcl as T, uncertainty_nn.frontier as F
    full = T.scores
    def plain(m, test, p, **_):                        # TA and RA at the run's reading only, the rest left empty
        n, per = full(m, test, p, full=False)
        return dict(n, eps=0.0, eps_mean=0.0, curve={}), dict(per, eps=per['ta'] * 0.0)
    print(machine(torch.device('cpu')))
    plan, st = _plan_in(a, a.store[0] if a.store else None)
    logged = {e['key']: e['seconds'] for e in st.log()}
    total = a.run_seconds or sum(logged.get(x.key, 0) for x in plan)
    extra = 0.0
    for x in [x for x in plan if x.kind in ('fig6', 'frontier')]:
        def run(f, x=x):
            T.scores = F.scores = f
            try: x.compute(st)
            finally: T.scores = F.scores = full
        on, off = timeit(lambda: run(full), lambda: run(plain), reps=a.reps)
        extra += on - off
        print(f"  {x.kind}: with ε* and RA(ε) {on:.0f} s, TA and RA alone {off:.0f} s: +{on - off:.0f} s", flush=True)
    print(f"{a.profile}, seed 0: ε* and RA(ε) add {extra:.0f} s to {total - extra:,.0f} s "
          f"({'the run, timed whole' if a.run_seconds else 'the store log: computing only'}): "
          f"+{100 * extra / (total - extra):.1f}% (goal: at most 15%)")

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('what', choices=['attacks', 'ifa', 'data', 'executors', 'stages', 'project', 'verify', 'robustness'])
    p.add_argument('--profile', default='smoke', help='profile run by `executors`')
    p.add_argument('--archs', nargs='+', default=['conv', 'res', 'googlenet'], help='families timed by `stages`')
    p.add_argument('--n-stage', type=int, default=1024, help='images per stage timed by `stages`')
    p.add_argument('--ngf', type=int, default=64, help='Pix2Pix width timed by `stages`')
    p.add_argument('--arch', default='res'); p.add_argument('--size', default='small')
    p.add_argument('--n-train', type=int, default=5000); p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--n', type=int, default=512, help='images attacked'); p.add_argument('--bs', type=int, default=128)
    p.add_argument('--steps', type=int, default=4); p.add_argument('--iters', type=int, default=20)
    p.add_argument('--reps', type=int, default=3)
    p.add_argument('--profiles', nargs='+', default=['smoke', 'protocol', 'pairs'], help='profiles `project` projects')
    p.add_argument('--precision', default=None, help='`project`: fp32, tf32 or bf16 (default: the device\'s)')
    p.add_argument('--store', nargs='*', help='`project`: stores whose log.jsonl timed some of the artifacts; '
                   '`verify`, `robustness`: a finished run\'s')
    p.add_argument('--run-seconds', type=float, help='`robustness`: the profile\'s seed timed whole, with them')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    a = p.parse_args()
    benches = {'attacks': bench_attacks, 'ifa': bench_ifa, 'data': bench_data, 'executors': bench_executors,
               'stages': bench_stages, 'project': bench_project, 'verify': bench_verify,
               'robustness': bench_robustness}
    benches[a.what](a)
