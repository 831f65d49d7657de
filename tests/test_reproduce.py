"The pipeline's own logic on small made-up notebooks and metrics: executing, failure messages, report, docs."
import base64, json, io
import numpy as np
import nbformat, pytest, torch
from conftest import needs_data, ROOT
from uncertainty_nn import reproduce as R
from uncertainty_nn.config import UsageError

def make_nb(path, code, params="x = 1"):
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(params); p.metadata['tags'] = ['parameters']
    nb.cells = [p] + [nbformat.v4.new_code_cell(c) for c in code]
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}
    nbformat.write(nb, str(path)); return path

def test_run_chapter_runs_each_time_with_its_parameters(tmp_path):
    "A chapter only reads (the store is the one cache), so it is executed each time, with the parameters it is given."
    nb = make_nb(tmp_path/'03_data.ipynb', ["open('ran.txt', 'a').write(str(params['x']))"], params="params = {}")
    out = tmp_path/'out'
    assert R.run_chapter(nb, out, {'x': 2}) == out/'03_data.ipynb' and (out/'03_data.ipynb').exists()
    R.run_chapter(nb, out, {'x': 2}); R.run_chapter(nb, out, {'x': 3})
    assert (out/'ran.txt').read_text() == '223' and not list(out.glob('*.params.json'))

def test_half_written_notebook_is_not_trusted(tmp_path):
    nb = make_nb(tmp_path/'03_data.ipynb', ["open('ran.txt', 'a').write('r')"])
    out = tmp_path/'out'; out.mkdir()
    (out/'03_data.running.ipynb').write_text('{}')                     # what a killed run leaves
    R.run_chapter(nb, out, {})
    assert (out/'ran.txt').read_text() == 'r' and not (out/'03_data.running.ipynb').exists()

def test_failed_chapter_names_the_executed_notebook(tmp_path):
    nb = make_nb(tmp_path/'08_classifiers.ipynb', ["raise ValueError('boom in chapter')"])
    with pytest.raises(R.ChapterFailed) as e: R.run_chapter(nb, tmp_path/'out', {})
    failed = tmp_path/'out'/'08_classifiers.failed.ipynb'
    assert str(failed) in str(e.value) and 'boom in chapter' in str(e.value) and failed.exists()
    assert not (tmp_path/'out'/'08_classifiers.ipynb').exists()

def test_kernel_started_ahead_has_imported_and_bound_nothing(tmp_path):
    "A chapter run in a kernel started ahead finds its modules imported, and nothing else: no name, no count."
    nb = make_nb(tmp_path/'09_attacks.ipynb', [
        "import sys; seen = ('colorsys' in sys.modules, sorted(k for k in globals() if 'warm' in k))",
        "open('seen.txt', 'w').write(repr(seen))", "import colorsys"], params="params = {}")
    out = tmp_path/'out'; k = R.Kernel(nb, out)
    try: R.run_chapter(nb, out, {}, kernel=k)
    finally: k.close()
    assert (out/'seen.txt').read_text() == "(True, [])"
    counts = [c.execution_count for c in nbformat.read(out/'09_attacks.ipynb', 4).cells if c.cell_type == 'code']
    assert counts[-3:] == [counts[-3], counts[-3] + 1, counts[-3] + 2] and counts[0] == 1
    R.run_chapter(nb, out, {})                                       # a fresh kernel: the module comes with its cell
    assert (out/'seen.txt').read_text() == "(False, [])"

def test_imports_of_reads_top_level_imports(tmp_path):
    nb = make_nb(tmp_path/'a.ipynb', ["import numpy as np, json\nfrom os.path import join  # x\n  import wave",
                                      "from __future__ import annotations\nimport json"])
    assert R._imports_of(nb) == ['numpy', 'json', 'os.path', '__future__']

def test_failed_chapter_shuts_the_kernel_started_ahead(tmp_path):
    from uncertainty_nn.cli import main
    make_nb(tmp_path/'03_data.ipynb', ["raise RuntimeError('no data here')"])        # seed 1's kernel starts ahead
    assert main(['reproduce', '--profile', 'tiny', '--out', str(tmp_path/'run'), '--nbs', str(tmp_path), '--chapters',
                 '03_data', '--seeds', '0', '1']) == 1
    assert R._KERNELS == set() and not list((tmp_path/'run'/'seed_1'/'notebooks').glob('01_*'))

