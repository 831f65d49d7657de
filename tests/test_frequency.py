"The frequency measures against hand-computed cases and a direct numpy computation."
import math, numpy as np, pytest, torch
from uncertainty_nn.frequency import high_freq_ratio, high_energy_share, radial_power, spectrum, readings

ii, jj = np.meshgrid(np.arange(32), np.arange(32), indexing='ij')

def field(a):
    return torch.from_numpy(np.broadcast_to(a, (1, 3, 32, 32)).copy())

def numpy_ratio(d, lo=5, hi=26, ch=1, shift=True):
    F = np.abs(np.fft.fft2(d[:, ch]))
    if shift: F = np.fft.fftshift(F, axes=(-2, -1))
    return (F.sum((1, 2)) - F[:, lo:hi, lo:hi].sum((1, 2))) / F.sum((1, 2))

# a constant field, a checkerboard and a zero Δ are the chapter's own checks (18_frequency)
def test_checkerboard_power_sits_at_the_corner_radius():
    assert radial_power(field((-1.0) ** (ii + jj))).argmax().item() == round(math.hypot(16, 16))

def test_smooth_pattern_has_small_share_above_radius():
    s = field(np.cos(2 * np.pi * 2 * ii / 32) + np.sin(2 * np.pi * 3 * jj / 32))
    assert high_energy_share(s, radius=8).item() < 1e-6
    # the radius-3 wave is above 2, the radius-2 one is not
    assert high_energy_share(s, radius=2).item() == pytest.approx(0.5, abs=1e-6)

@pytest.mark.parametrize('shift', [True, False])
@pytest.mark.parametrize('block,ch', [((5, 26), 1), ((8, 24), 0)])
def test_agrees_with_numpy(shift, block, ch):
    d = np.random.default_rng(1).choice([-1.0, 0.0, 1.0], size=(5, 3, 32, 32))   # like Δ₁/ε
    np.testing.assert_allclose(high_freq_ratio(torch.from_numpy(d), block, ch, shift).numpy(),
                               numpy_ratio(d, *block, ch, shift), rtol=1e-10)

def test_energy_share_agrees_with_numpy():
    d = np.random.default_rng(2).standard_normal((3, 3, 32, 32))
    P = np.abs(np.fft.fftshift(np.fft.fft2(d), axes=(-2, -1))) ** 2
    r = np.rint(np.hypot(ii - 16, jj - 16))
    np.testing.assert_allclose(high_energy_share(torch.from_numpy(d), 8).numpy(),
                               P[..., r > 8].sum((1, 2)) / P.sum((1, 2, 3)), rtol=1e-10)

def test_zero_energy_share_and_bad_input():
    assert high_energy_share(torch.zeros(1, 3, 32, 32)).isnan().all()
    with pytest.raises(ValueError, match='N, C, H, W'): spectrum(torch.zeros(3, 32, 32))

def test_readings_are_named_for_what_they_compute():
    "A constant Δ has its power at zero frequency: in the centred block when shifted (ratio 0), outside it when not."
    r = readings(field(np.full((32, 32), 0.3)), 'train')
    for block in ('python', 'matlab'):
        assert r[f'train/{block}/shifted'].item() == pytest.approx(0, abs=1e-12)
        assert r[f'train/{block}/unshifted'].item() == pytest.approx(1)
    assert r['train/radial'].item() == pytest.approx(0, abs=1e-12)
