"""The paper-scale path on a GPU in one command: the `paper-d32` chain end to end through `accelerate launch`, then
the speed of its training steps, its sampler and its checkpoints, side by side in one table.

    python bench/gpu_check.py                     # on a GPU: about 8 minutes on one H200, compiles included
    python bench/gpu_check.py --tiny              # anywhere, a CPU too: tiny models, to check this script itself
    python bench/gpu_check.py --no-compile        # skip the compiled measurements (they take most of the time)

1. A small ImageFolder is made offline: 256 px crops of four photographs bundled with scikit-image, one class each.
2. train_teacher (only where the DINOv2-L weights are already in the local Hugging Face cache; otherwise it says so
   and the autoencoder trains without a teacher, `--teacher None --loss.sp 0`), train_ae, extract, train_dit, sample
   and evaluate run with `--preset paper-d32` through `accelerate launch`, a few steps each; each stage's output is
   checked (checkpoints, latents, samples, metrics).
3. Timed in this process, each beside its reference: the LightningDiT-XL/1 and GAE ViT-L/16 training steps (bf16
   autocast, fused AdamW), eager and `torch.compile`d, with model FLOP utilisation (MFU: FLOPs counted by
   `torch.utils.flop_counter` over the time, against a large bf16 matmul measured in the same run); train_dit's own
   step (data, clipping, EMA, checks) against the bare step; one sampler step of XL at batch 256, eager and
   compiled, and what the paper's 50k-sample evaluation at 250 steps would take; writing and verifying a
   paper-scale checkpoint (weights, EMA, AdamW state); peak GPU memory of each.

The table is printed and written with the GPU, date and commit to `--out` (gpu_check.md and gpu_check.json); the
exit status is non-zero if a stage of the chain failed.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time
from datetime import datetime, timezone
from pathlib import Path
import numpy as np
import torch
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ('astronaut', 'coffee', 'chelsea', 'rocket')          # one class each; every one is at least 300 px a side


def make_imagefolder(root: Path, per_class: int, size: int = 256, seed: int = 0) -> Path:
    "root/{train,val}/<photo>/*.png: random `size` crops (scaled 1-1.5x first, flipped half the time) of each photo."
    import skimage.data
    rng = np.random.default_rng(seed)
    for split, n in (('train', per_class), ('val', max(2, per_class // 4))):
        for name in PHOTOS:
            im = Image.fromarray(getattr(skimage.data, name)()[..., :3])
            (root / split / name).mkdir(parents=True, exist_ok=True)
            for i in range(n):
                s = rng.uniform(1.0, 1.5) * size / min(im.size)
                big = im.resize((max(size, round(im.width * s)), max(size, round(im.height * s))), Image.BICUBIC)
                x0, y0 = rng.integers(0, big.width - size + 1), rng.integers(0, big.height - size + 1)
                crop = big.crop((x0, y0, x0 + size, y0 + size))
                if rng.random() < 0.5:
                    crop = crop.transpose(Image.FLIP_LEFT_RIGHT)
                crop.save(root / split / name / f'{i:04d}.png')
    return root


def dinov2_cached() -> tuple[bool, str]:
    "Whether the paper teacher's DINOv2-L weights are in the local Hugging Face cache (nothing is downloaded)."
    import timm
    from huggingface_hub import try_to_load_from_cache
    from gae_nb.backbones import VFMS
    hub_id = timm.models.get_pretrained_cfg(VFMS['dinov2_vitl14']['timm_name']).hf_hub_id
    for f in ('model.safetensors', 'pytorch_model.bin'):
        if isinstance(try_to_load_from_cache(hub_id, f), str):
            return True, f'{hub_id} in the local cache'
    return False, f'{hub_id} is not in the local Hugging Face cache (it needs the internet once)'


def error_line(stderr: str) -> str:
    "The job's own error from a launch's stderr (the launcher's CalledProcessError that follows it is left out)."
    lines = [l for l in stderr.splitlines() if l and not l.startswith((' ', '\t'))
             and ('Error' in l.split(':')[0] or l.startswith(('SystemExit', 'Traceback')))
             and 'CalledProcessError' not in l and not l.startswith('Traceback')]
    return lines[0] if lines else (stderr.strip().splitlines() or ['?'])[-1]


class Chain:
    "The jobs of one preset, each through `accelerate launch` in its own process; a record of each stage."
    def __init__(self, work: Path, gpu: bool, log):
        self.work, self.gpu, self.log, self.rows = work, gpu, log, []

    def run(self, stage: str, job: str, args: list, check) -> bool:
        cmd = [sys.executable, '-m', 'accelerate.commands.launch', '--num_processes', '1', '--num_machines', '1',
               '--mixed_precision', 'no', '--dynamo_backend', 'no'] + ([] if self.gpu else ['--cpu']) + \
              ['-m', f'gae_nb.{job}', '--preset', 'paper-d32'] + [str(a) for a in args]
        t = time.time()
        env = {**os.environ, 'PYTHONPATH': str(ROOT)}
        r = subprocess.run(cmd, cwd=self.work, capture_output=True, text=True, env=env)
        secs = time.time() - t
        self.log.write(f"\n$ {' '.join(cmd)}\n{r.stdout}\n{r.stderr}\n")
        why = f'exit {r.returncode}: {error_line(r.stderr)}' if r.returncode else check()
        self.rows.append({'stage': stage, 'ok': why is None, 'seconds': round(secs, 1), 'note': why or ''})
        print(f"  {stage:14s} {'ok' if why is None else 'FAILED'} in {secs:.0f} s {why or ''}", flush=True)
        return why is None


def run_chain(work: Path, images: Path, tiny: bool, gpu: bool, log) -> list:
    "train_teacher? -> train_ae -> extract -> train_dit -> sample -> evaluate, paper-d32, a few steps each."
    c, w = Chain(work, gpu, log), work
    ae_small = ['--model.width', 64, '--model.enc_depth', 1, '--model.dec_depth', 1, '--model.heads', 2,
                '--model.mlp_multiple_of', 64] if tiny else []
    dit_small = ['--model.hidden', 64, '--model.depth', 1, '--model.heads', 2] if tiny else []
    batch = 4 if tiny else 16
    workers = ['--num_workers', 2] if tiny else []                  # the paper presets' 8 loader workers on a GPU host
    exists = lambda *ps: next((f'{p} missing' for p in ps if not (w / p).exists()), None)
    has_teacher, why = (False, 'tiny models') if tiny else dinov2_cached()
    if has_teacher:
        c.run('train_teacher', 'train_teacher', ['--data.root', images, '--data.n_val', 8, '--steps', 5,
              '--batch_size', batch, '--warmup_steps', 1, '--log_every', 1, '--out', 'teacher'],
              lambda: exists('teacher/teacher/latest'))
        teacher = ['--teacher', 'teacher/teacher']
    else:
        c.rows.append({'stage': 'train_teacher', 'ok': True, 'seconds': 0, 'note': f'skipped: {why}'})
        print(f'  train_teacher  skipped: {why}')
        teacher = ['--teacher', 'None', '--loss.sp', 0]
    ok = c.run('train_ae', 'train_ae', ae_small + teacher + workers + [
        '--perceptual', 'none', '--loss.gan', 0, '--data.root', images, '--data.n_val', 8, '--steps', 20,
        '--batch_size', batch, '--warmup_steps', 2, '--log_every', 5, '--ckpt_every', 20, '--out', 'gae'],
        lambda: exists('gae/latest', 'gae/metrics.json'))
    ok = ok and c.run('extract', 'extract', ['--ae', 'gae', '--out', 'latents', '--data.root', images,
                                             '--batch_size', 32], lambda: exists('latents/latents_stats.safetensors'))
    ok = ok and c.run('train_dit', 'train_dit', dit_small + workers + [
        '--latents', 'latents', '--model.num_classes', len(PHOTOS), '--steps', 20, '--batch_size', batch,
        '--log_every', 5, '--ckpt_every', 20, '--out', 'dit'], lambda: exists('dit/latest'))
    ok = ok and c.run('sample', 'sample', ['--dit', 'dit', '--ae', 'gae', '--out', 'samples', '--per_class', 2,
                                           '--steps', 10, '--batch_size', 8, '--no_compile'],
                      lambda: exists('samples/samples.npz', 'samples/grid.png'))
    c.run('evaluate', 'evaluate', ['--ckpt', 'gae', '--n', 8, '--extractor', 'effnet_lite0', '--out', 'eval'],
          lambda: exists('eval/metrics.json'))
    return c.rows


# ---------------------------------------------------------------------------------------------- timings

def sync(dev):
    if dev.type == 'cuda':
        torch.cuda.synchronize(dev)


def timed(fn, dev, warmup: int, iters: int) -> tuple[float, float]:
    "(seconds of the first call, median seconds of `iters` calls after `warmup` more)."
    t = time.perf_counter(); fn(); sync(dev); first = time.perf_counter() - t
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(iters):
        sync(dev); t = time.perf_counter(); fn(); sync(dev); ts.append(time.perf_counter() - t)
    return first, statistics.median(ts)


def peak_tflops(dev, n: int) -> float:
    "TFLOP/s of a large square bf16 matmul here: the practical limit MFU is measured against."
    a, b = (torch.randn(n, n, device=dev, dtype=torch.bfloat16) for _ in range(2))
    return 2 * n ** 3 / timed(lambda: a @ b, dev, 3, 10)[1] / 1e12


def flops_of(fn) -> int:
    with FlopCounterMode(display=False) as fc:
        fn()
    return fc.get_total_flops()


def mem_reset(dev):
    if dev.type == 'cuda':
        torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats(dev)


def mem_peak(dev) -> float | None:
    return torch.cuda.max_memory_allocated(dev) / 2 ** 30 if dev.type == 'cuda' else None


def train_step_rows(name: str, build, batch_fn, loss_fn, dev, peak: float, compile: bool, iters: int,
                    target: int) -> list:
    "Eager and compiled training steps of `build()` (bf16 autocast, fused AdamW): samples/s, MFU, first step, memory."
    from gae_nb.training import speed_up
    rows = []
    for compiled in (False, True) if compile else (False,):
        mem_reset(dev)
        torch.manual_seed(0)
        m = build().to(dev).train()
        speed_up(m, compile=(type(m),) if compiled else (), device=dev)
        opt = torch.optim.AdamW(m.parameters(), lr=1e-4, fused=dev.type in ('cuda', 'cpu'))
        batch = batch_fn()
        def step():
            with torch.autocast(dev.type, dtype=torch.bfloat16):
                loss = loss_fn(m, batch)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        flops = flops_of(lambda: loss_fn_grad(m, loss_fn, batch, dev))
        first, sec = timed(step, dev, 2, iters)
        n = len(batch[0])
        rows.append({'what': f"{name} training step, {'compiled' if compiled else 'eager'}", 'batch': n,
                     'per_s': n / sec, 'ms': 1e3 * sec, 'tflop': flops / 1e12, 'mfu': flops / sec / 1e12 / peak,
                     'first_s': first, 'peak_gib': mem_peak(dev), 'target': f'MFU >= {target} %' if compiled else ''})
        m = opt = None                                               # free the model before the next
    return rows


def loss_fn_grad(m, loss_fn, batch, dev):
    "One forward and backward, for the FLOP count (the optimiser's element-wise update is not counted)."
    with torch.autocast(dev.type, dtype=torch.bfloat16):
        loss = loss_fn(m, batch)
    loss.backward()
    m.zero_grad(set_to_none=True)


class StepClock(torch.utils.data.Dataset):
    "A dataset that notes the time (after a device sync) when the loop first asks for an item of step `a` and of `b`."
    def __init__(self, ds, batch: int, a: int, b: int, dev):
        self.ds, self.batch, self.marks, self.dev, self.calls, self.t = ds, batch, (a, b), dev, 0, {}
        self.num_classes = getattr(ds, 'num_classes', None)
    def __len__(self):
        return len(self.ds)
    def __getitem__(self, i):
        step, first = divmod(self.calls, self.batch)
        self.calls += 1
        if first == 0 and step in self.marks:
            sync(self.dev); self.t[step] = time.perf_counter()
        return self.ds[i]


def job_step_rows(latents: Path, dit_cfg, batch: int, dev, steps: int, work: Path, bare_ms: float) -> list:
    """train_dit's own step (fit_dit: data, clipping, EMA, checks, logging) over its steady steps, eager, to set
    beside the bare step; then its final checkpoint's write and a verification of it."""
    from gae_nb.pipeline.dit import TrainDiTConfig, fit_dit
    from gae_nb.data import LatentDataset
    from gae_nb.core import verify_checkpoint, latest_checkpoint
    a, b = 5, steps - 1
    clock = StepClock(LatentDataset(latents), batch, a, b, dev)
    cfg = TrainDiTConfig(model=dit_cfg, steps=steps, batch_size=batch, latents=str(latents), compile='off',
                         log_every=10, ckpt_every=10 ** 9, train_shift=0.7)
    mem_reset(dev)
    fit_dit(cfg, work / "dit_job", data=clock, progress=False, overwrite=True)
    end = time.perf_counter()
    sec = (clock.t[b] - clock.t[a]) / (b - a)
    ck = latest_checkpoint(work / 'dit_job', quiet=True)
    size = sum(f.stat().st_size for f in ck.iterdir()) / 2 ** 30
    t = time.perf_counter(); why = verify_checkpoint(ck); verify = time.perf_counter() - t
    rows = [{'what': 'train_dit job step (fit_dit: data, EMA, checks), eager', 'batch': batch, 'per_s': batch / sec,
             'ms': 1e3 * sec, 'peak_gib': mem_peak(dev), 'target': 'within 10 % of the bare eager step',
             'note': f'{1e3 * sec / bare_ms:.2f}x the bare eager step'},
            {'what': f'checkpoint after the last step: written ({size:.1f} GiB)', 'seconds': end - clock.t[b] - sec,
             'target': 'written and verified well under a minute'},
            {'what': f"checkpoint verified (SHA-256 of every file){'' if why is None else ': ' + why}",
             'seconds': verify}]
    shutil.rmtree(work / 'dit_job', ignore_errors=True)
    return rows


