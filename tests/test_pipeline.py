"""The pipeline around the chapters: keys of the real artifacts, the plan of a profile, the executors (in-process and
Ray), and the command line's answers to bad input and to Ctrl-C. The store's own rules are checked in its chapter."""
import json, os, re, signal, subprocess, sys, time
from dataclasses import dataclass, replace
from pathlib import Path
import pytest, torch
from uncertainty_nn import cli
from uncertainty_nn.files import save_torch
from uncertainty_nn.store import Artifact, DataSpec, Store
from uncertainty_nn.classifiers import ClassifierSpec
from uncertainty_nn.ifa import IFASpec
from uncertainty_nn.pix2pix import GeneratorSpec
from uncertainty_nn.plan import plan_of, make_plan
from uncertainty_nn.config import parse_overrides, UsageError
from uncertainty_nn.executors import materialize, ArtifactFailed, RunDirNotShared, connect_ray, _ray_make
from conftest import needs_data

def toy_kind():
    "An artifact kind made in a function, so that Ray ships it by value; `die_once` kills the first attempt's process."
    @dataclass(frozen=True, eq=False)
    class Toy(Artifact):
        kind = 'toy'
        x: int
        parent: object = None
        die_once: str = ''
        sleep: float = 0.0
        def params(self): return dict(x=self.x, parent=self.parent.key if self.parent else None)
        def deps(self): return [self.parent] if self.parent else []
        def name(self): return f"x={self.x}"
        def compute(self, store):
            if self.die_once and not Path(self.die_once).exists():
                Path(self.die_once).touch(); os._exit(1)             # the worker process dies mid-task
            time.sleep(self.sleep)
            return (store.get(self.parent) if self.parent else torch.zeros(1)) + self.x
        def save(self, obj, path): save_torch(path, obj)
        def load(self, path): return torch.load(path, weights_only=True)
    return Toy

def quiet(*a, **k): pass

# ---- keys

CL = ClassifierSpec(DataSpec(2000, 200, digest='0' * 16), 'conv', 'tiny', 2)

def spec(**kw): return GeneratorSpec(IFASpec(CL, **{**dict(n=300, n_iter=20), **kw}))

def test_generator_is_keyed_by_its_delta():
    g = spec()
    assert spec(eps=4/255).key != g.key and spec(clamp=True).key != g.key and spec(n_iter=21).key != g.key
    # measured on the way: same Δ_N, same generator
    assert spec(record_at=[0, 5], ra_steps=9).key == g.key
    assert replace(g, ngf=32).key != g.key and replace(g, lr=1e-3).key != g.key

def test_plan_merges_measurements_of_one_delta():
    p = plan_of([IFASpec(CL, n=300, n_iter=20, record_at=[0, 5]),
                 GeneratorSpec(IFASpec(CL, n=300, n_iter=20, record_at=[20]))])
    assert [a.kind for a in p] == ['classifier', 'ifa', 'generator']
    assert p.of_kind('ifa')[0].record_at == (0, 5, 20)
    with pytest.raises(ValueError, match='different BIM steps'):
        plan_of([IFASpec(CL, record_at=[1]), IFASpec(CL, record_at=[2], ra_steps=10)])

# ---- the plan of a profile

@needs_data
def test_a_bf16_store_is_never_served_to_an_fp32_request(tmp_path):
    "Precision is in every key: a classifier trained in bfloat16 is another artifact than the same one in float32."
    data = DataSpec(200, 100)
    st = Store(tmp_path, device='cpu', quiet=True)
    bf = st.get(ClassifierSpec(data, 'conv', 'tiny', 1, precision='bf16'))
    fp = ClassifierSpec(data, 'conv', 'tiny', 1, precision='fp32')
    assert bf.meta['precision'] == 'bf16' and not st.done(fp) and st.load(fp) is None
    assert st.get(fp).meta['precision'] == 'fp32' and [e['name'] for e in st.log()] == ['conv-tiny e1 s0'] * 2
    about = json.loads(st._about(fp).read_text())
    assert (about['threads'], about['device'], about['torch']) == (torch.get_num_threads(), 'cpu', torch.__version__)

