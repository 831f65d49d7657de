"The artifact store, the plan and the executors (in-process and Ray): keys, idempotence, faults, and the command line."
import json, os, signal, subprocess, sys, time
from dataclasses import dataclass, replace
from pathlib import Path
import pytest, torch
from uncertainty_nn import artifacts as A, cli as R
from uncertainty_nn.data import save_torch
from conftest import needs_data, ROOT

def toy_kind():
    "An artifact kind made in a function, so that Ray ships it to its workers by value; `die_once` kills the first attempt's process."
    @dataclass(frozen=True, eq=False)
    class Toy(A.Artifact):
        kind = 'toy'
        x: int
        parent: object = None
        die_once: str = ''
        def params(self): return dict(x=self.x, parent=self.parent.key if self.parent else None)
        def deps(self): return [self.parent] if self.parent else []
        def name(self): return f"x={self.x}"
        def compute(self, store):
            if self.die_once and not Path(self.die_once).exists():
                Path(self.die_once).touch(); os._exit(1)             # the worker process dies mid-task
            return (store.get(self.parent) if self.parent else torch.zeros(1)) + self.x
        def save(self, obj, path): save_torch(path, obj)
        def load(self, path): return torch.load(path, weights_only=True)
    return Toy

def quiet(*a, **k): pass

# ---- keys

def spec(**kw):
    cl = A.ClassifierSpec(A.DataSpec(2000, 200, digest='0' * 16), 'conv', 'tiny', 2)
    return A.GeneratorSpec(A.IFASpec(cl, **{**dict(n=300, n_iter=20), **kw}))

def test_generator_is_keyed_by_its_delta():
    g = spec()
    assert spec(eps=4/255).key != g.key and spec(clamp=True).key != g.key and spec(n_iter=21).key != g.key
    assert spec(record_at=[0, 5], ra_steps=9).key == g.key                  # measured on the way: same Δ_N, same generator
    assert replace(g, ngf=32).key != g.key and replace(g, lr=1e-3).key != g.key

def test_plan_merges_measurements_of_one_delta():
    cl = A.ClassifierSpec(A.DataSpec(2000, 200, digest='0' * 16), 'conv', 'tiny', 2)
    p = A.plan_of([A.IFASpec(cl, n=300, n_iter=20, record_at=[0, 5]), A.GeneratorSpec(A.IFASpec(cl, n=300, n_iter=20, record_at=[20]))])
    assert [a.kind for a in p] == ['classifier', 'ifa', 'generator']
    assert p.of_kind('ifa')[0].record_at == (0, 5, 20)
    with pytest.raises(ValueError, match='different BIM steps'):
        A.plan_of([A.IFASpec(cl, record_at=[1]), A.IFASpec(cl, record_at=[2], ra_steps=10)])

# ---- the store

def test_store_computes_once_and_never_serves_half_written(tmp_path):
    Toy = toy_kind(); st = A.Store(tmp_path)
    a = Toy(1); b = Toy(2, a)
    assert st.get(b).item() == 3 and [e['name'] for e in st.log()] == ['x=1', 'x=2']
    assert st.get(b).item() == 3 and len(st.log()) == 2                     # served
    st._about(b).unlink()                                                    # killed after the file, before its description
    assert not st.done(b) and st.get(b).item() == 3 and len(st.log()) == 3
    st.path(a).write_bytes(b'junk')                                          # corrupt
    with pytest.warns(UserWarning, match='unreadable'): assert st.get(a).item() == 1
    about = json.loads(st._about(a).read_text()); about['params']['x'] = 5
    st._about(a).write_text(json.dumps(about))                               # stale: another artifact's description
    assert not st.done(a)

