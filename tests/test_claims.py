"""Every claim's rule on made-up results: supported for an effect clearly above its threshold, contradicted clearly
below, undecided inside the noise or when a stage under it failed."""
import numpy as np, pytest
from uncertainty_nn.evidence import stage, claims_table
from uncertainty_nn.attacks import Fig1, claim_fgsm
from uncertainty_nn.ifa import Fig3, claim_ifa
from uncertainty_nn.tcl import (Fig6, claim_cl_tradeoff, claim_tcl_loses, claim_tcl_gains_at_1, claim_tcl_not_both,
                                claim_harder)
from uncertainty_nn.frequency import Fig7, claim_high_freq
from uncertainty_nn.theory import Theory, claim_uncertainty
from uncertainty_nn.frontier import Frontier, claim_frontier
from uncertainty_nn.report import CLAIMS

N = 400
rng = np.random.default_rng(0)
OK = stage('learned', True)

def rate(p, n=N):
    "A boolean vector with exactly round(p·n) True, in random order."
    v = np.zeros(n, bool); v[:round(p * n)] = True
    return rng.permutation(v)

def moved(before, delta):
    "`before` with round(delta·n) images flipped wrong → right (delta > 0) or right → wrong (delta < 0): paired."
    after = before.copy(); k = round(abs(delta) * len(before))
    idx = np.flatnonzero(~before if delta > 0 else before)[:k]
    after[idx] = delta > 0
    return after

def seeds(make, n_seeds=1): return {s: make() for s in range(n_seeds)}

# --- Fig 1 -----------------------------------------------------------------------------------------------------------
def fig1(kept, learned=True):
    "TA 60%; FGSM keeps the share `kept` of the correctly classified images."
    def make():
        clean = rate(0.6); robust = clean.copy(); robust[np.flatnonzero(clean)[round(kept * clean.sum()):]] = False
        return Fig1(eps=8/255, bim_steps=4, n_test=N, epochs=2, size='tiny',
                    results={'conv': {'fgsm': dict(clean=clean.mean(), robust=robust.mean(), n=N)}},
                    stages={'conv': stage('conv', learned, '' if learned else 'conv did not learn')},
                    per_image={'conv': {'fgsm': dict(clean=clean, robust=robust)}})
    return make

@pytest.mark.parametrize('kept,want', [(0.1, 'supported'), (0.9, 'contradicted'), (0.5, 'undecided')])
def test_fgsm(kept, want):
    assert claim_fgsm.judge(seeds(fig1(kept)), n_boot=500)['verdict'] == want

def test_a_failed_stage_makes_the_verdict_undecided():
    row = claim_fgsm.judge(seeds(fig1(0.1, learned=False)), n_boot=200)
    e = row['effects'][0]
    assert row['verdict'] == 'undecided' and e['reason'].startswith('conv (seed')
    assert 'conv did not learn' in e['failed'][0]['why']
    from uncertainty_nn.evidence import claims_details
    assert claims_details([row]).count('conv did not learn') == len(e['failed'])     # each failed stage's reason once

# --- Fig 3 -----------------------------------------------------------------------------------------------------------
def fig3(d_ta, d_ra, ta0=0.6, ra0=0.05):
    def make():
        t0, r0 = rate(ta0), rate(ra0)
        t1, r1 = moved(t0, d_ta), moved(r0, d_ra)
        record = {'conv': {'0': dict(ta=t0.mean(), ra=r0.mean()), '20': dict(ta=t1.mean(), ra=r1.mean())}}
        return Fig3(eps=8/255, n_iter=20, clamp=False, n_images=N, ra_steps=4, epochs=2, size='tiny', record=record,
                    stages={'conv': OK}, per_image={'conv': {'0': dict(ta=t0, ra=r0), '20': dict(ta=t1, ra=r1)}})
    return make

@pytest.mark.parametrize('d_ta,d_ra,want', [(0.3, 0.3, 'supported'), (-0.3, -0.04, 'contradicted'),
                                            (0.3, -0.04, 'contradicted'), (0.3, 0.0, 'undecided'),
                                            (0.0, 0.3, 'undecided')])
