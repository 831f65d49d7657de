"""The docs site of the shared tiny run, opened in headless Chromium (Debian's `chromium`; skipped with the reason where
it is missing; CI installs it): what a reader sees, formulas included; and the README against what the index
notebook generates, every link in it resolving."""
import re, shutil, pytest
from urllib.parse import unquote
from pathlib import Path
from conftest import ROOT, tiny_site

CHROMIUM = next((p for p in map(shutil.which, ('chromium', 'chromium-browser', 'google-chrome')) if p), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not found: install Debian's chromium package "
                                                             "(apt-get install chromium); CI does")

@pytest.fixture(scope='module')
def site(tiny_run, tmp_path_factory):
    """The site of the shared tiny run (conftest.py: `build_docs` in a process of its own, started as the run ends): its
    executed chapters, and the notebooks that are not chapters."""
    return tiny_site(tiny_run, tmp_path_factory)

@pytest.fixture(scope='module')
def browser():
    sync_playwright = pytest.importorskip('playwright.sync_api',
                                          reason='playwright missing: pip install -e ".[dev]"').sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=['--no-sandbox'])
        yield b
        b.close()

CHECK = """() => {
  const main = document.querySelector('main');
  const prose = main.cloneNode(true); prose.querySelectorAll('code, pre').forEach(e => e.remove());
  const h = main.querySelector('h1'), code = main.querySelector('.code_cell .input, pre');
  return {images: [...document.images].map(i => [(i.getAttribute('src') || '').slice(0, 30),
                                                i.complete && i.naturalWidth > 0]),
          links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
                   .filter(u => !/^(https?:|mailto:|#)/.test(u)),
          prose: prose.innerText, maths: document.querySelectorAll('math').length,
          headingFirst: !!h && (!code || !!(h.compareDocumentPosition(code) & Node.DOCUMENT_POSITION_FOLLOWING)),
          title: h ? h.innerText : ''};
}"""
TEX = re.compile(r'\$\$|\$[^$\n]{1,120}\$|\\(frac|sigma|hat|mathrm|lvert|partial|epsilon|Delta)\b')

@needs_chromium
def test_every_page_loads_clean(site, browser):
    "Every page: no console error, images load, links resolve, no raw TeX in the prose, the title before any code."
    pages = sorted(site.glob('*.html'))
    names = {p.stem for p in pages}
    assert {'index', '03_data', '09_attacks', '18_frequency', '20_frontier', '05_evidence', '29_cli'} <= names, names
    problems, maths = [], 0
    page = browser.new_page(viewport={'width': 1280, 'height': 900})
    errors = []
    page.on('console', lambda m: errors.append(m.text) if m.type == 'error' else None)
    page.on('pageerror', lambda e: errors.append(str(e)))
    for f in pages:
        errors.clear()
        assert page.goto(f.as_uri(), wait_until='load').ok, f.name
        info = page.evaluate(CHECK)
        problems += [f"{f.name}: console error {e!r}" for e in errors]
        problems += [f"{f.name}: image {src!r} did not load" for src, ok in info['images'] if not ok]
        problems += [f"{f.name}: link {u!r} does not resolve" for u in info['links']
                     if not (site/u.split('#')[0]).exists()]
        problems += [f"{f.name}: raw TeX {m.group(0)!r} in the text" for m in TEX.finditer(info['prose'])]
        if not info['headingFirst']: problems.append(f"{f.name}: a code cell comes before the title")
        maths += info['maths']
    page.close()
    assert not problems, '\n'.join(problems)
    assert maths > 20                                       # the math is there, as MathML

