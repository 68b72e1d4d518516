"""What each install of gae_nb costs: packages and disk, for the core and each extra, in a fresh virtual environment.

Creates a venv in a temporary folder, installs `pip install -e .` (the core) and then each extra in turn
(`[tutorials]`, `[paper]`, `[dev]`), and after each step counts the installed packages and the size of
site-packages; also the part of the core that is PyTorch's CUDA libraries (`nvidia*`) and Triton. Writes the figures,
with the machine and the commit, to results/install_size.json. Needs the package index (or pip's cache); a few
minutes.

    python bench/install_size.py [--json results/install_size.json]
"""
import argparse, json, platform, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def site_packages(venv: Path) -> Path:
    return next(venv.glob('lib/python3*/site-packages'))


def mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob('*') if f.is_file() and not f.is_symlink()) / 2**20


def packages(venv: Path) -> int:
    out = subprocess.run([str(venv / 'bin' / 'pip'), 'list', '--format', 'json'], capture_output=True, text=True,
                         check=True).stdout
    return len(json.loads(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--json', default=str(ROOT / 'results' / 'install_size.json'))
    a = ap.parse_args()
    venv = Path(tempfile.mkdtemp()) / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
    steps, prev = [], {'packages': packages(venv), 'mb': mb(site_packages(venv))}
    for name, spec in (('core', '.'), ('tutorials', '.[tutorials]'), ('paper', '.[paper]'), ('dev', '.[dev]')):
        t0 = time.time()
        subprocess.run([str(venv / 'bin' / 'pip'), 'install', '-q', '-e', spec], cwd=ROOT, check=True)
        now = {'packages': packages(venv), 'mb': mb(site_packages(venv))}
        step = {'install': name, 'packages_added': now['packages'] - prev['packages'],
                'mb_added': round(now['mb'] - prev['mb'], 1), 'seconds': round(time.time() - t0)}
        if name == 'core':                                 # PyTorch's CUDA libraries and Triton, what a CPU wheel drops
            sp = site_packages(venv)
            step['mb_cuda_and_triton'] = round(sum(mb(p) for p in [*sp.glob('nvidia*'), *sp.glob('triton')]), 1)
        steps.append(step)
        print(step, flush=True)
        prev = now
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    res = {'steps': steps, 'python': platform.python_version(), 'platform': platform.platform(), 'commit': commit,
           'date': time.strftime('%Y-%m-%d', time.gmtime())}
    Path(a.json).write_text(json.dumps(res, indent=1) + '\n')
    print(f'wrote {a.json}')


if __name__ == '__main__':
    main()
