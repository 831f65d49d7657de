"The pipeline's own logic on small made-up notebooks and metrics: skipping, failure messages, report, docs."
import base64, json, io
import nbformat, pytest
from conftest import needs_data
from uncertainty_nn import reproduce as R

def make_nb(path, code, params="x = 1"):
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(params); p.metadata['tags'] = ['parameters']
    nb.cells = [p] + [nbformat.v4.new_code_cell(c) for c in code]
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}
    nbformat.write(nb, str(path)); return path

def test_run_chapter_skips_finished_and_reruns_on_new_params(tmp_path):
    nb = make_nb(tmp_path/'00_data.ipynb', ["open('ran.txt', 'a').write(str(x))"])
    out = tmp_path/'out'
    logs = []
    R.run_chapter(nb, out, {'x': 2, 'undeclared': 5}, log=logs.append)
    assert (out/'00_data.ipynb').exists() and json.loads((out/'00_data.params.json').read_text()) == {'x': 2}
    R.run_chapter(nb, out, {'x': 2}, log=logs.append)
    assert any('skipped' in l for l in logs) and (out/'ran.txt').read_text() == '2'
    R.run_chapter(nb, out, {'x': 3}, log=logs.append)                  # other parameters: run again
    assert (out/'ran.txt').read_text() == '23'

def test_half_written_notebook_is_not_trusted(tmp_path):
    nb = make_nb(tmp_path/'00_data.ipynb', ["open('ran.txt', 'a').write('r')"])
    out = tmp_path/'out'; out.mkdir()
    (out/'00_data.running.ipynb').write_text('{}')                     # what a killed run leaves
    R.run_chapter(nb, out, {}, log=lambda *a: None)
    assert (out/'ran.txt').read_text() == 'r' and not (out/'00_data.running.ipynb').exists()

def test_failed_chapter_names_the_executed_notebook(tmp_path):
    nb = make_nb(tmp_path/'01_classifiers.ipynb', ["raise ValueError('boom in chapter')"])
    with pytest.raises(R.ChapterFailed) as e: R.run_chapter(nb, tmp_path/'out', {}, log=lambda *a: None)
    failed = tmp_path/'out'/'01_classifiers.failed.ipynb'
    assert str(failed) in str(e.value) and 'boom in chapter' in str(e.value) and failed.exists()
    assert not (tmp_path/'out'/'01_classifiers.ipynb').exists()

def test_cli_reports_failure_without_traceback(tmp_path, capsys):
    from uncertainty_nn.cli import main
    make_nb(tmp_path/'00_data.ipynb', ["raise RuntimeError('no data here')"])
    assert main(['reproduce', '--profile', 'tiny', '--out', str(tmp_path/'run'), '--nbs', str(tmp_path), '--chapters', '00_data']) == 1
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]                              # after the progress bar's line
    assert last.startswith('uncertainty-nn: 00_data failed') and '00_data.failed.ipynb' in last and 'Traceback' not in err

def test_missing_notebooks_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match='--nbs'): R.find_nbs(tmp_path)

def test_write_report(tmp_path):
    "Two seeds of made-up metrics (with per-image outcomes): report.md is the source, report.html its rendering, figures across seeds drawn."
    from test_claims import fig1, fig6
    from uncertainty_nn.data import save_metrics
    from uncertainty_nn.report import write_report
    runs = {}
    for s in (0, 1):
        r = tmp_path/f'seed_{s}'; (r/'figures').mkdir(parents=True)
        for name, m in (('fig1', fig1(0.1)()), ('fig6', fig6(0.2, -0.08, 0, 0)())):
            pi = m.pop('per_image')
            if name == 'fig6': m['results'] = {'conv': {e: {k: float(pi[f'conv.{e}.{k.replace("_", ".")}'].mean()) for k in ('cl_ta', 'cl_ra', 'tcl_ta', 'tcl_ra')} for e in ('1', '5')}}
            if name == 'fig1': m['results']['conv']['bim'] = {'robust': 0.01}
            save_metrics(r, name, m, arrays=pi)
        (r/'figures'/'fig1_accuracy.png').write_bytes(b'\x89PNG fake'); runs[s] = r
    m = write_report(tmp_path, runs, 'smoke', seconds=90, n_boot=200)
    md, page = (tmp_path/'report.md').read_text(), (tmp_path/'report.html').read_text()
    assert '| FGSM collapses accuracy | **supported** |' in md and '(seeds: ' in md and '| CL trades TA against RA | **supported** |' in md
    assert '| IFA raises TA and RA with iterations | **not run** |' in md
    assert '![Fig 6 across seeds](figures/seeds_fig6.png)' in md and (tmp_path/'figures'/'seeds_fig6.png').stat().st_size > 1000
    assert '<td><strong>supported</strong></td>' in page and '<img src="figures/fig1_accuracy.png"' in page     # the same Markdown, rendered
    saved = json.loads((tmp_path/'metrics.json').read_text())
    assert saved['claims'][0]['effects'][0]['lo'] > 0.5 and 'per_image' not in json.dumps(saved['per_seed'])
    assert m['across_seeds']['fig1/n_test'] if 'fig1/n_test' in m['across_seeds'] else True

