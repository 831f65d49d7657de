import os, pytest
from pathlib import Path

# Exact comparisons run on the CPU in float32, so that they cannot flake on a GPU machine: everything that picks its device by
# default (chapters run by the notebook tests included) takes it from here; tests/test_gpu.py names CUDA explicitly.
os.environ.setdefault('UNCERTAINTY_NN_DEVICE', 'cpu')
os.environ.setdefault('UNCERTAINTY_NN_PRECISION', 'fp32')      # and in float32, whatever this CPU's bfloat16

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture(scope='session')
def run_path(tmp_path_factory):
    "One run directory shared by the notebook tests of a session, so later chapters reuse what earlier ones wrote."
    return tmp_path_factory.mktemp('run')

def real_data_available():
    from uncertainty_nn.data import find_source
    try: return find_source()[0] is not None
    except Exception: return False

needs_data = pytest.mark.skipif(not os.environ.get('UNCERTAINTY_NN_DATA') and not real_data_available(),
                                reason='real CIFAR-10 not found: set $UNCERTAINTY_NN_DATA to its archive or folder')

@pytest.fixture(scope='module')
def ray_local():
    "A local Ray with 2 CPUs, started once for each test module that asks for it (about 5 s) and shut down after it."
    ray = pytest.importorskip('ray')
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()
