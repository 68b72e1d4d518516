"""What the generation metrics can reach on the laptop, before any DiT: the floor and the autoencoder's ceiling.

Against a held-out reference set R (1000 Fashion-MNIST test images), computes the Fréchet distance and k-NN
precision / recall (k = 3) in two feature spaces:
  - FD-FashionJudge, first: the Fashion-MNIST classifier shipped with the package, which neither the autoencoder nor
    its teacher ever saw, so it can judge them;
  - FD-EffNetLite0, second: the laptop recipe's teacher backbone and perceptual loss, so the autoencoder was trained
    against it; shown to compare with older tables, not to judge the model.
The sets:
  - another, disjoint held-out set (the floor: what a perfect generator would score with this many images);
  - the autoencoder's reconstructions of that set (decode of the clean mu: the best a DiT on its latents can hope for);
  - decodes of mu + sigma * eps for a few sigma (how the decoder treats latents off the data manifold);
  - decodes of random points on the latent sphere (a generator that learnt nothing);
  - with --dit: the DiT's samples (class-uniform, the laptop sampling preset or --sampler/--steps/--shift/--cfg),
    from its EMA and its raw weights, decoded as they are and after putting every latent token back on the sphere of
    radius sqrt(d), with the token norms of generated and real latents side by side (does the DiT learn the sphere?);
    and the samples of a *perfect* DiT: the same sampler driven by the exact velocity of --oracle_n of the DiT's
    training latents (transport.empirical_velocity). It regenerates training points, so it shows what the rest of
    the chain (sampler, de-normalisation, decoder) allows when the network is not the limit.
Prints each row with the CPU capability it ran on.

    python bench/generation_floor.py --ae runs/gae_laptop [--dit runs/dit_laptop]
"""
import argparse, time
import torch
from gae_nb.core import machine_info, batched, device_of
from stamp import write_result
from gae_nb.data import get_dataset, load_latent_stats, LatentDataset
from gae_nb.autoencoder import load_gae, encode_mu
from gae_nb.metrics import get_extractor, extract, FeatureStats, fd_from_stats, precision_recall
from gae_nb.transport import empirical_velocity, sample_ode, sample_sde
from gae_nb.dit import load_dit
from gae_nb.pipeline.generate import generate, class_uniform_labels, initial_noise
from gae_nb.recipes import SAMPLE_PRESETS


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ae', default='runs/gae_laptop')
    ap.add_argument('--n', type=int, default=1000)
    ap.add_argument('--json', help='also write the rows here')
    ap.add_argument('--dit', help='a train_dit run: also score its samples')
    ap.add_argument('--n_gen', type=int, default=500, help='DiT samples (class-uniform)')
    ap.add_argument('--oracle_n', type=int, default=6000, help='training latents of the perfect-DiT row (0: skip)')
    lap = SAMPLE_PRESETS['laptop']
    ap.add_argument('--sampler', default=lap.sampler)
    ap.add_argument('--steps', type=int, default=lap.steps)
    ap.add_argument('--shift', type=float, default=lap.shift)
    ap.add_argument('--cfg', type=float, default=lap.cfg_scale)
    ap.add_argument('--cfg_start', type=float, default=lap.cfg_interval_start)
    a = ap.parse_args()
    t0 = time.time()
    model, saved = load_gae(a.ae)
    m = model.cfg
    ds = get_dataset('fashion_mnist', 'val', n=2 * a.n, size=m.image_size, channels=m.in_chans, seed=123)
    x = ds.batch(range(len(ds)))[0]
    ref, other = x[:a.n], x[a.n:]
    exts = [get_extractor('fashion_judge'), get_extractor('effnet_lite0', input_size=128)]   # the judge first
    f_ref = [extract(ext, ref)[0] for _, ext in exts]
    stats_ref = [FeatureStats().update(f) for f in f_ref]
    spaces = [label for label, _ in exts]
    def row(name, imgs):                                     # per space: its FD, precision and recall
        r = {'set': name}
        for label, (_, ext), fr, st in zip(spaces, exts, f_ref, stats_ref):
            f = extract(ext, imgs)[0]
            pr = precision_recall(fr, f)
            r |= {label: fd_from_stats(st, FeatureStats().update(f)), f'precision {label}': pr['precision'],
                  f'recall {label}': pr['recall']}
        return r
    mu = encode_mu(model, other)
    g = torch.Generator().manual_seed(0)
    eps = torch.randn(mu.shape, generator=g)
    decode = lambda z: batched(model.decode, z, 256, device_of(model))
    rows = [row('held-out (disjoint): the floor', other), row('reconstructions (decode of mu)', decode(mu))]
    for s in (0.2, 0.5, 1.0):
        rows.append(row(f'decode of mu + {s} eps', decode(mu + s * eps)))
    sphere = torch.nn.functional.normalize(torch.randn(mu.shape, generator=g), dim=1) * m.latent_dim ** 0.5
    rows.append(row('decode of random sphere points', decode(sphere)))
    norms = {'real mu': mu.norm(dim=1)}
    if a.dit:
        tag = f'{a.sampler} {a.steps} steps, shift {a.shift}, cfg {a.cfg} from {a.cfg_start}'
        for ema in (True, False):
            dit, dsaved = load_dit(a.dit, ema=ema)
            st = load_latent_stats(dsaved['latents'])
            labels = class_uniform_labels(dit.cfg.num_classes, a.n_gen // dit.cfg.num_classes)
            z = generate(dit, labels, a.sampler, a.steps, a.shift, a.cfg, a.cfg_start, seed=0)
            z = z / dsaved['train'].get('latent_multiplier', 1.0) * st['std'] + st['mean']
            w = 'EMA' if ema else 'raw'
            norms[f'generated z ({w})'] = z.norm(dim=1)
            rows.append(row(f'DiT samples, {w} weights ({tag})', decode(z)))
            if ema:
                on_sphere = torch.nn.functional.normalize(z, dim=1) * m.latent_dim ** 0.5
                rows.append(row('DiT samples (EMA), tokens put on the sphere', decode(on_sphere)))
        if a.oracle_n:
            lat = LatentDataset(dsaved['latents'], flip_p=0)
            pick = torch.randperm(len(lat.z), generator=torch.Generator().manual_seed(0))[:a.oracle_n]
            v = empirical_velocity((lat.z[pick] - lat.mean) / lat.std, lat.y[pick])
            vel = lambda x, t: v(x, t, labels)
            x0 = initial_noise(len(labels), tuple(lat.z.shape[1:]), 0)
            zo = sample_ode(vel, x0, a.steps, a.shift) if a.sampler == 'ode' else sample_sde(vel, x0, a.steps, a.shift)
            name = f'perfect DiT: exact velocity of {len(pick)} training latents'
            rows.append(row(name, decode(zo * lat.std + lat.mean)))
    print(f"machine: {machine_info()}; {a.n} reference images; {time.time() - t0:.0f} s")
    for k, v in norms.items():
        print(f"  token norm of {k}: {v.mean():.3f} +- {v.std():.3f} (sqrt d = {m.latent_dim ** 0.5:.3f})")
    print(f"  {'set':<64} " + ' '.join(f"{l:>15} {'prec.':>5} {'rec.':>5}" for l in spaces))
    for r in rows:
        print(f"  {r['set']:<64} " + ' '.join(f"{r[l]:15.1f} {r[f'precision {l}']:5.3f} {r[f'recall {l}']:5.3f}"
                                              for l in spaces))
    if a.json:
        write_result(a.json, {
            'extractors': spaces, 'n_ref': a.n, 'n_gen': a.n_gen, 'sampling': tag if a.dit else None, 'seconds': time.time() - t0,
            'token_norms': {k: {'mean': v.mean().item(), 'std': v.std().item()} for k, v in norms.items()},
            'sqrt_d': m.latent_dim ** 0.5, 'rows': rows})


if __name__ == '__main__':
    main()