@needs_data
def test_a_run_counts_the_seconds_its_artifacts_took(tmp_path):
    "Whichever invocation computed them, as each recorded it; an artifact the plan does not hold does not count."
    from uncertainty_nn.plan import plan_of, artifact_seconds
    Toy = toy_kind(); st = Store(tmp_path)
    a = Toy(1, sleep=0.3); b = Toy(2, a, sleep=0.2); other = Toy(3, sleep=0.4)
    for x in (a, b, other): st.get(x)                    # dependencies first, as a plan computes them
    logged = {e['name']: e['seconds'] for e in st.log()}
    assert artifact_seconds(plan_of([b]), st) == pytest.approx(logged['x=1'] + logged['x=2'], abs=0.05)
    assert 0.5 <= artifact_seconds(plan_of([b]), st) < 0.8
    assert artifact_seconds(plan_of([Toy(4)]), st) == 0                  # not computed yet: nothing to count

def test_overrides_reach_the_plan():
    p = make_plan('tiny', overrides=['12_fig3.n_iter=3', 'n_ifa=50'],
                  chapters=['12_fig3', '15_pix2pix'])
    assert sorted({(a.n_iter, a.count()) for a in p.of_kind('ifa')}) == [(3, 50), (20, 50)]

@needs_data
def test_plan_cli_json(tmp_path, capsys):
    assert cli.main(['plan', '--profile', 'tiny', '--out', str(tmp_path), '--chapters', '12_fig3', '--json']) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r['kind'] for r in rows] == ['classifier', 'ifa', 'classifier', 'ifa', 'fig3']
    assert rows[1]['deps'] == [rows[0]['key']] and rows[1]['work'] == 300 * (20 + 6 * 6)
    assert not any(r['done'] for r in rows)
    assert rows[4]['deps'] == [rows[1]['key'], rows[3]['key']]         # Fig 3's measurement: an artifact of the plan
    assert cli.main(['plan', '--profile', 'tiny', '--out', str(tmp_path), '--chapters', '12_fig3']) == 0
    assert 'ifa' in capsys.readouterr().out

@needs_data
def test_plan_lists_every_figure_measurement(tmp_path, capsys):
    "Everything a run computes is in its plan: the figures' measurements too, each after what it reads."
    assert cli.main(['plan', '--profile', 'tiny', '--out', str(tmp_path), '--json']) == 0
    rows = json.loads(capsys.readouterr().out)
    kinds = [r['kind'] for r in rows]
    assert {'fig1', 'fig3', 'fig6', 'fig7', 'theory', 'frontier'} <= set(kinds), kinds
    at = {r['key']: i for i, r in enumerate(rows)}
    assert all(at[d] < at[r['key']] for r in rows for d in r['deps'])

# ---- bad input, before anything is written

@pytest.mark.parametrize('args, msg', [(['--device', 'tpu9'], "not a device torch knows"),
                                      (['--set', 'n_iterz=3'], "declares a parameter 'n_iterz'"),
                                      (['--set', '12_fig3.n_iter=many'], 'expected int'),
                                      (['--executor', 'ray', '--address', '127.0.0.1:9'],
                                       "no Ray cluster at '127.0.0.1:9'"),
                                      (['--executor', 'ray', '--device', 'cuda:1'], 'sees only the GPU Ray gives it'),
                                      (['--precision', 'tf32', '--device', 'cpu'], 'CUDA only'),
                                      (['--data', '/no/such/cifar'], 'does not exist')])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, msg):
    out = tmp_path/'run'
    assert cli.main(['reproduce', '--profile', 'tiny', '--out', str(out)] + args) == 2
    err = capsys.readouterr().err
    assert msg in err and err.count('\n') == 1 and 'Traceback' not in err and not out.exists()

@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the message for a machine without CUDA')
def test_cuda_without_cuda(tmp_path, capsys):
    assert cli.main(['reproduce', '--profile', 'tiny', '--out', str(tmp_path/'r'), '--device', 'cuda']) == 2
    assert 'torch.cuda.is_available() is False' in capsys.readouterr().err

def test_unknown_executor(capsys):
    with pytest.raises(SystemExit) as e: cli.main(['reproduce', '--executor', 'dask'])
    assert e.value.code == 2 and "invalid choice: 'dask'" in capsys.readouterr().err

