"Execute every notebook through nbdev's own runner, one pytest test a notebook."
import os, pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_nb
from conftest import ROOT

NBS = sorted((ROOT/'nbs').glob('[0-9][0-9]_*.ipynb')) + [ROOT/'nbs'/'index.ipynb']

@pytest.mark.parametrize('nb', NBS, ids=[p.stem for p in NBS])
def test_notebook(nb, run_path, monkeypatch):
    monkeypatch.setenv('UNCERTAINTY_NN_RUN', str(run_path))
    monkeypatch.setenv('UNCERTAINTY_NN_QUIET', '1')
    monkeypatch.setenv('MPLBACKEND', 'Agg')
    cfg = get_config(ROOT)
    ok, secs = run_nb(nb, skip_flags=cfg.tst_flags.split(), cell_timeout=cfg.cell_timeout)
    print(f"{nb.name}: {secs:.1f} s")
    assert ok, f"{nb.name} failed: its traceback is printed above (stderr)"
