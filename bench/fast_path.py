"""The fast path against the plain eager reference, side by side in one process: laptop AE and DiT training steps.

For each model it builds the laptop preset's training objective exactly as the job does (`train_ae.build_objective`,
`LightningDiT` + `flow_matching_loss`), copies it, and applies the levers of `training.speed_up` one at a time:

  eager     the reference: today's eager code (SDPA attention, for-loop AdamW)
  +math     attention written out instead of SDPA's fused CPU kernel
  +perceptual  the perceptual network's BatchNorms folded into its convolutions, summed grey stem filters, and
             channels-last convolutions (autoencoder only)
  +fused    the fused AdamW kernel
  +compile  torch.compile of the whole autoencoder / DiT (the whole fast path, as the jobs run it)
  +units    instead of +compile: torch.compile of the transformer stacks only (encoder and decoder / DiT blocks)

Every variant is first checked to compute the same loss and gradients as the reference on the same batch and noise
(within float tolerance), then all are timed interleaved (one step of each in turn, repeated), so that a change in
machine load hits all of them alike. A step is forward + backward + optimiser step on a real Fashion-MNIST batch.

    python bench/fast_path.py                       # precision 'auto': bf16 only where the CPU computes it natively
    python bench/fast_path.py --precision fp32
    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 python bench/fast_path.py   # behave like an AVX2-only laptop

Emulating an AVX2 laptop on a newer CPU: ATEN_CPU_CAPABILITY limits PyTorch's own kernels (and TorchInductor's generated
ones), ONEDNN_MAX_CPU_ISA oneDNN's convolutions and bf16 kernels (MKL_ENABLE_INSTRUCTIONS=AVX2 would limit MKL's matmuls).
"""
import argparse, copy, statistics, time
import torch
from gae_nb.core import autocast, resolve_precision, machine_info, set_threads, seed_everything
from stamp import write_result
from gae_nb.data import get_dataset
from gae_nb.training import speed_up, can_compile
from gae_nb.pipeline.autoencoder import build_objective
from gae_nb.recipes import TRAIN_PRESETS, DIT_TRAIN_PRESETS
from gae_nb.teachers import SemanticTeacher, teacher_config
from gae_nb.dit import LightningDiT, DiTBlock, FinalLayer
from gae_nb.autoencoder import GAE, ViTEncoder, ViTDecoder
from gae_nb.transport import flow_matching_loss


def ae_setup(batch: int):
    "The laptop autoencoder objective (latent alignment to precomputed teacher latents) and one real batch."
    cfg = TRAIN_PRESETS['laptop']
    teacher = SemanticTeacher(teacher_config('laptop'))
    obj = build_objective(cfg, teacher, on_the_fly=False)
    x = get_dataset(cfg.data.name, 'train', size=cfg.model.image_size, channels=cfg.model.in_chans, n=batch).batch(range(batch))[0]
    target = torch.randn(batch, *cfg.model.latent_shape)                 # stands for E_sp(f(x)); only shapes matter here
    return obj, (lambda m: m(x, target).loss), cfg


def dit_setup(batch: int):
    "The laptop LightningDiT with its flow-matching loss, on a batch of unit-RMS latents."
    cfg = DIT_TRAIN_PRESETS['laptop']
    model = LightningDiT(cfg.model).train()
    with torch.no_grad():                      # leave the zero init (adaLN-Zero) so that every path shapes the loss
        for n, p in model.named_parameters():
            if p.abs().max() == 0: p.normal_(0, 0.02)
    z, y = torch.randn(batch, 8, 8, 8), torch.randint(0, 10, (batch,))
    return model, (lambda m: flow_matching_loss(m, z, y, cfg.shift, cfg.cosine_loss)[0]), cfg


def variants(model, kind: str, compile_ok: bool):
    "name -> (model copy, fused AdamW?) with the levers added one at a time."
    out = {'eager': (model, False)}
    m = copy.deepcopy(model); speed_up(m)                                 # written-out attention (on a CPU)
    out['+math'] = (m, False)
    if kind == 'ae':
        m = copy.deepcopy(m); speed_up(m.perceptual.fuse(), channels_last=True); out['+perceptual'] = (m, False)
    out['+fused'] = (copy.deepcopy(m), True)
    if compile_ok:
        for name, units in [('+compile', (GAE,) if kind == 'ae' else (LightningDiT,)),      # what the jobs do
                            ('+units', (ViTEncoder, ViTDecoder) if kind == 'ae' else (DiTBlock, FinalLayer))]:
            c = copy.deepcopy(m)
            speed_up(c.ae if kind == 'ae' else c, compile=units)
            out[name] = (c, True)
    return out


