"The theory chapter against properties its notebook does not check (the closed forms are its own checks: 19_theory)."
import numpy as np, pytest, torch, torch.nn.functional as F
from uncertainty_nn.theory import uncertainty_product, loss_line
from uncertainty_nn.networks import build_classifier

def test_random_functions_vanishing_at_edges_obey_bound():
    rng = np.random.default_rng(0); t = np.linspace(0, 1, 2001)
    for _ in range(50):
        coef = rng.standard_normal(6)
        psi = sum(c * np.sin((k + 1) * np.pi * t) for k, c in enumerate(coef))
        assert uncertainty_product(psi, t)[2] >= 0.5 - 1e-6

def test_loss_line_matches_direct_evaluation():
    torch.manual_seed(0)
    m = build_classifier('conv', 'tiny').eval(); x = torch.rand(3, 32, 32); t = torch.linspace(0, 1, 5)
    J = loss_line(m, x, 4, (2, 7, 9), t)
    x2 = x.clone(); x2[2, 7, 9] = t[3]
    with torch.no_grad(): ref = F.cross_entropy(m(x2[None]), torch.tensor([4])).item()
    assert J.shape == (5,) and J[3] == pytest.approx(ref, rel=1e-5)

def test_bad_input():
    with pytest.raises(ValueError, match='zero everywhere'): uncertainty_product(np.zeros(10), np.linspace(0, 1, 10))
    with pytest.raises(ValueError, match='same length'): uncertainty_product(np.ones(10), np.linspace(0, 1, 11))
