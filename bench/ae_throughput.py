"""Autoencoder throughput: GAE vs the SD-VAE (diffusers AutoencoderKL), side by side in one run.

For a GAE preset at a resolution and batch, measures images/s of encode, decode and one training step
(forward + backward of an L1 loss), in float32 and under bf16 autocast, and the same for diffusers'
AutoencoderKL with the Stable Diffusion VAE configuration (random weights) at the same resolution and batch.
It also counts the FLOPs of the GAE training step (torch.utils.flop_counter) and reports the achieved GFLOP/s
as a fraction of a large square matmul's GFLOP/s measured in the same run (the machine's practical limit).

    python bench/ae_throughput.py --preset B --size 256 --batch 4
    python bench/ae_throughput.py --preset tiny --size 32 --batch 64 --json bench/results/ae_throughput_tiny.json

bf16 is measured only where the CPU computes it natively (elsewhere it is emulated and 10-500x slower, which is why
`precision='auto'` picks fp32 there); `--bf16 always` measures it anyway.
"""
import argparse, statistics, time
from contextlib import nullcontext
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode
from gae_nb.autoencoder import GAE, ae_config
from gae_nb.core import native_bf16
from stamp import write_result


def timeit(fn, warmup: int, iters: int) -> float:
    "Median seconds of `fn()` after `warmup` calls."
    for _ in range(warmup): fn()
    ts = []
    for _ in range(iters):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def matmul_gflops(n: int, dtype, warmup: int, iters: int) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    return 2 * n ** 3 / timeit(lambda: a @ b, warmup, iters) / 1e9


class GAEWrap:
    def __init__(self, preset, size):
        self.m = GAE(ae_config(preset, image_size=size, in_chans=3))
    def encode(self, x): return self.m.encode(x, sample=False).mu
    def decode(self, z): return self.m.decode(z)
    def forward(self, x): return self.m(x)[0]


class SDVAEWrap:
    "diffusers AutoencoderKL with the Stable Diffusion v1 VAE configuration (f8, 4 latent channels)."
    def __init__(self, size):
        from diffusers import AutoencoderKL
        self.m = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, sample_size=size, layers_per_block=2,
                               block_out_channels=(128, 256, 512, 512), norm_num_groups=32,
                               down_block_types=('DownEncoderBlock2D',) * 4, up_block_types=('UpDecoderBlock2D',) * 4)
    def encode(self, x): return self.m.encode(x).latent_dist.mode()
    def decode(self, z): return self.m.decode(z).sample
    def forward(self, x): return self.decode(self.m.encode(x).latent_dist.sample())


def measure(w, x, bf16: bool, warmup: int, iters: int) -> dict:
    ctx = (lambda: torch.autocast('cpu', dtype=torch.bfloat16)) if bf16 else nullcontext
    w.m.eval()
    with torch.no_grad(), ctx(): z = w.encode(x)
    def enc():
        with torch.no_grad(), ctx(): w.encode(x)
    def dec():
        with torch.no_grad(), ctx(): w.decode(z)
    def step():
        with ctx(): loss = F.l1_loss(w.forward(x).float(), x)
        loss.backward()
    r = {'encode': timeit(enc, warmup, iters), 'decode': timeit(dec, warmup, iters)}
    w.m.train(); r['train_step'] = timeit(step, warmup, iters); w.m.zero_grad(set_to_none=True)
    return {k: x.shape[0] / v for k, v in r.items()}  # images/s


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--preset', default='B'); p.add_argument('--size', type=int, default=256)
    p.add_argument('--batch', type=int, default=4); p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--iters', type=int, default=3); p.add_argument('--no-sdvae', action='store_true')
    p.add_argument('--bf16', choices=['native', 'always'], default='native')
    p.add_argument('--json', help='also write the figures here (with the machine, commit and date)')
    a = p.parse_args()
    precisions = ['fp32'] + (['bf16'] if a.bf16 == 'always' or native_bf16(torch.device('cpu')) else [])
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; GAE-{a.preset} vs SD-VAE at {a.size}px, batch {a.batch}")
    x = torch.rand(a.batch, 3, a.size, a.size) * 2 - 1
    gae = GAEWrap(a.preset, a.size)
    print(f"GAE-{a.preset}: {sum(p.numel() for p in gae.m.parameters()) / 1e6:.2f}M params, latent {gae.m.cfg.latent_shape}")
    with FlopCounterMode(display=False) as fc:
        F.l1_loss(gae.forward(x), x).backward()
    step_flops = fc.get_total_flops(); gae.m.zero_grad(set_to_none=True)
    res = {}
    for tag in precisions:
        bf16 = tag == 'bf16'
        res[('GAE', tag)] = measure(gae, x, bf16, a.warmup, a.iters)
        if not a.no_sdvae:
            if bf16 is False: sd = SDVAEWrap(a.size); print(f"SD-VAE: {sum(p.numel() for p in sd.m.parameters()) / 1e6:.2f}M params, latent (4, {a.size // 8}, {a.size // 8})")
            res[('SD-VAE', tag)] = measure(sd, x, bf16, a.warmup, a.iters)
    peak = {tag: matmul_gflops(2048, torch.float32 if tag == 'fp32' else torch.bfloat16, 2, 5) for tag in precisions}

    print(f"\nimages/s (median of {a.iters} after {a.warmup} warm-up calls)")
    print(f"{'':10s}{'op':12s}{'GAE-' + a.preset:>12s}{'SD-VAE':>12s}{'GAE/SD-VAE':>12s}")
    for tag in precisions:
        for op in ('encode', 'decode', 'train_step'):
            g = res[('GAE', tag)][op]; s = res.get(('SD-VAE', tag), {}).get(op)
            print(f"{tag:10s}{op:12s}{g:12.2f}{(s or float('nan')):12.2f}{(g / s if s else float('nan')):12.2f}")
    print(f"\nGAE train step: {step_flops / a.batch / 1e9:.2f} GFLOP per image")
    achieved = {}
    for tag in precisions:
        achieved[tag] = ach = step_flops / (a.batch / res[('GAE', tag)]['train_step']) / 1e9
        print(f"{tag}: achieved {ach:8.1f} GFLOP/s; 2048² matmul {peak[tag]:8.1f} GFLOP/s; fraction {ach / peak[tag]:.2f}")
    if a.json:
        write_result(a.json, {'preset': a.preset, 'size': a.size, 'batch': a.batch, 'iters': a.iters,
                              'images_per_s': {f'{m} {t}': r for (m, t), r in res.items()},
                              'gae_step_gflop_per_image': step_flops / a.batch / 1e9,
                              'achieved_gflops': achieved, 'matmul_gflops': peak,
                              'matmul_fraction': {t: achieved[t] / peak[t] for t in precisions}})


if __name__ == '__main__':
    main()
