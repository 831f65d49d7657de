"""Unit tests of uncertainty_nn.data on small data made here, plus the real archive when $UNCERTAINTY_NN_DATA points
to it."""
from concurrent.futures import ThreadPoolExecutor
import io, pickle, tarfile, time, warnings
import numpy as np, pytest, torch
from PIL import Image
from uncertainty_nn import cifar10 as D
from uncertainty_nn.data import subset
from uncertainty_nn.cifar10 import CIFAR10_CLASSES, DataSourceError, load_cifar10, Split
from conftest import needs_data

def _img(seed):
    return np.random.default_rng(seed).integers(0, 256, (32, 32, 3), dtype=np.uint8)

def make_tree(root, classes=CIFAR10_CLASSES, n_train=2, n_test=1):
    "A PNG image-folder tree (lossless: pixels compare exactly); returns the expected train arrays in label order."
    expect = []
    for split, n in (('train', n_train), ('test', n_test)):
        for c, name in enumerate(classes):
            (root/split/name).mkdir(parents=True, exist_ok=True)
            for i in range(n):
                a = _img(100_000 * (split == 'test') + 100 * c + i)      # the same in every process
                Image.fromarray(a).save(root/split/name/f'{i:04d}.png')
                if split == 'train': expect.append((c, a))
    return expect

def make_tar(tree, path, prefix='cifar10'):
    with tarfile.open(path, 'w:gz') as tf: tf.add(tree, arcname=prefix)
    return path

@pytest.fixture
def env(tmp_path, monkeypatch):
    "Isolate from any real data: no $UNCERTAINTY_NN_DATA, an empty home, no downloads."
    monkeypatch.delenv('UNCERTAINTY_NN_DATA', raising=False)
    monkeypatch.setenv('UNCERTAINTY_NN_HOME', str(tmp_path/'home'))
    monkeypatch.setattr(D, '_download', lambda d: OSError('network unreachable (test)'))
    return tmp_path

def cache_files(d): return sorted(p.name for p in d.glob('*')) if d.exists() else []

def test_image_folder_tree(env):
    expect = make_tree(env/'tree')
    d = load_cifar10(env/'tree', cache_dir=env/'cache')
    assert d.train.x.shape == (20, 3, 32, 32) and d.train.x.dtype == torch.uint8 and d.train.y.dtype == torch.int64
    assert d.test.x.shape == (10, 3, 32, 32)
    assert d.train.y.tolist() == [c for c, _ in expect] and d.classes == CIFAR10_CLASSES
    np.testing.assert_array_equal(d.train.x[3].permute(1, 2, 0).numpy(), expect[3][1])

def test_loads_at_the_same_moment_decode_once(env, monkeypatch):
    "Two loads of one source at once (threads here; processes alike): one decodes, the other reads its cache."
    make_tree(env/'tree')
    calls, real = [], D._read_folder
    def slow(root): calls.append(root); time.sleep(1); return real(root)
    monkeypatch.setattr(D, '_read_folder', slow)
    with ThreadPoolExecutor(2) as ex:
        a, b = ex.map(lambda _: load_cifar10(env/'tree', cache_dir=env/'cache'), range(2))
    assert len(calls) == 1 and torch.equal(a.train.x, b.train.x) and torch.equal(a.test.y, b.test.y)
    assert cache_files(env/'cache') == [f'cifar10-{D._source_key("folder", env/"tree")}.npz']     # no lock file

def test_archive_equals_tree(env):
    make_tree(env/'tree')
    a = load_cifar10(make_tar(env/'tree', env/'c.tar.gz'), cache_dir=env/'cache')
    b = load_cifar10(env/'tree', cache_dir=env/'cache2')
    assert torch.equal(a.train.x, b.train.x) and torch.equal(a.test.y, b.test.y)

def test_source_from_env_and_default_dir(env, monkeypatch):
    make_tree(env/'tree')
    monkeypatch.setenv('UNCERTAINTY_NN_DATA', str(env/'tree'))
    assert len(load_cifar10(cache_dir=env/'cache').train) == 20
    monkeypatch.delenv('UNCERTAINTY_NN_DATA')
    make_tar(env/'tree', (env/'home').mkdir(parents=True) or env/'home'/'cifar10-jpeg.tar.gz', prefix='.')
    assert len(load_cifar10(cache_dir=env/'cache').test) == 10

def test_torchvision_batches(env, monkeypatch):
    import torchvision.datasets.cifar as tvc
    monkeypatch.setattr(tvc, 'check_integrity', lambda *a, **k: True)   # our batches are not the real ones
    root = env/'tv'/'cifar-10-batches-py'; root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']
    for n in names:
        with open(root/n, 'wb') as f:
            pickle.dump({'data': rng.integers(0, 256, (4, 3072), dtype=np.uint8), 'labels': list(range(4))}, f)
    with open(root/'batches.meta', 'wb') as f: pickle.dump({'label_names': list(CIFAR10_CLASSES)}, f)
    d = load_cifar10(env/'tv', cache_dir=env/'cache')
    assert len(d.train) == 20 and len(d.test) == 4
    with open(root/'data_batch_1', 'rb') as f: raw = pickle.load(f)
    np.testing.assert_array_equal(d.train.x[0].numpy().reshape(-1), raw['data'][0])  # CHW order, as pickled
    assert len(load_cifar10(root, cache_dir=env/'cache2').train) == 20          # the batches folder itself also works
    monkeypatch.setattr(tvc, 'check_integrity', lambda *a, **k: False)
    with pytest.raises(DataSourceError, match='incomplete or corrupt'): load_cifar10(env/'tv', cache_dir=env/'cache3')