def test_cli_reports_failure_without_traceback(tmp_path, capsys):
    from uncertainty_nn.cli import main
    make_nb(tmp_path/'03_data.ipynb', ["raise RuntimeError('no data here')"])
    assert main(['reproduce', '--profile', 'tiny', '--out', str(tmp_path/'run'), '--nbs', str(tmp_path), '--chapters',
                 '03_data']) == 1
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]                              # after the progress bar's line
    assert last.startswith('uncertainty-nn: 03_data failed') and '03_data.failed.ipynb' in last
    assert 'Traceback' not in err

def test_missing_notebooks_folder(tmp_path):
    with pytest.raises(UsageError, match='--nbs'): R.find_nbs(tmp_path)

def test_write_report(tmp_path):
    "Two seeds of made-up results: report.md is the source, report.html its rendering, figures across seeds drawn."
    from test_claims import fig1, simple
    from uncertainty_nn.report import write_report
    runs = {}
    for s in (0, 1):
        r = tmp_path/f'seed_{s}'; (r/'figures').mkdir(parents=True)
        fig1(0.1)().save(r); simple(0.2, -1.5).save(r)
        (r/'figures'/'fig1_accuracy.png').write_bytes(b'\x89PNG fake'); runs[s] = r
    m = write_report(tmp_path, runs, 'smoke', seconds=90, n_boot=200)
    md, page = (tmp_path/'report.md').read_text(), (tmp_path/'report.html').read_text()
    assert '| FGSM collapses accuracy | **supported** |' in md and '(seeds: ' in md
    assert '| CL trades TA against RA | **supported** at 5,000 training images' in md           # with its scale
    assert 'Not run in this profile: IFA raises TA and RA with iterations' in md and '| IFA raises' not in md
    assert '![Fig 6: CL and TCL against N_epoch, across seeds](figures/seeds_fig6.png)' in md
    assert (tmp_path/'figures'/'seeds_fig6.png').stat().st_size > 1000
    assert '<td><strong>supported</strong></td>' in page and '<img src="figures/fig1_accuracy.png"' in page
    saved = json.loads((tmp_path/'metrics.json').read_text())
    assert saved['claims'][0]['effects'][0]['lo'] > 0.5 and 'per_image' not in json.dumps(saved['per_seed'])
    assert m['across_seeds']['fig1/n_test'] == dict(mean=400.0, std=0.0, n=2)       # the same in both seeds
    assert m['across_seeds']['fig1/results/conv/fgsm/clean']['n'] == 2

PNG = base64.b64encode(bytes.fromhex('89504e470d0a1a0a0000000d4948445200000001000000010806000000'
                                     '1f15c4890000000d49444154789c6360000002000001e221bc3300'
                                     '00000049454e44ae426082')).decode()

def test_docs_hold_figures_and_reference(tmp_path):
    from uncertainty_nn.docs import build_docs
    src = tmp_path/'nbs'; src.mkdir()
    nb = make_nb(src/'03_data.ipynb',
                 ["#| default_exp data_demo", "# a title cell comes first in the page", "#| hide\nsecret = 1", "plot()",
                                       "#| export\ndef documented(x):\n    'A documented function.'\n    return x"])
    d = nbformat.read(str(nb), 4)
    d.cells.insert(1, nbformat.v4.new_markdown_cell('# Demo\n> A page to check the docs with; $x^2$ in it.'))
    d.cells[5].outputs = [nbformat.v4.new_output('display_data', data={'image/png': PNG, 'text/plain': '<Figure>'})]
    nbformat.write(d, str(nb))
    (tmp_path/'pyproject.toml').write_text((ROOT/'pyproject.toml').read_text())
    out = build_docs(tmp_path/'site', nbs=src)
    page = (out/'03_data.html').read_text()
    assert 'data:image/png;base64' in page and 'secret = 1' not in page
    assert '#| export' not in page and '#| hide' not in page
    # show_doc's entry; the parameters cell is plumbing
    assert 'A documented function.' in page and 'x = 1' not in page
    assert page.index('<h1 class="title">Demo</h1>') < page.index('code_cell')
    assert '<math' in page and '$x^2$' not in page

# ---- the plan is the contract: a chapter that computes outside it fails the run

