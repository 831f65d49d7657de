import json, os, subprocess, sys, pytest
from pathlib import Path

# Exact comparisons run on the CPU in float32, so that they cannot flake on a GPU machine: everything that picks its
# device by default (chapters run by the notebook tests included) takes it from here; tests/test_gpu.py names CUDA.
os.environ.setdefault('UNCERTAINTY_NN_DEVICE', 'cpu')
os.environ.setdefault('UNCERTAINTY_NN_PRECISION', 'fp32')      # and in float32, whatever this CPU's bfloat16

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture(scope='session')
def run_path(tmp_path_factory):
    "One run directory shared by the tests of a session: the tiny run, which the notebook tests then find done."
    return tmp_path_factory.mktemp('run')

def real_data_available():
    from uncertainty_nn.data import find_source
    try: return find_source()[0] is not None
    except Exception: return False

def have_data() -> bool: return bool(os.environ.get('UNCERTAINTY_NN_DATA')) or real_data_available()
NO_DATA = 'real CIFAR-10 not found: set $UNCERTAINTY_NN_DATA to its archive or folder'
needs_data = pytest.mark.skipif(not have_data(), reason=NO_DATA)

def wheel_env(tmp: Path) -> Path:
    """A virtual environment outside the clone holding this package built as a wheel (its chapters inside), and seeing
    this environment's other packages through a `.pth` file; its `bin` folder."""
    dist, venv = tmp/'dist', tmp/'venv'
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', str(dist),
                    str(ROOT)], check=True, cwd=tmp)
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True)
    py = venv/'bin'/'python'
    site = subprocess.run([str(py), '-c', 'import sysconfig; print(sysconfig.get_path("purelib"))'], check=True,
                          capture_output=True, text=True).stdout.strip()
    ours = [p for p in sys.path if p.endswith('site-packages') and Path(p).is_dir()]
    (Path(site)/'others.pth').write_text('\n'.join(ours) + '\n')       # after its own site-packages: the wheel wins
    wheel = next(dist.glob('uncertainty_nn-*.whl'))
    subprocess.run([sys.executable, '-m', 'pip', '--python', str(py), 'install', '--no-deps', '-q', str(wheel)],
                   check=True)
    return venv/'bin'

@pytest.fixture(scope='session')
def tiny_run(run_path, tmp_path_factory):
    """The shared tiny run: `uncertainty-nn reproduce --profile tiny` by the package installed from its wheel, started
    in an empty folder, into `run_path`. Every chapter notebook is executed there once (its checks included); the
    chapter tests, the notebook of `17_reproduce`, the site and the Ray comparison read it. Its exit code and error
    output are in `run_path/'tiny.json'`."""
    if not have_data(): pytest.skip(NO_DATA)
    tmp = tmp_path_factory.mktemp('wheel')
    bin_ = wheel_env(tmp)
    empty = tmp/'empty'; empty.mkdir()
    env = {**os.environ, 'PATH': f"{bin_}{os.pathsep}{os.environ['PATH']}", 'VIRTUAL_ENV': str(bin_.parent)}
    env.pop('PYTHONPATH', None)
    r = subprocess.run([str(bin_/'uncertainty-nn'), 'reproduce', '--profile', 'tiny', '--out', str(run_path)],
                       cwd=empty, env=env, capture_output=True, text=True)
    (run_path/'tiny.json').write_text(json.dumps(dict(returncode=r.returncode, stderr=r.stderr[-4000:],
                                                      stdout=r.stdout[-4000:], bin=str(bin_))))
    return run_path

@pytest.fixture(scope='module')
def ray_local():
    "A local Ray with 2 CPUs, started once for each test module that asks for it (about 5 s) and shut down after it."
    ray = pytest.importorskip('ray')
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()

SLOW_FIXTURES = {'tiny_run', 'site', 'ray_local'}

def pytest_collection_modifyitems(config, items):
    "Mark as slow every test that needs the tiny run, the docs site built from it, or Ray."
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, 'fixturenames', ())): item.add_marker(pytest.mark.slow)