# What a reader sees of a formula: each subscript and superscript's box beside its base's, each fraction's height,
# in units of the paragraph's line height (a fraction stacks two lines: taller than one line of text).
GEOMETRY = """(needle) => {
  const line = parseFloat(getComputedStyle(document.querySelector('main p')).lineHeight);
  const m = [...document.querySelectorAll('math')].find(e => e.textContent.includes(needle));
  if (!m) return null;
  const box = e => e.getBoundingClientRect();
  const scripts = sel => [...m.querySelectorAll(sel)].map(s => s.children.length < 2 ? null :
      {base: box(s.children[0]).bottom, script: box(s.children[1]).bottom, top: box(s.children[1]).top,
       baseTop: box(s.children[0]).top, h: box(s.children[1]).height});
  return {line, height: box(m).height / line, subs: scripts('msub'), sups: scripts('msup'),
          fracs: [...m.querySelectorAll('mfrac')].map(f => box(f).height / line), text: m.textContent.slice(0, 60)};
}"""
FORMULAS = {   # page: (a piece of the formula's text, what must be there)
    '11_ifa': ('ΔN=XN−X0', 'subs'),                      # Eqs. 1–2: X_{n+1}, X_n, Δ_N, X_N, X_0
    '19_theory': ('∂J∂xi', 'fracs'),                      # p̂_i J = ∂J/∂x_i: a fraction
}

@needs_chromium
@pytest.mark.parametrize('name', FORMULAS)
def test_formulas_render_as_formulas(site, browser, name):
    """Subscripts sit lower than their base and fractions are taller than a line: what flat text (or the hollow
    MathML nbconvert made of it, `<msub></msub>X…`) does not do. Screenshots are kept beside the site."""
    needle, kind = FORMULAS[name]
    page = browser.new_page(viewport={'width': 1280, 'height': 900})
    page.goto((site/f'{name}.html').as_uri(), wait_until='load')
    g = page.evaluate(GEOMETRY, needle)
    shots = site.parent/'screenshots'; shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots/f'{name}.png'), full_page=True)
    page.close()
    assert g is not None, f"no formula holding {needle!r} on {name}.html"
    subs = [s for s in g['subs'] if s]
    assert len(subs) == len(g['subs']) and all(s['h'] > 0 for s in subs), g      # every subscript has its content
    assert all(s['script'] > s['base'] + 1 for s in subs), g                     # and sits lower than its base
    if kind == 'subs': assert len(subs) >= 4, g
    if kind == 'fracs': assert g['fracs'] and min(g['fracs']) > 1.2, g           # taller than a line of text
    assert (shots/f'{name}.png').stat().st_size > 10_000

@needs_chromium
def test_first_screen_of_the_index(site, browser):
    "At 1280×800 the index shows the two commands and the claims table (its first row at least) without scrolling."
    page = browser.new_page(viewport={'width': 1280, 'height': 800})
    page.goto((site/'index.html').as_uri(), wait_until='load')
    tops = page.evaluate("""() => ({commands: [...document.querySelectorAll('pre')]
                                        .filter(p => p.innerText.includes('uncertainty-nn reproduce'))
                                        .map(p => p.getBoundingClientRect().bottom),
                                    row: [...document.querySelectorAll('table tr')]
                                        .filter(r => /supported|contradicted|undecided|holds|not run/.test(r.innerText))
                                        .map(r => r.getBoundingClientRect().bottom)})""")
    shots = site.parent/'screenshots'; shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots/'index.png'))
    page.close()
    assert tops['commands'] and tops['commands'][0] <= 800, tops
    assert tops['row'] and tops['row'][0] <= 800, tops

def test_site_pages_read_like_nbdev(site):
    "Titles and summaries first, no papermill or import plumbing, reference entries, files readable by others."
    page = (site/'09_attacks.html').read_text()
    assert '<h1 class="title">Attacks</h1>' in page and 'FGSM, iterative FGSM (BIM) and PGD' in page
    for plumbing in ('injected-parameters', 'params = {}', '#| export', 'from __future__ import annotations',
                     'nbdev_export'):
        assert plumbing not in page, plumbing
    # show_doc's entry: signature and docstring
    assert 'id="robust_accuracy"' in page and 'class="nf">robust_accuracy</span>' in page
    # references link into this site
    assert 'href="09_attacks.html#robust_accuracy"' in page and 'style="float' not in page
    # group/other can read it (umask 022 here)
    assert (site/'09_attacks.html').stat().st_mode & 0o044
    nav = re.findall(r'<li><a href="([^"]+)"', page)
    assert nav[0] == 'index.html' and nav[1:] == sorted(nav[1:])               # the chapters, in reading order