def test_second_load_uses_cache(env, monkeypatch):
    make_tree(env/'tree')
    a = load_cifar10(env/'tree', cache_dir=env/'cache')
    monkeypatch.setattr(D, '_read_folder', lambda p: pytest.fail('decoded again instead of using the cache'))
    b = load_cifar10(env/'tree', cache_dir=env/'cache')
    assert torch.equal(a.train.x, b.train.x)

def test_corrupt_cache_is_rebuilt(env):
    make_tree(env/'tree')
    load_cifar10(env/'tree', cache_dir=env/'cache')
    [cache] = (env/'cache').glob('*.npz')
    cache.write_bytes(cache.read_bytes()[:1000])        # as if truncated
    with pytest.warns(UserWarning, match='unreadable cache'):
        d = load_cifar10(env/'tree', cache_dir=env/'cache')
    assert len(d.train) == 20

def test_nothing_found(env):
    with pytest.raises(FileNotFoundError) as e: load_cifar10(cache_dir=env/'cache')
    msg = str(e.value)
    assert 'UNCERTAINTY_NN_DATA' in msg and str(env/'home') in msg and 'network unreachable' in msg and 'source=' in msg

def test_missing_path(env):
    with pytest.raises(FileNotFoundError, match='does not exist'): load_cifar10(env/'nope', cache_dir=env/'cache')

def test_folder_without_cifar(env):
    (env/'empty').mkdir()
    with pytest.raises(DataSourceError, match='holds no CIFAR-10'): load_cifar10(env/'empty', cache_dir=env/'cache')

def test_wrong_classes(env):
    make_tree(env/'tree', classes=CIFAR10_CLASSES[:9] + ('lorry',))
    with pytest.raises(DataSourceError) as e: load_cifar10(env/'tree', cache_dir=env/'cache')
    assert 'lorry' in str(e.value) and 'truck' in str(e.value) and str(env/'tree') in str(e.value)
    assert cache_files(env/'cache') == []

def test_unreadable_image(env):
    make_tree(env/'tree')
    (env/'tree'/'test'/'cat'/'0000.png').write_bytes(b'\x89PNG garbage')
    with pytest.raises(DataSourceError, match=r'test/cat/0000\.png'): load_cifar10(env/'tree', cache_dir=env/'cache')
    assert cache_files(env/'cache') == []

def test_unreadable_image_in_archive(env):
    make_tree(env/'tree')
    (env/'tree'/'train'/'dog'/'0001.png').write_bytes(b'nope')
    with pytest.raises(DataSourceError, match=r'train/dog/0001\.png'):
        load_cifar10(make_tar(env/'tree', env/'c.tar.gz'), cache_dir=env/'cache')
    assert cache_files(env/'cache') == []

def test_archive_not_a_tree(env):
    (env/'stuff').mkdir(); (env/'stuff'/'readme.txt').write_text('hi')
    p = make_tar(env/'stuff', env/'cifar10.tar.gz')
    with pytest.raises(DataSourceError, match='not an image-folder tree'): load_cifar10(p, cache_dir=env/'cache')
    (env/'junk.tar.gz').write_bytes(b'not a tar')
    with pytest.raises(DataSourceError, match='cannot read archive'):
        load_cifar10(env/'junk.tar.gz', cache_dir=env/'cache')
    assert cache_files(env/'cache') == []

def test_subset_stratified_and_deterministic():
    y = torch.arange(10).repeat_interleave(30)
    s = Split(torch.arange(300, dtype=torch.uint8).view(300, 1, 1, 1).expand(300, 3, 32, 32).contiguous(), y)
    a, b, c = subset(s, per_class=7, seed=3), subset(s, per_class=7, seed=3), subset(s, per_class=7, seed=4)
    assert torch.bincount(a.y).tolist() == [7]*10 and torch.equal(a.x, b.x) and not torch.equal(a.x, c.x)
    assert torch.bincount(subset(s, n=23).y).tolist() == [3]*3 + [2]*7
    with pytest.raises(ValueError, match='exactly one'): subset(s)

@needs_data
def test_real_cifar10():
    t0 = time.time(); d = load_cifar10(); first = time.time() - t0
    assert (len(d.train), len(d.test)) == (50_000, 10_000)
    assert torch.bincount(d.train.y).tolist() == [5000]*10 and torch.bincount(d.test.y).tolist() == [1000]*10
    t0 = time.time(); d2 = load_cifar10(); second = time.time() - t0
    assert torch.equal(d.test.x, d2.test.x)
    print(f"first load {first:.1f} s, second (cached) {second:.2f} s")