def test_ifa(d_ta, d_ra, want):
    assert claim_ifa.judge(seeds(fig3(d_ta, d_ra)), n_boot=500)['verdict'] == want

def test_ifa_with_no_room_to_rise_is_undecided():
    "TA already 100% at n = 0 cannot rise: the effect is 0 but the claim is not contradicted by it."
    row = claim_ifa.judge(seeds(fig3(0.0, 0.3, ta0=1.0)), n_boot=200)
    assert row['verdict'] == 'undecided' and 'at the bound' in row['effects'][0]['failed'][0]['why']

def test_ifa_reads_the_iterations_every_seed_recorded():
    a, b = fig3(0.3, 0.3)(), fig3(0.3, 0.3)()
    for r, n in ((a, '10'), (b, '10'), (b, '30')):            # seed 0 recorded n = 0, 10, 20; seed 1 n = 0, 10, 30
        r.record['conv'][n] = r.record['conv']['20']; r.per_image['conv'][n] = r.per_image['conv']['20']
    del b.record['conv']['20'], b.per_image['conv']['20']
    row = claim_ifa.judge({0: a, 1: b}, n_boot=100)
    assert 'at n = 10 minus' in row['effects'][0]['name'] and row['seeds'] == ['0', '1']

# --- Fig 6 -----------------------------------------------------------------------------------------------------------
def fig6(cl_ta, cl_ra, tcl_ta, tcl_ra, gain_ta=0.0, gain_ra=0.0, epochs=('1', '5'), err=None):
    "Changes from the fewest to the most epochs of CL's and TCL's TA and RA; TCL minus CL at the fewest."
    def make():
        c1ta, c1ra = rate(0.4), rate(0.1)
        t1ta, t1ra = moved(c1ta, gain_ta), moved(c1ra, gain_ra)
        lo, hi = epochs[0], epochs[-1]
        pi = {lo: dict(cl=dict(ta=c1ta, ra=c1ra), tcl=dict(ta=t1ta, ra=t1ra)),
              hi: dict(cl=dict(ta=moved(c1ta, cl_ta), ra=moved(c1ra, cl_ra)),
                       tcl=dict(ta=moved(t1ta, tcl_ta), ra=moved(t1ra, tcl_ra)))}
        for i, e in enumerate(epochs[1:-1]): pi[e] = {k: {q: v.copy() for q, v in d.items()} for k, d in pi[lo].items()}
        for i, e in enumerate(epochs):
            r = 0.5 if err is None else err[i]
            pi[e]['held'] = dict(err=np.full(50, r) + 0.01 * rng.standard_normal(50), zero=np.ones(50))
        for e in epochs: pi[e]['pairs'] = {'gan-270': pi[e]['tcl']}               # one generator: the headline one
        res = {e: {f'{k}_{q}': float(pi[e][k][q].mean()) for k in ('cl', 'tcl') for q in ('ta', 'ra')} for e in epochs}
        for e in epochs: res[e]['pairs'] = {'gan-270': dict(variant='gan', n_pairs=270, tcl_ta=res[e]['tcl_ta'],
                                                            tcl_ra=res[e]['tcl_ra'])}
        st = {e: dict(classifier=OK, ifa=OK, generator=OK, generators={'gan-270': OK}) for e in epochs}
        return Fig6(eps=8/255, n_iter=20, n_ifa=300, n_test=N, ra_steps=4, updates=30, ngf=16, headline='gan-270',
                    epoch_list=list(epochs),
                    size='tiny', results={'conv': res}, stages={'conv': st}, per_image={'conv': pi})
    return make

@pytest.mark.parametrize('cl_ta,cl_ra,want', [(0.2, -0.08, 'supported'), (-0.2, 0.08, 'contradicted'),
                                              (0.2, 0.08, 'contradicted'),     # TA rises but so does RA: no trade-off
                                              (0.2, 0.0, 'undecided')])         # RA unchanged: not shown
