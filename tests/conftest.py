import json, os, subprocess, sys, threading, pytest
from pathlib import Path

# Exact comparisons run on the CPU, so that they cannot flake on a GPU machine: everything that picks its device by
# default (chapters run by the notebook tests included) takes it from here; tests/test_gpu.py names CUDA.
os.environ.setdefault('UNCERTAINTY_NN_DEVICE', 'cpu')
# The switch of chapter 01_core: this machine answers as one with native bfloat16 does (most servers since 2023), so a
# run's default resolves to bf16 here whatever this CPU has. Library functions compute in float32 unless told otherwise,
# so exact comparisons hold; the tiny run asks for fp32 (`--precision fp32`) while its chapters run on this "machine".
# Set it to fp32 to take the other path.
os.environ.setdefault('UNCERTAINTY_NN_PRECISION', 'bf16')
# The tiny run shares the cores with the other tests (`tiny_in_background`): OpenMP threads that wait for work yield
# their core at once instead of spinning (before torch is imported; the numbers do not depend on it).
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture(scope='session')
def run_path(tmp_path_factory):
    "One run directory shared by the tests of a session: the tiny run, which the notebook tests then find done."
    return tmp_path_factory.mktemp('run')

def real_data_available():
    from uncertainty_nn.cifar10 import find_source
    try: return find_source()[0] is not None
    except Exception: return False

def have_data() -> bool: return bool(os.environ.get('UNCERTAINTY_NN_DATA')) or real_data_available()
NO_DATA = 'real CIFAR-10 not found: set $UNCERTAINTY_NN_DATA to its archive or folder'
needs_data = pytest.mark.skipif(not have_data(), reason=NO_DATA)

def wheel_env(tmp: Path, env: dict | None = None) -> Path:
    """A virtual environment outside the clone holding this package built as a wheel (its chapters inside), and seeing
    this environment's other packages through a `.pth` file; its `bin` folder. `env`: the environment of the commands
    (default: this process's)."""
    dist, venv = tmp/'dist', tmp/'venv'
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', str(dist),
                    str(ROOT)], check=True, cwd=tmp, env=env)
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True, env=env)
    py = venv/'bin'/'python'
    site = subprocess.run([str(py), '-c', 'import sysconfig; print(sysconfig.get_path("purelib"))'], check=True,
                          capture_output=True, text=True, env=env).stdout.strip()
    ours = [p for p in sys.path if p.endswith('site-packages') and Path(p).is_dir()]
    (Path(site)/'others.pth').write_text('\n'.join(ours) + '\n')       # after its own site-packages: the wheel wins
    wheel = next(dist.glob('uncertainty_nn-*.whl'))
    subprocess.run([sys.executable, '-m', 'pip', '--python', str(py), 'install', '--no-deps', '-q', str(wheel)],
                   check=True, env=env)
    return venv/'bin'

