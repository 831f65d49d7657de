"Attacks against independent expectations: closed forms, invariants, and torchattacks as a reference."
import numpy as np, pytest, torch, torch.nn as nn, torch.nn.functional as F
from uncertainty_nn.attacks import fgsm, bim, pgd, robust_accuracy, input_grad, eval_mode, ATTACKS
from uncertainty_nn.networks import build_classifier

def small_cnn(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(8, 10))

def batch(n=32, seed=0, hw=16):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, hw, hw, generator=g), torch.randint(0, 10, (n,), generator=g)

@pytest.mark.parametrize('seed', range(5))
@pytest.mark.parametrize('name', ['fgsm', 'bim', 'pgd'])
def test_attack_stays_in_ball_and_range(name, seed):
    m, (x, y) = small_cnn(seed), batch(seed=seed)
    x[0] = 0; x[1] = 1                                            # images on the range's edges
    for eps in (0.0, 2/255, 8/255, 0.3):
        xa = ATTACKS[name](m, x, y, eps=eps)
        assert (xa - x).abs().max() <= eps + 1e-6 and xa.min() >= 0 and xa.max() <= 1

def test_bim_moves_in_multiples_of_alpha():
    m, (x, y) = small_cnn(), batch()
    x = 8/255 + (1 - 16/255) * x                                   # away from 0 and 1: only the eps-ball clips
    d = (bim(m, x, y, eps=8/255, steps=4) - x) * 255 / 2           # alpha = eps/4 = 2/255
    assert torch.allclose(d, d.round(), atol=1e-3) and abs(d.abs().max().item() - 4) < 1e-3

def reference_bim(m, x, y, eps, alpha, steps):
    "BIM written out as Kurakin et al. define it: a signed step of `alpha`, clipped to the ε-ball around the clean x."
    xa = x.clone()
    for _ in range(steps):
        xa.requires_grad_(True)
        g, = torch.autograd.grad(F.cross_entropy(m(xa), y), xa)     # the mean loss: the same signs as the sum
        xa = xa.detach() + alpha * g.sign()
        xa = torch.min(torch.max(xa, x - eps), x + eps).clamp(0, 1)
    return xa

@pytest.mark.parametrize('alpha', [None, 4/255, 8/255])
def test_bim_follows_its_definition(alpha):
    "The default step is ε/steps; steps that could leave the ball are projected around X₀ (not the last X)."
    m, (x, y) = small_cnn().eval(), batch()
    want = reference_bim(m, x, y, 8/255, 2/255 if alpha is None else alpha, 4)
    assert torch.equal(bim(m, x, y, eps=8/255, steps=4, alpha=alpha), want)

class Brightness(nn.Module):
    "Class 0 for a bright image (mean above 1/2), class 1 for a dark one."
    def forward(self, x): m = x.mean((1, 2, 3)) - 0.5; return torch.stack([m, -m], 1)

def invert(model, x, y): return 1 - x            # an "attack" that turns every prediction around

def test_robust_means_right_before_and_after():
    "An image the attack turns from wrong to right is not robust: it was wrong to begin with."
    x = torch.cat([torch.full((3, 3, 4, 4), 0.8), torch.full((3, 3, 4, 4), 0.2)]); y = torch.tensor([0, 1, 1, 1, 0, 0])
    r = robust_accuracy(Brightness(), (x, y), invert, per_image=True)
    assert r['clean_ok'].tolist() == [True, False, False, True, False, False] and r['clean'] == 2 / 6
    assert r['robust_ok'].tolist() == [False] * 6 and r['robust'] == 0        # four images wrong → right: none robust

def test_attacks_raise_loss_and_restore_mode():
    m, (x, y) = small_cnn(), batch()
    m.train(); m[1].eval()                                          # a mixed mode is restored exactly
    with torch.no_grad(), eval_mode(m): base = F.cross_entropy(m(x), y)
    for name, atk in ATTACKS.items():
        xa = atk(m, x, y, eps=8/255)
        with torch.no_grad(), eval_mode(m): assert F.cross_entropy(m(xa), y) > base, name
        assert m.training and not m[1].training and m[0].training
    assert all(p.grad is None and p.requires_grad for p in m.parameters())   # no parameter gradient, flags restored