@needs_data
def test_chapter_computing_outside_the_plan_fails_naming_the_artifact(tmp_path, capsys):
    "A made-up classifiers chapter that asks for a classifier its `needs` does not declare (7 epochs, not 1)."
    from uncertainty_nn.cli import main
    make_nb(tmp_path/'08_classifiers.ipynb', [
        "from uncertainty_nn.classifiers import ClassifierParams, ClassifierSpec\n"
        "from uncertainty_nn.store import Store",
        "p = ClassifierParams.of(params)\nStore.of(p).get(ClassifierSpec.of(p, 'conv', 7))"], params="params = {}")
    args = ['--profile', 'tiny', '--out', str(tmp_path/'run'), '--nbs', str(tmp_path), '--chapters', '08_classifiers',
            '--set', "archs=['conv']", '--set', 'epochs=1', '--set', 'n_train=200', '--set', 'n_test=100']
    assert main(['reproduce'] + args) == 1
    err = capsys.readouterr().err
    assert 'NotPlanned' in err and 'conv-tiny e7 s0' in err and '08_classifiers.failed.ipynb' in err
    from uncertainty_nn.store import Store
    assert [e['name'] for e in Store(tmp_path/'run'/'store').log()] == ['conv-tiny e1 s0']   # the plan's, only

# ---- Ray computes the very artifacts the in-process run computed

@needs_data
@pytest.mark.tiny_run_at_end
def test_ray_computes_what_inprocess_computed(tmp_path, ray_local, request):
    """One generator of the tiny run and what it rests on (a classifier and its Δ_N), and the theory chapter's
    measurement (a chapter's measurement: an artifact too; of them all, the one that rests on the fewest artifacts),
    computed again on Ray at its defaults into a new store: the same weights, Δ_N, numbers and loss lines, bit for bit.
    Ray computes first, and only then is the tiny run asked for, so this test runs while the tiny run is being made."""
    from uncertainty_nn.plan import make_plan, plan_of
    from uncertainty_nn.store import Store
    from uncertainty_nn.executors import materialize
    gen = next(g for g in make_plan('tiny', chapters=['15_pix2pix'], precision='fp32').of_kind('generator')
               if g.ifa.classifier.arch == 'conv' and g.ifa.classifier.epochs == 1)
    theory = make_plan('tiny', chapters=['19_theory'], precision='fp32').of_kind('theory')[0]
    ray, plan = Store(tmp_path/'store'), plan_of([gen, theory])
    assert {a.kind for a in plan} == {'classifier', 'ifa', 'generator', 'theory'} and plan.artifacts[-1] is theory
    assert len(materialize(plan, ray, 'ray', log=lambda *a, **k: None)) == len(plan)
    inproc = Store(request.getfixturevalue('tiny_run')/'store')
    assert all(inproc.done(a) for a in plan)
    for a in plan:
        x, y = inproc.get(a), ray.get(a)
        if a.kind == 'ifa': assert torch.equal(x.steps, y.steps), a
        elif a.kind == 'theory':
            assert x.numbers() == y.numbers() and x.per_image.keys() == y.per_image.keys() == {'box', 'windowed'}
            assert all(np.array_equal(x.per_image[k], y.per_image[k]) for k in x.per_image), a
        else: assert all(torch.equal(u, v) for u, v in zip(x.state_dict().values(), y.state_dict().values())), a
    assert materialize(plan, ray, 'ray', log=lambda *a, **k: None) == []          # found done: nothing again


def test_kernels_wait_passively_unless_the_caller_chose(monkeypatch):
    monkeypatch.delenv('OMP_WAIT_POLICY', raising=False)
    assert R._kernel_env()['OMP_WAIT_POLICY'] == 'PASSIVE'
    monkeypatch.setenv('OMP_WAIT_POLICY', 'ACTIVE')
    assert R._kernel_env()['OMP_WAIT_POLICY'] == 'ACTIVE'
    import os; assert os.environ['OMP_WAIT_POLICY'] == 'ACTIVE'       # this process's own is left alone


