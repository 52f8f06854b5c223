"""The trainer's architecture in PyTorch (CPU): the peer for bench/train/run.ts.

Same model as src/train/model.ts (byte vocabulary, pre-norm RMSNorm, rotary positions, causal
attention, GELU MLP, tied unembedding, no biases), same batch and sequence length, AdamW with
gradient clipping. Prints one JSON line per size: tokens/s over the timed steps.

Usage: /usr/bin/python3 bench/train/torch_peer.py --sizes 2x64,4x128 --batch 16 --context 128
       --steps 10 --warmup 2 --threads 2
       /usr/bin/python3 bench/train/torch_peer.py --gemm 2048x128x512 --threads 1
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * self.gain


def rotary_tables(t, hd):
    half = hd // 2
    inv = 1.0 / (10000 ** (torch.arange(half, dtype=torch.float32) * 2 / hd))
    angles = torch.outer(torch.arange(t, dtype=torch.float32), inv)
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos(), angles.sin()


def rope(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = RMSNorm(d), RMSNorm(d)
        self.q, self.k, self.v, self.proj = (nn.Linear(d, d, bias=False) for _ in range(4))
        self.fc, self.fc2 = nn.Linear(d, 4 * d, bias=False), nn.Linear(4 * d, d, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, d = x.shape
        hd = d // self.heads
        a = self.norm1(x)
        split = lambda y: y.view(b, t, self.heads, hd).transpose(1, 2)
        q, k, v = rope(split(self.q(a)), cos, sin), rope(split(self.k(a)), cos, sin), split(self.v(a))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(hd) + mask
        y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        u = self.fc(self.norm2(x))
        return x + self.fc2(u * torch.sigmoid(1.702 * u))  # GELU, sigmoid form, as ours


class Model(nn.Module):
    def __init__(self, depth, width, heads, context, vocab=256):
        super().__init__()
        self.wte = nn.Embedding(vocab, width)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(depth))
        self.norm = RMSNorm(width)
        cos, sin = rotary_tables(context, width // heads)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)
        self.register_buffer("mask", torch.triu(torch.full((context, context), -1e9), 1))

    def forward(self, idx, targets):
        x = self.wte(idx)
        for block in self.blocks:
            x = block(x, self.cos, self.sin, self.mask)
        logits = self.norm(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="4x128")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--context", type=int, default=128)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--gemm", default=None, help="m x k x n shapes: print GFLOP/s of one product each")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.gemm:
        for shape in args.gemm.split(","):
            m, k, n = (int(v) for v in shape.split("x"))
            a, b = torch.randn(m, k), torch.randn(k, n)
            for _ in range(3):
                a @ b
            start = time.perf_counter()
            for _ in range(20):
                a @ b
            seconds = (time.perf_counter() - start) / 20
            print(json.dumps({"gemm": shape, "threads": args.threads, "gflops": 2 * m * k * n / seconds / 1e9}), flush=True)
        return
    torch.manual_seed(1)
    for size in args.sizes.split(","):
        depth, width = (int(v) for v in size.split("x"))
        heads = max(1, width // 32)
        model = Model(depth, width, heads, args.context)
        opt = torch.optim.AdamW(model.parameters(), lr=2e-3, betas=(0.9, 0.95), weight_decay=0.1)
        data = torch.randint(0, 256, (args.steps + args.warmup, args.batch, args.context + 1))
        seconds = 0.0
        for step in range(args.steps + args.warmup):
            start = time.perf_counter()
            batch = data[step]
            loss = model(batch[:, :-1], batch[:, 1:])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            loss.item()
            if step >= args.warmup:
                seconds += time.perf_counter() - start
        tokens = args.steps * args.batch * args.context
        print(json.dumps({"size": size, "threads": args.threads, "tokensPerSecond": tokens / seconds, "secondsPerStep": seconds / args.steps}), flush=True)


if __name__ == "__main__":
    main()