def test_inprocess_materialize_names_the_failed_artifact(tmp_path):
    Toy = toy_kind()
    @dataclass(frozen=True, eq=False)
    class Broken(Toy):
        def compute(self, store): raise RuntimeError('out of memory')
    with pytest.raises(A.ArtifactFailed, match=r"toy x=7 \(key \w+\) failed: RuntimeError: out of memory"):
        A.materialize(A.plan_of([Broken(7)]), A.Store(tmp_path), log=quiet)
    assert not A.Store(tmp_path).done(Broken(7))

# ---- the plan of a profile

@needs_data
def test_paper_plan_holds_each_artifact_once_per_seed():
    p = A.make_plan('paper', seeds=(0, 1, 2))
    ifa = p.of_kind('ifa'); big = [a for a in ifa if a.n_iter == 200]
    assert len(p.of_kind('classifier')) == 3 * 18 and len(big) == 3 * 6 and len(p.of_kind('generator')) == 3 * 6
    assert {a.count() for a in big} == {50_000} and sum(a.n_iter == 1 for a in ifa) == 3 * 36 and len(ifa) == 3 * 42   # Δ₁ of training and test images
    assert len(p.of_kind('robust')) == 3 * 3 and {(a.method, a.beta) for a in p.of_kind('robust')} == {('pgd', 0.0), ('trades', 1.0), ('trades', 6.0)}
    assert len({a.key for a in p}) == len(p)
    assert {a.record_at for a in big if a.classifier.epochs == 50} == {(0, 1, 2, 5, 10, 20, 50, 100, 200)}
    assert all(p.of_kind('generator')[0].ifa.key in {a.key for a in big} for _ in [0])

@needs_data
def test_a_bf16_store_is_never_served_to_an_fp32_request(tmp_path):
    "Precision is in every key: a classifier trained in bfloat16 is another artifact than the same one in float32."
    data = A.DataSpec(200, 100)
    st = A.Store(tmp_path, device='cpu', quiet=True)
    bf = st.get(A.ClassifierSpec(data, 'conv', 'tiny', 1, precision='bf16'))
    fp = A.ClassifierSpec(data, 'conv', 'tiny', 1, precision='fp32')
    assert bf.meta['precision'] == 'bf16' and not st.done(fp) and st.load(fp) is None
    assert st.get(fp).meta['precision'] == 'fp32' and [e['name'] for e in st.log()] == ['conv-tiny e1 s0'] * 2
    about = json.loads(st._about(fp).read_text())
    assert about['threads'] == torch.get_num_threads() and about['device'] == 'cpu' and about['torch'] == torch.__version__

@needs_data
def test_overrides_reach_the_plan():
    p = A.make_plan('tiny', overrides=A.parse_overrides(['03_ifa.n_iter=3', 'n_ifa=50']), chapters=['03_ifa', '04_pix2pix'])
    assert sorted({(a.n_iter, a.count()) for a in p.of_kind('ifa')}) == [(3, 50), (20, 50)]

@needs_data
def test_plan_cli_json(tmp_path, capsys):
    assert R.main(['plan', '--profile', 'tiny', '--out', str(tmp_path), '--chapters', '03_ifa', '--json']) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r['kind'] for r in rows] == ['classifier', 'ifa', 'classifier', 'ifa'] and not any(r['done'] for r in rows)
    assert rows[1]['deps'] == [rows[0]['key']] and rows[1]['work'] == 300 * (20 + 6 * 6)
    assert R.main(['plan', '--profile', 'tiny', '--out', str(tmp_path), '--chapters', '03_ifa']) == 0
    assert 'ifa' in capsys.readouterr().out

# ---- bad input, before anything is written

@pytest.mark.parametrize('args, msg', [(['--device', 'tpu9'], "not a device torch knows"),
                                      (['--set', 'n_iterz=3'], "declares a parameter 'n_iterz'"),
                                      (['--set', '03_ifa.n_iter=many'], 'expected int'),
                                      (['--executor', 'ray', '--address', '127.0.0.1:9'], "no Ray cluster at '127.0.0.1:9'"),
                                      (['--executor', 'ray', '--device', 'cuda:1'], 'sees only the GPU Ray gives it'),
                                      (['--precision', 'tf32', '--device', 'cpu'], 'CUDA only'),
                                      (['--data', '/no/such/cifar'], 'does not exist')])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, msg):
    out = tmp_path/'run'
    assert R.main(['reproduce', '--profile', 'tiny', '--out', str(out)] + args) == 2
    err = capsys.readouterr().err
    assert msg in err and err.count('\n') == 1 and 'Traceback' not in err and not out.exists()

