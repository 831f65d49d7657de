"Every claim's rule on synthetic metrics: supported for an effect clearly above its threshold, contradicted clearly below, undecided inside the noise."
import numpy as np, pytest
from uncertainty_nn.evidence import all_claims, judge, bootstrap
from uncertainty_nn.attacks import claim_fgsm
from uncertainty_nn.ifa import claim_ifa
from uncertainty_nn.pix2pix import claim_cl_tradeoff, claim_tcl_loses, claim_tcl_gains_at_1
from uncertainty_nn.frequency import claim_high_freq
from uncertainty_nn.theory import claim_uncertainty

N = 400
rng = np.random.default_rng(0)

def rate(p, n=N):
    "A boolean vector with exactly round(p·n) True, in random order."
    v = np.zeros(n, bool); v[:round(p * n)] = True
    return rng.permutation(v)

def moved(before, delta):
    "`before` with round(delta·n) images flipped wrong → right (delta > 0) or right → wrong (delta < 0): a paired change."
    after = before.copy(); k = round(abs(delta) * len(before))
    idx = np.flatnonzero(~before if delta > 0 else before)[:k]
    after[idx] = delta > 0
    return after

def seeds(make, n_seeds=1): return {s: make() for s in range(n_seeds)}

# --- Fig 1 -------------------------------------------------------------------------------------------------------
def fig1(kept):
    "TA 60%; FGSM keeps the share `kept` of the correctly classified images."
    def make():
        clean = rate(0.6); robust = clean.copy(); robust[np.flatnonzero(clean)[round(kept * clean.sum()):]] = False
        return {'results': {'conv': {'fgsm': {'clean': clean.mean(), 'robust': robust.mean()}}}, 'per_image': {'conv.fgsm.clean': clean, 'conv.fgsm.robust': robust}}
    return make

@pytest.mark.parametrize('kept,want', [(0.1, 'supported'), (0.9, 'contradicted'), (0.5, 'undecided')])
def test_fgsm(kept, want):
    assert claim_fgsm(seeds(fig1(kept)), n_boot=500)['verdict'] == want

# --- Fig 3 -------------------------------------------------------------------------------------------------------
def fig3(d_ta, d_ra):
    def make():
        ta0, ra0 = rate(0.6), rate(0.05)
        return {'record': {'conv': {'0': {}, '20': {}}},
                'per_image': {'conv.0.ta': ta0, 'conv.20.ta': moved(ta0, d_ta), 'conv.0.ra': ra0, 'conv.20.ra': moved(ra0, d_ra)}}
    return make

@pytest.mark.parametrize('d_ta,d_ra,want', [(0.3, 0.3, 'supported'), (-0.3, -0.04, 'contradicted'), (0.3, -0.04, 'contradicted'),
                                            (0.3, 0.0, 'undecided'), (0.0, 0.3, 'undecided')])
def test_ifa(d_ta, d_ra, want):
    assert claim_ifa(seeds(fig3(d_ta, d_ra)), n_boot=500)['verdict'] == want

# --- Fig 6 -------------------------------------------------------------------------------------------------------
def fig6(cl_ta, cl_ra, tcl_ta, tcl_ra, gain_ta=0.0, gain_ra=0.0):
    "Changes from 1 to 5 epochs of CL's and TCL's TA and RA; TCL minus CL at 1 epoch."
    def make():
        c1ta, c1ra = rate(0.4), rate(0.1)
        t1ta, t1ra = moved(c1ta, gain_ta), moved(c1ra, gain_ra)
        pi = {'conv.1.cl.ta': c1ta, 'conv.1.cl.ra': c1ra, 'conv.1.tcl.ta': t1ta, 'conv.1.tcl.ra': t1ra,
              'conv.5.cl.ta': moved(c1ta, cl_ta), 'conv.5.cl.ra': moved(c1ra, cl_ra), 'conv.5.tcl.ta': moved(t1ta, tcl_ta), 'conv.5.tcl.ra': moved(t1ra, tcl_ra)}
        return {'results': {'conv': {'1': {}, '5': {}}}, 'per_image': pi}
    return make

@pytest.mark.parametrize('cl_ta,cl_ra,want', [(0.2, -0.08, 'supported'), (-0.2, 0.08, 'contradicted'),
                                              (0.2, 0.08, 'contradicted'),     # TA rises but so does RA: no trade-off
                                              (0.2, 0.0, 'undecided')])         # RA unchanged: not shown
def test_cl_tradeoff(cl_ta, cl_ra, want):
    assert claim_cl_tradeoff(seeds(fig6(cl_ta, cl_ra, 0, 0)), n_boot=500)['verdict'] == want

@pytest.mark.parametrize('tcl_ta,tcl_ra,want', [(-0.2, -0.08, 'supported'), (0.2, 0.08, 'contradicted'), (-0.2, 0.08, 'contradicted'), (-0.2, 0.0, 'undecided')])
def test_tcl_loses(tcl_ta, tcl_ra, want):
    assert claim_tcl_loses(seeds(fig6(0, 0, tcl_ta, tcl_ra)), n_boot=500)['verdict'] == want

