"""One precision per run, decided once (chapters 01_core and 22_plan).

A library function called without a precision computes in float32 on every machine; a run asks the machine once, in
`make_plan`, and hands the answer down. `$UNCERTAINTY_NN_PRECISION=bf16` is the switch that makes this machine answer as
one with native bfloat16 does (AVX512-BF16, AMX; CUDA 8.0+), so these tests take that path on any CPU."""
import inspect, re, numpy as np, pytest, torch
from pathlib import Path
import uncertainty_nn
from uncertainty_nn.core import default_precision, PRECISION_ENV, RunParams
from uncertainty_nn.cifar10 import Split
from uncertainty_nn.networks import build_classifier, predict, evaluate
from uncertainty_nn.attacks import robust_accuracy
from uncertainty_nn.ifa import ifa
from uncertainty_nn.networks import Pix2PixGenerator
from uncertainty_nn.predictors import pair_errors, functional_check, ifa_floor, judge, fresh_check, _IFA_FLOORS
from uncertainty_nn.gan import train_pix2pix
from uncertainty_nn.robustness import robustness
from uncertainty_nn.classifiers import train_classifier
from uncertainty_nn.store import assumed_digest

g = torch.Generator().manual_seed(0)
X8 = torch.randint(0, 256, (16, 3, 32, 32), dtype=torch.uint8, generator=g)
Y = torch.randint(0, 10, (16,), generator=g)
DELTA = torch.rand(16, 3, 32, 32, generator=g) * 0.1

@pytest.fixture
def bf16_machine(monkeypatch):
    "This machine as one with native bfloat16: the run's default resolves to bf16."
    monkeypatch.setenv(PRECISION_ENV, 'bf16')

@pytest.fixture
def fp32_machine(monkeypatch):
    "This machine as one without: the run's default resolves to fp32."
    monkeypatch.setenv(PRECISION_ENV, 'fp32')

def model():
    torch.manual_seed(0)
    return build_classifier('res', 'tiny').eval()

def generator():
    torch.manual_seed(0)
    return Pix2PixGenerator(ngf=4, scale=0.1).eval()

# every public function with a `precision` argument, called without it; each returns tensors or numbers
CALLS = {
    'predict': lambda **kw: predict(model(), X8, **kw),
    'evaluate': lambda **kw: evaluate(model(), Split(X8, Y), **kw),
    'robust_accuracy': lambda **kw: robust_accuracy(model(), (X8, Y), 'bim', per_image=True, **kw),
    'ifa': lambda **kw: ifa(model(), X8, Y, n_iter=3, record_at=[0, 3], quiet=True, **kw).steps,
    'pair_errors': lambda **kw: pair_errors(generator(), X8, DELTA, **kw),
    'functional_check': lambda **kw: functional_check(model(), X8, Y, DELTA, DELTA, torch.zeros(10, 3, 32, 32),
                                                      n_boot=50, **kw),
    'ifa_floor': lambda **kw: _IFA_FLOORS.clear() or ifa_floor(model(), X8, Y, DELTA, _pairs(), 0.1, **kw),
    'judge': lambda **kw: _IFA_FLOORS.clear() or judge(model(), Split(X8, Y), _pairs(), DELTA[:4], torch.arange(4, 16),
                                                       torch.arange(4), 0.1, n_boot=50, **kw),
    'robustness': lambda **kw: robustness(model(), (X8, Y), bisect=2, **kw),
    'fresh_check': lambda **kw: fresh_check(model(), generator(), Split(X8, Y), _pairs(), n_boot=50, **kw),
    'train_classifier': lambda **kw: train_classifier('conv', Split(X8, Y), Split(X8, Y), 1, size='tiny', bs=8,
                                                      quiet=True, **kw).state_dict(),
    'train_pix2pix': lambda **kw: train_pix2pix(Split(X8, Y), ifa(model(), X8, Y, n_iter=2, quiet=True), updates=2,
                                                bs=8, ngf=4, ndf=4, quiet=True, **kw)[0].state_dict(),
}

