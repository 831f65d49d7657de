"Pix2Pix: shapes and range, training, checkpoints (TCL is checked in its chapter, 16_tcl)."
import pytest, torch, torch.nn as nn
from uncertainty_nn.cifar10 import Split
from uncertainty_nn.gan import train_pix2pix
from uncertainty_nn.networks import (Pix2PixGenerator, PatchDiscriminator, build_classifier, save_checkpoint,
                                     CheckpointError, load_generator)
from uncertainty_nn.ifa import ifa

def images(n=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return Split(torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g),
                 torch.randint(0, 10, (n,), generator=g))


class Shift(nn.Module):
    "The classifier fed x + c for a constant c (no gradient through c)."
    def __init__(self, m, c): super().__init__(); self.m, self.c = m, c
    def forward(self, x): return self.m(x + self.c)

class Zero(nn.Module):
    def forward(self, x): return torch.zeros_like(x)

def pairs(n=64):
    s = images(n)
    torch.manual_seed(1)
    m = build_classifier('conv', 'tiny').eval()
    return s, ifa(m, s, n_iter=5, quiet=True)

def test_short_training_lowers_l1():
    s, res = pairs()
    G, D, curve = train_pix2pix(s, res, updates=24, bs=16, ngf=8, ndf=8, quiet=True, n_points=6)
    l1 = [c['l1'] for c in curve[1:]]                        # the training batches' L1, averaged every 4 updates
    assert [c['update'] for c in curve] == [0, 4, 8, 12, 16, 20, 24] and l1[-1] < 0.97 * l1[0], l1
    assert all('train_l1' in c for c in curve)
    assert G.scale.item() == pytest.approx(res.delta.abs().max().item()) and not G.training

def test_mismatched_pairs_refused():
    s, res = pairs(16)
    with pytest.raises(ValueError, match='other images'): train_pix2pix(images(16, seed=5), res, updates=2, quiet=True)

def test_generator_checkpoint(tmp_path):
    s, res = pairs(16)
    G, _, _ = train_pix2pix(s, res, updates=2, bs=8, ngf=4, ndf=4, quiet=True)
    G2 = load_generator(save_checkpoint(tmp_path/'g.pt', G))
    x = torch.rand(3, 3, 32, 32)
    with torch.no_grad(): assert torch.equal(G(x), G2(x))
    assert G2.meta['pairs_digest'] == res.digest and G2.scale == G.scale
    with pytest.raises(ValueError, match='not a Pix2Pix'):
        load_generator(save_checkpoint(tmp_path/'c.pt', build_classifier('conv', 'tiny')))
    with pytest.raises(FileNotFoundError): load_generator(tmp_path/'none.pt')
    (tmp_path/'bad.pt').write_bytes(b'garbage')
    with pytest.raises(CheckpointError, match='corrupt'): load_generator(tmp_path/'bad.pt')
