"IFA against independent expectations: its definition, exactness of storage, loss descent, resumption."
import pytest, torch, torch.nn as nn, torch.nn.functional as F
from uncertainty_nn.ifa import ifa, IFAResult

EPS = 8/255

def cnn(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                         nn.Flatten(), nn.Linear(32, 10))

def data(n=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, 8, 8), dtype=torch.uint8, generator=g), torch.randint(0, 10, (n,), generator=g)

def trained(x, y, steps=150):
    "A model fitted to (x, y), so that 'trained' means something."
    m = cnn(); opt = torch.optim.Adam(m.parameters(), 1e-2)
    for _ in range(steps):
        opt.zero_grad(); F.cross_entropy(m(x.float() / 255), y).backward(); opt.step()
    return m.eval()

@pytest.mark.parametrize('n_iter', [1, 3, 10, 150])
def test_delta_is_integer_multiple_of_eps_and_bounded(n_iter):
    x, y = data()
    r = ifa(cnn(), x, y, n_iter=n_iter, quiet=True)
    k = r.delta / EPS
    assert torch.allclose(k, k.round(), atol=1e-4) and k.abs().max() <= n_iter
    assert r.steps.element_size() <= 2 and r.steps.dtype == (torch.int8 if n_iter <= 127 else torch.int16)

def test_two_steps_follow_eq1():
    x, y = data(); m = cnn().eval()
    xn = x.float() / 255
    for _ in range(2):
        xn = xn.detach().requires_grad_(); F.cross_entropy(m(xn), y).backward(); xn = xn - EPS * xn.grad.sign()
    assert torch.allclose(ifa(m, x, y, n_iter=2, quiet=True).x_n(x), xn.detach(), atol=1e-6)

def test_loss_lower_on_x_n_for_trained_model():
    x, y = data(32)
    m = trained(x, y)
    r = ifa(m, x, y, n_iter=10, record_at=[0, 10], quiet=True)
    with torch.no_grad(): l0, ln = F.cross_entropy(m(x.float() / 255), y), F.cross_entropy(m(r.x_n(x)), y)
    assert ln < l0 and r.record[10]['loss'] < r.record[0]['loss']
    assert abs(r.record[0]['loss'] - l0.item()) < 1e-4

def test_clamped_stays_in_range_on_grey_levels():
    x, y = data()
    r = ifa(cnn(), x, y, n_iter=40, clamp=True, quiet=True)
    xn = r.x_n(x)
    assert xn.min() >= 0 and xn.max() <= 1 and torch.equal(r.steps.float(), (xn * 255 - x.float()).round())
    with pytest.raises(ValueError, match='grey levels'): ifa(cnn(), x, y, eps=0.01, clamp=True)

def test_batching_does_not_change_result():
    x, y = data(10)
    a = ifa(cnn(), x, y, n_iter=4, bs=3, record_at=[4], quiet=True)
    b = ifa(cnn(), x, y, n_iter=4, bs=10, record_at=[4], quiet=True)
    assert torch.equal(a.steps, b.steps) and a.record[4]['ta'] == b.record[4]['ta']

class Killed(Exception): pass

class DiesAfter(nn.Module):
    "Wraps a model and raises after `after` forward passes, as a killed process would stop."
    def __init__(self, m, after): super().__init__(); self.m, self.calls, self.after = m, 0, after
    def forward(self, x):
        self.calls += 1
        if self.calls > self.after: raise Killed
        return self.m(x)

def test_save_load_roundtrip(tmp_path):
    x, y = data()
    r = ifa(cnn(), x, y, n_iter=3, record_at=[0, 3], quiet=True)
    r2 = IFAResult.load(r.save(tmp_path/'r.pt'))
    assert torch.equal(r2.steps, r.steps) and r2.record == r.record and r2.unit == r.unit
    with pytest.raises(FileNotFoundError, match='run `ifa'): IFAResult.load(tmp_path/'none.pt')
    (tmp_path/'bad.pt').write_bytes(b'xx')
    with pytest.raises(ValueError, match='corrupt'): IFAResult.load(tmp_path/'bad.pt')

def test_bad_arguments():
    x, y = data(); m = cnn()
    with pytest.raises(ValueError, match='n_iter'): ifa(m, x, y, n_iter=-1)
    with pytest.raises(ValueError, match='eps'): ifa(m, x, y, eps=0)
    with pytest.raises(ValueError, match=r'\[0, 1\]'): ifa(m, x.float(), y)