@pytest.mark.parametrize('g_ta,g_ra,want', [(0.2, 0.08, 'supported'), (-0.2, -0.08, 'contradicted'), (0.2, -0.08, 'contradicted'), (0.0, 0.08, 'undecided')])
def test_tcl_gains_at_1(g_ta, g_ra, want):
    assert claim_tcl_gains_at_1(seeds(fig6(0, 0, 0, 0, g_ta, g_ra)), n_boot=500)['verdict'] == want

def test_tcl_gains_needs_epoch_1():
    m = fig6(0, 0, 0, 0)(); m['results'] = {'conv': {'2': {}, '5': {}}}
    row = claim_tcl_gains_at_1({0: m}, n_boot=100)
    assert row['verdict'] == 'not run' and 'N_epoch = 1' in row['note']

# --- Fig 7 -------------------------------------------------------------------------------------------------------
READ = 'train/python/shifted'
def fig7(slope, other_slope=0.0):
    "TA 40, 50, 60% at N_epoch 1, 2, 5; mean ratio 0.5 + slope·(TA − 0.5) per image ± 0.05 noise; another reading with `other_slope`."
    def make():
        rows, pi = [], {}
        for ep, ta in ((1, .4), (2, .5), (5, .6)):
            pi[f'conv.{ep}.ta'] = rate(ta)
            for k, sl in ((READ, slope), ('test/python/shifted', other_slope)):
                pi[f'conv.{ep}.{k}'] = 0.5 + sl * (ta - 0.5) + 0.05 * rng.standard_normal(200)
            rows.append({'arch': 'conv', 'epochs': ep, 'ta': ta})
        return {'rows': rows, 'readings': [READ, 'test/python/shifted'], 'verdict_reading': READ, 'per_image': pi}
    return make

@pytest.mark.parametrize('slope,want', [(1.0, 'supported'), (-1.0, 'contradicted'), (0.0, 'undecided')])
def test_high_freq(slope, want):
    row = claim_high_freq(seeds(fig7(slope, other_slope=-slope or 1.0)), n_boot=500)
    assert row['verdict'] == want
    aside = [e for e in row['effects'] if e.get('aside')]
    assert [e['reading'] for e in aside] == ['test/python/shifted']          # the other reading is shown, and does not decide

def test_high_freq_verdict_follows_the_named_reading():
    m = fig7(1.0, other_slope=-1.0)(); m['verdict_reading'] = 'test/python/shifted'
    assert claim_high_freq({0: m}, n_boot=500)['verdict'] == 'contradicted'

# --- Eq. 16 ------------------------------------------------------------------------------------------------------
def theory(below):
    return {'commutator_identity': True, 'gaussian_product': 0.5,
            'classifier': {'n_lines': 100, 'windowed': {'frac_below_half': below, 'min': 0.5 - below}, 'box': {'frac_below_half': 0.3}}}

def test_theorem_check():
    assert claim_uncertainty({0: theory(0.0)})['verdict'] == 'holds'
    assert claim_uncertainty({0: theory(0.02)})['verdict'] == 'fails'
    assert claim_uncertainty({0: {**theory(0.0), 'commutator_identity': False}})['verdict'] == 'fails'
    assert claim_uncertainty({0: theory(0.0)})['kind'] == 'theorem'

# --- across seeds, and the registry ---------------------------------------------------------------------------------
def test_seeds_widen_the_interval():
    "Two seeds that disagree give a wider interval than either alone: the interval holds the spread of seeds."
    a, b = fig1(0.2)(), fig1(0.45)()
    one = claim_fgsm({0: a}, n_boot=500)['effects'][0]
    both = claim_fgsm({0: a, 1: b}, n_boot=500)['effects'][0]
    assert both['hi'] - both['lo'] > one['hi'] - one['lo']
    assert set(both['per_seed']) == {'0', '1'} and both['value'] == pytest.approx(np.mean(list(both['per_seed'].values())))

def test_every_claim_is_registered_once_in_reading_order():
    names = [c.name for c in all_claims()]
    assert names[:5] == ['FGSM collapses accuracy', 'IFA raises TA and RA with iterations', 'CL trades TA against RA',
                         'TCL loses TA and RA as N_epoch grows', 'TCL gains TA and RA at N_epoch = 1']
    assert len(names) == len(set(names))

def test_missing_per_image_outcomes_are_not_judged():
    m = fig1(0.1)(); del m['per_image']
    row = judge(claim_fgsm, {0: {'fig1': m}})
    assert row['verdict'] == 'not run' and 'per-image' in row['note']

def test_bootstrap_coverage_across_seeds():
    "Seeds whose true means scatter around 0.3: the two-level interval covers 0.3 at about its nominal rate."
    hits = []
    r = np.random.default_rng(5)
    for i in range(100):
        samples = {s: {'g': {'x': r.random(60) < np.clip(0.3 + 0.05 * r.standard_normal(), 0, 1)}} for s in range(5)}
        b = bootstrap(samples, lambda d: d['x'].mean(), n_boot=300, seed=i)
        hits.append(b['lo'] <= 0.3 <= b['hi'])
    assert 0.80 <= np.mean(hits) <= 1.0