def test_ray_missing_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'ray', None)
    with pytest.raises(UsageError, match=r'pip install "uncertainty_nn\[ray\]"'): connect_ray()

# ---- Ctrl-C, then the same command again

@needs_data
@pytest.mark.slow
def test_interrupted_reproduce_recomputes_nothing_finished(tmp_path):
    cmd = [sys.executable, '-c', 'import sys; from uncertainty_nn.cli import main; sys.exit(main(sys.argv[1:]))',
           'reproduce', '--profile', 'tiny', '--out', str(tmp_path), '--chapters', '08_classifiers',
           '--set', 'n_train=500']
    log = tmp_path/'store'/'log.jsonl'
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while not (log.exists() and log.read_text().count('\n') >= 1) and time.time() - t0 < 120: time.sleep(0.2)
    for _ in range(6):                  # Ctrl-C again if Python dropped it (one raised inside a finalizer is ignored)
        p.send_signal(signal.SIGINT)
        try: p.wait(10); break
        except subprocess.TimeoutExpired: pass
    err = p.stderr.read()
    assert p.wait(60) == 130 and 'run the same command again' in err, err[-2000:]
    first = [json.loads(l)['key'] for l in log.read_text().splitlines()]
    assert 1 <= len(first) < 3
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    keys = [json.loads(l)['key'] for l in log.read_text().splitlines()]
    assert keys[:len(first)] == first and len(keys) == len(set(keys)) == 3     # each classifier computed once

# ---- Ray (a local Ray with 2 CPUs: the `ray_local` fixture of conftest.py)

def test_ray_respects_dependencies_and_survives_a_killed_worker(tmp_path, ray_local):
    Toy = toy_kind(); st = Store(tmp_path)
    a = Toy(1); b = Toy(2, a, die_once=str(tmp_path/'died')); c = Toy(3, a)
    materialize(plan_of([b, c]), st, 'ray', log=quiet, gpus_per_task=0)
    # a worker was killed, and the retry finished
    assert (tmp_path/'died').exists()
    assert st.get(b).item() == 3 and st.get(c).item() == 4
    assert sorted(e['name'] for e in st.log()) == ['x=1', 'x=2', 'x=3']      # each once: b's retry did not recompute a
    assert materialize(plan_of([b, c]), st, 'ray', log=quiet) == []

def test_ray_without_retries_names_the_artifact(tmp_path, ray_local):
    Toy = toy_kind()
    b = Toy(5, die_once=str(tmp_path/'died'))
    with pytest.raises(ArtifactFailed, match=r'toy x=5 \(key \w+\) failed on Ray'):
        materialize(plan_of([b]), Store(tmp_path/'s'), 'ray', log=quiet, gpus_per_task=0, max_retries=0)
    assert not Store(tmp_path/'s').done(b)

def test_worker_that_cannot_see_the_store(tmp_path, ray_local):
    task = ray_local.remote(_ray_make)
    with pytest.raises(RunDirNotShared, match='cannot see the run.s artifact store') as e:   # Ray's error is one too
        ray_local.get(task.remote(str(tmp_path/'elsewhere'), 'token-of-another-driver', 'cpu', 1, toy_kind()(1)))
    assert 'mounts at the same path' in str(e.value)

# ---- what a run cannot do, said in one line before it starts where it can be known (issue 48)

def _tmpfs(path: Path, opts: str) -> bool:
    "Mount a tmpfs at `path` with `opts` (root only): whether it could."
    path.mkdir(parents=True, exist_ok=True)
    return os.geteuid() == 0 and subprocess.run(['mount', '-t', 'tmpfs', '-o', opts, 'tmpfs', str(path)],
                                                capture_output=True).returncode == 0

@pytest.fixture
def read_only(tmp_path):
    "A folder no run can write into: a read-only tmpfs (as root), else a folder without write permission."
    d = tmp_path/'ro'
    if _tmpfs(d, 'ro,size=1m'):
        yield d; subprocess.run(['umount', str(d)]); return
    if os.geteuid() == 0: pytest.skip('as root only a read-only mount makes a folder unwritable, and mount was refused')
    d.chmod(0o555); yield d; d.chmod(0o755)

