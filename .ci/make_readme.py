"""Generate README.md from index.ipynb (Quarto, which `nbdev_readme` needs, cannot be installed offline).

Markdown cells are copied; code cells become ```python blocks with their `#|` directive lines removed;
cells marked `#| hide` are left out; outputs are not copied, so the README depends on the source alone.
`python .ci/make_readme.py` writes README.md; `--check` exits 1 (and says so) when README.md is stale;
`--command main|test` prints the README's set-up-and-run command (.ci/run runs the test one).
"""
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def render(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text())
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source']).strip('\n')
        lines = src.splitlines()
        if any(l.strip().replace(' ', '') == '#|hide' for l in lines): continue
        if c['cell_type'] == 'markdown': parts.append(src)
        elif c['cell_type'] == 'code':
            code = '\n'.join(l for l in lines if not l.lstrip().startswith('#|')).strip('\n')
            if code: parts.append(f"```python\n{code}\n```")
    head = '<!-- generated from index.ipynb by .ci/make_readme.py: edit the notebook, not this file -->\n\n'
    return head + '\n\n'.join(parts) + '\n'

def command(kind: str) -> str:
    "The README's one-line shell command for `kind`: 'main' (set up + main job) or 'test' (set up + all tests)."
    key = {'main': 'gae_nb.train_ae', 'test': 'nbdev_test'}[kind]
    for block in (root / 'README.md').read_text().split('```bash\n')[1:]:
        cmds = [l for l in block.split('```')[0].splitlines() if l.strip() and not l.startswith('#')]
        if len(cmds) == 1 and key in cmds[0]: return cmds[0]
    sys.exit(f"no one-line ```bash block containing {key!r} in README.md")

if __name__ == '__main__':
    if '--command' in sys.argv:
        print(command(sys.argv[sys.argv.index('--command') + 1])); sys.exit(0)
    text, readme = render(root / 'index.ipynb'), root / 'README.md'
    if '--check' in sys.argv:
        if not readme.exists() or readme.read_text() != text:
            sys.exit("README.md is stale: run `python .ci/make_readme.py` after editing index.ipynb")
        print('README.md is up to date')
    else:
        readme.write_text(text); print(f'wrote {readme}')
