"""Every public function that takes a model gives it back as it found it: on its device, in its memory layout, with its
own tensors, train/eval modes and `requires_grad` flags, also when it fails on another device.

On a CPU-only machine the other device is `meta` (tensors without data): moving a model there works, computing with it
fails, so a function that moves the caller's model and does not give it back, on every path, leaves it on `meta`."""
import inspect, pytest, torch, torch.nn as nn
import uncertainty_nn
from uncertainty_nn.cifar10 import Split
from uncertainty_nn.core import borrowed
from uncertainty_nn.networks import build_classifier, predict, evaluate
from uncertainty_nn.attacks import fgsm, bim, pgd, robust_accuracy, input_grad, signed_step, eval_mode, n_classes
from uncertainty_nn.robustness import robustness, minimal_eps
from uncertainty_nn.ifa import ifa
from uncertainty_nn.networks import model_digest
from uncertainty_nn.networks import Pix2PixGenerator, receptive_field
from uncertainty_nn.predictors import pair_errors, functional_check, judge, ifa_floor, fresh_check
from uncertainty_nn.ifa import ifa as run_ifa
from uncertainty_nn.tcl import TCL, scores
from uncertainty_nn.tcl import TCLParams
from uncertainty_nn.theory import loss_line, loss_lines, TheoryParams
from uncertainty_nn.frontier import sigma_summary, trades_adversary

g = torch.Generator().manual_seed(0)
X8 = torch.randint(0, 256, (6, 3, 32, 32), dtype=torch.uint8, generator=g)
X, Y = X8.float() / 255, torch.randint(0, 10, (6,), generator=g)

# name: (call, whether it takes `device`); `model` is a classifier, except for pair_errors (a generator)
CALLS = {
    'predict': (lambda m, **kw: predict(m, X8, **kw), True),
    'evaluate': (lambda m, **kw: evaluate(m, Split(X8, Y), **kw), True),
    'robust_accuracy': (lambda m, **kw: robust_accuracy(m, (X8, Y), 'bim', **kw), True),
    'robustness': (lambda m, **kw: robustness(m, (X8, Y), bisect=1, **kw), True),
    'minimal_eps': (lambda m: minimal_eps(m, X, Y, bisect=1), False),
    'n_classes': (lambda m: n_classes(m), False),
    'ifa': (lambda m, **kw: ifa(m, X8, Y, n_iter=2, record_at=[0, 2], quiet=True, **kw), True),
    'sigma_summary': (lambda m, **kw: sigma_summary(m, X8[:1], Y[:1], n_pixels=2, n_grid=9, **kw), True),
    'pair_errors': (lambda G, **kw: pair_errors(G, X8, torch.zeros(6, 3, 32, 32), **kw), True),
    'functional_check': (lambda m, **kw: functional_check(m, X8, Y, X * 0, X * 0, torch.zeros(10, 3, 32, 32), **kw),
                         True),
    'ifa_floor': (lambda m, **kw: ifa_floor(m, X8, Y, X * 0, _pairs(m), 1.0, **kw), True),
    'fresh_check': (lambda m, **kw: fresh_check(m, Pix2PixGenerator(ngf=4, scale=0.1).eval(), Split(X8, Y), _pairs(m),
                                                n_boot=10, **kw), True),
    'scores': (lambda m, **kw: scores(m, Split(X8, Y), TCLParams(device=kw.get('device'))), True),
    'judge': (lambda m, **kw: judge(m, Split(X8, Y), _pairs(m), X[3:] * 0, torch.arange(3), torch.arange(3, 6), 1.0,
                                    n_boot=10, **kw), True),
    'fgsm': (lambda m: fgsm(m, X, Y), False),
    'bim': (lambda m: bim(m, X, Y), False),
    'pgd': (lambda m: pgd(m, X, Y, steps=2), False),
    'input_grad': (lambda m: input_grad(m, X, Y), False),
    'signed_step': (lambda m: signed_step(m, X, Y, 0.01), False),
    'model_digest': (lambda m: model_digest(m), False),
    'loss_line': (lambda m: loss_line(m, X[0], 3, (0, 4, 4), torch.linspace(0, 1, 5)), False),
    'loss_lines': (lambda m, **kw: loss_lines(m, Split(X8, Y), TheoryParams(n_images=2, n_pixels=2, n_grid=5),
                                             kw.get('device')), True),
    'trades_adversary': (lambda m: trades_adversary(m, X, steps=2), False),
    'receptive_field': (lambda m: receptive_field(m), False),
    'eval_mode': (lambda m: _within(eval_mode(m)), False),
    'borrowed': (lambda m, **kw: _within(borrowed(m, **kw)), True),
}
CHANGES_THE_MODEL = {'load_weights'}     # its job is to put a checkpoint's weights into the model it is given

