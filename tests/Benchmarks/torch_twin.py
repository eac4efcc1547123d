"""PyTorch twin of the C# benchmarks (tests/Benchmarks/Program.cs).

Run with Debian's python3-torch:
    /usr/bin/python3 tests/Benchmarks/torch_twin.py [workload...] [--threads N] [--seconds S]
Prints one line per workload, "name<TAB>12.345 ms/step" (sgemm adds "<TAB>123.4 GFLOPS"), with the
same timing as the C# side: warm up (>= 5 steps and 0.5 s), then repeat for >= S seconds (default 2)
and report the mean. The autoencoder workloads and their training step are copied from
shared/anchors/torch_workloads.py; keep them in sync with it.
"""
import argparse
import sys
import time

import torch
import torch.nn as nn


# ---- Models: verbatim from shared/anchors/torch_workloads.py ----
def dense_ae():   # seed 002: 100-wide relu AE, sigmoid out, BCE, Adam, batch 128
    m = nn.Sequential(*[l for _ in range(5) for l in (nn.Linear(100, 100), nn.ReLU())], nn.Linear(100, 100), nn.Sigmoid())
    return m, torch.rand(128, 100), nn.BCELoss()
def mnist_dae():  # seed 001 'improved' conv DAE, 28x28x1, batch 64, MSE
    enc = [nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
           nn.Flatten(), nn.Linear(7*7*64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU()]
    dec = [nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 7*7*64), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
           nn.ConvTranspose2d(64, 64, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
           nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1), nn.ReLU(), nn.Conv2d(32, 1, 3, padding=1), nn.Sigmoid()]
    return nn.Sequential(*enc, *dec), torch.rand(64, 1, 28, 28), nn.MSELoss()
def cifar_cae():  # seed 000 CAE, 32x32x3, latent 32, batch 32, MSE
    enc = [nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
           nn.Flatten(), nn.Linear(16*8*8, 32), nn.ReLU()]
    dec = [nn.Linear(32, 16*8*8), nn.ReLU(), nn.Unflatten(1, (16, 8, 8)), nn.ConvTranspose2d(16, 16, 3, padding=1), nn.ReLU(),
           nn.Upsample(scale_factor=2), nn.ConvTranspose2d(16, 32, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
           nn.ConvTranspose2d(32, 3, 3, padding=1), nn.Sigmoid()]
    return nn.Sequential(*enc, *dec), torch.rand(32, 3, 32, 32), nn.MSELoss()
def tiny_ae():    # seed 004: 2-1-2 sigmoid AE, 3 samples, MSE
    return nn.Sequential(nn.Linear(2, 1), nn.Sigmoid(), nn.Linear(1, 2), nn.Sigmoid()), torch.tensor([[1., 1000], [2, 2000], [3, 3000]]), nn.MSELoss()


def training_step(build):
    """The anchor's step: zero_grad, forward, loss against the input, backward, Adam step."""
    m, x, lossf = build(); opt = torch.optim.Adam(m.parameters(), 1e-3)
    def step():
        opt.zero_grad(); l = lossf(m(x), x); l.backward(); opt.step()
    return step, 0.0


def conv_flops(name):
    """Multiply-add flops (x2) of one training step of the conv workloads: forward, input gradient (not for the
    first layer) and weight gradient of every conv and linear layer; the same count as EngineWorkloads.cs."""
    if name == "mnist_dae_b64":
        b = 64
        conv1, conv2 = b * 32 * 28 * 28 * 1 * 9, b * 64 * 14 * 14 * 32 * 9
        lins = b * (3136 * 128 + 128 * 64 + 64 * 128 + 128 * 3136)
        rest = b * 64 * 7 * 7 * 64 * 9 + b * 64 * 14 * 14 * 32 * 9 + b * 1 * 28 * 28 * 32 * 9
        return 2.0 * (2 * conv1 + 3 * (conv2 + lins + rest))
    b = 32
    conv1, conv2 = b * 32 * 32 * 32 * 3 * 9, b * 16 * 16 * 16 * 32 * 9
    lins = b * (1024 * 32 + 32 * 1024)
    rest = b * 16 * 8 * 8 * 16 * 9 + b * 16 * 16 * 16 * 32 * 9 + b * 32 * 32 * 32 * 3 * 9
    return 2.0 * (2 * conv1 + 3 * (conv2 + lins + rest))


def square_mm(n):
    """C = A·B for square n×n float32 matrices, the twin of Sgemm.Multiply."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    return (lambda: torch.mm(a, b)), 2.0 * n ** 3


WORKLOADS = {
    "sgemm_256": lambda: square_mm(256),
    "sgemm_512": lambda: square_mm(512),
    "sgemm_1024": lambda: square_mm(1024),
    "dense_ae_b128": lambda: training_step(dense_ae),
    "tiny_ae_b3": lambda: training_step(tiny_ae),
    "mnist_dae_b64": lambda: (training_step(mnist_dae)[0], conv_flops("mnist_dae_b64")),
    "cifar_cae_b32": lambda: (training_step(cifar_cae)[0], conv_flops("cifar_cae_b32")),
}


def mean_step_ms(step, seconds, cpu=False):
    t0, i = time.perf_counter(), 0
    while i < 5 or time.perf_counter() - t0 < 0.5:
        step(); i += 1
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        step(); n += 1
    return ((time.process_time() - c0) if cpu else (time.perf_counter() - t0)) / n * 1e3


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workloads", nargs="*", help="names (default: all): " + ", ".join(WORKLOADS))
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads(N)")
    p.add_argument("--seconds", type=float, default=2.0, help="minimum timed seconds per workload")
    p.add_argument("--cpu", action="store_true",
                   help="time with the process's CPU time (all threads) instead of the wall clock, as Program.cs --cpu")
    p.add_argument("--memory", type=int, default=0, metavar="STEPS",
                   help="instead of timing, train STEPS steps and print the peak resident set (ru_maxrss) and what it was before")
    args = p.parse_args()
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        print(f"unknown workload(s): {', '.join(unknown)}; known: {', '.join(WORKLOADS)}", file=sys.stderr)
        return 2
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.memory:
        # one workload per process: ru_maxrss is the high-water mark of the whole process
        import resource
        for name in args.workloads or list(WORKLOADS):
            baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # kB on Linux -> MB
            torch.manual_seed(0)
            step, _ = WORKLOADS[name]()
            for _ in range(5 + args.memory):
                step()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
            print(f"{name}\tpeak {peak:.1f} MB\tbaseline {baseline:.1f} MB\ttraining {peak - baseline:.1f} MB", flush=True)
        return 0
    for name in args.workloads or list(WORKLOADS):
        torch.manual_seed(0)
        step, flops = WORKLOADS[name]()
        ms = mean_step_ms(step, args.seconds, args.cpu)
        line = f"{name}\t{ms:.3f} ms/step"
        if flops:
            line += f"\t{flops / (ms * 1e-3) / 1e9:.1f} GFLOPS"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
