"The pipeline's own logic on small made-up notebooks and metrics: skipping, failure messages, claims, report, docs."
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
    make_nb(tmp_path/'00_data.ipynb', ["raise RuntimeError('no data here')"])
    assert R.main(['reproduce', '--profile', 'tiny', '--out', str(tmp_path/'run'), '--nbs', str(tmp_path), '--chapters', '00_data']) == 1
    err = capsys.readouterr().err
    assert err.startswith('uncertainty-nn: 00_data failed') and '00_data.failed.ipynb' in err and 'Traceback' not in err

def test_missing_notebooks_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match='--nbs'): R.find_nbs(tmp_path)

def metrics(cl_ta=(.3, .6), cl_ra=(.2, .1), tcl_ta=(.5, .4), tcl_ra=(.3, .2), corr=0.4, windowed_below=0.0):
    return {
        'fig1': {'results': {'conv': {'fgsm': {'clean': .6, 'robust': .05}, 'bim': {'robust': .01}}}},
        'fig3': {'record': {'conv': {'0': {'ta': .3, 'ra': .1}, '20': {'ta': .9, 'ra': .7}}}},
        'fig6': {'results': {'conv': {'1': dict(cl_ta=cl_ta[0], cl_ra=cl_ra[0], tcl_ta=tcl_ta[0], tcl_ra=tcl_ra[0]),
                                      '5': dict(cl_ta=cl_ta[1], cl_ra=cl_ra[1], tcl_ta=tcl_ta[1], tcl_ra=tcl_ra[1])}}},
        'fig7': {'corr': {'ratio_shift': corr, 'ratio_noshift': -corr, 'radial_share': corr}, 'radius': 8, 'rows': [0] * 6},
        'theory': {'commutator_identity': True, 'gaussian_product': 0.5,
                   'classifier': {'windowed': {'frac_below_half': windowed_below, 'min': .56}, 'box': {'frac_below_half': 1.0}}},
    }

def verdicts(per_seed): return {r['claim']: r['verdict'] for r in R.evaluate_claims(per_seed)}

def test_claims_supported():
    v = verdicts({0: metrics()})
    assert set(v.values()) == {'supported'}, v

def test_claims_not_supported():
    v = verdicts({0: metrics(cl_ta=(.6, .3), tcl_ta=(.2, .5), tcl_ra=(.1, .3), corr=-0.2, windowed_below=0.1)})
    for c in ['CL trades TA against RA', 'TCL loses TA and RA as N_epoch grows', 'TCL gains TA and RA at N_epoch = 1',
              'high-frequency ratio rises with TA', 'σ_p σ_x ≥ 1/2']:
        assert v[c] == 'not supported', (c, v[c])

def test_claims_mixed_over_seeds_and_missing():
    v = verdicts({0: metrics(), 1: metrics(corr=-0.1), 2: {}})
    assert v['high-frequency ratio rises with TA'] == 'mixed (1 of 2 seeds)'
    assert verdicts({0: {}})['FGSM collapses accuracy'] == 'not run'

def test_write_report(tmp_path):
    runs = {}
    for s in (0, 1):
        r = tmp_path/f'seed_{s}'; (r/'metrics').mkdir(parents=True); (r/'figures').mkdir()
        for k, v in metrics(corr=0.1 + s).items(): (r/'metrics'/f'{k}.json').write_text(json.dumps(v))
        (r/'figures'/'fig7_ratio.png').write_bytes(b'\x89PNG fake'); runs[s] = r
    m = R.write_report(tmp_path, runs, 'smoke', seconds=90)
    md = (tmp_path/'report.md').read_text()
    assert '| high-frequency ratio rises with TA | **supported** |' in md and '![Fig 7' in md and 'seed 1:' in md
    assert m['across_seeds']['fig7/corr/ratio_shift'] == pytest.approx(dict(mean=0.6, std=0.5, n=2))
    assert "<img src='figures/fig7_ratio.png'" in (tmp_path/'report.html').read_text()
    assert '| fig7/corr/ratio_shift | 0.6000 | 0.5000 |' in md and 'Across seeds' in (tmp_path/'report.html').read_text()
    assert json.loads((tmp_path/'metrics.json').read_text())['claims'][0]['verdict'] == 'supported'

PNG = base64.b64encode(bytes.fromhex('89504e470d0a1a0a0000000d4948445200000001000000010806000000'
                                     '1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082')).decode()

def test_docs_hold_figures(tmp_path):
    src = tmp_path/'nbs'; src.mkdir()
    nb = make_nb(src/'00_data.ipynb', ["#| hide\nsecret = 1", "plot()", "#| export\ndef documented(x):\n    'A documented function.'\n    return x"])
    d = nbformat.read(str(nb), 4)
    d.cells[2].outputs = [nbformat.v4.new_output('display_data', data={'image/png': PNG, 'text/plain': '<Figure>'})]
    nbformat.write(d, str(nb))
    out = R.build_docs(tmp_path/'site', nbs=src)
    page = (out/'00_data.html').read_text()
    assert 'data:image/png;base64' in page and 'secret = 1' not in page and 'A documented function.' in page and '#| export' not in page and '#| hide' not in page
    assert "href='00_data.html'" in (out/'toc.html').read_text()

# ---- the tiny profile, in-process and on Ray (the `ray_local` fixture of conftest.py)

@needs_data
def test_tiny_profile_same_metrics_inprocess_and_ray(run_path, tmp_path, ray_local):
    "The in-process run is the one the notebook tests left in `run_path` (10_reproduce runs it), or made here when run alone."
    import torch
    from uncertainty_nn.artifacts import Store, CHAPTERS
    quiet = lambda *a, **k: None
    inproc = json.loads((run_path/'metrics.json').read_text()) if (run_path/'metrics.json').exists() else R.reproduce('tiny', run_path, log=quiet)
    threads = torch.get_num_threads()      # a task per `threads` CPUs computes with this process's threads: the same sums
    on_ray = R.reproduce('tiny', tmp_path, executor='ray', cpus_per_task=threads, log=quiet)
    assert on_ray['per_seed'] == inproc['per_seed'] and on_ray['claims'] == inproc['claims']
    st = Store(tmp_path/'store'); n = len(st.log())
    lines = []
    R.reproduce('tiny', tmp_path, executor='ray', cpus_per_task=threads, log=lambda *a, **k: lines.append(' '.join(map(str, a))))
    assert len(st.log()) == n and sum('skipped' in l for l in lines) == len(CHAPTERS) and any('0 to compute' in l for l in lines)