def _finished_run(path, seed, **about):
    "A finished one-seed run of made-up results, as `reproduce` leaves it (metrics.json, overrides.json, figures)."
    from test_claims import fig1, simple
    from uncertainty_nn.report import write_report
    (path/'figures').mkdir(parents=True)
    fig1(0.1 + 0.02 * seed)().save(path); simple(0.2, -1.5).save(path)
    (path/'overrides.json').write_text('[]')
    write_report(path, {seed: path}, 'smoke', seconds=60, n_boot=200,
                 **{**dict(precision='fp32', code='0.0.1+abc', machine=f'machine {seed}'), **about})
    return path


def test_pool_writes_the_report_one_run_of_all_seeds_writes(tmp_path):
    from uncertainty_nn.pool import pool
    from uncertainty_nn.report import write_report
    r0, r1 = _finished_run(tmp_path/'r0', 0), _finished_run(tmp_path/'r1', 1)
    m = pool(tmp_path/'pooled', [r1, r0], n_boot=200)
    ref = write_report(tmp_path/'ref', {0: r0, 1: r1}, 'smoke', n_boot=200)
    assert m['seeds'] == [0, 1] and m['claims'] == ref['claims'] and m['across_seeds'] == ref['across_seeds']
    assert m['across_seeds']['fig1/results/conv/fgsm/clean']['n'] == 2
    assert m['seconds'] == 120 and m['code'] == '0.0.1+abc' and m['machine'] == 'machine 1; machine 0'
    md = (tmp_path/'pooled'/'report.md').read_text()
    assert '**Pooled from** 2 runs (`pool`): `r1`, seed 1, 1 min; `r0`, seed 0' in md
    assert '**Machine**: machine 1; machine 0' in md


def test_pool_refuses_runs_of_other_studies(tmp_path):
    from uncertainty_nn.pool import pool
    from uncertainty_nn.cli import main
    r0, r1 = _finished_run(tmp_path/'r0', 0), _finished_run(tmp_path/'r1', 1, precision='bf16')
    with pytest.raises(ValueError, match='the runs differ in precision: r0: fp32; r1: bf16'):
        pool(tmp_path/'p', [r0, r1])
    r2 = _finished_run(tmp_path/'r2', 2, code='0.0.1+def')
    with pytest.raises(ValueError, match='differ in code.*--mixed-code'): pool(tmp_path/'p', [r0, r2])
    assert pool(tmp_path/'p', [r0, r2], mixed_code=True)['code'] == 'mixed: 0.0.1+abc, 0.0.1+def'
    with pytest.raises(ValueError, match='seed 0 is in .*r0 and in .*r0'): pool(tmp_path/'p', [r0, r0])
    r3 = _finished_run(tmp_path/'r3', 3); (r3/'overrides.json').write_text('["n_iter=5"]')
    with pytest.raises(ValueError, match=r"differ in overrides: r0: \[\]; r3: \['n_iter=5'\]"):
        pool(tmp_path/'p', [r0, r3])
    assert main(['pool', str(r0), str(tmp_path/'nothing'), '--out', str(tmp_path/'p')]) == 1
    assert main(['pool', str(r0), str(tmp_path/'r2'), '--out', str(tmp_path/'q'), '--mixed-code']) == 0
    assert (tmp_path/'q'/'report.html').exists()


def test_pool_takes_seeds_that_drew_their_own_subsets_of_one_data(tmp_path):
    import json
    from uncertainty_nn.pool import pool
    def with_data(r, **d):                      # as reproduce records it: the first seed's DataInfo
        m = json.loads((r/'metrics.json').read_text())
        m['data'] = dict(dict(source='x', digest='939e', n_train=5000, n_test=1000, subsets_digest=f's{r.name}'), **d)
        (r/'metrics.json').write_text(json.dumps(m)); return r
    r0, r1 = with_data(_finished_run(tmp_path/'r0', 0)), with_data(_finished_run(tmp_path/'r1', 1))
    assert pool(tmp_path/'p', [r0, r1], n_boot=200)['seeds'] == [0, 1]      # each seed's own subsets: one study
    r2 = with_data(_finished_run(tmp_path/'r2', 2), digest='0000')
    with pytest.raises(ValueError, match="differ in data: r0: .*'digest': '939e'.*r2: .*'digest': '0000'"):
        pool(tmp_path/'p', [r0, r2])
    r3 = with_data(_finished_run(tmp_path/'r3', 3), n_train=500)
    with pytest.raises(ValueError, match="differ in data"): pool(tmp_path/'p', [r0, r3])
