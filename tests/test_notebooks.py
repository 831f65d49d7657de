"""Every notebook executed once, its checks included. The chapters a run executes are executed by the shared tiny run
(`tiny_run` in conftest.py: the installed wheel's `uncertainty-nn reproduce --profile tiny`); the others through
nbdev's own runner, one test a notebook."""
import json, pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_nb
from uncertainty_nn.config import CHAPTERS
from conftest import ROOT, needs_data

RUN_CHAPTERS = [c.name for c in CHAPTERS]
OTHERS = [p for p in sorted((ROOT/'nbs').glob('[0-9][0-9]_*.ipynb')) + [ROOT/'nbs'/'index.ipynb']
          if p.stem not in RUN_CHAPTERS]
NEED_RUN = {'26_reproduce', 'index', '02_cifar10'}   # read the tiny run, or CIFAR-10 itself

def test_every_notebook_is_executed_somewhere():
    every = {p.stem for p in (ROOT/'nbs').glob('*.ipynb')}
    assert every == set(RUN_CHAPTERS) | {p.stem for p in OTHERS}

@needs_data
@pytest.mark.parametrize('name', RUN_CHAPTERS)
def test_chapter(name, tiny_run):
    "The chapter ran to its end in the tiny run: every cell, its checks included."
    done, failed = tiny_run/'notebooks'/f'{name}.ipynb', tiny_run/'notebooks'/f'{name}.failed.ipynb'
    if failed.exists():
        nb = json.loads(failed.read_text())
        errs = [o for c in nb['cells'] for o in c.get('outputs', []) if o.get('output_type') == 'error']
        pytest.fail(f"{name} failed in the tiny run: " + '\n'.join(f"{e['ename']}: {e['evalue']}" for e in errs))
    r = json.loads((tiny_run/'tiny.json').read_text())
    assert done.exists(), f"{name} did not run (exit code {r['returncode']}):\n{r['stderr']}"
    ran = json.loads(done.read_text())['metadata']['papermill']['input_path']
    assert '/uncertainty_nn/nbs/' in ran and str(ROOT) not in ran, ran       # the wheel's own copy of the chapter

def run_notebook(nb, run_path, monkeypatch):
    monkeypatch.setenv('UNCERTAINTY_NN_RUN', str(run_path))
    monkeypatch.setenv('UNCERTAINTY_NN_QUIET', '1')
    monkeypatch.setenv('MPLBACKEND', 'Agg')
    cfg = get_config(ROOT)
    ok, secs = run_nb(nb, skip_flags=cfg.tst_flags.split(), cell_timeout=cfg.cell_timeout)
    print(f"{nb.name}: {secs:.1f} s")
    assert ok, f"{nb.name} failed: its traceback is printed above (stderr)"

@pytest.mark.parametrize('nb', [p for p in OTHERS if p.stem not in NEED_RUN], ids=lambda p: p.stem)
def test_notebook(nb, run_path, monkeypatch): run_notebook(nb, run_path, monkeypatch)

@needs_data
@pytest.mark.parametrize('nb', [p for p in OTHERS if p.stem in NEED_RUN], ids=lambda p: p.stem)
def test_notebook_on_the_tiny_run(nb, tiny_run, monkeypatch):
    "A notebook that reads the tiny run (or CIFAR-10 itself): it finds the run done, asking for its precision, fp32."
    monkeypatch.setenv('UNCERTAINTY_NN_PRECISION', 'fp32')
    run_notebook(nb, tiny_run, monkeypatch)