def test_robust_never_exceeds_clean():
    m, (x, y) = small_cnn(), batch(64)
    for name in ATTACKS:
        r = robust_accuracy(m, (x, y), name, bs=10)
        assert 0 <= r['robust'] <= r['clean'] <= 1 and r['n'] == 64
    assert robust_accuracy(m, (x, y), 'bim', eps=0.0)['robust'] == robust_accuracy(m, (x, y), 'fgsm')['clean']

def test_robust_accuracy_uint8_and_batching_agree():
    m = build_classifier('conv', 'tiny').eval()
    x8 = torch.randint(0, 256, (20, 3, 32, 32), dtype=torch.uint8); y = torch.randint(0, 10, (20,))
    a = robust_accuracy(m, (x8, y), 'bim', bs=7); b = robust_accuracy(m, (x8.float() / 255, y), 'bim', bs=20)
    assert a == b

@pytest.mark.parametrize('attack', [fgsm, bim, pgd])
def test_every_attack_checks_its_arguments(attack):
    "The rules are the chapter's (09_attacks, `check_attack_args`); here, that each attack applies them first."
    m, (x, y) = small_cnn(), batch(4)
    with pytest.raises(ValueError, match=r'\[0, 1\]'): attack(m, x * 255, y)

def test_pgd_generator_repeatable():
    m, (x, y) = small_cnn(), batch()
    a = pgd(m, x, y, generator=torch.Generator().manual_seed(3))
    b = pgd(m, x, y, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)

def test_channels_last_matches():
    m, (x, y) = build_classifier('conv', 'tiny'), batch(16, hw=32)
    r32 = robust_accuracy(m, (x, y), 'bim', channels_last=False)
    # the default, channels-last: a layout, the same accuracies
    assert robust_accuracy(m, (x, y), 'bim') == r32
    # layout restored (tests/test_devices.py: every function)
    assert next(m.parameters()).is_contiguous()

# --- parity with torchattacks (a reference implementation), exact at these sizes
@pytest.mark.parametrize('seed', range(3))
def test_parity_with_torchattacks(seed):
    ta = pytest.importorskip('torchattacks')
    m, (x, y) = small_cnn(seed), batch(seed=seed)
    m.eval()
    assert torch.allclose(fgsm(m, x, y, eps=8/255), ta.FGSM(m, eps=8/255)(x, y), atol=1e-6)
    assert torch.allclose(bim(m, x, y, eps=8/255, alpha=2/255, steps=4),
                          ta.BIM(m, eps=8/255, alpha=2/255, steps=4)(x, y), atol=1e-6)
    assert torch.allclose(pgd(m, x, y, eps=8/255, alpha=2/255, steps=7, random_start=False),
                          ta.PGD(m, eps=8/255, alpha=2/255, steps=7, random_start=False)(x, y), atol=1e-6)

# --- labels are checked where they enter (issue 48)
from uncertainty_nn.attacks import LabelError
from uncertainty_nn.ifa import ifa
from uncertainty_nn.robustness import robustness, minimal_eps

BAD_LABELS = [(lambda y: y[:2], 'labels for'), (lambda y: y + 20, 'must lie in [0, 10)'),
              (lambda y: torch.eye(10)[y], 'one-hot'), (lambda y: y.float(), 'must be integers'),
              (lambda y: y.tolist(), 'must be a tensor')]
LABELLED = {'fgsm': lambda m, x, y: fgsm(m, x, y), 'bim': lambda m, x, y: bim(m, x, y),
            'pgd': lambda m, x, y: pgd(m, x, y, steps=1), 'robust_accuracy': lambda m, x, y: robust_accuracy(m, (x, y)),
            'ifa': lambda m, x, y: ifa(m, x, y, n_iter=1, quiet=True),
            'robustness': lambda m, x, y: robustness(m, (x, y), bisect=1),
            'minimal_eps': lambda m, x, y: minimal_eps(m, x, y, bisect=1)}

