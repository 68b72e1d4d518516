"""What every committed bench result records beside its figures, so that a number quoted from it can be traced: the
machine (CPU capability, native bf16, threads, torch version), the commit the code was at (`-dirty` when the
working tree differed from it, as the notebooks' run records say), the date and the command that made it.

The bench scripts run as `python bench/<script>.py`, which puts this folder on the import path:

    from stamp import stamp, write_result
    write_result('bench/results/fast_path.json', {'ae': ...})   # adds 'machine': stamp(), written atomically
"""
import json, os, subprocess, sys
from datetime import datetime, timezone
from pathlib import Path

from gae_nb.core import machine_info, atomic_write_text

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    try: return subprocess.run(['git', *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError): return ''


def stamp() -> dict:
    "The machine, commit, date and command of a bench run."
    commit = _git('rev-parse', '--short', 'HEAD') or 'unknown'
    changed = _git('status', '--porcelain', '--untracked-files=no')
    return {**machine_info(), 'commit': commit + ('-dirty' if changed else ''),
            'date': datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
            'command': ' '.join(['python', os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])}


def write_result(path, payload: dict, machine: dict | None = None) -> Path:
    "Write `payload` and the run's stamp (under 'machine') to the JSON file `path`, atomically."
    path = Path(path); path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps({'machine': {**stamp(), **(machine or {})}, **payload}, indent=1) + '\n')
    print(f'wrote {path}')
    return path