def make_tiny_run(run_path: Path, tmp: Path, started: dict, env: dict):
    """`uncertainty-nn reproduce --profile tiny --precision fp32` by the package installed from its wheel,
    started in an empty folder with environment `env` (taken before any test could change this process's), into
    `run_path`; its exit code and error output go to `run_path/'tiny.json'`. `started['proc']` holds the process while
    it runs. Its chapters run where the machine's answer is bf16 (the switch above): a check that asked the machine
    for its precision, instead of pinning fp32 or taking the run's, would compute in bf16 and fail there."""
    bin_ = wheel_env(tmp, env)
    empty = tmp/'empty'; empty.mkdir()
    env = {**env, 'PATH': f"{bin_}{os.pathsep}{env['PATH']}", 'VIRTUAL_ENV': str(bin_.parent)}
    env.pop('PYTHONPATH', None)
    p = started['proc'] = subprocess.Popen(
        [str(bin_/'uncertainty-nn'), 'reproduce', '--profile', 'tiny', '--precision', 'fp32', '--out', str(run_path)],
        cwd=empty, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate()
    (run_path/'tiny.json').write_text(json.dumps(dict(returncode=p.returncode, stderr=err[-4000:], stdout=out[-4000:],
                                                      bin=str(bin_))))

def needs_tiny(item) -> bool:
    "Whether `item` asks for the tiny run: as a fixture, or when its own work is done (marked `tiny_run_at_end`)."
    return 'tiny_run' in getattr(item, 'fixturenames', ()) or item.get_closest_marker('tiny_run_at_end') is not None

_TINY = {}             # the tiny run made in the background: its thread, process and error; the site's process

def needs_site(item) -> bool: return 'site' in getattr(item, 'fixturenames', ())

BUILD_SITE = 'import sys; from uncertainty_nn.docs import build_docs; build_docs(sys.argv[1], run=sys.argv[2])'

@pytest.fixture(scope='session', autouse=True)
def tiny_in_background(request, run_path, tmp_path_factory):
    """When a test of this session needs the tiny run (and CIFAR-10 is here), start it as the session starts, on a
    thread that waits for its processes: the tests that do not need it run meanwhile (they come first, see
    `pytest_collection_modifyitems`), each on whatever core the run leaves idle. When the run ends, the docs site of it
    is built in a process of its own while the first tests that need the run run (`tiny_site`). Stopped if the
    session ends first."""
    items = request.session.items
    if have_data() and any(needs_tiny(i) for i in items):
        tmp, env = tmp_path_factory.mktemp('wheel'), dict(os.environ)
        site = tmp_path_factory.mktemp('docs')/'site' if any(needs_site(i) for i in items) else None
        def make():
            try:
                make_tiny_run(run_path, tmp, _TINY, env)
                if site: _TINY['site'] = site, subprocess.Popen([sys.executable, '-c', BUILD_SITE, str(site),
                                                                 str(run_path)], env=env, cwd=ROOT, text=True,
                                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            except BaseException as e: _TINY['error'] = e
        _TINY['thread'] = threading.Thread(target=make, daemon=True); _TINY['thread'].start()
    yield
    for p in (_TINY.get('proc'), _TINY.get('site', (None, None))[1]):
        if p is not None and p.poll() is None: p.kill()

@pytest.fixture(scope='session')
def tiny_run(run_path, tiny_in_background, tmp_path_factory):
    """The shared tiny run (`make_tiny_run`) in `run_path`, waited for. Every chapter notebook is executed there once
    (its checks included); the chapter tests, the notebook of `26_reproduce`, the site and the Ray comparison read
    it."""
    if not have_data(): pytest.skip(NO_DATA)
    if 'thread' in _TINY: _TINY['thread'].join()
    else: make_tiny_run(run_path, tmp_path_factory.mktemp('wheel'), _TINY, dict(os.environ))  # not foreseen: made now
    if 'error' in _TINY: raise _TINY['error']
    return run_path

def tiny_site(tiny_run: Path, tmp_path_factory) -> Path:
    "The docs site of the tiny run: the one `tiny_in_background` builds as the run ends, waited for; else built here."
    if 'site' not in _TINY:
        from uncertainty_nn.docs import build_docs
        return build_docs(tmp_path_factory.mktemp('docs')/'site', run=tiny_run)
    site, p = _TINY['site']
    out, err = p.communicate()
    assert p.returncode == 0, f"building the site of the tiny run failed (exit code {p.returncode}):\n{err[-3000:]}"
    return site

@pytest.fixture(scope='module')
def ray_local():
    "A local Ray with 2 CPUs, started once for each test module that asks for it (about 5 s) and shut down after it."
    ray = pytest.importorskip('ray')
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()

SLOW_FIXTURES = {'tiny_run', 'site', 'ray_local'}

def pytest_collection_modifyitems(config, items):
    """Mark as slow every test that needs the tiny run, the docs site built from it, or Ray; and put the tests that
    need the tiny run last, in their order, so that the others run while it is made (`tiny_in_background`): first
    those that work before they ask for it, then those that wait for it from the start."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, 'fixturenames', ())) or needs_tiny(item): item.add_marker(pytest.mark.slow)
    late = [i for i in items if needs_tiny(i)]
    items[:] = ([i for i in items if not needs_tiny(i)] + [i for i in late if 'tiny_run' not in i.fixturenames]
                + [i for i in late if 'tiny_run' in i.fixturenames])
