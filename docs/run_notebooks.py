"""Run the notebooks with the learner's recipe and keep their outputs in the files, so they show on the repository page.

    python docs/run_notebooks.py             # the notebooks whose code changed since their outputs were made
    python docs/run_notebooks.py --all       # every notebook (cached models are reused, so a rerun is cheap)
    python docs/run_notebooks.py tutorials/02_latent_geometry.ipynb ...
    python docs/run_notebooks.py --check     # list the stale notebooks; exit 1 if there are any

Each notebook runs in its own process, in its own folder, exactly as a learner runs it in Jupyter: without
`IN_TEST`, so with the full recipe, not the shortened one `nbdev_test` uses. Cells marked `#| eval: false` are not
run (as in nbdev); cells marked `#| slow` are not run unless `--slow` is given (they take from minutes to hours; the
notebook says what each one does). Plotly figures are stored as Plotly JSON, which JupyterLab draws interactively,
plus a PNG (drawn by kaleido in headless Chromium) for viewers that run no JavaScript, such as the repository page.
Widgets cannot be stored live (their state lives in the kernel), so a widget's output is stored as a line that says
so, which every viewer shows as it is; the tutorials show a screenshot of each widget beside it.

Into each notebook's metadata (`gae_nb_run`, which `nbdev_clean` keeps) go the commit, date, machine, CPU capability,
run time and a hash of every code cell's source. `nbs/92_notebook_outputs` fails when a code cell no longer matches
its hash: the outputs are stale and this script must be run again.
"""
import hashlib, json, os, platform, re, subprocess, sys, time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDGET_TEXT = ('[interactive widget: run this cell in Jupyter to use it; widgets are not stored in the file, '
               'and the tutorial shows a screenshot of it]')


def notebooks() -> list[Path]:
    "Every notebook of the project: the tutorials, the README's `index.ipynb`, then `nbs/` (its checks come last)."
    return (sorted((ROOT / 'tutorials').glob('*.ipynb')) + [ROOT / 'index.ipynb']
            + sorted((ROOT / 'nbs').glob('*.ipynb')))


def directives(source: str) -> dict:
    "The `#| key: value` lines at the top of a cell, as nbdev reads them (`#| slow` gives {'slow': ''})."
    out = {}
    for line in source.splitlines():
        s = line.strip()
        if not s.startswith('#|'): break
        key, _, val = s[2:].strip().partition(' ')
        out[key.rstrip(':')] = val.strip()
    return out


def cell_hash(source: str) -> str:
    "A short hash of a code cell's source, blind to trailing whitespace."
    text = '\n'.join(line.rstrip() for line in source.strip().splitlines())
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb['cells'] if c['cell_type'] == 'code']


def source(cell: dict) -> str:
    s = cell['source']
    return s if isinstance(s, str) else ''.join(s)


def stale_cells(path: Path) -> list[str]:
    "Why the stored outputs of `path` do not belong to its code (empty when they do)."
    nb = json.loads(Path(path).read_text())
    run = nb.get('metadata', {}).get('gae_nb_run')
    if run is None: return ['no outputs recorded: run `python docs/run_notebooks.py ' + _rel(path) + '`']
    old, new = run['code_hashes'], [cell_hash(source(c)) for c in code_cells(nb)]
    if len(old) != len(new): return [f'{len(new)} code cells now, {len(old)} when the outputs were made']
    return [f'code cell {i} changed: {source(c).strip().splitlines()[0][:70] if source(c).strip() else "(empty)"}'
            for i, (c, a, b) in enumerate(zip(code_cells(nb), old, new)) if a != b]


def _rel(p: Path) -> str:
    "The path as the repository names it (as given, if it is outside)."
    p = Path(p).resolve()
    return str(p.relative_to(ROOT)) if ROOT in p.parents else str(p)


def _machine() -> dict:
    import torch
    model = next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines()
                  if l.startswith('model name')), platform.processor()) if Path('/proc/cpuinfo').exists() else ''
    return {'cpu': model, 'cores': os.cpu_count(), 'cpu_capability': torch.backends.cpu.get_cpu_capability(),
            'threads': torch.get_num_threads(), 'torch': torch.__version__, 'python': platform.python_version()}


