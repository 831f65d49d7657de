"""What a reader sees in the figures: drawn from made-up results, then checked on the rendered canvas (where each text
box lies), not on what was asked of matplotlib."""
from types import SimpleNamespace
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt, numpy as np, pytest
from uncertainty_nn.tcl import plot_pairs

SIZES = (450, 900, 2250, 4500)

def run(lines: dict, shift: float = 0.0):
    "A Fig 6 result of what `plot_pairs` reads: TCL − CL = a + b·log10(pairs) (+ `shift`) each (arch, epochs, q)."
    res = {}
    for (a, e), (ta, ra) in lines.items():
        pairs = {f'{v}-{n}': dict(variant=v, n_pairs=n, **{f'tcl_{q}': 0.5 + c[0] + shift + c[1] * np.log10(n)
                                                           for q, c in (('ta', ta), ('ra', ra))})
                 for v in ('gan', 'l1') for n in SIZES}
        res.setdefault(a, {})[e] = dict(cl_ta=0.5, cl_ra=0.5, pairs=pairs)
    return SimpleNamespace(results=res)

def boxes(fig):
    fig.canvas.draw(); r = fig.canvas.get_renderer()
    return r, [(ax, [t for t in ax.texts]) for ax in fig.axes]

def test_pairs_figure_stays_on_the_sizes_and_its_notes_inside_their_panels():
    "A zero crossing far beyond the sizes run must not stretch the axis; a note of a crossing stays in its panel."
    lines = {('conv', '1'): ((-0.10, 0.0), (-0.135, 0.05)),           # RA crosses 0 at 501, near the smallest size
             ('conv', '50'): ((-0.2, 0.03), (0.0, 0.0)),               # TA crosses 0 at 4.6 million: far beyond
             ('res', '1'): ((-0.35, 0.095), (0.0, 0.0)),               # TA crosses 0 at 4,833: just beyond
             ('res', '50'): ((0.0, 0.0), (0.0, 0.0))}
    fig = plot_pairs([run(lines, d) for d in (0.0, -0.005, 0.005)])       # three seeds: a slope with its interval
    r, panels = boxes(fig)
    for ax, texts in panels:
        assert ax.get_xlim()[1] <= 10 * max(SIZES) * 1.5, f"{ax.get_title()}: x runs to {ax.get_xlim()[1]:,.0f}"
        frame = ax.get_window_extent(r)
        for t in texts:
            b = t.get_window_extent(r)
            assert frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1, \
                f"{ax.get_title()}: note {t.get_text()!r} leaves its panel"
    notes = [t.get_text() for _, ts in panels for t in ts]
    assert any(n.startswith('TA: 0 at 4,83') and 'extrapolated' in n for n in notes), notes
    assert any(n.startswith('RA: 0 at 50') for n in notes), notes
    plt.close(fig)
    one = plot_pairs([run(lines)])                                      # one seed: no interval, so no crossing drawn
    assert not [t for ax in one.axes for t in ax.texts]
    plt.close(one)

def test_pairs_figure_needs_more_than_one_size():
    one = SimpleNamespace(results={'conv': {'1': dict(cl_ta=0.5, cl_ra=0.5, pairs={'gan-450': dict(
        variant='gan', n_pairs=450, tcl_ta=0.4, tcl_ra=0.4)})}})
    assert plot_pairs([one]) is None
