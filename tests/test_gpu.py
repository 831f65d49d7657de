"""GPU paths, run only where CUDA is present (skipped elsewhere, with the reason): a training step, an attack and IFA on
the GPU, and bf16 / channels-last against fp32 within the tolerances stated in each test. Exact comparisons live in the
other test files, pinned to the CPU (tests/conftest.py sets $UNCERTAINTY_NN_DEVICE=cpu), so they cannot flake on a GPU."""
import pytest, torch
from uncertainty_nn.data import Split
from uncertainty_nn.classifiers import build_classifier, train_classifier
from uncertainty_nn.attacks import bim, robust_accuracy
from uncertainty_nn.ifa import ifa

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA GPU: torch.cuda.is_available() is False here')

def learnable(n, seed=0):
    "Images whose class is written into them (a bright band at row 3·y): a tiny network learns it in a few epochs."
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = torch.randint(0, 100, (n, 3, 32, 32), dtype=torch.uint8, generator=g)
    for c in range(10): x[y == c, :, 3 * c:3 * c + 2, :] = 255
    return Split(x, y)

@pytest.fixture(scope='module')
def trained():
    "A tiny ResNet trained on the GPU with the defaults there (bf16 autocast, channels-last, data on the GPU)."
    m = train_classifier('res', learnable(2048), learnable(256, seed=1), epochs=3, size='tiny', device='cuda', quiet=True)
    return m, learnable(512, seed=2)

def test_training_step_on_the_gpu_takes_the_fast_path(trained):
    m, _ = trained
    assert m.meta['device'].startswith('cuda') and m.meta['amp'] and m.meta['channels_last']
    assert m.meta['test_accuracy'] > 0.5                                       # chance is 0.1
    assert next(m.parameters()).device.type == 'cpu' and next(m.parameters()).is_contiguous()

def test_attack_on_the_gpu_agrees_with_the_cpu(trained):
    m, d = trained
    x, y = d.x[:128].float() / 255, d.y[:128]
    a_cpu, a_gpu = bim(m.cpu(), x, y), bim(m.cuda(), x.cuda(), y.cuda()).cpu()
    assert ((a_cpu - a_gpu).abs() > 1e-5).float().mean() < 0.01                # sign flips of near-zero gradients only: under 1% of pixels

def test_channels_last_and_bf16_against_fp32(trained):
    m, d = trained
    r32 = robust_accuracy(m, d, 'bim', device='cuda')
    cl = robust_accuracy(m, d, 'bim', device='cuda', channels_last=True)
    bf = robust_accuracy(m, d, 'bim', device='cuda', channels_last=True, amp=True)
    assert abs(cl['clean'] - r32['clean']) <= 2 / 512 and abs(cl['robust'] - r32['robust']) <= 2 / 512    # a layout: 2 images at most
    assert abs(bf['clean'] - r32['clean']) <= 0.02 and abs(bf['robust'] - r32['robust']) <= 0.05          # bf16: 2 and 5 points

def test_ifa_on_the_gpu(trained):
    m, d = trained
    x, y = d.x[:128], d.y[:128]
    c = ifa(m, x, y, n_iter=10, device='cpu', quiet=True)
    g = ifa(m, x, y, n_iter=10, device='cuda', quiet=True, record_at=[0, 10])
    b = ifa(m, x, y, n_iter=10, device='cuda', quiet=True, record_at=[0, 10], amp=True, channels_last=True)
    assert (g.steps == c.steps).float().mean() > 0.99                          # fp32 on the GPU: at most 1% of Δ_N's counts differ
    assert (b.steps == g.steps).float().mean() > 0.80                          # bf16: signs flip where gradients are small
    assert abs(b.record[10]['ta'] - g.record[10]['ta']) <= 0.05 and g.record[10]['ta'] >= g.record[0]['ta']
