"The package's shape: rooms of at most 300 lines, and no module importing one a reader meets later."
import ast, re
from conftest import ROOT

PKG = ROOT/'uncertainty_nn'

def reading_order() -> dict:
    "{module: chapter number} from each module's 'File to edit: ../nbs/NN_x.ipynb' line."
    order = {}
    for f in PKG.glob('*.py'):
        m = re.search(r'File to edit: \.\./nbs/(\d\d)_\w+\.ipynb', f.read_text())
        if m: order[f.stem] = int(m.group(1))
    return order

def test_rooms_are_small():
    big = {f.name: n for f in PKG.glob('*.py') if f.name != '_modidx.py'
           and (n := len(f.read_text().splitlines())) > 300}
    assert not big, f"modules over 300 lines: {big}"

def test_no_module_imports_a_later_chapter():
    order = reading_order()
    assert len(order) >= 30 and order['files'] == 0 and order['core'] == 1 and order['cli'] == 29
    late = []
    for mod, n in order.items():
        for node in ast.walk(ast.parse((PKG/f'{mod}.py').read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                used = node.module.split('.')[0]
            elif isinstance(node, ast.ImportFrom) and (node.module or '').startswith('uncertainty_nn.'):
                used = node.module.split('.')[1]
            else: continue
            if used in order and order[used] > n: late.append(f"{mod} ({n:02d}) imports {used} ({order[used]:02d})")
    assert not late, late