def _pairs(): return ifa(model(), X8, Y, n_iter=2, quiet=True)

def same(a, b) -> bool:
    "Equal to the last bit: tensors, dicts and tuples of them, numbers."
    if isinstance(a, torch.Tensor): return a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, np.ndarray): return a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, dict): return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)): return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b

def test_every_function_with_a_precision_is_checked():
    "A new exported function that takes a precision must be added to CALLS."
    import importlib, pkgutil
    taking = set()
    for mod in pkgutil.iter_modules(uncertainty_nn.__path__):
        if mod.name.startswith('_'): continue
        m = importlib.import_module(f'uncertainty_nn.{mod.name}')
        for name in getattr(m, '__all__', []):
            f = getattr(m, name)
            if inspect.isfunction(f) and 'precision' in inspect.signature(f).parameters: taking.add(name)
    below_the_run = taking - {'default_precision', 'checked_precision', 'check_precision', 'make_plan', 'reproduce',
                              'precision_mode', 'autocast_mode'}
    assert below_the_run == set(CALLS), sorted(below_the_run ^ set(CALLS))

@pytest.mark.parametrize('name', CALLS)
def test_no_precision_means_fp32_on_every_machine(name, monkeypatch):
    "Called without a precision: the same numbers where the run's default is bf16, where it is fp32, and as fp32."
    monkeypatch.setenv(PRECISION_ENV, 'bf16'); on_bf16 = CALLS[name]()
    monkeypatch.setenv(PRECISION_ENV, 'fp32'); on_fp32 = CALLS[name]()
    assert same(on_bf16, on_fp32) and same(on_fp32, CALLS[name](precision='fp32'))

@pytest.mark.parametrize('name', ['ifa', 'pair_errors', 'train_classifier'])
def test_the_check_sees_bf16(name):
    "The comparison above can fail: asked for bfloat16, these functions give other numbers."
    assert not same(CALLS[name](precision='bf16'), CALLS[name](precision='fp32'))

def test_the_machine_is_asked_in_one_place():
    "`default_precision` is called by `make_plan` (chapter 22_plan) and by nothing else in the package."
    pkg = Path(uncertainty_nn.__file__).parent
    calls = {p.name for p in pkg.glob('*.py') if p.name != '_modidx.py'
             and re.search(r'(?<!def )\bdefault_precision\(', p.read_text())}
    assert calls == {'plan.py'}, calls

def test_a_chapter_run_by_hand_computes_in_fp32(bf16_machine):
    "Parameters of a chapter executed by hand (no run around it) say fp32, whatever the machine."
    assert RunParams.of().precision == 'fp32'

def test_the_run_decides_and_passes_it_down(bf16_machine):
    "A plan on a native-bf16 machine: bf16 in the plan, in every chapter's parameters, in every artifact."
    from uncertainty_nn.plan import make_plan
    with assumed_digest():
        plan = make_plan('tiny', seeds=(0, 1), device='cpu')
        asked = make_plan('tiny', seeds=(0,), device='cpu', precision='fp32')
    assert plan.precision == 'bf16' and asked.precision == 'fp32'
    assert {p.precision for s in plan.params.values() for p in s.values() if 'precision' in p.names()} == {'bf16'}
    assert {a.precision for a in plan if hasattr(a, 'precision')} == {'bf16'}
    assert {a.key for a in plan}.isdisjoint(a.key for a in asked)       # a bf16 artifact never stands for an fp32 one

def test_the_default_follows_the_machine(bf16_machine, monkeypatch):
    assert default_precision('cpu') == 'bf16'
    monkeypatch.setenv(PRECISION_ENV, 'fp32'); assert default_precision('cpu') == 'fp32'
    monkeypatch.delenv(PRECISION_ENV)
    from uncertainty_nn.core import native_bf16
    assert default_precision('cpu') == ('bf16' if native_bf16('cpu') else 'fp32')