def test_cl_tradeoff(cl_ta, cl_ra, want):
    assert claim_cl_tradeoff.judge(seeds(fig6(cl_ta, cl_ra, 0, 0)), n_boot=500)['verdict'] == want

@pytest.mark.parametrize('tcl_ta,tcl_ra,want', [(-0.2, -0.08, 'supported'), (0.2, 0.08, 'contradicted'),
                                                (-0.2, 0.08, 'contradicted'), (-0.2, 0.0, 'undecided')])
def test_tcl_loses(tcl_ta, tcl_ra, want):
    assert claim_tcl_loses.judge(seeds(fig6(0, 0, tcl_ta, tcl_ra)), n_boot=500)['verdict'] == want

@pytest.mark.parametrize('g_ta,g_ra,want', [(0.2, 0.08, 'supported'), (-0.2, -0.08, 'contradicted'),
                                            (0.2, -0.08, 'contradicted'), (0.0, 0.08, 'undecided')])
def test_tcl_gains_at_1(g_ta, g_ra, want):
    assert claim_tcl_gains_at_1.judge(seeds(fig6(0, 0, 0, 0, g_ta, g_ra)), n_boot=500)['verdict'] == want

def test_tcl_gains_needs_epoch_1():
    row = claim_tcl_gains_at_1.judge({0: fig6(0, 0, 0, 0, epochs=('2', '5'))()}, n_boot=100)
    assert row['verdict'] == 'not run' and 'N_epoch = 1' in row['note']

@pytest.mark.parametrize('tcl_ta,tcl_ra,want', [(-0.2, 0.0, 'supported'),       # TCL behind CL in TA: not both better
                                                (0.2, 0.08, 'contradicted')])   # TCL ahead in both
def test_tcl_not_both(tcl_ta, tcl_ra, want):
    assert claim_tcl_not_both.judge(seeds(fig6(0, 0, tcl_ta, tcl_ra)), n_boot=500)['verdict'] == want

@pytest.mark.parametrize('err,want', [((0.2, 0.5, 0.8), 'supported'), ((0.8, 0.5, 0.2), 'contradicted')])
def test_harder(err, want):
    "CL's TA rises from 1 to 5 epochs; the generator's relative held-out error rises with it, or falls."
    row = claim_harder.judge(seeds(fig6(0.3, 0, 0, 0, epochs=('1', '2', '5'), err=err)), n_boot=300)
    assert row['verdict'] == want

# --- Fig 7 -----------------------------------------------------------------------------------------------------------
READ, OTHER = 'train/python/shifted', 'test/python/shifted'

def fig7(slope, other_slope=0.0, verdict_reading=READ):
    "TA 40, 50, 60% at N_epoch 1, 2, 5; mean ratio 0.5 + slope·(TA − 0.5) per image ± 0.05; another reading."
    def make():
        rows, pi = [], {'conv': {}}
        for ep, ta in ((1, .4), (2, .5), (5, .6)):
            d = {'ta': rate(ta)}
            for k, sl in ((READ, slope), (OTHER, other_slope)):
                d[k] = 0.5 + sl * (ta - 0.5) + 0.05 * rng.standard_normal(200)
            pi['conv'][str(ep)] = d
            rows.append({'arch': 'conv', 'epochs': ep, 'ta': ta, READ: d[READ].mean(), OTHER: d[OTHER].mean()})
        return Fig7(eps=8/255, radius=8, n_images=200, epoch_list=[1, 2, 5], size='tiny', readings=[READ, OTHER],
                    verdict_reading=verdict_reading, rows=rows, stages={'conv': {e: OK for e in ('1', '2', '5')}},
                    per_image=pi)
    return make

@pytest.mark.parametrize('slope,want', [(1.0, 'supported'), (-1.0, 'contradicted'), (0.0, 'undecided')])
def test_high_freq(slope, want):
    row = claim_high_freq.judge(seeds(fig7(slope, other_slope=-slope or 1.0)), n_boot=500)
    assert row['verdict'] == want
    assert [e['reading'] for e in row['effects'] if e.get('aside')] == [OTHER]   # shown, and does not decide

