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

# ---- every figure of a run, drawn from the tiny run's results: no text over text, each signed (issue 46)
def text_boxes(fig) -> list:
    "Every text a reader sees on `fig` with its box on the canvas: titles, labels, tick labels drawn, notes, legends."
    fig.canvas.draw(); r = fig.canvas.get_renderer()
    found = [(t, 'figure') for t in fig.texts + [fig._suptitle] if t is not None]     # the suptitle: once
    found = list({id(t): (t, w) for t, w in found}.values())
    for i, ax in enumerate(fig.axes):
        found += [(t, f'panel {i}') for t in (ax.title, ax._left_title, ax._right_title, ax.xaxis.label,
                                               ax.yaxis.label, *ax.texts)]
        for name, axis in (('x', ax.xaxis), ('y', ax.yaxis)):
            found += [(t, f'panel {i} {name} ticks') for tick in axis._update_ticks()
                      for t in (tick.label1, tick.label2)]
        if ax.get_legend(): found += [(t, f'panel {i} legend') for t in ax.get_legend().get_texts()]
    return [(t.get_window_extent(r), t.get_text(), where) for t, where in found
            if t.get_visible() and t.get_text().strip()]

def overlapping(fig, slack: float = 2.0) -> list:
    "Each pair of texts on `fig` whose boxes overlap by more than `slack` pixels each way (touching is not over)."
    bs, bad = text_boxes(fig), []
    for i, (a, ta, wa) in enumerate(bs):
        for b, tb, wb in bs[i + 1:]:
            if a.x0 < b.x1 - slack and b.x0 < a.x1 - slack and a.y0 < b.y1 - slack and b.y0 < a.y1 - slack:
                bad.append(f"{ta!r} ({wa}) over {tb!r} ({wb})")
    return bad

def test_the_overlap_check_sees_text_over_text():
    "The check on its own failure: a note written over a title, and nothing found once it is moved away."
    fig, ax = plt.subplots(figsize=(3, 2)); ax.set_title('a title'); ax.plot([0, 1])
    note = ax.text(0.5, 1.02, 'a note over it', transform=ax.transAxes, ha='center', va='bottom')
    assert overlapping(fig)
    note.set_position((0.5, 0.5)); assert not overlapping(fig)
    plt.close(fig)

def test_every_figure_of_a_run_is_legible_and_signed(tiny_run, tmp_path):
    "Each figure the report can draw, from the tiny run's results (one seed, then the same as two): no text over text."
    from uncertainty_nn.core import save_figure
    from uncertainty_nn.report import PLOTS, read_results
    results = read_results(tiny_run)
    drawn = []
    for cls, name, plot in PLOTS:
        if results.get(cls.name) is None: continue
        for rs in ([results[cls.name]], [results[cls.name]] * 2):
            fig = plot(rs)
            if fig is None: continue
            save_figure(fig, tmp_path, name, sign=f'profile tiny, seeds {len(rs)}')
            assert not overlapping(fig), f"{name}, {len(rs)} seed(s): {overlapping(fig)}"
            assert fig.texts[-1].get_text() == f'profile tiny, seeds {len(rs)}'
            drawn.append(name); plt.close(fig)
    assert {'fig1', 'fig6', 'fig6_robustness', 'theory'} <= set(drawn), drawn

def test_every_chapter_signs_its_figures():
    "Every figure a chapter saves is given the chapter's parameters, whose profile and seed sign it (`save_figure`)."
    import ast, json
    from pathlib import Path
    second = {}
    for nb in sorted((Path(__file__).parents[1]/'nbs').glob('[0-9][0-9]_*.ipynb')):
        for c in json.loads(nb.read_text())['cells']:
            try: tree = ast.parse(''.join(c['source']))
            except SyntaxError: continue
            second.setdefault(nb.name, []).extend(
                ast.unparse(n.args[1]) for n in ast.walk(tree) if isinstance(n, ast.Call)
                and getattr(n.func, 'id', None) == 'save_figure' and len(n.args) > 1)
    chapters = {n: a for n, a in second.items() if a and n not in ('01_core.ipynb', '24_report.ipynb')}
    assert len(chapters) >= 8 and all(set(a) == {'p'} for a in chapters.values()), chapters