def sampler_rows(dit_cfg, batch: int, dev, peak: float, compile: bool, iters: int) -> list:
    "One sampler step (a velocity evaluation of the DiT, bf16, no CFG) at `batch`, eager and compiled."
    from gae_nb.dit import LightningDiT
    from gae_nb.training import speed_up
    rows = []
    for compiled in (False, True) if compile else (False,):
        mem_reset(dev)
        torch.manual_seed(0)
        m = LightningDiT(dit_cfg).to(dev).eval()
        speed_up(m, compile=(LightningDiT,) if compiled else (), device=dev)
        x = torch.randn(batch, *dit_cfg.latent_shape, device=dev)
        t = torch.full((batch,), 0.5, device=dev)
        y = torch.randint(0, max(dit_cfg.num_classes, 1), (batch,), device=dev)
        def step():
            with torch.no_grad(), torch.autocast(dev.type, dtype=torch.bfloat16):
                return m(x, t, y)
        flops = flops_of(step)
        first, sec = timed(step, dev, 2, iters)
        hours = 50_000 / batch * 249 * sec / 3600                    # 250 grid points: 249 velocity evaluations
        rows.append({'what': f"sampler step (one DiT forward), {'compiled' if compiled else 'eager'}", 'batch': batch,
                     'per_s': batch / sec, 'ms': 1e3 * sec, 'tflop': flops / 1e12, 'mfu': flops / sec / 1e12 / peak,
                     'first_s': first, 'peak_gib': mem_peak(dev), 'target': 'MFU >= 40 %' if compiled else '',
                     'note': f'50k samples x 250 steps: {hours:.2f} h on one device'})
        m = None
    return rows


