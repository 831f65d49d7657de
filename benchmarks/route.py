"""Follow one parameter from the command line to where it is used, and print the modules it passes through.

    python benchmarks/route.py [--name n_iter] [--value 37] [--out DIR]

Runs `uncertainty-nn reproduce` in this process on a small run of the IFA chapter with `--set 07_ifa.NAME=VALUE`,
watching every call of this package's functions: a call is on the route when the value is handed to it, one of its
arguments (not `self`) holding it under that name (the `--set` item, a dict or parameters with the field, an artifact
that carries it); an artifact's own methods carry it, they do not pass it on. Prints the modules
in the order the value enters them, and each module's entries. What the chapter's own kernel does with the value is not
watched (another process); it is named in the closing line."""
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

def route(name='n_iter', value=37, out=None) -> list:
    "The modules of this package that the value enters, in order, from `make_plan` to the computation."
    from uncertainty_nn.cli import main
    out = Path(out or tempfile.mkdtemp())
    seen = []
    def watch(frame, event, arg):
        if event != 'call': return
        mod = frame.f_globals.get('__name__', '')
        if not mod.startswith('uncertainty_nn.'): return
        co = frame.f_code
        names = co.co_varnames[:co.co_argcount + co.co_kwonlyargcount]
        args = [frame.f_locals.get(a) for a in names if a not in ('self', 'cls')]     # handed over, not carried
        if any(holds(a, name, value) for a in args): seen.append((mod.split('.')[1], co.co_name))
    sets = [f'07_ifa.{name}={value}', 'n_train=200', 'n_test=100', 'n_ifa=16', "archs=['conv']", 'epochs=1',
            'record_at=[0]']
    args = ['reproduce', '--profile', 'tiny', '--chapters', '07_ifa', '--device', 'cpu', '--precision', 'fp32',
            '--out', str(out/'run')] + [x for s in sets for x in ('--set', s)]
    sys.setprofile(watch)
    try: assert main(args) == 0, 'the run failed'
    finally: sys.setprofile(None)
    return seen

if __name__ == '__main__':
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--name', default='n_iter'); a.add_argument('--value', type=int, default=37)
    a.add_argument('--out', default=None)
    a = a.parse_args()
    calls = route(a.name, a.value, a.out)
    mods = [m for i, (m, _) in enumerate(calls) if i == 0 or calls[i - 1][0] != m]
    print(f"{a.name}={a.value}, from `--set` to its use: {' → '.join(mods)}")
    for m in dict.fromkeys(mods):
        print(f"  {m}: entered {mods.count(m)} time(s); {', '.join(dict.fromkeys(f for x, f in calls if x == m))}")