@pytest.mark.parametrize('bad,says', BAD_LABELS, ids=['length', 'range', 'one-hot', 'float', 'list'])
@pytest.mark.parametrize('name', LABELLED)
def test_bad_labels_are_refused_where_they_enter(name, bad, says):
    "Each kind of bad label, at each public function that takes labels: the project's error, naming what to pass."
    m, (x, y) = small_cnn(), batch(4)
    with pytest.raises(LabelError, match=says.replace('[', r'\[').replace(')', r'\)')): LABELLED[name](m, x, bad(y))

# --- the mutants that survived (issue 48): each test fails on its mutant
class Flat(nn.Module):
    "Logits that do not depend on the image: every input gradient is 0, so no attack step moves a pixel."
    def forward(self, x): return x.flatten(1)[:, :10] * 0

def test_pgd_random_start_is_symmetric_in_the_eps_ball():
    "PGD starts uniformly in [−ε, ε] around x (Madry et al.), not in [0, ε]: seen where the steps cannot move."
    x, y = torch.full((64, 3, 8, 8), 0.5), torch.zeros(64, dtype=torch.long)
    d = (pgd(Flat(), x, y, eps=8/255, steps=1, generator=torch.Generator().manual_seed(0)) - x).flatten()
    assert d.min() < -7/255 and d.max() > 7/255 and d.abs().max() <= 8/255 + 1e-7      # both ends of the ball
    assert abs(d.mean()) < 0.2/255 and 0.45 < (d < 0).float().mean() < 0.55             # and evenly over it

def test_pgd_default_step_is_2_over_255():
    "The default α is pinned: one step moves each pixel by exactly 2/255 (where the gradient is not 0)."
    import inspect
    assert inspect.signature(pgd).parameters['alpha'].default == 2/255
    m, (x, y) = small_cnn().eval(), batch()
    x = 8/255 + (1 - 16/255) * x                                       # away from 0 and 1
    moved = (pgd(m, x, y, eps=8/255, steps=1, random_start=False) - x).abs()
    assert torch.allclose(moved[moved > 0], torch.full_like(moved[moved > 0], 2/255), atol=1e-7)

def test_loss_lines_keep_float64_where_float32_would_lose_them():
    "A confident prediction (logit margin 30): its loss, log(1 + 9e⁻³⁰) ≈ 8.4e-13, in float64 to the last digits."
    import math
    from uncertainty_nn.theory import cross_entropy64
    logits = torch.zeros(1, 10); logits[0, 0] = 30.0
    got = cross_entropy64(logits, 0)
    want = math.log1p(9 * math.exp(-30))
    assert got.dtype == torch.float64 and abs(got.item() - want) < 1e-12 * want
    assert torch.nn.functional.cross_entropy(logits, torch.tensor([0])).item() == 0.0   # what float32 would give

def test_store_keys_differ_between_precisions():
    "bf16 and fp32 artifacts of one spec never share a key (issue 29): every kind of the tiny plan, compared."
    from uncertainty_nn.plan import make_plan
    from uncertainty_nn.store import assumed_digest
    with assumed_digest():
        a, b = make_plan('tiny', precision='fp32'), make_plan('tiny', precision='bf16')
    shared = {x.kind for x in a if x.key in {y.key for y in b}}
    assert not shared, f"artifacts of these kinds share a key across precisions: {sorted(shared)}"

