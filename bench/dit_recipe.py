"""What bounds the laptop DiT: its recipe's levers at about the same training time, one at a time.

The laptop DiT as it was (`train_dit --preset laptop` with lr 5e-4: LightningDiT 128 wide, 4 blocks, batch 64, 2000
steps on the 10k training images' latents) scored far from the autoencoder's own reconstructions. Doubling its steps
helps, but the chain must stay within about 10 minutes. This bench asks whether another use of the same time does
better: a higher learning rate, a larger or smaller batch (the same number of images seen), a wider network for
fewer steps, or all 60k training images instead of 10k. Each variant is trained from scratch on the latents of the
generation ablation's GAE (seed 0, from the model cache) and scored exactly as the ablations score a DiT: ODE, 50
steps, no CFG, random labels, 500 samples, decoded and compared with 1000 held-out images (FD of EfficientNet-Lite0
features and k-NN precision / recall). `--seed` seeds the DiT and its sampling; rows of other seeds and variants
already in `--json` are kept, so seeds can be added one call at a time. It printed the table in `nbs/33_train_dit`
(one seed, plus seeds 1 and 2 for `preset` and `lr 2e-3`), after which the preset's lr became 2e-3.

    python bench/dit_recipe.py [--only preset "lr 2e-3"] [--seed 1] [--out runs/dit_recipe] [--json results/dit_recipe.json]
"""
import argparse, json, time
from dataclasses import replace
from pathlib import Path
import torch
from gae_nb.core import machine_info, override, batched, autocast, latest_checkpoint
from gae_nb.dit import load_dit
from gae_nb.data import LatentDataset
from gae_nb.pipeline.latents import extract_latents
from gae_nb.pipeline.dit import fit_dit
from gae_nb.recipes import DIT_TRAIN_PRESETS
from gae_nb.pipeline.generate import generate, random_labels
from gae_nb.ablations import held_out_reference, GEN_SAMPLING, sample_scores
from gae_nb.hub import laptop_gae

# name -> (changes to the laptop DiT preset, training images: the 10k of the chain or all 60k). Every variant but the
# lr rows keeps the former lr 5e-4 ('preset' is the preset as it was), so each row changes one thing against it.
OLD = {'lr': 5e-4}
VARIANTS = {
    'preset':                        ({**OLD}, '10k'),
    'lr 1e-3':                       ({'lr': 1e-3}, '10k'),
    'lr 2e-3':                       ({'lr': 2e-3}, '10k'),
    'lr 4e-3':                       ({'lr': 4e-3}, '10k'),
    'batch 32, 4000 steps':          ({**OLD, 'batch_size': 32, 'steps': 4000}, '10k'),
    'lr 1e-3, batch 32, 4000 steps': ({'lr': 1e-3, 'batch_size': 32, 'steps': 4000}, '10k'),
    'batch 128, 1000 steps':         ({**OLD, 'batch_size': 128, 'steps': 1000}, '10k'),
    'width 192, 1000 steps':         ({**OLD, 'model.hidden': 192, 'steps': 1000}, '10k'),
    'all 60k images':                ({**OLD}, '60k'),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--only', nargs='*', help='variant names (default: all)')
    ap.add_argument('--out', default='runs/dit_recipe')
    ap.add_argument('--json', help='also write the rows here')
    ap.add_argument('--n_gen', type=int, default=500)
    ap.add_argument('--seed', type=int, default=0, help='seeds the DiT (the autoencoder stays seed 0)')
    ap.add_argument('--quick', action='store_true', help='a smoke test: 1/20 of the steps')
    a = ap.parse_args()
    info = machine_info()
    print(f"CPU capability {info['cpu_capability']}, {info['threads']} threads, torch {torch.__version__}")
    model, cfg, _ = laptop_gae({'seed': 0})                 # the generation ablation's GAE arm, seed 0
    ext, f_ref, stats_ref = held_out_reference(cfg)[""]       # the EfficientNet-Lite0 space
    out, rows = Path(a.out), []
    for name, (changes, images) in VARIANTS.items():
        if a.only and name not in a.only:
            continue
        lat_dir = out / f'latents_{images}'
        if not (lat_dir / 'latents_info.json').exists():
            data = cfg.data if images == '10k' else replace(cfg.data, n_train=None)
            ds = data.datasets(cfg.model.image_size, cfg.model.in_chans, cfg.seed)[0]
            t0 = time.time()
            extract_latents(model, ds, lat_dir, progress=False)
            print(f'extracted {len(ds)} latents in {time.time() - t0:.0f} s')
        lat = LatentDataset(lat_dir)
        dcfg = override(DIT_TRAIN_PRESETS['laptop'], {**changes, 'latents': str(lat_dir), 'seed': a.seed})
        if a.quick:
            dcfg = replace(dcfg, steps=max(dcfg.steps // 20, 20), ckpt_every=10_000)
        run_dir = out / (name.replace(' ', '_').replace(',', '') + f'_s{a.seed}')
        r = fit_dit(dcfg, run_dir, progress=False, data=lat, overwrite=True)
        dit = load_dit(latest_checkpoint(run_dir))[0]                   # its EMA weights, as sampling uses
        t0 = time.time()
        labels = random_labels(dcfg.model.num_classes, a.n_gen, seed=a.seed)
        with autocast(dcfg.precision):
            z = generate(dit, labels, GEN_SAMPLING['sampler'], GEN_SAMPLING['steps'], GEN_SAMPLING['shift'],
                         GEN_SAMPLING['cfg_scale'], seed=a.seed)
        images_ = batched(model.decode, lat.denormalize(z.float()), 256).float().clamp(-1, 1)
        row = {'variant': name, 'seed': a.seed, 'images': len(lat), 'steps': dcfg.steps, 'batch': dcfg.batch_size, 'lr': dcfg.lr,
               'hidden': dcfg.model.hidden, 'params_M': sum(p.numel() for p in dit.parameters()) / 1e6,
               'train_s': round(r['seconds'], 1), 'sample_s': round(time.time() - t0, 1),
               'last_loss': r['history'][-1]['loss'],
               **sample_scores(ext, stats_ref, f_ref, images_)}          # the ablations' own scoring
        rows.append(row)
        print(f"{name:24s} {row['images']:6d} images  {row['params_M']:.2f}M  train {row['train_s']:6.0f} s  "
              f"loss {row['last_loss']:.3f}  gFD {row['fd']:6.1f}  precision {row['precision']:.3f}  "
              f"recall {row['recall']:.3f}", flush=True)
    if a.json:                                   # rows of other variants and seeds already there are kept
        old = json.loads(Path(a.json).read_text())['rows'] if Path(a.json).exists() else []
        done = {(r['variant'], r['seed']) for r in rows}
        rows = [r for r in old if (r['variant'], r.get('seed', 0)) not in done] + rows
        Path(a.json).write_text(json.dumps({'machine': info, 'sampling': GEN_SAMPLING, 'n_gen': a.n_gen,
                                            'rows': rows}, indent=1))


if __name__ == '__main__':
    main()
