"""Does the laptop DiT sample best at the time shift it was trained with? A sampling-only sweep.

The laptop DiT trains with RAE's dimension-dependent time shift (`dit.rae_shift` of an 8x8x8 latent: 1/sqrt(512/4096)
= 2.83) but samples with shift 1.0 (`sample --preset laptop` and the ablations' protocol). This bench keeps each
trained DiT fixed and changes only the sampling shift: the three seeds of Table 6's lambda_sp = 1 arm (the paper's
weight; its autoencoder and the ablations' DiT recipe on its latents, from the model cache; trained first if missing), each
sampled at every shift with the ablations' protocol (ODE, 50 steps, no CFG, random labels, 500 samples) and scored
against 1000 held-out test images in the independent judge's features (FD-FashionJudge) and in EfficientNet-Lite0's,
with k-NN precision and recall. Each shift is compared with shift 1.0 by Welch's t-test over the seeds (paired seeds
would be tighter; Welch is the suite's test). Prints the CPU capability with the figures.

    python bench/sampling_shift.py [--shifts 0.5 1 2 2.83] [--seeds 0 1 2] [--json results/sampling_shift.json]
"""
import argparse, json, time
import torch
from gae_nb.core import machine_info
from gae_nb.ablations import held_out_reference, dit_scores, spread, welch, mean_std
from gae_nb.hub import laptop_gae


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--shifts', type=float, nargs='+', default=[0.5, 1.0, 2.0, 2.83])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--n_gen', type=int, default=500)
    ap.add_argument('--json', default='results/sampling_shift.json')
    ap.add_argument('--quick', action='store_true', help='a smoke test: tiny models in a temporary cache')
    a = ap.parse_args()
    info = machine_info()
    print(f"CPU capability {info['cpu_capability']}, {info['threads']} threads, torch {torch.__version__}", flush=True)
    quick = {}
    if a.quick:
        import tempfile
        quick = dict(changes={'steps': 2, 'warmup_steps': 1, 'batch_size': 8, 'data.n_train': 64, 'data.n_val': 16},
                     teacher={'steps': 2, 'batch_size': 16, 'data.n_val': 16}, cache=tempfile.mkdtemp(),
                     dit={'steps': 4, 'batch_size': 8}, n_ref=40)
        a.n_gen = 20
    runs, t0 = {s: [] for s in a.shifts}, time.time()
    for seed in a.seeds:
        model, cfg, run = laptop_gae({**quick.get('changes', {}), 'loss.sp': 1.0, 'seed': seed}, quick.get('teacher'),
                                     a.quick or None, quick.get('cache'))
        ref = held_out_reference(cfg, quick.get('n_ref', 1000))
        for shift in a.shifts:
            r = dit_scores(model, cfg, run, seed, ref, n_gen=a.n_gen, dit_changes=quick.get('dit'),
                           sampling={'shift': shift}, last_only=True)[-1]
            runs[shift].append(r)
            print(f"seed {seed} shift {shift:g}: " + ', '.join(f"{k} {v:.3g}" for k, v in r.items() if k != 'step'),
                  flush=True)
    keys = [k for k in ('fd_judge', 'fd', 'precision_judge', 'recall_judge', 'precision', 'recall')
            if k in runs[a.shifts[0]][0]]
    base = 1.0 if 1.0 in runs else a.shifts[0]
    rows = []
    print(f"\n| sampling shift | " + ' | '.join(keys) + ' |\n|---|' + '---|' * len(keys))
    for shift, rs in runs.items():
        row = {'shift': shift, **{k: spread([r[k] for r in rs]) for k in keys}}
        if shift != base:
            row['vs_base'] = {k: welch([r[k] for r in runs[base]], [r[k] for r in rs]) for k in keys}
        rows.append(row)
        cells = [mean_std(row[k]['mean'], row[k]['std']) +
                 (f" (p {row['vs_base'][k]['p']:.2g})" if 'vs_base' in row and row['vs_base'][k]['p'] is not None
                  else '') for k in keys]
        print(f"| {shift:g} | " + ' | '.join(cells) + ' |')
    took = time.time() - t0
    print(f"\n{len(a.seeds)} DiT seeds x {len(a.shifts)} shifts, {a.n_gen} samples each; p: Welch against shift "
          f"{base:g}; {took / 60:.1f} min ({info['cpu_capability']}, {info['threads']} threads)")
    if not a.quick and a.json:
        with open(a.json, 'w') as f:
            json.dump({'machine': info, 'seeds': a.seeds, 'n_gen': a.n_gen, 'base': base, 'rows': rows,
                       'runs': {str(k): v for k, v in runs.items()}, 'seconds': round(took, 1)}, f, indent=1)
        print(f"wrote {a.json}")


if __name__ == '__main__':
    main()
