"""How long each widget takes to redraw after a slider move, on the laptop models: the figure function a slider
calls, timed in process (no browser, no kernel round trip; the browser check in nbs/90_browser_check.ipynb reports
the round trip). Target: under ~0.5 s, so that a slider feels live on a laptop.

Uses the cached laptop GAE and d = 3 models (gae_nb.hub; trained on first use) and, for the ODE walk, a DiT run
folder (--dit, default runs/dit_laptop) with the latents it was trained on; the walk is skipped without one.
Each figure is drawn once to warm up, then --repeats times; the median is printed with the CPU capability.

    python bench/widget_latency.py [--dit runs/dit_laptop] [--repeats 5]
"""
import argparse, statistics, time
from pathlib import Path
import torch
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from gae_nb.core import machine_info
from gae_nb.data import get_dataset, LatentDataset
from gae_nb.hub import laptop_gae, laptop_sphere_models
from gae_nb import widgets as W


def timed(fn, repeats):
    fn()                                                            # warm-up
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        f = fn()
        if hasattr(f, 'savefig'):
            f.canvas.draw()                                         # matplotlib: render, as the notebook's PNG does
            plt.close(f)
        else:
            f.to_json()                                             # plotly: serialise, as the kernel does to send it
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dit', default='runs/dit_laptop')
    ap.add_argument('--repeats', type=int, default=5)
    a = ap.parse_args()
    torch.set_grad_enabled(False)
    gae = laptop_gae(quick=False)[0]
    sph = laptop_sphere_models(quick=False)
    g3 = sph['GAE (d=3)']
    val = get_dataset('fashion_mnist', 'val', n=256)
    x, y = val.batch(range(64))
    rows = {
        'sphere (d=3, 2 models, 32 images)': lambda: W.sphere_figure(sph, x[:32], y[:32], val.classes),
        'hypersphere PCA (d=8, 64 images)': lambda: W.hypersphere_figure({'GAE': gae}, x, y),
        'norms + angles (d=8, 64 images)': lambda: W.norm_angle_figure({'GAE': gae}, x, y),
        'noise decode (2 models, 10 images)': lambda: W.noise_decode_figure({'GAE': gae, 'd=3': g3}, x[:10], 0.3, relative=True),
        'noise cloud (d=3)': lambda: W.noise_cloud_figure(g3, x[:1], 0.3),
        'interpolation (8 steps)': lambda: W.interpolation_figure(gae, x[0], x[1], 8),
        'sphere path (d=3)': lambda: W.sphere_path_figure(g3, x[0], x[1]),
    }
    run = Path(a.dit)
    if (run / 'latest').exists() or list(run.glob('ckpt-*')):
        from gae_nb.dit import load_dit
        dit, info = load_dit(run)
        lat = LatentDataset(info['train']['latents'])
        walk = W.ode_walk(dit, 9, n=8, steps=50)
        decode = lambda z: gae.decode(lat.denormalize(z))
        rows['ODE walk: move t (8 samples)'] = lambda: W.ode_walk_figure(walk, decode, 0.5)
        t0 = time.perf_counter(); W.ode_walk(dit, 9, n=8, steps=50, cfg_scale=2.0)
        walk_s = time.perf_counter() - t0
    else:
        walk_s = None
        print(f'no DiT at {run}: the ODE walk is skipped')
    print(f'# {machine_info()}  (torch threads: {torch.get_num_threads()})')
    print(f"{'widget redraw':40s} {'median s':>9s}")
    for name, fn in rows.items():
        print(f'{name:40s} {timed(fn, a.repeats):9.3f}')
    if walk_s is not None:
        print(f"{'ODE walk: new class or CFG weight':40s} {walk_s:9.3f}   (a new 50-step walk, then cached)")


if __name__ == '__main__':
    main()
