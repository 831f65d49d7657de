"""Follow one parameter from the command line to where it is used, and print the modules it passes through.

    python benchmarks/route.py [--name n_iter] [--value 37] [--use ifa._ifa_chunk] [--out DIR]

Runs `uncertainty-nn reproduce` in this process on a small run of the IFA chapter with `--set 11_ifa.NAME=VALUE`,
watching every call of this package's functions. Two readings, both printed:

- **The route**: the call stacks through which the value itself (the bare number, under its name) travels, in three
  segments: *parsed* (from the command line to the first object that holds it: the chapter's parameters), *planned*
  (to the first spec of the plan that carries it) and *used* (to `--use`, the function that runs on it). A module is
  entered when a call goes into it from another module; a segment starts where it leaves the one before it (returning
  to a caller is not an entry). The one-way criterion rests on this reading: each segment enters each module once.
- **Every reader**: every call handed anything that carries the value under that name (the `--set` item, a dict,
  parameters, a spec, an artifact): the store computing keys, the report reading results. Not a route: shown for what
  it says about how often a spec is rebuilt and read.

What the chapter's own kernel does with the value is not watched (another process); it reads the store."""
import argparse, sys, tempfile
from pathlib import Path

def holds(v, name, value, depth=0) -> bool:
    "Whether `v` carries `name`=`value`: the `--set` item, a mapping, an object's field (parameters, artifacts)."
    if depth > 3: return False
    if isinstance(v, str): return v.endswith(f'{name}={value}')
    if isinstance(v, dict): return v.get(name) == value or any(holds(x, name, value, depth + 1) for x in v.values())
    if isinstance(v, (list, tuple)): return any(holds(x, name, value, depth + 1) for x in v[:50])
    d = getattr(v, '__dict__', None)
    if d is None or type(v).__module__.split('.')[0] != 'uncertainty_nn': return False
    return d.get(name) == value or any(holds(x, name, value, depth + 1) for k, x in d.items() if k != 'per_image')

def _stack(frame) -> list:
    "This package's frames from the outermost in, each as (module, function, class or None)."
    st = []
    while frame:
        m = frame.f_globals.get('__name__', '')
        if m.startswith('uncertainty_nn.'):
            me = frame.f_locals.get('self')
            st.append((m.split('.')[1], frame.f_code.co_name, type(me).__name__ if me is not None else None))
        frame = frame.f_back
    return st[::-1]

def trace(name='n_iter', value=37, out=None) -> tuple:
    "(stacks where the bare value is handed over, stacks where anything carrying it is handed over), in call order."
    from uncertainty_nn.cli import main
    out = Path(out or tempfile.mkdtemp())
    bare, carried = [], []
    def watch(frame, event, arg):
        if event != 'call' or not frame.f_globals.get('__name__', '').startswith('uncertainty_nn.'): return
        co = frame.f_code
        names = [a for a in co.co_varnames[:co.co_argcount + co.co_kwonlyargcount] if a not in ('self', 'cls')]
        if name in names and type(frame.f_locals.get(name)) is int and frame.f_locals[name] == value:
            bare.append(_stack(frame))
        if any(holds(frame.f_locals.get(a), name, value) for a in names): carried.append(_stack(frame))
    sets = [f'11_ifa.{name}={value}', 'n_train=200', 'n_test=100', 'n_ifa=16', "archs=['conv']", 'epochs=1',
            'record_at=[0]']
    args = ['reproduce', '--profile', 'tiny', '--chapters', '11_ifa', '--device', 'cpu', '--precision', 'fp32',
            '--out', str(out/'run')] + [x for s in sets for x in ('--set', s)]
    sys.setprofile(watch)
    try: assert main(args) == 0, 'the run failed'
    finally: sys.setprofile(None)
    return bare, carried

def segments(bare: list, use: str) -> dict:
    "The stacks of the three segments: parsed (first parameters object), planned (first spec), used (`use`)."
    is_init = lambda s, pred: s[-1][1] == '__init__' and s[-1][2] and pred(s[-1][2])
    parsed = next(s for s in bare if is_init(s, lambda c: c.endswith('Params')))
    planned = next(s for s in bare if is_init(s, lambda c: c.endswith('Spec')))
    used = next(s for s in bare if f'{s[-1][0]}.{s[-1][1]}' == use)
    return dict(parsed=parsed, planned=planned, used=used)

def entries(stack: list, start: int = 0) -> list:
    "The modules a stack enters from frame `start` on, in order (a call within one module is no entry)."
    mods = [m for m, _, _ in stack]
    return [m for i, m in enumerate(mods) if i >= start and (i == 0 or mods[i - 1] != m)]

def common(a: list, b: list) -> int:
    "How many outer frames two stacks share."
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]: n += 1
    return n

if __name__ == '__main__':
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--name', default='n_iter'); a.add_argument('--value', type=int, default=37)
    a.add_argument('--use', default='ifa._ifa_chunk', help='module.function where the value is used')
    a.add_argument('--out', default=None)
    a = a.parse_args()
    bare, carried = trace(a.name, a.value, a.out)
    segs, route, shown, prev = segments(bare, a.use), [], [], None
    print(f"{a.name}={a.value}: the route, from `--set` to its use in {a.use}")
    for k, s in segs.items():
        start = common(prev, s) if prev else 0
        mods = entries(s, start)
        twice = sorted(m for m in set(mods) if mods.count(m) > 1)
        once = 'each module once' if not twice else 'entered again: ' + ', '.join(twice)
        print(f"  {k:8s} {' → '.join(mods)}   ({once})")
        print(f"           {' > '.join(f'{m}.{f}' for m, f, _ in s[start:])}")
        shown.append((f'↩ {prev[start - 1][0]} → ' if prev else '') + ' → '.join(mods)); route += mods; prev = s
    again = {m: route.count(m) for m in dict.fromkeys(route) if route.count(m) > 1}
    print(f"  joined:  {' '.join(shown)}   (↩: back in a caller, no entry)")
    print(f"           modules entered more than once over the three segments: "
          f"{', '.join(f'{m} {n}×' for m, n in again.items()) or 'none'}")
    flat = [(m, f) for s in carried for m, f, _ in s[-1:]]
    mods = [m for i, (m, _) in enumerate(flat) if i == 0 or flat[i - 1][0] != m]
    print(f"every reader: {len(carried)} calls handed something that carries it; modules entered in that order:")
    for m in dict.fromkeys(mods):
        print(f"  {m}: {mods.count(m)}×; {', '.join(dict.fromkeys(f for x, f in flat if x == m))}")
