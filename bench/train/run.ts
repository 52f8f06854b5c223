// bench/train: training throughput (tokens/s) of our trainer against the same architecture,
// batch and optimizer in PyTorch on the CPU, in one run.
//
// Usage (from the repository root):
//   node --import tsx bench/train/run.ts [--sizes 2x64,4x128,6x192] [--batch 16] [--context 128]
//                                        [--steps 6] [--warmup 2] [--rounds 3]
//
// Every measurement is its own process, on random bytes, timed over the steps after the warm-up
// (model building and backend start-up excluded on both sides):
// - ours (bench/train/ours.ts, bundled with esbuild as dist/train.js is, the .wasm files beside
//   it): one process — tfjs-core on the wasm backend is single-threaded — in fp32, and with
//   w4a4kv4 fake quantization to show its cost;
// - PyTorch (bench/train/torch_peer.py, /usr/bin/python3): 1 and 2 threads;
// - sweep throughput: two processes at once on the two cores, ours against PyTorch at 1 thread
//   each (how a sweep of many runs uses the machine), tokens/s summed.
// The machine is shared, so each configuration is measured `--rounds` times, interleaved, and
// the best round is kept (the least disturbed one), on both sides alike.

import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { buildSync } from 'esbuild';
import * as os from 'node:os';
import * as path from 'node:path';

const PYTHON = '/usr/bin/python3';
const ROOT = path.resolve(__dirname, '../..');
const RESULTS = path.join(ROOT, 'bench', 'results');
const OURS = path.join(RESULTS, 'train-ours.js');

/** Our side as it ships: one bundle (one copy of tfjs-core), the .wasm files beside it. */
function buildOurs(): void {
  mkdirSync(RESULTS, { recursive: true });
  buildSync({ entryPoints: [path.join(__dirname, 'ours.ts')], bundle: true, platform: 'node', target: 'node20', outfile: OURS, logLevel: 'error', mainFields: ['module', 'main'] });
  const wasm = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) copyFileSync(path.join(wasm, file), path.join(RESULTS, file));
}

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
};

interface Measurement {
  tokensPerSecond: number;
  params?: number;
  gflops?: number;
}

