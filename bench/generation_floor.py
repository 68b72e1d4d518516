"""What the generation metrics can reach on the laptop, before any DiT: the floor and the autoencoder's ceiling.

Against a held-out reference set R (1000 Fashion-MNIST test images), computes FD-EffNetLite0 and k-NN precision /
recall (k = 3) of:
  - another, disjoint held-out set (the floor: what a perfect generator would score with this many images);
  - the autoencoder's reconstructions of that set (decode of the clean mu: the best a DiT on its latents can hope for);
  - decodes of mu + sigma * eps for a few sigma (how the decoder treats latents off the data manifold);
  - decodes of random points on the latent sphere (a generator that learnt nothing).
Prints each row with the CPU capability and precision it ran in.

    python bench/generation_floor.py --ae runs/gae_laptop
"""
import argparse, json, time
import torch
from gae_nb.core import machine_info, batched, device_of
from gae_nb.data import get_dataset
from gae_nb.autoencoder import load_gae, encode_mu
from gae_nb.metrics import get_extractor, extract, FeatureStats, fd_from_stats, precision_recall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ae', default='runs/gae_laptop')
    ap.add_argument('--n', type=int, default=1000)
    ap.add_argument('--json', help='also write the rows here')
    a = ap.parse_args()
    t0 = time.time()
    model, saved = load_gae(a.ae)
    m = model.cfg
    ds = get_dataset('fashion_mnist', 'val', n=2 * a.n, size=m.image_size, channels=m.in_chans, seed=123)
    x = ds.batch(range(len(ds)))[0]
    ref, other = x[:a.n], x[a.n:]
    label, ext = get_extractor('effnet_lite0', input_size=128)
    f_ref = extract(ext, ref)[0]
    stats_ref = FeatureStats().update(f_ref)
    def row(name, imgs):
        f = extract(ext, imgs)[0]
        pr = precision_recall(f_ref, f)
        return {'set': name, label: fd_from_stats(stats_ref, FeatureStats().update(f)), **pr}
    mu = encode_mu(model, other)
    g = torch.Generator().manual_seed(0)
    eps = torch.randn(mu.shape, generator=g)
    decode = lambda z: batched(model.decode, z, 256, device_of(model))
    rows = [row('held-out (disjoint): the floor', other), row('reconstructions (decode of mu)', decode(mu))]
    for s in (0.2, 0.5, 1.0):
        rows.append(row(f'decode of mu + {s} eps', decode(mu + s * eps)))
    sphere = torch.nn.functional.normalize(torch.randn(mu.shape, generator=g), dim=1) * m.latent_dim ** 0.5
    rows.append(row('decode of random sphere points', decode(sphere)))
    print(f"machine: {machine_info()}; {a.n} reference images; {time.time() - t0:.0f} s")
    print(f"  {'set':<36} {label:>14} {'precision':>9} {'recall':>7}")
    for r in rows:
        print(f"  {r['set']:<36} {r[label]:14.1f} {r['precision']:9.3f} {r['recall']:7.3f}")
    if a.json:
        open(a.json, 'w').write(json.dumps({'machine': machine_info(), 'rows': rows}, indent=2))


if __name__ == '__main__':
    main()
