"""What an autoencoder training step costs as the resolution and the model grow: time, images/s and peak memory.

For each (GAE preset, image size, batch) it runs one child process per precision, so that the peak resident memory
(ru_maxrss) belongs to that configuration alone. A child builds the GAE, an AdamW over its weights and a batch of
random images, and times the training step the jobs run at its core (encode with dynamic noise, decode, L1 loss,
backward, AdamW step): median of a few steps after warm-up. bf16 runs only where the CPU computes it natively (it
is emulated and 10-500x slower elsewhere); pass --bf16 always to measure it anyway. Prints the CPU capability.

    python bench/ae_scaling.py                      # the default grid (a few minutes on 2 cores)
    python bench/ae_scaling.py --grid tiny:32:64 B:256:4
"""
import argparse, json, resource, statistics, subprocess, sys, time


def child(preset: str, size: int, batch: int, precision: str, iters: int) -> dict:
    import torch
    import torch.nn.functional as F
    from gae_nb.autoencoder import GAE, ae_config
    from gae_nb.core import autocast, set_threads
    set_threads()
    patch = {'tiny': 4}.get(preset, 16)
    model = GAE(ae_config(preset, image_size=size, patch_size=patch, in_chans=3)).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.rand(batch, 3, size, size) * 2 - 1
    amp = autocast(precision, torch.device('cpu'))

    def step():
        with amp:
            x_hat = model.decode(model.encode(x).z)
            loss = F.l1_loss(x_hat.float(), x)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    for _ in range(2):
        step()
    ts = []
    for _ in range(iters):
        t = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t)
    s = statistics.median(ts)
    return {'preset': preset, 'size': size, 'batch': batch, 'precision': precision,
            'tokens': (size // patch) ** 2, 'params_M': sum(p.numel() for p in model.parameters()) / 1e6,
            'step_s': s, 'img_s': batch / s, 'peak_rss_GiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--grid', nargs='+', default=['tiny:32:64', 'tiny:64:16', 'tiny:128:4', 'S:256:4', 'B:256:2',
                                                  'L:256:1'], help='preset:image_size:batch')
    ap.add_argument('--iters', type=int, default=3)
    ap.add_argument('--bf16', choices=['native', 'always'], default='native')
    ap.add_argument('--json', help='also write the rows here')
    ap.add_argument('--child', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        preset, size, batch, precision = a.child.split(':')
        print(json.dumps(child(preset, int(size), int(batch), precision, a.iters)))
        return
    from gae_nb.core import machine_info, native_bf16
    import torch
    precisions = ['fp32'] + (['bf16'] if a.bf16 == 'always' or native_bf16(torch.device('cpu')) else [])
    print(f"machine: {machine_info()}")
    print(f"{'preset':>6} {'px':>4} {'tokens':>6} {'params':>8} {'batch':>5} {'prec':>5} {'s/step':>8} "
          f"{'img/s':>8} {'peak RSS':>9}")
    rows = []
    for spec in a.grid:
        for prec in precisions:
            r = subprocess.run([sys.executable, __file__, '--child', f'{spec}:{prec}', '--iters', str(a.iters)],
                               capture_output=True, text=True)
            if r.returncode:
                print(f"{spec} {prec}: failed\n{r.stderr[-800:]}")
                continue
            row = json.loads(r.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"{row['preset']:>6} {row['size']:>4} {row['tokens']:>6} {row['params_M']:>7.1f}M {row['batch']:>5} "
                  f"{prec:>5} {row['step_s']:>8.3f} {row['img_s']:>8.1f} {row['peak_rss_GiB']:>7.2f}Gi", flush=True)
    if a.json:
        from stamp import write_result
        write_result(a.json, {'rows': rows})


if __name__ == '__main__':
    main()
