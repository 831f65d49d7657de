"The theory chapter against closed forms and properties."
import numpy as np, pytest, sympy as sp, torch, torch.nn.functional as F
from uncertainty_nn.theory import commutator, gaussian_product, uncertainty_product, loss_line, line_products
from uncertainty_nn.networks import build_classifier

def test_commutator_is_identity_matrix():
    assert [[commutator(i, j, n=2) for j in range(2)] for i in range(2)] == [[1, 0], [0, 1]]

def test_gaussian_symbolic():
    sx, spp, prod = gaussian_product()
    s = sp.symbols('s', positive=True)
    assert sp.simplify(sx - s) == 0 and sp.simplify(spp - 1 / (2 * s)) == 0 and prod == sp.Rational(1, 2)

@pytest.mark.parametrize('width', [0.3, 1.0, 2.5])
def test_gaussian_numeric_is_half(width):
    x = np.linspace(-15 * width, 15 * width, 20001)
    sx, spp, prod = uncertainty_product(np.exp(-x**2 / (4 * width**2)), x)
    assert sx == pytest.approx(width, rel=1e-5) and prod == pytest.approx(0.5, abs=1e-5)

def test_closed_forms():
    x = np.linspace(-30, 30, 40001)
    assert uncertainty_product(1 / np.cosh(x), x)[2] == pytest.approx(np.pi / 6, abs=1e-4)
    b = np.linspace(0, 1, 4001)
    want = np.pi * np.sqrt(1/12 - 1/(2 * np.pi**2))
    assert uncertainty_product(np.sin(np.pi * b), b)[2] == pytest.approx(want, abs=1e-4)

def test_random_functions_vanishing_at_edges_obey_bound():
    rng = np.random.default_rng(0); t = np.linspace(0, 1, 2001)
    for _ in range(50):
        coef = rng.standard_normal(6)
        psi = sum(c * np.sin((k + 1) * np.pi * t) for k, c in enumerate(coef))
        assert uncertainty_product(psi, t)[2] >= 0.5 - 1e-6

def test_flat_box_function_breaks_bound():
    t = np.linspace(0, 1, 101)
    assert line_products(np.full(101, 2.0), t)['box'] == pytest.approx(0, abs=1e-9)
    assert line_products(np.full(101, 2.0), t)['windowed'] >= 0.5

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