def timings(work: Path, tiny: bool, dev, compile: bool) -> tuple[float, list]:
    from gae_nb.dit import LightningDiT, dit_config
    from gae_nb.autoencoder import GAE, ae_config
    from gae_nb.transport import flow_matching_loss
    peak = peak_tflops(dev, 1024 if tiny else 8192)
    print(f'  bf16 matmul peak here: {peak:.1f} TFLOP/s', flush=True)
    dit = dit_config('micro', in_channels=32, grid=16, num_classes=4) if tiny else dit_config('XL')
    ae = ae_config('tiny', image_size=64, in_chans=3) if tiny else ae_config('L', latent_dim=32)
    db, ab, sb, iters = (4, 2, 8, 3) if tiny else (64, 32, 256, 10)
    rows = []
    z = lambda: (torch.randn(db, *dit.latent_shape, device=dev), torch.randint(0, dit.num_classes, (db,), device=dev))
    rows += train_step_rows('LightningDiT-XL/1' if not tiny else 'DiT (tiny)', lambda: LightningDiT(dit), z,
                            lambda m, b: flow_matching_loss(m, b[0], b[1], 0.7, True)[0], dev, peak, compile, iters,
                            45)
    print(f"  DiT step: {rows[0]['ms']:.0f} ms eager", flush=True)
    if (work / 'latents').exists():
        rows += job_step_rows(work / 'latents', dit_config('micro', in_channels=dit.in_channels, grid=dit.grid,
                                                           num_classes=len(PHOTOS)) if tiny else
                              dit_config('XL', num_classes=len(PHOTOS)), db, dev, 12 if tiny else 40, work,
                              rows[0]['ms'])
        print(f"  job step: {rows[-3]['ms']:.0f} ms", flush=True)
    x = lambda: (torch.rand(ab, 3, ae.image_size, ae.image_size, device=dev) * 2 - 1,)
    rows += train_step_rows('GAE ViT-L/16 d32 (L1)' if not tiny else 'GAE (tiny, L1)', lambda: GAE(ae), x,
                            lambda m, b: (m(b[0])[0] - b[0]).abs().mean(), dev, peak, compile, iters,
                            40)
    print(f"  AE step: {rows[-1]['ms']:.0f} ms", flush=True)
    rows += sampler_rows(dit, sb, dev, peak, compile, iters)
    return peak, rows