# --- parity with foolbox 3.3.4, a library no one here wrote (issues 45 and 48)
def trained_cnn(seed=0):
    "A small CNN trained for 150 updates on made-up noisy images whose class is their mean colour: right on some."
    torch.manual_seed(seed)
    m = small_cnn(seed)
    colours = 0.425 + 0.15 * torch.rand(10, 3, 1, 1)                 # close colours, noisy images: a task half-learned
    def data(n, g):
        y = torch.randint(0, 10, (n,), generator=g)
        return (colours[y] + 0.3 * torch.randn(n, 3, 16, 16, generator=g)).clamp(0, 1), y
    opt, g = torch.optim.Adam(m.parameters(), 3e-3), torch.Generator().manual_seed(seed)
    for _ in range(150):
        x, y = data(64, g); opt.zero_grad(); F.cross_entropy(m(x), y).backward(); opt.step()
    return m.eval(), data(96, torch.Generator().manual_seed(seed + 1))

@pytest.fixture(scope='module')
def fb_case():
    fb = pytest.importorskip('foolbox', reason='foolbox 3.3.4 is a test-only dependency: pip install --no-deps '
                                               'foolbox==3.3.4 eagerpy gitpython')
    m, (x, y) = trained_cnn()
    return fb, m, fb.PyTorchModel(m, bounds=(0, 1)), x, y

def test_parity_with_foolbox_image_by_image(fb_case):
    "FGSM, BIM (4 steps of ε/4) and PGD (10 steps of 2/255, no random start) at 8/255: image by image, outcome too."
    fb, m, fm, x, y = fb_case
    eps = 8/255
    ours = {'fgsm': fgsm(m, x, y, eps), 'bim': bim(m, x, y, eps=eps, steps=4),
            'pgd': pgd(m, x, y, eps=eps, alpha=2/255, steps=10, random_start=False)}
    theirs = {'fgsm': fb.attacks.LinfFastGradientAttack(random_start=False),
              'bim': fb.attacks.LinfBasicIterativeAttack(rel_stepsize=0.25, steps=4, random_start=False),
              'pgd': fb.attacks.LinfPGD(abs_stepsize=2/255, steps=10, random_start=False)}
    assert 0.3 < (m(x).argmax(1) == y).float().mean() < 0.9         # a model that is right, and not always
    for k, atk in theirs.items():
        _, adv, success = atk(fm, x, y, epsilons=[eps])
        assert torch.allclose(ours[k], adv[0], atol=1e-6), k
        with torch.no_grad(): robust = (m(x).argmax(1) == y) & (m(ours[k]).argmax(1) == y)
        assert torch.equal(robust, ~success[0]), k                       # foolbox: success also for the wrong ones
    r = robustness(m, (x, y), bisect=1)
    for e in (0.5/255, 2/255, 8/255):                                  # RA(ε) of the robustness chapter, image by image
        _, _, success = theirs['bim'](fm, x, y, epsilons=[e])
        assert np.array_equal(r['ra'][f"{e * 255:g}"], (~success[0]).numpy()), e

def test_minimal_eps_agrees_with_foolbox_within_one_bisection_step(fb_case):
    "ε* found with foolbox's BIM as the oracle, by the same brackets and halvings, one image at a time."
    fb, m, fm, x, y = fb_case
    atk = fb.attacks.LinfBasicIterativeAttack(rel_stepsize=0.25, steps=4, random_start=False)
    def fb_flips(i, e): return bool(atk(fm, x[i:i + 1], y[i:i + 1], epsilons=[float(e)])[2][0, 0])
    ours = minimal_eps(m, x, y, bisect=4)
    from uncertainty_nn.robustness import EPS_GRID
    for i in range(len(y)):
        if not ours['clean_ok'][i]: assert ours['hi'][i] == 0; continue
        lo, hi = 0.0, next((e for e in EPS_GRID if fb_flips(i, e)), None)
        if hi is None: continue                                            # survives the grid: checked above, by RA
        lo = max([e for e in EPS_GRID if e < hi], default=0.0)
        for _ in range(4):
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if fb_flips(i, mid) else (mid, hi)
        step = hi - lo
        assert abs(ours['hi'][i].item() - hi) <= step + 1e-6, (i, ours['hi'][i].item() * 255, hi * 255)
