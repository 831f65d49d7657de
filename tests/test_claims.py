"""Every claim's rule on made-up results: supported for an effect clearly above its threshold, contradicted clearly
below, undecided inside the noise or when a stage under it failed."""
import numpy as np, pytest
from uncertainty_nn.evidence import stage
from uncertainty_nn.rendering import claims_table
from uncertainty_nn.attacks import Fig1, claim_fgsm
from uncertainty_nn.fig3 import Fig3, claim_ifa
from uncertainty_nn.tcl import Fig6
from uncertainty_nn.fig6_claims import (claim_cl_tradeoff, claim_tcl_loses, claim_tcl_gains_at_1, claim_tcl_not_both,
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
    assert row['verdict'] == 'undecided' and e['reason'].startswith('not executed: conv (seed')
    assert 'conv did not learn' in e['failed'][0]['why']
    from uncertainty_nn.rendering import claims_details
    md = claims_details([row])                          # each failed stage's reason once, its subject not repeated
    assert md.count('did not learn') == len(e['failed']) and md.count(': did not learn') == len(e['failed'])

# --- Fig 3 -----------------------------------------------------------------------------------------------------------
def fig3(d_ta, d_ra, ta0=0.6, ra0=0.2):          # RA starts above the floor (10_robustness): it can move
    def make():
        t0, r0 = rate(ta0), rate(ra0)
        t1, r1 = moved(t0, d_ta), moved(r0, d_ra)
        record = {'conv': {'0': dict(ta=t0.mean(), ra=r0.mean()), '20': dict(ta=t1.mean(), ra=r1.mean())}}
        return Fig3(eps=8/255, n_iter=20, clamp=False, n_images=N, ra_steps=4, epochs=2, size='tiny', record=record,
                    stages={'conv': OK}, per_image={'conv': {'0': dict(ta=t0, ra=r0), '20': dict(ta=t1, ra=r1)}})
    return make

@pytest.mark.parametrize('d_ta,d_ra,want', [(0.3, 0.3, 'supported'), (-0.3, -0.1, 'contradicted'),
                                            (0.3, -0.1, 'contradicted'), (0.3, 0.0, 'undecided'),
                                            (0.0, 0.3, 'undecided')])
def test_ifa(d_ta, d_ra, want):
    assert claim_ifa.judge(seeds(fig3(d_ta, d_ra)), n_boot=500)['verdict'] == want

def test_ifa_reads_the_iterations_every_seed_recorded():
    a, b = fig3(0.3, 0.3)(), fig3(0.3, 0.3)()
    for r, n in ((a, '10'), (b, '10'), (b, '30')):            # seed 0 recorded n = 0, 10, 20; seed 1 n = 0, 10, 30
        r.record['conv'][n] = r.record['conv']['20']; r.per_image['conv'][n] = r.per_image['conv']['20']
    del b.record['conv']['20'], b.per_image['conv']['20']
    row = claim_ifa.judge({0: a, 1: b}, n_boot=100)
    assert 'at n = 10 minus' in row['effects'][0]['name'] and row['seeds'] == ['0', '1']

# --- Fig 6 -----------------------------------------------------------------------------------------------------------
GRID = ['0.5', '1', '2', '4', '8']

def level(ta, eps=2.0, ra=0.1, base=None, d_ta=0.0, d_eps=0.0):
    "One level's per-image outcomes: TA; ε* (/255) of the right images; RA at every reading. `base`: moved from it."
    if base is None:
        t = rate(ta); e = np.where(t, (eps + 0.5 * rng.random(N)) / 255, 0.0); r = rate(ra) & t
    else:
        t = moved(base['ta'], d_ta); e = np.where(t, np.where(base['ta'], base['eps'], eps / 255) + d_eps / 255, 0.0)
        r = base['ra'] & t
    return dict(ta=t, eps=np.clip(e, 0, 32 / 255), ra=r, **{f"ra_{k.replace('.', '_')}": r for k in GRID})

def gen_stages(run_ok=True, fresh_ok=True, name='G'):
    return dict(run=stage(name, run_ok, '' if run_ok else f'{name}: ran 1000 of its 2000 updates'),
                outcome=stage(name, fresh_ok, '' if fresh_ok else f'{name}: no better than its null', kind='outcome'))

def fig6(levels: dict, epochs=('1', '5'), stages=None, rel=None, held=None):
    """A made-up Fig6 from `levels` = {N_epoch: {'cl': level, key: level, ...}}; `stages` = {(N_epoch, key): (run ok,
    fresh ok)}, `rel`: {key: relative held-out L1}, `held`: {N_epoch: relative error} (for claim (e))."""
    res, st, pi = {}, {}, {}
    for e in epochs:
        lv = levels[e]; keys = [k for k in lv if k != 'cl']
        curve = lambda d: {k: float(d['ra'].mean()) for k in GRID}
        res[e] = dict(cl_ta=lv['cl']['ta'].mean(), cl_ra=lv['cl']['ra'].mean(), cl_curve=curve(lv['cl']),
                      pairs={k: dict(variant=k.split('-')[0], n_pairs=int(k.split('-')[1]), tcl_ta=lv[k]['ta'].mean(),
                                     tcl_ra=lv[k]['ra'].mean(), tcl_curve=curve(lv[k]), rel_l1=(rel or {}).get(k, 0.9))
                             for k in keys})
        head = max((k for k in keys if k.startswith('gan')), key=lambda k: int(k.split('-')[1]))
        res[e].update(tcl_ta=res[e]['pairs'][head]['tcl_ta'], tcl_ra=res[e]['pairs'][head]['tcl_ra'],
                      cl_eps=float(np.median(lv['cl']['eps'])), tcl_eps=float(np.median(lv[head]['eps'])))
        res[e]['pairs'][head].update(tcl_eps=res[e]['tcl_eps'])
        h = (held or {}).get(e, 0.5)
        pi[e] = dict(cl=lv['cl'], pairs={k: lv[k] for k in keys}, tcl=lv[head],
                     held=dict(err=np.full(50, h) + 0.01 * rng.standard_normal(50), zero=np.ones(50)))
        st[e] = dict(classifier=stage('classifier', True), ifa=stage('IFA', True),
                     ifa_descent=stage('IFA', True, kind='outcome'), generators={
                         k: gen_stages(*(stages or {}).get((e, k), (True, True)), name=f'generator ({e}, {k})')
                         for k in keys})
    head = max((k for k in levels[epochs[0]] if k.startswith('gan')), key=lambda k: int(k.split('-')[1]))
    for e in epochs: res[e].update(held_l1=float(pi[e]['held']['err'].mean()), held_zero=1.0)
    return Fig6(eps=8/255, n_iter=20, n_ifa=300, n_test=N, ra_steps=4, updates=30, ngf=16, headline=head,
                epoch_list=list(epochs), size='tiny', n_train=5000, n_fresh=500, grid=[0.5, 1, 2, 4, 8],
                results={'conv': res}, stages={'conv': st}, per_image={'conv': pi})

def simple(cl_ta=0.0, cl_eps=0.0, tcl_ta=0.0, tcl_eps=0.0, gain_ta=0.0, gain_eps=0.0, stages=None, ra=0.1):
    "CL and one TCL (the paper's recipe, gan-270) at 1 and 5 epochs: the changes asked for, TCL − CL at 1 epoch."
    c1 = level(0.4, ra=ra); t1 = level(None, base=c1, d_ta=gain_ta, d_eps=gain_eps)
    c5 = level(None, base=c1, d_ta=cl_ta, d_eps=cl_eps); t5 = level(None, base=t1, d_ta=tcl_ta, d_eps=tcl_eps)
    return fig6({'1': {'cl': c1, 'gan-270': t1}, '5': {'cl': c5, 'gan-270': t5}}, stages=stages)

@pytest.mark.parametrize('cl_ta,cl_eps,want', [(0.2, -1.5, 'supported'), (-0.2, 1.5, 'contradicted'),
                                               (0.2, 1.5, 'contradicted'),     # TA rises but so does ε*: no trade-off
                                               (0.2, -0.67, 'undecided')])  # mean ε* unchanged: its area counts TA too
def test_cl_tradeoff(cl_ta, cl_eps, want):
    assert claim_cl_tradeoff.judge({0: simple(cl_ta, cl_eps)}, n_boot=500)['verdict'] == want

def test_ra_at_the_floor_decides_nothing_and_eps_star_decides():
    "BIM-4 at 8/255 leaves RA 0 for both classifiers while their ε* differ: the claim is judged on ε* (issue 45)."
    row = claim_cl_tradeoff.judge({0: simple(0.2, -1.5, ra=0.0)}, n_boot=500)
    paper = next(e for e in row['effects'] if e['reading'] == 'ra')
    assert paper['verdict'] == 'uninformative' and 'floor' in paper['reason'] and paper['aside']
    eps = next(e for e in row['effects'] if e['reading'] == 'eps')
    assert eps['verdict'] == 'supported' and not eps['aside'] and row['verdict'] == 'supported'

def test_a_ceiling_decides_nothing():
    "TA at 1.000 at both levels cannot rise: uninformative; the claim needs it, so undecided, never contradicted."
    row = claim_ifa.judge(seeds(fig3(0.0, 0.3, ta0=1.0)), n_boot=200)
    ta = row['effects'][0]
    assert ta['verdict'] == 'uninformative' and 'ceiling' in ta['reason'] and row['verdict'] == 'undecided'

@pytest.mark.parametrize('tcl_ta,tcl_eps,want', [(-0.2, -1.5, 'supported'), (0.2, 1.5, 'contradicted'),
                                                 (-0.2, 4.5, 'contradicted'), (-0.2, 2.25, 'undecided')])
def test_tcl_loses(tcl_ta, tcl_eps, want):
    assert claim_tcl_loses.judge({0: simple(tcl_ta=tcl_ta, tcl_eps=tcl_eps)}, n_boot=500)['verdict'] == want

def test_a_failure_that_biases_the_effect_towards_the_claim_leaves_it_decided():
    """TCL's TA rises with N_epoch; the 5-epoch generator failed on fresh images: working, it would raise TCL at 5
    epochs and deepen the contradiction, so the verdict stands; a failed 1-epoch generator could undo it: undecided."""
    later = claim_tcl_loses.judge({0: simple(tcl_ta=0.25, tcl_eps=1.5, stages={('5', 'gan-270'): (True, False)})},
                                  n_boot=500)
    ta = later['effects'][0]
    assert ta['verdict'] == 'contradicted' and ta['outcomes'][0]['bias'] == 'towards the claim'
    assert later['verdict'] == 'contradicted'
    earlier = claim_tcl_loses.judge({0: simple(tcl_ta=0.25, tcl_eps=1.5, stages={('1', 'gan-270'): (True, False)})},
                                    n_boot=500)
    first = earlier['effects'][0]
    assert first['verdict'] == 'undecided' and 'could carry it across' in first['reason']

def test_a_generator_not_run_as_specified_makes_its_effects_undecided():
    row = claim_tcl_gains_at_1.judge({0: simple(gain_ta=0.2, gain_eps=1.5, stages={('1', 'gan-270'): (False, True)})},
                                     n_boot=300)
    assert row['verdict'] == 'undecided' and row['effects'][0]['reason'].startswith('not executed: generator')

@pytest.mark.parametrize('g_ta,g_eps,want', [(0.2, 1.5, 'supported'), (-0.2, -1.5, 'contradicted'),
                                             (0.2, -1.5, 'contradicted'), (0.0, 1.5, 'undecided')])
def test_tcl_gains_at_1(g_ta, g_eps, want):
    assert claim_tcl_gains_at_1.judge({0: simple(gain_ta=g_ta, gain_eps=g_eps)}, n_boot=500)['verdict'] == want

def test_tcl_gains_needs_epoch_1():
    f = simple(); f.results['conv'] = {'2' if e == '1' else e: v for e, v in f.results['conv'].items()}
    f.per_image['conv'] = {'2' if e == '1' else e: v for e, v in f.per_image['conv'].items()}
    f.stages['conv'] = {'2' if e == '1' else e: v for e, v in f.stages['conv'].items()}
    row = claim_tcl_gains_at_1.judge({0: f}, n_boot=100)
    assert row['verdict'] == 'not run' and 'N_epoch = 1' in row['note']

@pytest.mark.parametrize('tcl_ta,tcl_eps,want', [(-0.2, 0.0, 'supported'),       # TCL behind CL in TA: not both better
                                                 (0.2, 1.5, 'contradicted')])   # TCL ahead in both
def test_tcl_not_both(tcl_ta, tcl_eps, want):
    f = simple(tcl_ta=tcl_ta, tcl_eps=tcl_eps)
    assert claim_tcl_not_both.judge({0: f}, n_boot=500)['verdict'] == want

def test_a_max_whose_ra_term_is_zero_minus_zero_is_bounded_by_construction():
    row = claim_tcl_not_both.judge({0: simple(tcl_ta=0.2, tcl_eps=1.5, ra=0.0)}, n_boot=300)
    paper = next(e for e in row['effects'] if e['reading'] == 'ra')
    assert paper['verdict'] == 'uninformative' and 'bounded by construction' in paper['reason']

@pytest.mark.parametrize('err,want', [((0.2, 0.5, 0.8), 'supported'), ((0.8, 0.5, 0.2), 'contradicted')])
def test_harder(err, want):
    "CL's TA rises from 1 to 5 epochs; the generator's relative held-out error rises with it, or falls."
    c1 = level(0.3); c2 = level(None, base=c1, d_ta=0.15); c5 = level(None, base=c1, d_ta=0.3)
    lv = {e: {'cl': c, 'gan-270': level(None, base=c)} for e, c in (('1', c1), ('2', c2), ('5', c5))}
    row = claim_harder.judge({0: fig6(lv, epochs=('1', '2', '5'), held=dict(zip(('1', '2', '5'), err)))}, n_boot=300)
    assert row['verdict'] == want and '3 points: 1 degree of freedom' in row['effects'][0]['name']

def test_the_mechanism_claim_is_not_gated_on_its_own_outcome():
    "Δ_N hard to produce, and every generator failing on fresh images: that is the claim's measurement, not a gate."
    c1 = level(0.3); c2 = level(None, base=c1, d_ta=0.15); c5 = level(None, base=c1, d_ta=0.3)
    lv = {e: {'cl': c, 'gan-270': level(None, base=c)} for e, c in (('1', c1), ('2', c2), ('5', c5))}
    failed = {(e, 'gan-270'): (True, False) for e in ('1', '2', '5')}
    f = fig6(lv, epochs=('1', '2', '5'), stages=failed, held={'1': 0.2, '2': 0.5, '5': 0.8})
    assert claim_harder.judge({0: f}, n_boot=300)['verdict'] == 'supported'

def test_a_contradiction_rests_on_the_best_attempt():
    "The paper's GAN + L1 failed its execution gate; L1 alone ran as specified: the verdict is L1's, GAN + L1's beside."
    c1 = level(0.4); gan = level(None, base=c1, d_ta=-0.2); l1 = level(None, base=c1, d_ta=-0.1)
    c5 = level(None, base=c1, d_ta=0.2)
    lv = {'1': {'cl': c1, 'gan-270': gan, 'l1-270': l1}, '5': {'cl': c5, 'gan-270': level(None, base=c5),
                                                            'l1-270': level(None, base=c5)}}
    f = fig6(lv, stages={(e, 'gan-270'): (False, True) for e in ('1', '5')}, rel={'gan-270': 1.2, 'l1-270': 0.8})
    row = claim_tcl_gains_at_1.judge({0: f}, n_boot=300)
    assert row['verdict'] == 'contradicted' and row['by_recipe']["paper's GAN + L1"] == 'undecided'
    assert row['by_recipe']['best (L1 alone on 270 pairs)'] == 'contradicted'
    assert '270 pairs (paper: 50,000)' in row['scale']

def test_a_slope_whose_interval_includes_zero_reads_no_crossing():
    "TCL − CL at 1 epoch against the pairs, three seeds whose slopes disagree in sign: no crossing is read."
    def one(slope):
        c = level(0.4); lv = {'1': {'cl': c}, '5': {'cl': level(None, base=c)}}
        for n, k in ((450, 0), (900, 1), (2250, 2), (4500, 3)):
            for e in ('1', '5'): lv[e][f'gan-{n}'] = level(None, base=lv[e]['cl'], d_ta=-0.2 + slope * k)
        return fig6(lv)
    ans = claim_tcl_gains_at_1.judge({0: one(0.05), 1: one(-0.05), 2: one(0.0)}, n_boot=100)['answer']
    assert 'the interval includes 0, so no crossing is read' in ans
    ans = claim_tcl_gains_at_1.judge({0: one(0.05), 1: one(0.04), 2: one(0.05)}, n_boot=100)['answer']
    assert 'which it crosses at about' in ans

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
    assert table.count('| **not run** |') == 1 and 'fig1' in table and theorem['claim'] not in table   # theorems apart

# --- the stored results, re-judged by the new rules where their metrics allow (issue 44)
def stored_pairs():
    "Fig 6 of the `pairs` study's three seeds as they were stored (results/pairs), re-staged (`restage`)."
    import json
    from pathlib import Path
    from uncertainty_nn.core import unflatten
    from uncertainty_nn.fig6_claims import restage
    out = {}
    for d in sorted((Path(__file__).parents[1]/'results'/'pairs').glob('seed_*')):
        m = lambda n: json.loads((d/'metrics'/f'{n}.json').read_text())
        with np.load(d/'metrics'/'fig6.npz') as z: per_image = unflatten({k: z[k] for k in z.files})
        out[int(d.name.split('_')[1])] = restage(m('fig6'), per_image, m('generators'), m('data')['n_train'])
    return out

def test_the_stored_pairs_study_re_judged():
    "Its generators stopped at 1,000 of 2,000 updates: each TCL claim is undecided, not executed; RA sits at the floor."
    ps = stored_pairs()
    assert sorted(ps) == [0, 1, 2]
    for claim in (claim_tcl_loses, claim_tcl_gains_at_1, claim_tcl_not_both):
        row = claim.judge(ps, n_boot=200)
        assert row['verdict'] == 'undecided', claim.name
        assert all(e['reason'].startswith('not executed: generator') for e in row['effects']), claim.name
        assert 'ran 1000 of its 2000 updates' in row['effects'][0]['failed'][0]['why']
    cl = claim_cl_tradeoff.judge(ps, n_boot=200)
    ta, ra = cl['effects'][0], cl['effects'][1]
    assert ta['verdict'] == 'supported' and ra['verdict'] == 'uninformative' and 'floor' in ra['reason']
    assert cl['verdict'] == 'undecided'                  # was 'supported': RA(50) = 0 made RA(1) − RA(50) ≥ 0
    assert "CL's TA from 1 to 50 epochs: rises by 0.26" in cl['says']              # and the floor said in words
    assert 'its RA at ε = 8/255, BIM-4: uninformative in conv: its levels' in cl['says'] and '(≤ 0.05)' in cl['says']
