"""Wall-clock time of the README's main job and of the laptop generation chain, stage by stage, from empty caches.

Runs the documented commands as a new user would, each in its own process, in a fresh folder with an empty feature
cache and an empty TorchInductor cache (so compile time is paid, as on a first run), and prints each stage's time,
the CPU capability, the precision the jobs chose, the main job's held-out metrics, and the scores of the chain's
samples (the 100 of `sample --preset laptop`) against 1000 held-out images (`evaluate --samples`). The samples are
judged by `--extractor fashion_judge` (a classifier the models never saw; this scoring is not timed); the stage's own
default, EfficientNet-Lite0, is the laptop teacher's backbone and perceptual loss, so its numbers are kept beside, not
used to judge. With 100 samples a Fréchet distance reads higher than with more: `bench/generation_floor.py` scores 500.

    python bench/laptop_chain.py --out /tmp/chain                  # main job + generation chain
    python bench/laptop_chain.py --out /tmp/chain --only main      # the main job alone
    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 python bench/laptop_chain.py --out /tmp/chain_avx2
    python bench/laptop_chain.py --out /tmp/gen --only generation --ae runs/gae_laptop   # the generation chain alone
"""
import argparse, json, os, shutil, subprocess, sys, time
from pathlib import Path


def run(stage: str, args: list[str], env: dict, log: Path) -> float:
    "Run `python -m gae_nb.<args>`, teeing its output into `log`; returns seconds."
    cmd = [sys.executable, '-m', *args]
    print(f"[{stage}] {' '.join(cmd[1:])}", flush=True)
    t = time.perf_counter()
    with open(log, 'w') as f:
        p = subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT)
    s = time.perf_counter() - t
    if p.returncode: raise SystemExit(f"[{stage}] failed ({p.returncode}); see {log}")
    print(f"[{stage}] {s:.0f} s", flush=True)
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', required=True, help='a fresh folder (deleted first)')
    ap.add_argument('--only', choices=['main', 'generation', 'all'], default='all')
    ap.add_argument('--ae', help='with --only generation: the trained autoencoder (run folder) to start from')
    ap.add_argument('--json', help='also write the times and metrics here (with the machine, commit and date)')
    a = ap.parse_args()
    if (a.only == 'generation') != (a.ae is not None):
        ap.error('--only generation needs --ae (a trained autoencoder), and --ae is only for --only generation')
    out = Path(a.out)
    shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    env = {**os.environ, 'TORCHINDUCTOR_CACHE_DIR': str(out / 'inductor_cache'), 'PYTHONUNBUFFERED': '1'}
    from gae_nb.core import machine_info, precision_note
    info = {**machine_info(), 'precision': precision_note('auto')}
    print(f"machine: {info}", flush=True)
    t = {}
    main_stages = ('teacher (features + distillation + probe)', 'autoencoder (train + report)')
    ae = Path(a.ae) if a.ae else out / 'gae'
    if a.only != 'generation':
        t[main_stages[0]] = run('teacher', [
            'gae_nb.train_teacher', '--preset', 'laptop', '--out', str(out / 'teacher'), '--cache_dir',
            str(out / 'cache')], env, out / 'teacher.log')
        t[main_stages[1]] = run('main', [
            'gae_nb.train_ae', '--preset', 'laptop', '--out', str(ae), '--cache_dir', str(out / 'cache'),
            '--teacher', str(out / 'teacher' / 'teacher')], env, out / 'main.log')
    metrics = json.loads((ae / 'metrics.json').read_text())
    if a.only != 'main':
        t['extract'] = run('extract', ['gae_nb.extract', '--ae', str(ae), '--out', str(out / 'latents')],
                           env, out / 'extract.log')
        t['train_dit'] = run('train_dit', ['gae_nb.train_dit', '--latents', str(out / 'latents'),
                                           '--out', str(out / 'dit')], env, out / 'train_dit.log')
        t['sample'] = run('sample', ['gae_nb.sample', '--preset', 'laptop', '--dit', str(out / 'dit'), '--ae',
                                     str(ae), '--out', str(out / 'samples')], env, out / 'sample.log')
        t['evaluate'] = run('evaluate', ['gae_nb.evaluate', '--samples', str(out / 'samples' / 'samples.npz'),
                                         '--out', str(out / 'eval')], env, out / 'evaluate.log')
        run('judge', ['gae_nb.evaluate', '--samples', str(out / 'samples' / 'samples.npz'), '--extractor',
                      'fashion_judge', '--out', str(out / 'eval_judge')], env, out / 'judge.log')
    print(f"\nmachine: {info}")
    print(f"main job: AE training {metrics['info']['train_seconds']:.0f} s of it; held-out PSNR {metrics['gae']['psnr']:.2f} dB, "
          f"SSIM {metrics['gae']['ssim']:.3f}, LP(mu) {metrics['latent'].get('lp_top1_mu', float('nan')):.3f}")
    for k, v in t.items():
        print(f"  {k:<48} {v:6.0f} s")
    if a.only != 'generation':
        print(f"  {'main job (the README command after the install)':<48} {sum(t[k] for k in main_stages):6.0f} s")
    if a.only != 'main':
        gen = sum(v for k, v in t.items() if k not in main_stages)
        print(f"  {'generation chain (extract .. evaluate)':<48} {gen:6.0f} s")
    print(f"  {'total':<48} {sum(t.values()):6.0f} s")
    if a.only != 'main':                     # the samples' scores against held-out images (evaluate --samples)
        scores = {k: json.loads((out / k / 'metrics.json').read_text()) for k in ('eval_judge', 'eval')}
        for g in scores.values():
            fd = next(k for k in g if k.startswith('FD'))
            print(f"samples ({g['n_samples']}, sample --preset laptop) against {g['n_ref']} held-out images: {fd} "
                  f"{g[fd]:.1f}, precision {g['precision']:.3f}, recall {g['recall']:.3f}")
        metrics = {**metrics, 'samples': scores['eval_judge'], 'samples_effnet': scores['eval']}
    (out / 'times.json').write_text(json.dumps({'machine': info, 'seconds': t, 'metrics': metrics}, indent=2))
    if a.json:
        from stamp import write_result
        totals = {'main job': sum(t[k] for k in main_stages if k in t) or None,
                  'generation chain': sum(v for k, v in t.items() if k not in main_stages) or None}
        write_result(a.json, {'only': a.only, 'seconds': t, 'totals': totals, 'metrics': metrics},
                     {'precision': info['precision']})


if __name__ == '__main__':
    main()