def make_step(model, loss_of, lr, fused, precision):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, fused=fused)
    def step():
        with autocast(precision): loss = loss_of(model)
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
    return step


def loss_and_grads(model, loss_of, precision, seed=0):
    "Loss and gradients of one forward/backward with the RNG (noise sampling, label dropout) seeded alike."
    model.zero_grad(set_to_none=True); seed_everything(seed)
    with autocast(precision): loss = loss_of(model)
    loss.backward()
    g = torch.cat([p.grad.flatten().float() for p in model.parameters() if p.grad is not None])
    model.zero_grad(set_to_none=True)
    return loss.item(), g


def bench(kind: str, batch: int, precision: str, reps: int, compile_ok: bool) -> dict:
    seed_everything(0)
    model, loss_of, cfg = (ae_setup if kind == 'ae' else dit_setup)(batch)
    vs = variants(model, kind, compile_ok and can_compile()[0])
    t = time.perf_counter()
    ref_loss, ref_g = loss_and_grads(vs['eager'][0], loss_of, precision)
    check = {}
    for name, (m, _) in vs.items():
        t0 = time.perf_counter()
        loss, g = loss_and_grads(m, loss_of, precision)                   # the first call compiles
        check[name] = {'loss_diff': abs(loss - ref_loss), 'grad_rel_diff': ((g - ref_g).norm() / ref_g.norm()).item(),
                       'first_call_s': round(time.perf_counter() - t0, 1)}
    tol = 1e-4 if precision == 'fp32' else 5e-2
    for name, c in check.items():
        if not (c['grad_rel_diff'] <= tol and c['loss_diff'] <= tol * max(1.0, abs(ref_loss))):   # NaN fails too
            raise SystemExit(f"{kind} {name}: not the same function as the reference ({c}); tolerance {tol}")
    steps = {name: make_step(m, loss_of, cfg.lr, fused, precision) for name, (m, fused) in vs.items()}
    for s in steps.values(): s(); s()                                      # warm-up (optimiser state, caches)
    times = {name: [] for name in steps}
    for _ in range(reps):
        for name, s in steps.items():
            t0 = time.perf_counter(); s(); times[name].append(time.perf_counter() - t0)
    ms = {name: 1000 * statistics.median(v) for name, v in times.items()}
    return {'ms': ms, 'speedup': {n: ms['eager'] / v for n, v in ms.items()}, 'check': check,
            'setup_s': round(time.perf_counter() - t, 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--precision', default='auto', choices=['auto', 'fp32', 'bf16'])
    ap.add_argument('--batch', type=int, default=64, help='the laptop presets train with 64')
    ap.add_argument('--reps', type=int, default=12)
    ap.add_argument('--no_compile', action='store_true', help='leave out the +compile variant')
    ap.add_argument('--json', help='also write the results here')
    a = ap.parse_args()
    set_threads()
    precision = resolve_precision(a.precision)
    info = {**machine_info(), 'precision': precision}
    print(f"machine: {info}; torch.compile: {can_compile()[1]}")
    res = {}
    for kind in ('ae', 'dit'):
        r = bench(kind, a.batch, precision, a.reps, not a.no_compile)
        res[kind] = r
        print(f"\n{kind.upper()} laptop training step, batch {a.batch}, {precision} "
              f"(CPU {info['cpu_capability']}, {info['threads']} threads):")
        print(f"  {'variant':<10} {'ms/step':>8} {'vs eager':>9} {'grad rel. diff':>15} {'first call s':>13}")
        for n in r['ms']:
            c = r['check'][n]
            print(f"  {n:<10} {r['ms'][n]:8.1f} {r['speedup'][n]:8.2f}x {c['grad_rel_diff']:15.1e} {c['first_call_s']:13.1f}")
    if a.json: write_result(a.json, res, {'precision': precision})


if __name__ == '__main__':
    main()