def test_docstrings_keep_their_symbols(site):
    "The commutator's reference entry keeps its underscores and braces (code in backticks, not Markdown emphasis)."
    page = (site/'19_theory.html').read_text()
    entry = page[page.index('id="commutator"'):][:3000]
    assert '[p̂_i, x̂_j] J / J' in entry and 'J(x_0, …, x_{n−1})' in entry, entry[:600]

def test_readme_is_what_the_index_generates(tmp_path):
    from uncertainty_nn.docs import build_readme
    want = (ROOT/'README.md').read_text()
    got = build_readme(ROOT/'nbs', dest=tmp_path/'README.md').read_text()
    assert got == want, "README.md is stale: run `uncertainty-nn readme`"
    assert sum(l.strip() == '# uncertainty_nn' for l in want.splitlines()) == 1
    assert want.count('> Reproducing, and going beyond') == 1

# Sites a README link may point to: the paper and the tools' own documentation (not a guessed project site).
EXTERNAL = ('https://arxiv.org/', 'https://nbdev.fast.ai', 'https://docs.ray.io/', 'https://github.com/fastai/',
            'https://papermill.readthedocs.io/')

def markdown_ast(path: Path) -> list:
    "A Markdown file as a reader's renderer parses it (mistune, with tables): a list of nodes."
    import mistune
    return mistune.create_markdown(renderer='ast', plugins=['table'])(path.read_text())

def walk(nodes):
    "Every node of a mistune tree, depth first."
    for n in nodes:
        yield n
        yield from walk(n.get('children', []))

def text(node) -> str:
    "The text a reader sees in a node."
    return node.get('raw', '') if 'children' not in node else ''.join(text(c) for c in node['children'])

def headings(path: Path) -> set:
    "The anchors of a Markdown file's headings, as GitHub and mistune make them."
    from uncertainty_nn.rendering import anchor
    return {anchor(text(n)) for n in walk(markdown_ast(path)) if n['type'] == 'heading'}

def unresolved_links(path: Path) -> list:
    """The links of a Markdown file, rendered, that do not resolve: a file of the repository (with a heading of it when
    the link names one), a heading of the file, or one of the sites above; and link syntax the parser could not read."""
    nodes = list(walk(markdown_ast(path)))
    urls = [n['attrs']['url'] for n in nodes if n['type'] in ('link', 'image')]
    urls += [u for n in nodes if n['type'] in ('inline_html', 'block_html')
             for u in re.findall(r'(?:href|src)="([^"]+)"', n.get('raw', ''))]
    bad = [f"unreadable link syntax: {n['raw']!r}" for n in nodes if n['type'] == 'text' and '](' in n['raw']]
    for u in urls:
        file, _, frag = u.partition('#'); frag = unquote(frag)            # the renderer %-encodes Greek letters
        if u.startswith(('http://', 'https://')): ok = u.startswith(EXTERNAL)
        elif not file: ok = frag in headings(path)
        else:
            target = path.parent/file
            ok = target.exists() and (not frag or target.suffix != '.md' or frag in headings(target))
        if not ok: bad.append(u)
    assert urls, 'no links found: the check would pass on anything'
    return bad

def test_every_readme_link_resolves():
    "Every link of README.md, as a Markdown parser reads it, resolves (chapters, the gallery's reports and figures)."
    assert not (bad := unresolved_links(ROOT/'README.md')), f"README links that do not resolve: {bad}"

