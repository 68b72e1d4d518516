"""What one ablation run costs on this machine, stage by stage, and so what each table costs from an empty cache.

Into a fresh temporary model cache, runs the ablation tables' reference arm (the laptop recipe, seed 0) as
`python -m gae_nb.ablations --generation` would, timing each stage: the teacher (its VFM features included), the
autoencoder, the autoencoder's scores (PSNR, SSIM, rFD, linear probe, PSNR under latent noise), and the ablations' DiT
on its latents with its scores (latents, 2000 DiT steps, 500 samples, gFD / precision / recall). From these it prices
each table from an empty cache, with and without --generation:

    distinct teachers x seeds x teacher  +  distinct autoencoders x seeds x (autoencoder + scoring [+ DiT])

An estimate, not a measurement of the tables: every arm is priced like the reference arm (Table 8's wider
autoencoders and Table 4's d = 16 arm train slower, a no-teacher arm skips its teacher), Table 11's laptop MAE adds
its own pretraining and its MAE-L arm is left out (its weights come from the internet). The measured times of the
tables as they ran are in the README. Prints the CPU capability beside every figure.

    python bench/ablation_cost.py [--seeds 3] [--json F]
"""
import argparse, json, tempfile, time
from pathlib import Path
from gae_nb.core import machine_info, set_threads
from stamp import write_result
from gae_nb.hub import laptop_gae, laptop_recipe
from gae_nb.ablations import TABLES, NOISE_SIGMAS, held_out_reference, dit_scores
from gae_nb.pipeline.score import score_autoencoder
from gae_nb.metrics import get_extractor


def distinct(table) -> tuple[int, int]:
    "Distinct autoencoders and teachers among a table's arms (arms that need the internet left out)."
    aes, teachers = set(), set()
    for a in table.arms:
        if a.teacher.get('teacher.vfm') == 'mae_vitl16':
            continue
        ae = {**table.changes, **a.ae}
        t = json.dumps({**table.teacher_changes, **a.teacher}, sort_keys=True)
        cfg = laptop_recipe(ae, quick=False)[1]
        if table.kind == 'teacher' or (cfg.loss.sp > 0 and cfg.teacher):      # an autoencoder with a teacher
            teachers.add(t)
        if table.kind == 'ae':
            aes.add(json.dumps(ae, sort_keys=True) + t)
    return len(aes), len(teachers)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seeds', type=int, default=3)
    ap.add_argument('--json', help='also write the figures here')
    a = ap.parse_args()
    set_threads()
    m = machine_info()
    cache = Path(tempfile.mkdtemp(prefix='gae_nb_cost_'))
    t0 = time.time()
    model, cfg, run = laptop_gae({'seed': 0}, cache=cache, progress=False)
    st = {'teacher': json.loads(next((cache / 'teachers').glob('*/DONE.json')).read_text())['seconds'],
          'autoencoder': json.loads((run / 'DONE.json').read_text())['seconds']}
    t = time.time()
    train_ds, val_ds = cfg.data.datasets(cfg.model.image_size, cfg.model.in_chans, cfg.seed)
    score_autoencoder(model, train_ds, val_ds, {'rfd': get_extractor('effnet_lite0', input_size=128)[1]}, NOISE_SIGMAS)
    st['scoring'] = time.time() - t
    t = time.time()
    dit_scores(model, cfg, run, 0, held_out_reference(cfg), last_only=True)
    st['DiT and its scores'] = time.time() - t
    tag = f"({m['cpu_capability']}, {m['threads']} threads, torch {m['torch']})"
    print(f'one run of the reference arm, from an empty cache {tag}:')
    for k, v in st.items():
        print(f'  {k:<20} {v / 60:5.1f} min')
    print(f'  {"total":<20} {(time.time() - t0) / 60:5.1f} min')
    rows = []
    print(f'\neach table from an empty cache, {a.seeds} seeds, priced like the reference arm {tag}:')
    print(f"  {'table':<6} {'autoencoders':>12} {'teachers':>8} {'min':>6} {'min with --generation':>22}")
    for k, tb in TABLES.items():
        n_ae, n_t = distinct(tb)
        base = a.seeds * (n_t * st['teacher'] + n_ae * (st['autoencoder'] + st['scoring']))
        gen = base + a.seeds * n_ae * st['DiT and its scores'] if tb.kind == 'ae' else None
        rows.append({'table': k, 'autoencoders': n_ae * a.seeds, 'teachers': n_t * a.seeds, 'minutes': base / 60,
                     'minutes_generation': None if gen is None else gen / 60})
        g = '—' if gen is None else f'{gen / 60:.0f}'
        print(f'  {k:<6} {n_ae * a.seeds:>12} {n_t * a.seeds:>8} {base / 60:>6.0f} {g:>22}')
    if a.json:
        write_result(a.json, {'seeds': a.seeds, 'stage_seconds': st, 'total_seconds': time.time() - t0, 'tables': rows})


if __name__ == '__main__':
    main()