def table(chain: list, peak: float, rows: list, meta: dict) -> str:
    out = [f"GPU check: {meta['device']}, torch {meta['torch']}, commit {meta['commit']}, {meta['date']}"
           f"{' (tiny models: checks this script, measures nothing about the paper scale)' if meta['tiny'] else ''}",
           '', '| stage (paper-d32, accelerate launch) | result | seconds | note |', '|---|---|---|---|']
    out += [f"| {r['stage']} | {'ok' if r['ok'] else 'FAILED'} | {r['seconds']} | {r['note']} |" for r in chain]
    out += ['', f'bf16 matmul reference: {peak:.1f} TFLOP/s', '',
            '| measured | batch | per s | ms | TFLOP | MFU | first call (s) | peak GiB | target | note |',
            '|---|---|---|---|---|---|---|---|---|---|']
    f = lambda v, p: '' if v is None else f'{v:.{p}f}'
    for r in rows:
        if 'seconds' in r:
            out.append(f"| {r['what']} | | | {1e3 * r['seconds']:.0f} | | | | | {r.get('target', '')} | |")
            continue
        out.append(f"| {r['what']} | {r['batch']} | {f(r['per_s'], 1)} | {f(r['ms'], 1)} | {f(r.get('tflop'), 2)} | "
                   f"{f(100 * r['mfu'], 1) + ' %' if 'mfu' in r else ''} | {f(r.get('first_s'), 1)} | "
                   f"{f(r.get('peak_gib'), 1)} | {r.get('target', '')} | {r.get('note', '')} |")
    return '\n'.join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--tiny', action='store_true', help='tiny models (any machine): checks this script')
    p.add_argument('--no-compile', action='store_true', help='skip the compiled measurements')
    p.add_argument('--skip-chain', action='store_true', help='only the timings')
    p.add_argument('--out', default=str(ROOT / 'bench' / 'results' / 'gpu_check'))
    a = p.parse_args()
    dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    if dev.type != 'cuda' and not a.tiny:
        raise SystemExit('no GPU here: run with --tiny to check the script on a CPU')
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout
    meta = {'device': torch.cuda.get_device_name(dev) if dev.type == 'cuda' else
            f'CPU ({torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads)',
            'torch': torch.__version__, 'commit': commit.strip() or '?', 'tiny': a.tiny,
            'date': datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix='gae_gpu_check_'))
    t0 = time.time()
    chain = []
    with open(out / 'gpu_check.log', 'w') as log:
        if not a.skip_chain:
            images = make_imagefolder(work / 'images', 8 if a.tiny else 64)
            print(f'chain (paper-d32, accelerate launch), work folder {work}:', flush=True)
            chain = run_chain(work, images, a.tiny, dev.type == 'cuda', log)
    print('timings:', flush=True)
    peak, rows = timings(work, a.tiny, dev, not a.no_compile)
    meta['seconds'] = round(time.time() - t0)
    text = table(chain, peak, rows, meta) + f"\n\nwhole check: {meta['seconds']} s"
    print('\n' + text)
    (out / 'gpu_check.md').write_text(text + '\n')
    (out / 'gpu_check.json').write_text(json.dumps({'meta': meta, 'chain': chain, 'peak_tflops': peak,
                                                    'rows': rows}, indent=1))
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if all(r['ok'] for r in chain) else 1)


if __name__ == '__main__':
    main()