def test_an_unwritable_out_is_refused_before_any_work(read_only, capsys):
    t0 = time.time()
    assert cli.main(['reproduce', '--profile', 'tiny', '--out', str(read_only/'run')]) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and f"--out {read_only/'run'}: cannot write there" in err and 'Traceback' not in err
    assert time.time() - t0 < 10                                       # before any data was read or anything computed

@needs_data
def test_a_full_disk_is_one_line_and_a_resumed_run_computes_nothing_finished(tmp_path, capsys):
    "A run into a disk of 600 kB: its last classifier does not fit; with more room, only that one is computed."
    out = tmp_path/'small'
    if not _tmpfs(out, 'size=600k'): pytest.skip('needs root to mount a small tmpfs as a full disk')
    try:
        args = ['reproduce', '--profile', 'tiny', '--precision', 'fp32', '--out', str(out), '--chapters', 'classifiers']
        assert cli.main(args) == 1
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert f"the disk holding {out/'store'/'classifier'} is full" in err and 'needed' in err, err
        assert 'run the same command again: nothing it finished is computed again' in err and 'Traceback' not in err
        subprocess.run(['mount', '-o', 'remount,size=64m', str(out)], check=True)
        assert cli.main(args) == 0
        done = re.search(r'plan: (\d+) artifacts, (\d+) done, 1 to compute', capsys.readouterr().out)
        assert done and 1 <= int(done[2]) == int(done[1]) - 1        # what fitted is kept; only the last computed
    finally: subprocess.run(['umount', str(out)])

@needs_data
def test_two_runs_into_one_folder_at_once(tmp_path, capsys):
    "The second run into a folder that a first is writing is refused in one line naming the first; never interleaved."
    import shutil
    out = tmp_path/'run'
    first = subprocess.Popen([shutil.which('uncertainty-nn'), 'reproduce', '--profile', 'tiny', '--precision', 'fp32',
                              '--out', str(out), '--chapters', 'classifiers'], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):                                         # until the first holds the folder
            if (out/'.run.lock').exists() and (out/'.run.lock').read_text(): break
            time.sleep(0.1)
        assert cli.main(['reproduce', '--profile', 'tiny', '--out', str(out), '--chapters', 'classifiers']) == 2
        err = capsys.readouterr().err
        assert err.count('\n') == 1 and f'another run (pid {first.pid} on ' in err and 'is writing into it' in err
    finally: first.kill(); first.wait()

@pytest.mark.tiny_run_at_end
@needs_data
def test_a_damaged_artifact_is_recomputed_and_said(tiny_run, tmp_path, capsys):
    "A classifier overwritten at its own size: verify names it; the next run sets it aside, recomputes it, says so."
    import shutil
    a, b = tmp_path/'a', tmp_path/'b'
    for d in (a, b): shutil.copytree(tiny_run/'store', d/'store')
    from uncertainty_nn.plan import make_plan                        # a classifier the attacks chapter reads
    read = {x.key for x in make_plan('tiny', chapters=['attacks'], precision='fp32').of_kind('classifier')}
    pt = [q for q in sorted((b/'store'/'classifier').glob('*.pt')) if q.stem in read][0]
    raw = bytearray(pt.read_bytes()); raw[len(raw) // 2: len(raw) // 2 + 4096] = bytes(4096)    # same size
    pt.write_bytes(raw)
    assert cli.main(['verify', str(b)]) == 1 and f'damaged: {pt} (classifier' in capsys.readouterr().out
    args = ['reproduce', '--profile', 'tiny', '--precision', 'fp32', '--chapters', 'attacks', '--set',
            'attacks.eps=0.02']
    assert cli.main(args + ['--out', str(a)]) == 0; capsys.readouterr()
    assert cli.main(args + ['--out', str(b)]) == 0
    assert f'damaged: {pt}' in capsys.readouterr().out and str(pt.name) in (b/'report.md').read_text()
    import numpy as np
    assert (a/'metrics'/'fig1.json').read_text() == (b/'metrics'/'fig1.json').read_text()   # as if nothing happened
    with np.load(a/'metrics'/'fig1.npz') as za, np.load(b/'metrics'/'fig1.npz') as zb:
        assert za.files == zb.files and all(np.array_equal(za[k], zb[k]) for k in za.files)
    assert cli.main(['verify', str(b)]) == 0
