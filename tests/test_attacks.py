"Attacks against independent expectations: closed forms, invariants, and torchattacks as a reference."
import pytest, torch, torch.nn as nn, torch.nn.functional as F
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
    "The rules are the chapter's (06_attacks, `check_attack_args`); here, that each attack applies them first."
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
