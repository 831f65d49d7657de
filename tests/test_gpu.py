"""Devices and precisions against one reference: float32 on the CPU in the default (contiguous) layout.

Every machine runs the checks for CPU bfloat16; a machine with CUDA also runs them for CUDA float32 (TF32 off, as
`precision='fp32'` asks) and CUDA bfloat16. IFA and BIM amplify rounding differences over their steps, so the
gradients are compared by the signs of one step; accuracies are compared on data whose robust accuracy is neither 0
nor 1 (a faint class signal a small network learns but BIM at 8/255 partly erases). Tolerances are stated in each test.
Exact comparisons live in the other test files, on the CPU in float32 (the library's default; tests/conftest.py)."""
import pytest, torch
from uncertainty_nn.cifar10 import Split
from uncertainty_nn.classifiers import train_classifier
from uncertainty_nn.attacks import robust_accuracy, input_grad, eval_mode
from uncertainty_nn.ifa import ifa

CUDA = torch.cuda.is_available()
CASES = [('cpu', 'bf16')] + ([('cuda', 'fp32'), ('cuda', 'bf16')] if CUDA else [])
SIGNS = {'fp32': 0.99, 'bf16': 0.95}     # share of first-step gradient signs that agree with the reference
ACC = {'fp32': (2 / 512, 3 / 512), 'bf16': (0.02, 0.05)}   # largest clean and robust accuracy differences

def learnable(n, seed=0, contrast=32, noise=0.1):
    "Grey noise with a faint band at rows 3y, 3y+1 (`contrast` grey levels); a share `noise` of the labels is random."
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = torch.randint(64, 192, (n, 3, 32, 32), dtype=torch.int16, generator=g)
    for c in range(10): x[y == c, :, 3 * c:3 * c + 2, :] += contrast
    flip = torch.rand(n, generator=g) < noise
    y[flip] = torch.randint(0, 10, (int(flip.sum()),), generator=g)
    return Split(x.clamp(0, 255).to(torch.uint8), y)

@pytest.fixture(scope='module')
def trained():
    "A tiny ResNet trained on the CPU in float32, and 512 images to measure it on."
    m = train_classifier('res', learnable(1024), learnable(256, seed=1), epochs=2, size='tiny', lr=1e-2, device='cpu',
                         quiet=True, precision='fp32')
    return m, learnable(512, seed=2)

@pytest.fixture(scope='module')
def reference(trained):
    m, d = trained
    return robust_accuracy(m, d, 'bim', device='cpu', precision='fp32', channels_last=False)

def test_reference_is_neither_robust_nor_broken(reference):
    assert 0.6 < reference['clean'] < 1 and 0.05 < reference['robust'] < reference['clean'] - 0.05, reference

@pytest.mark.parametrize('device,precision', CASES)
def test_first_step_signs_agree(trained, device, precision):
    m, d = trained
    x, y = d.x[:256].float() / 255, d.y[:256]
    with eval_mode(m): ref = input_grad(m, x, y).sign()
    # Δ₁ = −ε·sign(∇J)
    r = ifa(m, d.x[:256], d.y[:256], n_iter=1, device=device, precision=precision, quiet=True)
    assert (r.steps.float() == -ref).float().mean() > SIGNS[precision]
    assert next(m.parameters()).device.type == 'cpu'                     # the caller's model is where it was

@pytest.mark.parametrize('device,precision', CASES)
def test_accuracies_agree(trained, reference, device, precision):
    m, d = trained
    r = robust_accuracy(m, d, 'bim', device=device, precision=precision)            # channels-last, the default
    tol_clean, tol_robust = ACC[precision]
    assert abs(r['clean'] - reference['clean']) <= tol_clean, (r, reference)
    assert abs(r['robust'] - reference['robust']) <= tol_robust, (r, reference)

@pytest.mark.parametrize('device,precision', CASES)
def test_ifa_record_agrees(trained, device, precision):
    "TA and RA along 5 IFA steps: within the accuracy tolerances of the reference's, and rising as in Fig 3."
    m, d = trained
    x, y = d.x[:128], d.y[:128]
    ref = ifa(m, x, y, n_iter=5, record_at=[0, 5], device='cpu', precision='fp32', quiet=True)
    r = ifa(m, x, y, n_iter=5, record_at=[0, 5], device=device, precision=precision, quiet=True)
    tol_clean, tol_robust = ACC[precision]
    assert abs(r.record[5]['ta'] - ref.record[5]['ta']) <= max(tol_clean, 2 / 128)
    assert abs(r.record[5]['ra'] - ref.record[5]['ra']) <= max(tol_robust, 3 / 128)
    assert r.record[5]['ta'] >= r.record[0]['ta']

@pytest.mark.skipif(not CUDA, reason='needs a CUDA GPU: torch.cuda.is_available() is False here')
def test_training_on_the_gpu():
    "Training on CUDA with the device's defaults: data on the GPU, channels-last, bf16 where the GPU has it."
    m = train_classifier('res', learnable(1024), learnable(256, seed=1), epochs=2, size='tiny', lr=1e-2, device='cuda',
                         quiet=True)
    assert m.meta['device'].startswith('cuda') and m.meta['channels_last']
    assert m.meta['test_accuracy'] > 0.5                                       # chance is 0.1
    assert next(m.parameters()).device.type == 'cpu' and next(m.parameters()).is_contiguous()
    assert not torch.backends.cudnn.deterministic                              # training's cuDNN settings did not leak