def test_the_link_check_sees_a_broken_link(tmp_path):
    "The check on the README's own failure: an anchor that swallowed the rest of its row, a missing file and heading."
    (tmp_path/'a.md').write_text('# Title\n\nok [a](a.md#title)')
    row = "| [`11_ifa`](nbs/11_ifa.ipynb's reading. |"
    (tmp_path/'R.md').write_text(f"| x |\n|---|\n{row}\n\n[b](a.md#nope) [c](none.md)")
    assert len(unresolved_links(tmp_path/'R.md')) == 3 and not unresolved_links(tmp_path/'a.md')

def tables(path: Path) -> list:
    "Each table of a Markdown file as rendered: its header cells and its rows of cell nodes."
    out = []
    for t in (n for n in walk(markdown_ast(path)) if n['type'] == 'table'):
        head = next(c for c in t['children'] if c['type'] == 'table_head')
        body = next((c for c in t['children'] if c['type'] == 'table_body'), {'children': []})
        out.append(([text(c) for c in head['children']], [r['children'] for r in body['children']]))
    return out

def test_readme_shows_every_chapter_and_every_verdict():
    """What a reader sees: a row for every chapter, linked; every claim of the chapters in the first claims table, each
    with a verdict."""
    from uncertainty_nn.report import CLAIMS
    ts = tables(ROOT/'README.md')
    chapters = next(rows for head, rows in ts if head[:2] == ['chapter', 'module'])
    linked = {n['attrs']['url'] for row in chapters for n in walk(row[:1]) if n['type'] == 'link'}
    every = {f"nbs/{p.name}" for p in (ROOT/'nbs').glob('[0-9][0-9]_*.ipynb')}
    assert linked == every and len(chapters) == len(every), sorted(every ^ linked)
    claims = [rows for head, rows in ts if head[:2] == ['claim', 'verdict']]
    assert claims, 'no claims table'
    verdicts = {'supported', 'contradicted', 'undecided', 'not run', 'holds', 'fails'}
    said = re.compile(r'(' + '|'.join(verdicts) + r')( \(earlier rules\))?'       # the verdict, by which rules,
                      r'( \(\w+(, \d+ seeds?)?(, re-judged)?\))?'                    # a study's own,
                      r'( \([^()]*(\([^()]*\))?[^()]*\))?( at [\d,]+ \w+[^|]*?)?( on reading [\w/]+)?')  # +scale
    for rows in claims:
        assert all(said.fullmatch(text(r[1])) and any(n['type'] == 'strong' and text(n) in verdicts
                                                      for n in walk(r[1:2])) for r in rows), rows
    assert [text(r[0]) for r in claims[0]] == [c.name for c in CLAIMS if c.kind != 'theorem']
    readme = (ROOT/'README.md').read_text()                          # the theorems: checked apart, each named
    maths = readme.split('**Mathematics, checked apart from the claims**', 1)[1].split('\n## ', 1)[0]
    assert all(f'**{c.name}**' in maths for c in CLAIMS if c.kind == 'theorem')

# ---- the first screen a reader sees (issue 46): rendered, in Chromium, at 1280×800
GITHUB_CSS = """body{margin:0;font-family:-apple-system,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif;
font-size:16px;
line-height:1.5;color:#1f2328}main{box-sizing:border-box;width:830px;margin:0 auto;padding:24px 32px}
h1{font-size:2em;font-weight:600;border-bottom:1px solid #d1d9e0;padding-bottom:.3em;margin:0 0 16px}
h2{font-size:1.5em;font-weight:600;border-bottom:1px solid #d1d9e0;padding-bottom:.3em;margin:24px 0 16px}
blockquote{margin:0 0 16px;padding:0 1em;color:#59636e;border-left:.25em solid #d1d9e0}p,table,pre,ul{margin:0 0 16px}
table{border-collapse:collapse;display:block;overflow:auto}td,th{border:1px solid #d1d9e0;padding:6px 13px}
pre{padding:16px;background:#f6f8fa;font-size:85%;line-height:1.45;overflow:auto}code{font-size:85%}"""
VISIBLE = """(h) => {
  const seen = [], links = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const r = document.createRange(); r.selectNodeContents(n); const b = r.getBoundingClientRect();
    if (b.width && b.top < h && b.bottom > 0) seen.push(n.textContent);
  }
  for (const a of document.querySelectorAll('a[href]')) {
    const b = a.getBoundingClientRect(); if (b.top < h && b.bottom > 0) links.push(a.getAttribute('href'));
  }
  return {text: seen.join(' ').replace(/\\s+/g, ' '), links};
}"""