def _commit() -> str:
    git = lambda *a: subprocess.run(['git', *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    rev = git('rev-parse', '--short', 'HEAD') or 'unknown'
    return rev + ('-dirty' if git('status', '--porcelain', '--untracked-files=no') else '')


ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')
TORCH_LOG = re.compile(r'[WI]\d{4} [\d:.]+ \d+ torch/[^\n]*\n?')


def _noise(o: dict) -> bool:
    "Outputs that say nothing to a reader: bare terminal control codes (a cleared progress bar), torch's C++ log lines."
    return o.get('output_type') == 'stream' and not ANSI.sub('', TORCH_LOG.sub('', ''.join(o.get('text', '')))).strip()


def _squash(o: dict) -> dict:
    "A stream as a terminal leaves it: each line's last state after carriage returns (a progress bar's final line)."
    if o.get('output_type') == 'stream':
        text = TORCH_LOG.sub('', ''.join(o.get('text', '')))
        o['text'] = '\n'.join(line.rstrip('\r').rsplit('\r', 1)[-1] for line in text.split('\n'))
    return o


def _round(x, digits: int = 5):
    "Plotly JSON with floats to `digits` significant digits (the figure looks the same; the file is half the size)."
    if isinstance(x, float): return float(f'{x:.{digits}g}')
    if isinstance(x, list): return [_round(v, digits) for v in x]
    if isinstance(x, dict): return {k: _round(v, digits) for k, v in x.items()}
    return x


def run_one(path: Path, slow: bool = False) -> float:
    "Execute `path` in this process with the learner's recipe and write its outputs and run record into it."
    os.environ.pop('IN_TEST', None)
    import plotly.io as pio                                     # in this process only: kernels a notebook starts keep
    pio.renderers.default = 'plotly_mimetype+png'               # their own default (live in Jupyter, + a picture)
    os.environ.setdefault('GAE_NB_REGENERATING', _rel(path))     # 92_notebook_outputs does not judge these yet
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    nb = read_nb(path)
    skip = lambda c: (c.cell_type != 'code' or 'nbdev_export(' in c.source
                      or directives(c.source).get('eval', '').lower() == 'false'
                      or ('slow' in directives(c.source) and not slow) or 'notest' in directives(c.source))
    for c in nb.cells:
        if c.cell_type == 'code': c.outputs, c.execution_count = [], None
    start, cwd = time.time(), os.getcwd()
    os.chdir(path.parent)
    try:
        shell = CaptureShell(path)
        shell.run_all(nb, exc_stop=True, preproc=skip)
    finally: os.chdir(cwd)
    seconds = time.time() - start
    for c in nb.cells:
        if c.cell_type == 'code': c.outputs = [_squash(o) for o in c.outputs if not _noise(o)]
        for o in c.get('outputs', []):
            data = o.get('data', {})
            if 'application/vnd.jupyter.widget-view+json' in data: o['data'] = {'text/plain': WIDGET_TEXT}
            if 'application/vnd.plotly.v1+json' in data:
                data['application/vnd.plotly.v1+json'] = _round(data['application/vnd.plotly.v1+json'])
    nb.metadata['gae_nb_run'] = {
        'commit': _commit(), 'date': datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        'seconds': round(seconds),
        'machine': _machine(), 'recipe': 'learner (IN_TEST unset)' + (', #| slow cells run' if slow else
                                                                      ', #| slow cells not run'),
        'code_hashes': [cell_hash(c.source) for c in nb.cells if c.cell_type == 'code']}
    write_nb(nb, path)
    subprocess.run([str(Path(sys.executable).parent / 'nbdev_clean'), '--fname', str(path)], cwd=ROOT, check=True)
    return seconds


def main(argv: list[str]) -> int:
    if argv[:1] == ['--one']:
        run_one(Path(argv[1]).resolve(), slow='--slow' in argv)
        return 0
    paths = [Path(a).resolve() for a in argv if not a.startswith('--')]
    if '--check' in argv:
        bad = {_rel(p): stale_cells(p) for p in (paths or notebooks())}
        bad = {k: v for k, v in bad.items() if v}
        for k, v in bad.items(): print(f'{k}: ' + '; '.join(v))
        print(f'{len(bad)} stale notebook(s)' if bad else 'every notebook\'s outputs match its code')
        return 1 if bad else 0
    todo = paths or [p for p in notebooks() if '--all' in argv or stale_cells(p)]
    total, failed = time.time(), []
    os.environ['GAE_NB_REGENERATING'] = ','.join(_rel(p) for p in todo)
    for p in todo:
        t = time.time()
        print(f'running {_rel(p)} ...', flush=True)
        r = subprocess.run([sys.executable, __file__, '--one', str(p)] + (['--slow'] if '--slow' in argv else []))
        print(f'  {"ok" if r.returncode == 0 else "FAILED"} in {time.time() - t:.0f} s', flush=True)
        if r.returncode: failed.append(_rel(p))
    print(f'{len(todo) - len(failed)} notebooks run in {time.time() - total:.0f} s'
          + (f'; failed (outputs left as they were): {", ".join(failed)}' if failed else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