def test_high_freq_verdict_follows_the_named_reading():
    assert claim_high_freq.judge({0: fig7(1.0, -1.0, verdict_reading=OTHER)()}, n_boot=500)['verdict'] == 'contradicted'

# --- Eq. 16 ----------------------------------------------------------------------------------------------------------
def theory(below, commutes=True):
    return Theory(commutator_identity=commutes, gaussian_product=0.5, examples={},
                  classifier={'n_lines': 100, 'windowed': {'frac_below_half': below, 'min': 0.5 - below},
                              'box': {'frac_below_half': 0.3}}, per_image={})

def test_theorem_check():
    assert claim_uncertainty.judge({0: theory(0.0)})['verdict'] == 'holds'
    assert claim_uncertainty.judge({0: theory(0.02)})['verdict'] == 'fails'
    assert claim_uncertainty.judge({0: theory(0.0, commutes=False)})['verdict'] == 'fails'
    assert claim_uncertainty.judge({0: theory(0.0)})['kind'] == 'theorem'

# --- the frontier ----------------------------------------------------------------------------------------------------
def frontier(adv_ra, tcl_ra):
    def make():
        pts = [('cl1', 'cl', 0.6, 0.02), ('tcl1', 'tcl', 0.5, tcl_ra), ('pgd-at', 'pgd', 0.45, adv_ra)]
        pi = {'conv': {n: dict(ta=rate(ta), ra_bim=rate(ra), ra_pgd=rate(ra)) for n, _, ta, ra in pts}}
        points = [dict(arch='conv', name=n, kind=k, ta=ta, ra_bim=ra, ra_pgd=ra) for n, k, ta, ra in pts]
        return Frontier(eps=8/255, ra_steps=4, pgd_steps=20, n_test=N, archs=['conv'], points=points, sigma_corr={},
                        adv={}, per_image=pi)
    return make

@pytest.mark.parametrize('adv_ra,tcl_ra,want', [(0.3, 0.05, 'supported'), (0.05, 0.3, 'contradicted')])
def test_frontier(adv_ra, tcl_ra, want):
    row = claim_frontier.judge(seeds(frontier(adv_ra, tcl_ra)), n_boot=300)
    assert row['verdict'] == want
    assert row['effects'][0]['value'] == pytest.approx(adv_ra - tcl_ra, abs=0.01)

# --- across seeds, and the list of claims ----------------------------------------------------------------------------
def test_seeds_widen_the_interval():
    "Two seeds that disagree give a wider interval than either alone: the interval holds the spread of seeds."
    a, b = fig1(0.2)(), fig1(0.45)()
    one = claim_fgsm.judge({0: a}, n_boot=500)['effects'][0]
    both = claim_fgsm.judge({0: a, 1: b}, n_boot=500)['effects'][0]
    assert both['hi'] - both['lo'] > one['hi'] - one['lo']
    assert set(both['per_seed']) == {'0', '1'}
    assert both['value'] == pytest.approx(np.mean(list(both['per_seed'].values())))

def test_claims_listed_once_in_reading_order():
    names = [c.name for c in CLAIMS]
    assert names[:5] == ['FGSM collapses accuracy', 'IFA raises TA and RA with iterations', 'CL trades TA against RA',
                         'TCL loses TA and RA as N_epoch grows', 'TCL gains TA and RA at N_epoch = 1']
    assert len(names) == len(set(names))

def test_a_chapter_not_run_is_not_judged():
    row = claim_fgsm.judge({0: None, 1: None})
    assert row['verdict'] == 'not run' and 'fig1' in row['note']
    theorem = claim_uncertainty.judge({0: None})
    assert theorem['verdict'] == 'not run'
    table = claims_table([row, theorem])             # a run of some chapters only still gets its table
    assert table.count('| **not run** |') == 2 and 'theory' in table