def first_screen(browser, md_path: Path, shot: Path) -> dict:
    "What a reader sees of a Markdown page, rendered as GitHub renders a README, on the first screen at 1280×800."
    import mistune
    html = mistune.create_markdown(plugins=['table', 'strikethrough'])(md_path.read_text())
    page_file = shot.with_suffix('.html')
    page_file.write_text(f'<!doctype html><meta charset="utf-8"><style>{GITHUB_CSS}</style><main>{html}</main>')
    page = browser.new_page(viewport={'width': 1280, 'height': 800})
    page.goto(page_file.as_uri(), wait_until='load'); page.screenshot(path=str(shot))
    seen = page.evaluate(VISIBLE, 800); page.close()
    return seen

@needs_chromium
def test_the_readme_first_screen_says_what_a_reader_needs(browser, tmp_path):
    "At 1280×800: what the project is and the paper's link, every term defined, the scale, the claims, both commands."
    from uncertainty_nn.report import CLAIMS
    seen = first_screen(browser, ROOT/'README.md', tmp_path/'readme.png')
    text = seen['text']
    assert any(u.startswith('https://arxiv.org/abs/2205.01493') for u in seen['links']), seen['links']
    for term in ('TA', 'RA', 'CL', 'IFA', 'Δ_N', 'TCL', 'N_epoch'):
        assert re.search(rf'\b{re.escape(term)}\b,? [a-z]', text) or f'{term} and' in text, f'{term} not defined'
    assert 'Judged at CPU scale' in text and '50,000' in text
    for c in [c for c in CLAIMS if c.kind != 'theorem']: assert c.name in text, f'claim {c.name!r} below the fold'
    assert 'uncertainty-nn reproduce' in text and 'pytest' in text, 'the commands are below the fold'

@needs_chromium
def test_a_report_first_screen_says_its_scale_and_verdicts(tiny_run, browser, tmp_path):
    seen = first_screen(browser, tiny_run/'report.md', tmp_path/'report.png')
    assert 'Scale' in seen['text'] and 'training images' in seen['text'] and 'Terms' in seen['text']
    assert 'Verdicts' in seen['text'] and 'FGSM collapses accuracy' in seen['text']

def said_twice(report: Path) -> list:
    """What a report says more than once, or wrongly: a failure line that repeats its subject, a line of 60 characters
    or more written twice, "1 epochs", a figure link to no file, a path of the machine that wrote it."""
    text, out = report.read_text(), []
    lines = text.splitlines()
    again = re.compile(r'^- (.+?)(?:, seed \d+| \(seeds? [\d, ]+\))?: \1')     # "- X, seed 0: X: ..."
    out += [f'subject repeated: {x[:80]}' for x in lines if again.match(x)]
    seen = {}
    for x in lines:
        if len(x) >= 60: seen[x] = seen.get(x, 0) + 1
    out += [f'{n} times: {x[:80]}' for x, n in seen.items() if n > 1]
    out += [f'"1 epochs": {m[:80]}' for m in lines if re.search(r'(?<!minus )\b1 epochs', m)]
    out += [f'no file: {f}' for f in re.findall(r'!\[[^\]]*\]\(([^)]+\.png)\)', text) if not (report.parent/f).exists()]
    out += [f'machine path: {m}' for m in re.findall(r'(?:/tmp/|/work/|/home/|/root/)\S*', text)]
    return out