function runProcess(command: string, args: string[]): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${err.slice(-2000)}`));
      else resolve(JSON.parse(line) as Measurement);
    });
  });
}

async function main(): Promise<void> {
  const sizes = arg('sizes', '2x64,4x128,6x192').split(',');
  const batch = arg('batch', '16');
  const context = arg('context', '128');
  const steps = arg('steps', '6');
  const warmup = arg('warmup', '2');
  const rounds = Number(arg('rounds', '3'));
  const command = `node --import tsx bench/train/run.ts --sizes ${sizes.join(',')} --batch ${batch} --context ${context} --steps ${steps} --warmup ${warmup} --rounds ${rounds}`;
  buildOurs();
  const common = ['--batch', batch, '--context', context, '--steps', steps, '--warmup', warmup];
  const ours = (size: string, precision = 'fp32'): Promise<Measurement> =>
    runProcess(process.execPath, [OURS, '--sizes', size, '--precision', precision, ...common]);
  const torch = (size: string, threads: number): Promise<Measurement> => runProcess(PYTHON, ['bench/train/torch_peer.py', '--sizes', size, '--threads', String(threads), ...common]);
  const pair = async (f: () => Promise<Measurement>): Promise<Measurement> => {
    const [a, b] = await Promise.all([f(), f()]);
    return { tokensPerSecond: a.tokensPerSecond + b.tokensPerSecond };
  };

  // The ceiling under everything: one float32 product of a linear layer's shape (batch*context rows).
  const gemmShapes = [`${Number(batch) * Number(context)}x128x512`, `${Number(batch) * Number(context)}x256x1024`];
  const gemm = (shape: string, who: 'ours' | 'torch1' | 'torch2'): Promise<Measurement> =>
    who === 'ours' ? runProcess(process.execPath, [OURS, '--gemm', shape]) : runProcess(PYTHON, ['bench/train/torch_peer.py', '--gemm', shape, '--threads', who === 'torch1' ? '1' : '2']);
  const gemmBest: Record<string, Record<string, number>> = {};
  const loadBefore = os.loadavg();

  const configs = {
    ours: (s: string) => ours(s),
    oursQuant: (s: string) => ours(s, 'w4a4kv4'),
    torch1: (s: string) => torch(s, 1),
    torch2: (s: string) => torch(s, 2),
    oursPair: (s: string) => pair(() => ours(s)),
    torchPair: (s: string) => pair(() => torch(s, 1)),
  };
  type Config = keyof typeof configs;
  const best: Record<string, Partial<Record<Config, number>>> = {};
  const all: Record<string, Partial<Record<Config, number[]>>> = {};
  const params: Record<string, number> = {};
  for (let round = 0; round < rounds; round++) {
    for (const shape of gemmShapes) {
      for (const who of ['ours', 'torch1', 'torch2'] as const) {
        const { gflops = 0 } = await gemm(shape, who);
        gemmBest[shape] = { ...gemmBest[shape], [who]: Math.max(gemmBest[shape]?.[who] ?? 0, gflops) };
      }
    }
    for (const size of sizes) {
      for (const config of Object.keys(configs) as Config[]) {
        const m = await configs[config](size);
        if (m.params) params[size] = m.params;
        ((all[size] ??= {})[config] ??= []).push(m.tokensPerSecond);
        best[size] = { ...best[size], [config]: Math.max(best[size]?.[config] ?? 0, m.tokensPerSecond) };
        process.stderr.write(`round ${round + 1} ${size} ${config}: ${m.tokensPerSecond.toFixed(0)} tokens/s\n`);
      }
    }
  }

  const cpus = os.cpus();
  const versions = await new Promise<string>((resolve) => {
    const p = spawn(PYTHON, ['-c', 'import sys, torch; print(sys.version.split()[0], torch.__version__)']);
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('exit', () => resolve(out.trim()));
  });
  const [python, torchVersion] = versions.split(' ');
  const load = { before: loadBefore, after: os.loadavg() };
  const report = { command, machine: { nproc: os.availableParallelism(), cpu: cpus[0]?.model, node: process.version, python, torch: torchVersion }, load, params, best, all, gemm: gemmBest };
  writeFileSync(path.join(RESULTS, 'train.json'), `${JSON.stringify(report, null, 2)}\n`);

  const k = (x = 0): string => Math.round(x).toLocaleString('en-US');
  const r = (a = 0, b = 1): string => `×${(a / b).toFixed(2)}`;
  const rows = sizes.map((s) => {
    const b = best[s];
    return (
      `| ${s} | ${k(params[s])} | ${k(b.ours)} | ${k(b.torch1)} | ${k(b.torch2)} | ${r(b.ours, b.torch1)} | ${r(b.ours, b.torch2)} | ` +
      `${k(b.oursPair)} | ${k(b.torchPair)} | ${r(b.oursPair, b.torchPair)} | ${k(b.oursQuant)} (${r(b.oursQuant, b.ours)}) |`
    );
  });
  const gemmRows = gemmShapes.map((shape) => {
    const g = gemmBest[shape];
    return `| ${shape} | ${g.ours.toFixed(1)} | ${g.torch1.toFixed(1)} | ${g.torch2.toFixed(1)} | ${r(g.ours, g.torch1)} |`;
  });
  const loadText = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' / ');
  process.stdout.write(
    `${command}\n\n` +
      `Batch ${batch} × ${context} tokens; best of ${rounds} interleaved rounds of ${steps} timed steps after ${warmup}. ` +
      `Machine: ${report.machine.nproc} × ${report.machine.cpu}; Node ${process.version}; Python ${python}, PyTorch ${torchVersion}; ` +
      `load average (1/5/15 min) ${loadText(load.before)} before, ${loadText(load.after)} after.\n\n` +
      `| GEMM m x k x n, float32 | ours GFLOP/s | PyTorch 1 thread | PyTorch 2 threads | ours ÷ PyTorch 1T |\n|---|---|---|---|---|\n${gemmRows.join('\n')}\n\n` +
      `Training tokens/s:\n\n` +
      `| size (layers x width) | N | ours, 1 process | PyTorch 1 thread | PyTorch 2 threads | ours ÷ PyTorch 1T | ours ÷ PyTorch 2T | ours, 2 processes | PyTorch, 2 processes × 1 thread | ratio | ours w4a4kv4, 1 process |\n` +
      `|---|---|---|---|---|---|---|---|---|---|---|\n` +
      `${rows.join('\n')}\n`,
  );
}

void main();
