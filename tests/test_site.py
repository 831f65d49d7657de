"""The docs site of a tiny run, opened in headless Chromium (Debian's `chromium`; skipped with the reason where it is
missing; CI installs it), and the README against what the index notebook generates."""
import re, shutil, pytest
from pathlib import Path
from conftest import ROOT

CHROMIUM = next((p for p in map(shutil.which, ('chromium', 'chromium-browser', 'google-chrome')) if p), None)

@pytest.fixture(scope='module')
def site(run_path, tmp_path_factory):
    "The site of the tiny run the notebook tests left in `run_path` (10_reproduce runs it), or of one made here when run alone."
    from uncertainty_nn.docs import build_docs
    from uncertainty_nn.reproduce import reproduce
    if not (run_path/'metrics.json').exists(): reproduce('tiny', run_path, log=lambda *a, **k: None)
    return build_docs(tmp_path_factory.mktemp('docs')/'site', run=run_path)

CHECK = """() => {
  const main = document.querySelector('main');
  const prose = main.cloneNode(true); prose.querySelectorAll('code, pre').forEach(e => e.remove());
  const h = main.querySelector('h1'), code = main.querySelector('.code_cell .input, pre');
  return {images: [...document.images].map(i => [(i.getAttribute('src') || '').slice(0, 30), i.complete && i.naturalWidth > 0]),
          links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')).filter(u => !/^(https?:|mailto:|#)/.test(u)),
          prose: prose.innerText, maths: document.querySelectorAll('math').length,
          headingFirst: !!h && (!code || !!(h.compareDocumentPosition(code) & Node.DOCUMENT_POSITION_FOLLOWING)),
          title: h ? h.innerText : ''};
}"""
TEX = re.compile(r'\$\$|\$[^$\n]{1,120}\$|\\(frac|sigma|hat|mathrm|lvert|partial|epsilon|Delta)\b')

@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not found: install Debian's chromium package (apt-get install chromium); CI does")
def test_site_in_chromium(site):
    sync_playwright = pytest.importorskip('playwright.sync_api', reason='playwright missing: pip install -e ".[dev]"').sync_playwright
    pages = sorted(site.glob('*.html'))
    names = {p.stem for p in pages}
    assert {'index', '00_data', '02_attacks', '05_frequency', '07_frontier', '08_evidence', '13_cli'} <= names, names
    problems, maths = [], 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=['--no-sandbox'])
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
            problems += [f"{f.name}: link {u!r} does not resolve" for u in info['links'] if not (site/u.split('#')[0]).exists()]
            problems += [f"{f.name}: raw TeX {m.group(0)!r} in the text" for m in TEX.finditer(info['prose'])]
            if not info['headingFirst']: problems.append(f"{f.name}: a code cell comes before the title")
            maths += info['maths']
        shots = site.parent/'screenshots'; shots.mkdir(exist_ok=True)
        for n in ('index', '02_attacks'):
            page.goto((site/f'{n}.html').as_uri(), wait_until='load'); page.screenshot(path=str(shots/f'{n}.png'))
        browser.close()
    assert not problems, '\n'.join(problems)
    assert maths > 20                                       # the math is there, as MathML
    assert all((site.parent/'screenshots'/f'{n}.png').stat().st_size > 10_000 for n in ('index', '02_attacks'))

def test_site_pages_read_like_nbdev(site):
    "Titles and summaries first, no papermill or import plumbing, a reference entry for exported functions, files readable by others."
    page = (site/'02_attacks.html').read_text()
    assert '<h1 class="title">Attacks</h1>' in page and 'FGSM, iterative FGSM (BIM) and PGD' in page
    for plumbing in ('injected-parameters', 'store_dir = None', '#| export', 'from __future__ import annotations', 'nbdev_export'):
        assert plumbing not in page, plumbing
    assert 'id="robust_accuracy"' in page and 'class="nf">robust_accuracy</span>' in page      # show_doc's entry: signature and docstring
    assert 'href="02_attacks.html#robust_accuracy"' in page and 'style="float' not in page      # references link into this site
    assert (site/'02_attacks.html').stat().st_mode & 0o044                     # group/other can read it (umask 022 here)
    nav = re.findall(r'<li><a href="([^"]+)"', page)
    assert nav[0] == 'index.html' and nav[1:] == sorted(nav[1:])               # the chapters, in reading order

def test_readme_is_what_the_index_generates(tmp_path):
    from uncertainty_nn.docs import build_readme
    want = (ROOT/'README.md').read_text()
    assert build_readme(ROOT/'nbs', dest=tmp_path/'README.md').read_text() == want, "README.md is stale: run `uncertainty-nn readme`"
    assert sum(l.strip() == '# uncertainty_nn' for l in want.splitlines()) == 1 and want.count('> Reproducing, and going beyond') == 1