def test_said_twice_finds_what_a_report_should_not_repeat(tmp_path):
    bad = tmp_path/'report.md'
    bad.write_text('- generator (conv, 1 epochs, gan-90), seed 0: generator (conv, 1 epochs, gan-90): ran 1 of 2\n'
                   + 'One seed: the intervals cover the images, not the training, as said.\n' * 2
                   + '![f](figures/none.png) from /tmp/run0\n')
    found = said_twice(bad)
    assert [f.split(':')[0] for f in found] == ['subject repeated', '2 times', '"1 epochs"', 'no file', 'machine path']
    bad.write_text('- conv: CL TA, 2 minus 1 epochs: +0.070\n'
                   '- generator (conv, 1 epoch, gan-90) (seed 0): ran 1 of 2\n')
    assert said_twice(bad) == []

def test_the_galleries_of_today_say_each_thing_once():
    "Each gallery that today's rules judged (its claims.json says `VERDICT_RULES`): its report, as `said_twice` counts."
    import json
    from uncertainty_nn.evidence import VERDICT_RULES
    kept = [g for g in sorted((ROOT/'nbs'/'images').iterdir()) if (g/'claims.json').exists()]
    fresh = [g for g in kept if json.loads((g/'claims.json').read_text()).get('verdict_rules') == VERDICT_RULES]
    assert fresh, 'no gallery made by the code of today: `uncertainty-nn gallery --run RUN` makes one'
    for g in fresh: assert said_twice(g/'report.md') == [], g.name

@pytest.mark.tiny_run_at_end
def test_the_report_says_each_thing_once(tiny_run):
    "The run's report, as a referee counts it (issue 46): see `said_twice`."
    assert said_twice(tiny_run/'report.md') == []

SITE_CHECK = """() => ({
  pipes: document.body.innerText.includes('\\\\|'), pilcrows: document.body.innerText.includes('¶'),
  note: !!document.querySelector('.run-note'),
  cut: [...document.querySelectorAll('pre')].filter(p => p.scrollWidth > p.clientWidth + 1 &&
                                                     getComputedStyle(p).overflowX === 'hidden').length,
  reports: [...document.querySelectorAll('a[href*="report"]')].map(a => a.getAttribute('href'))})"""

@needs_chromium
def test_the_site_a_reader_can_use(site, tiny_run, browser):
    """Claim links open rendered reports at their claim; a chapter built from a run says so and prints no machine path;
    no escaped pipe or visible ¶; no code line cut off; a class shown as a class; ε shown as 8/255."""
    page = browser.new_page(viewport={'width': 1280, 'height': 800})
    page.goto((site/'index.html').as_uri(), wait_until='load'); idx = page.evaluate(SITE_CHECK)
    assert not idx['pipes'] and not idx['pilcrows'] and not idx['note']
    claims = [u for u in idx['reports'] if '#' in u]
    assert claims and all(u.split('#')[0].endswith('report.html') for u in claims), claims
    for u in claims:                                                   # opened, in the browser, at the claim
        page.goto((site/u.split('#')[0]).as_uri() + '#' + u.split('#')[1], wait_until='load')
        assert page.evaluate("() => !!document.getElementById(decodeURIComponent(location.hash.slice(1)))"), u
    for name in ('16_tcl', '09_attacks', '03_data'):
        page.goto((site/f'{name}.html').as_uri(), wait_until='load'); info = page.evaluate(SITE_CHECK)
        assert info['note'] and not info['pilcrows'] and info['cut'] == 0, (name, info)
        text = page.evaluate("() => document.body.innerText")
        assert str(tiny_run) not in text and '/tmp/' not in text, name           # no machine paths
    page.close()
    tcl, attacks = (site/'16_tcl.html').read_text(), (site/'09_attacks.html').read_text()
    assert 'def TCLParams(' not in re.sub(r'<[^>]+>', '', tcl) and 'class TCLParams(' in re.sub(r'<[^>]+>', '', tcl)
    assert 'eps=8/255' in attacks