@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the message for a machine without CUDA')
def test_cuda_without_cuda(tmp_path, capsys):
    assert R.main(['reproduce', '--profile', 'tiny', '--out', str(tmp_path/'r'), '--device', 'cuda']) == 2
    assert 'torch.cuda.is_available() is False' in capsys.readouterr().err

def test_unknown_executor(capsys):
    with pytest.raises(SystemExit) as e: R.main(['reproduce', '--executor', 'dask'])
    assert e.value.code == 2 and "invalid choice: 'dask'" in capsys.readouterr().err

def test_ray_missing_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'ray', None)
    with pytest.raises(A.UsageError, match=r'pip install -e "\.\[ray\]"'): A.connect_ray()

# ---- Ctrl-C, then the same command again

@needs_data
def test_interrupted_reproduce_recomputes_nothing_finished(tmp_path):
    cmd = [sys.executable, '-c', 'import sys; from uncertainty_nn.cli import main; sys.exit(main(sys.argv[1:]))', 'reproduce', '--profile', 'tiny', '--out', str(tmp_path), '--chapters', '01_classifiers', '--set', 'n_train=500']
    log = tmp_path/'store'/'log.jsonl'
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while not (log.exists() and log.read_text().count('\n') >= 1) and time.time() - t0 < 120: time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    assert p.wait(60) == 130 and 'run the same command again' in p.stderr.read()
    first = [json.loads(l)['key'] for l in log.read_text().splitlines()]
    assert 1 <= len(first) < 3
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    keys = [json.loads(l)['key'] for l in log.read_text().splitlines()]
    assert keys[:len(first)] == first and len(keys) == len(set(keys)) == 3     # each classifier computed once

# ---- Ray (a local Ray with 2 CPUs: the `ray_local` fixture of conftest.py)

def test_ray_respects_dependencies_and_survives_a_killed_worker(tmp_path, ray_local):
    Toy = toy_kind(); st = A.Store(tmp_path)
    a = Toy(1); b = Toy(2, a, die_once=str(tmp_path/'died')); c = Toy(3, a)
    A.materialize(A.plan_of([b, c]), st, 'ray', log=quiet, gpus_per_task=0)
    assert (tmp_path/'died').exists()                                        # a worker was killed, and the retry finished
    assert st.get(b).item() == 3 and st.get(c).item() == 4
    assert sorted(e['name'] for e in st.log()) == ['x=1', 'x=2', 'x=3']      # each once: b's retry did not recompute a
    assert A.materialize(A.plan_of([b, c]), st, 'ray', log=quiet) == []

def test_ray_without_retries_names_the_artifact(tmp_path, ray_local):
    Toy = toy_kind()
    b = Toy(5, die_once=str(tmp_path/'died'))
    with pytest.raises(A.ArtifactFailed, match=r'toy x=5 \(key \w+\) failed on Ray'):
        A.materialize(A.plan_of([b]), A.Store(tmp_path/'s'), 'ray', log=quiet, gpus_per_task=0, max_retries=0)
    assert not A.Store(tmp_path/'s').done(b)

def test_worker_that_cannot_see_the_store(tmp_path, ray_local):
    task = ray_local.remote(A._ray_make)
    with pytest.raises(Exception, match='cannot see the run.s artifact store') as e:
        ray_local.get(task.remote(str(tmp_path/'elsewhere'), 'token-of-another-driver', 'cpu', 1, toy_kind()(1)))
    assert 'mounts at the same path' in str(e.value)
