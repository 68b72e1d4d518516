"""What every committed bench result records beside its figures, so that a number quoted from it can be traced: the
machine (CPU capability, native bf16, threads, torch version), the commit the code was at (`+changes` when the
working tree differed from it), the date and the command that made it.

The bench scripts run as `python bench/<script>.py`, which puts this folder on the import path:

    from stamp import stamp, write_result
    write_result('bench/results/fast_path.json', {'ae': ...})   # adds 'machine': stamp(), written atomically
"""
import json, os, subprocess, sys, tempfile
from datetime import datetime, timezone
from pathlib import Path

from gae_nb.core import machine_info

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    try: return subprocess.run(['git', *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError): return ''


def stamp() -> dict:
    "The machine, commit, date and command of a bench run."
    commit = _git('rev-parse', '--short', 'HEAD') or 'unknown'
    changed = _git('status', '--porcelain', '--untracked-files=no')
    return {**machine_info(), 'commit': commit + ('+changes' if changed else ''),
            'date': datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
            'command': ' '.join(['python', os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])}


def write_result(path, payload: dict, machine: dict | None = None) -> Path:
    "Write `payload` and the run's stamp (under 'machine') to the JSON file `path`, atomically."
    path = Path(path); path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({'machine': {**stamp(), **(machine or {})}, **payload}, indent=1) + '\n'
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + '.')
    with os.fdopen(fd, 'w') as f: f.write(text)
    os.chmod(tmp, 0o644)                                        # mkstemp makes it private; a result is for everyone
    os.replace(tmp, path)
    print(f'wrote {path}')
    return path