PNG = base64.b64encode(bytes.fromhex('89504e470d0a1a0a0000000d4948445200000001000000010806000000'
                                     '1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082')).decode()

def test_docs_hold_figures_and_reference(tmp_path):
    from uncertainty_nn.docs import build_docs
    src = tmp_path/'nbs'; src.mkdir()
    nb = make_nb(src/'00_data.ipynb', ["#| default_exp data_demo", "# a title cell comes first in the page", "#| hide\nsecret = 1", "plot()",
                                       "#| export\ndef documented(x):\n    'A documented function.'\n    return x"])
    d = nbformat.read(str(nb), 4)
    d.cells.insert(1, nbformat.v4.new_markdown_cell('# Demo\n> A page to check the docs with; $x^2$ in it.'))
    d.cells[5].outputs = [nbformat.v4.new_output('display_data', data={'image/png': PNG, 'text/plain': '<Figure>'})]
    nbformat.write(d, str(nb))
    (tmp_path/'pyproject.toml').write_text((R.find_nbs().parent/'pyproject.toml').read_text().replace('nbs_path = "nbs"', 'nbs_path = "nbs"'))
    out = build_docs(tmp_path/'site', nbs=src)
    page = (out/'00_data.html').read_text()
    assert 'data:image/png;base64' in page and 'secret = 1' not in page and '#| export' not in page and '#| hide' not in page
    assert 'A documented function.' in page and 'x = 1' not in page                 # show_doc's entry; the parameters cell is plumbing
    assert page.index('<h1 class="title">Demo</h1>') < page.index('code_cell') and '<math' in page and '$x^2$' not in page

# ---- the tiny profile, in-process and on Ray (the `ray_local` fixture of conftest.py)

@needs_data
def test_tiny_profile_same_metrics_inprocess_and_ray(run_path, tmp_path, ray_local):
    "The in-process run is the one the notebook tests left in `run_path` (10_reproduce runs it), or made here when run alone."
    import torch
    from uncertainty_nn.artifacts import Store, CHAPTERS
    quiet = lambda *a, **k: None
    inproc = json.loads((run_path/'metrics.json').read_text()) if (run_path/'metrics.json').exists() else R.reproduce('tiny', run_path, log=quiet)
    # every kind of artifact (classifiers, Δ_N, generators) and a theorem check; Fig 7 and the frontier would only add
    # more of the same kinds (two minutes of CI)
    chapters = [c for c in CHAPTERS if c not in ('05_frequency', '07_frontier')]
    on_ray = R.reproduce('tiny', tmp_path, executor='ray', chapters=chapters, log=quiet)       # Ray at its defaults
    skip = {'fig7', 'frontier'}
    assert {k: v for k, v in on_ray['per_seed']['0'].items()} == {k: v for k, v in inproc['per_seed']['0'].items() if k not in skip}
    judged = lambda m: [c for c in m['claims'] if c['figure'] not in skip]
    assert judged(on_ray) == judged(inproc) and all(c['verdict'] == 'not run' for c in on_ray['claims'] if c['figure'] in skip)
    st = Store(tmp_path/'store'); n = len(st.log())
    lines = []
    R.reproduce('tiny', tmp_path, executor='ray', chapters=chapters, log=lambda *a, **k: lines.append(' '.join(map(str, a))))
    assert len(st.log()) == n and sum('skipped' in l for l in lines) == len(chapters) and any('0 to compute' in l for l in lines)