def _pairs(m): return run_ifa(m, X8, Y, n_iter=1, quiet=True, device='cpu')     # Δ_1 of the six images

def on_meta():
    "What computing on `meta` raises (there is no data to compute with), or the failing block of `_failing_inside`."
    return pytest.raises((RuntimeError, NotImplementedError), match='meta tensor|the block failed')

def _within(context):
    with context: return context

def _failing_inside(context):
    with context: raise RuntimeError('the block failed')

def careless(model, device=None):
    "What the check is for: a function that moves the caller's model to compute, and fails there."
    model.to(device)
    raise RuntimeError('failed on the other device')

def model_for(name):
    torch.manual_seed(0)
    return Pix2PixGenerator(ngf=4, scale=0.1) if name == 'pair_errors' else build_classifier('conv', 'tiny')

def snapshot(model):
    "What a caller would see of its model: each tensor's identity, storage, device, layout; modes and flags."
    ts = [(n, p.data) for n, p in model.named_parameters()] + list(model.named_buffers())
    return ([(n, t.data_ptr(), t.device, t.stride()) for n, t in ts], [m.training for m in model.modules()],
            [p.requires_grad for p in model.parameters()])

def odd_state(model, channels_last):
    "A model in a state a careless function would not restore: mixed modes, one frozen parameter, a chosen layout."
    model.train(); next(iter(model.modules())).training = True
    list(model.modules())[-1].eval()
    next(model.parameters()).requires_grad_(False)
    if channels_last: model.to(memory_format=torch.channels_last)
    return model

@pytest.mark.parametrize('channels_last', [False, True], ids=['contiguous', 'channels-last'])
@pytest.mark.parametrize('name', CALLS)
def test_model_comes_back_as_it_was(name, channels_last):
    m = odd_state(model_for(name), channels_last)
    before = snapshot(m)
    call, takes_device = CALLS[name]
    call(m, device='cpu') if takes_device else call(m)
    assert snapshot(m) == before

@pytest.mark.parametrize('name', [n for n, (_, dev) in CALLS.items() if dev])
def test_model_comes_back_from_another_device_after_an_error(name):
    m = odd_state(model_for(name), False)
    before = snapshot(m)
    call = CALLS[name][0]
    if name == 'borrowed': call = lambda m, **kw: _failing_inside(borrowed(m, **kw))
    with on_meta(): call(m, device='meta')                          # computing on `meta` fails after the move
    assert snapshot(m) == before

def test_the_check_catches_a_model_left_moved():
    "The same check on a careless function: the model stays on `meta`, and the snapshot says so."
    m = odd_state(model_for('predict'), False)
    before = snapshot(m)
    with pytest.raises(RuntimeError): careless(m, 'meta')
    assert snapshot(m) != before and next(m.parameters()).device.type == 'meta'

def test_tcl_moves_with_its_parts():
    "TCL is a module: borrowed with its classifier and generator, and given back with them."
    tcl = TCL(model_for('predict'), model_for('pair_errors'))
    before = snapshot(tcl)
    with on_meta(): predict(tcl, X8, device='meta')
    assert snapshot(tcl) == before

def test_every_public_function_taking_a_model_is_checked():
    "A new exported function with a model argument must be added to CALLS above."
    import importlib, pkgutil
    taking = set()
    for mod in pkgutil.iter_modules(uncertainty_nn.__path__):
        if mod.name.startswith('_'): continue
        m = importlib.import_module(f'uncertainty_nn.{mod.name}')
        for name in getattr(m, '__all__', []):
            f = getattr(m, name)
            if inspect.isfunction(f) and (ps := list(inspect.signature(f).parameters)) and ps[0] in ('model', 'G'):
                taking.add(name)
    missing = taking - set(CALLS) - CHANGES_THE_MODEL
    assert not missing, f"functions taking a model without a check here: {sorted(missing)}"
