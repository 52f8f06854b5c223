// Training jobs and sweep grids from the flat options a user writes: command-line flags or the
// properties of a `precision-train` / `precision-sweep` task. Both front ends go through these
// functions, so a flag and a task property mean the same thing and fail with the same message.

import { parseWeightFormat } from '../ptq/mx';
import { parseQuantity } from '../runs/quantity';
import { type TrainJob, resolveJob } from './config';
import { type JobOutcome, type SweepEvent, jobProblems } from './engine';
import { type GridPart, type SizeSpec, type SweepGrid, compactCount, dedupeGrid, expandGrid, gridParts, parseSize, trainingOrder } from './grid';
import { type ModelConfig, countNonEmbeddingParams } from './modelConfig';
import { parseQuantSpec, quantSpecName } from './formats';
import { checkRunName } from './runFolder';

/** Settings shared by `train` and `sweep`; numbers may be given as text ("400k", "2e-3"). */
export interface CommonArgs {
  out?: string;
  batch?: number | string;
  context?: number | string;
  lr?: number | string;
  seed?: number | string;
  /** Text files or folders to train on (default: the Brown corpus). */
  corpus?: string | string[];
  /** "8,6,5,4,3". */
  ptqBits?: string | number[];
  /** "channel,128,32" ("channel": one scale per output channel). */
  ptqGroups?: string | (number | 'channel' | null)[];
  /** Microscaling (or other) weight formats, round-to-nearest: "mxfp4,mxint8,int4-g32"; "none". */
  ptqFormats?: string | string[];
  /** GPTQ bit-widths: "4,3"; "none". */
  gptqBits?: string | number[];
  /** Relative norms of the loss-landscape probe: "0.01,0.1"; "none". */
  probeNorms?: string | number[];
  probeDirections?: number | string;
  evalTokens?: number | string;
  evalEvery?: number | string;
  mlp?: string;
  positions?: string;
  untied?: boolean;
}

export interface TrainArgs extends CommonArgs {
  /** "4x128" (layers x width) or "4x128h2". */
  size: string;
  tokens: number | string;
  /** "fp32", "w4a4kv4", "e4m3", "w:e4m3,a:int8,kv:off". */
  precision?: string;
  name?: string;
}

export interface SweepArgs extends CommonArgs {
  sizes: string | readonly string[];
  tokens: string | readonly (number | string)[];
  precisions: string | readonly string[];
  seeds?: string | readonly (number | string)[];
  /**
   * More cross products of the sweep: "sizes=2x32 tokens=2.4M precisions=w3a32kv32,w32a3kv32"
   * (a setting left out is the main grid's), or the same as an object.
   */
  also?: readonly (string | GridPartArgs)[];
  /** Recorded in each run's manifest. */
  name?: string;
}

export interface GridPartArgs {
  sizes?: string | readonly (number | string)[];
  tokens?: string | readonly (number | string)[];
  precisions?: string | readonly (number | string)[];
  seeds?: string | readonly (number | string)[];
}

const PART_KEYS = ['sizes', 'tokens', 'precisions', 'seeds'] as const;

/** "sizes=2x32 tokens=2.4M precisions=w3a32kv32,w32a3kv32 seeds=2" as its settings; throws naming what is wrong. */
export function parseGridPart(text: string): GridPartArgs {
  const part: Record<string, string> = {};
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([a-z]+)=(.+)$/.exec(word);
    if (!m || !(PART_KEYS as readonly string[]).includes(m[1])) throw new Error(`also: "${word}" in "${text}" is not one of ${PART_KEYS.map((k) => `${k}=...`).join(', ')}`);
    if (part[m[1]] !== undefined) throw new Error(`also: ${m[1]} is given twice in "${text}"`);
    part[m[1]] = m[2];
  }
  if (Object.keys(part).length === 0) throw new Error('also: an empty grid part (give sizes=, tokens=, precisions= or seeds=)');
  return part;
}

export const DEFAULT_OUT = 'runs';

/**
 * The sweep of examples/ and the default of Launch a Sweep: designed so its fit identifies what
 * it claims (README, "The example workspace"). The PTQ law from three sizes (13x in N) by four
 * budgets up to D/N 194 for the smallest, all in one pass of the Brown text; each part's factor
 * from weights, activations and KV cache each trained alone at 3, 4 and 6 bits; the run-to-run
 * scale from a second seed of five cells. About an hour on 2 cores.
 */
export const EXAMPLE_SWEEP = {
  sizes: ['2x32', '2x64', '3x96'],
  tokens: ['600k', '1.2M', '2.4M', '4.8M'],
  precisions: ['fp32'],
  also: [
    { sizes: ['2x32'], tokens: ['2.4M'], precisions: ['w3a32kv32', 'w4a32kv32', 'w6a32kv32', 'w32a3kv32', 'w32a4kv32', 'w32a6kv32', 'w32a32kv3', 'w32a32kv4', 'w32a32kv6'] },
    { sizes: ['2x32', '2x64'], tokens: ['2.4M'], seeds: ['2'] },
    { sizes: ['2x32'], tokens: ['2.4M'], precisions: ['w3a32kv32', 'w32a3kv32', 'w32a32kv3'], seeds: ['2'] },
  ],
} as const satisfies { sizes: readonly string[]; tokens: readonly string[]; precisions: readonly string[]; also: readonly GridPartArgs[] };

const list = (value: string | readonly (string | number | null)[]): (string | number | null)[] =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [...value];

function count(value: number | string, what: string): number {
  const n = typeof value === 'number' ? value : parseQuantity(value);
  if (n === undefined || !Number.isFinite(n) || n <= 0) throw new Error(`${what}: "${value}" is not a positive number (examples: 400k, 2M, 1e6)`);
  return n;
}

function integer(value: number | string, what: string): number {
  const n = count(value, what);
  if (!Number.isInteger(n)) throw new Error(`${what}: "${value}" is not a whole number`);
  return n;
}

function real(value: number | string, what: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what}: "${value}" is not a positive number`);
  return n;
}

function precision(value: string): string {
  parseQuantSpec(value); // throws with the reason
  return value;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${what}: "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

/** The parts of a job that `train` and `sweep` share. */
type Shared = Omit<Partial<TrainJob>, 'model'> & { model: Partial<ModelConfig> };

function common(o: CommonArgs): Shared {
  const job: Shared = { model: {} };
  if (o.batch !== undefined) job.batchSize = integer(o.batch, 'batch');
  if (o.context !== undefined) job.model.context = integer(o.context, 'context');
  if (o.mlp !== undefined) job.model.mlp = oneOf(o.mlp, ['gelu', 'swiglu'] as const, 'mlp');
  if (o.positions !== undefined) job.model.positions = oneOf(o.positions, ['rotary', 'learned'] as const, 'positions');
  if (o.untied) job.model.tiedEmbeddings = false;
  if (o.lr !== undefined) job.learningRate = real(o.lr, 'lr');
  if (o.seed !== undefined) job.seed = Number(integer(o.seed, 'seed'));
  if (o.corpus !== undefined) job.corpus = (typeof o.corpus === 'string' ? [o.corpus] : o.corpus).filter(Boolean);
  if (o.evalTokens !== undefined) job.evalTokens = integer(o.evalTokens, 'eval-tokens');
  if (o.evalEvery !== undefined) job.evalEvery = Number(o.evalEvery) === 0 ? 0 : integer(o.evalEvery, 'eval-every');
  const ptq: NonNullable<TrainJob['ptq']> = {};
  if (o.ptqBits !== undefined) {
    ptq.bits = list(o.ptqBits).map((b) => {
      const bits = Number(b);
      if (!Number.isInteger(bits) || bits < 2 || bits > 16) throw new Error(`ptq-bits: "${b}" is not a bit-width from 2 to 16`);
      return bits;
    });
  }
  if (o.ptqGroups !== undefined) {
    ptq.groups = list(o.ptqGroups).map((g) => (g === null || g === 'channel' ? null : integer(g, 'ptq-groups')));
  }
  const none = (v: unknown): boolean => v === 'none' || (Array.isArray(v) && v.length === 1 && v[0] === 'none');
  if (o.ptqFormats !== undefined) {
    ptq.formats = none(o.ptqFormats) ? [] : list(o.ptqFormats).map(String);
    for (const f of ptq.formats) {
      try {
        parseWeightFormat(f);
      } catch (error) {
        throw new Error(`ptq-formats: ${(error as Error).message}`);
      }
    }
  }
  if (o.gptqBits !== undefined) {
    ptq.gptqBits = none(o.gptqBits)
      ? []
      : list(o.gptqBits).map((b) => {
          const bits = Number(b);
          if (!Number.isInteger(bits) || bits < 2 || bits > 16) throw new Error(`gptq-bits: "${b}" is not a bit-width from 2 to 16`);
          return bits;
        });
  }
  if (o.probeNorms !== undefined) {
    ptq.probeNorms = none(o.probeNorms)
      ? []
      : list(o.probeNorms).map((r) => {
          const norm = Number(r);
          if (!(norm > 0 && norm < 10)) throw new Error(`probe-norms: "${r}" is not a relative norm (a number such as 0.01)`);
          return norm;
        });
  }
  if (o.probeDirections !== undefined) ptq.probeDirections = integer(o.probeDirections, 'probe-directions');
  if (Object.keys(ptq).length > 0) job.ptq = ptq;
  return job;
}

export function jobFromArgs(o: TrainArgs): TrainJob {
  const size: SizeSpec = parseSize(o.size);
  const tokens = count(o.tokens, 'tokens');
  const spec = precision(o.precision ?? 'fp32');
  const shared = common(o);
  if (o.name !== undefined) checkRunName(o.name, 'name');
  const job: TrainJob = {
    ...shared,
    name: o.name ?? `L${size.depth}W${size.width}${size.heads ? `H${size.heads}` : ''}-D${compactCount(tokens)}-${quantSpecName(parseQuantSpec(spec))}`,
    outDir: o.out ?? DEFAULT_OUT,
    model: { ...shared.model, ...size },
    tokens,
    precision: spec,
  };
  resolveJob(job); // fills defaults; the model is checked when the run starts
  return job;
}

export function gridFromArgs(o: SweepArgs): SweepGrid {
  const sizes = list(o.sizes).map((s) => String(s));
  sizes.forEach(parseSize);
  const { seed, ...shared } = common(o);
  const grid: SweepGrid = {
    outDir: o.out ?? DEFAULT_OUT,
    sizes,
    tokens: list(o.tokens).map((t) => count(t as string | number, 'tokens')),
    precisions: list(o.precisions).map((p) => precision(String(p))),
    common: shared,
  };
  if (o.seeds !== undefined) grid.seeds = list(o.seeds).map((s) => integer(s as string | number, 'seeds'));
  else if (seed !== undefined) grid.seeds = [seed];
  if (o.also !== undefined && o.also.length > 0) grid.also = o.also.map((a) => gridPart(typeof a === 'string' ? parseGridPart(a) : a));
  if (o.name !== undefined) {
    // Recorded in run.json only, yet held to the rule of run names: a sweep's name may one day name a folder.
    checkRunName(o.name, 'name');
    grid.name = o.name;
  }
  if (grid.sizes.length === 0 || grid.tokens.length === 0 || grid.precisions.length === 0) throw new Error('a sweep needs at least one size, one token budget and one precision');
  const { grid: deduped, notes } = dedupeGrid(grid);
  const jobs = expandGrid(deduped);
  const problems = jobProblems(jobs);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const crossed = gridParts(deduped).reduce((n, p) => n + p.sizes.length * p.tokens.length * p.precisions.length * p.seeds.length, 0);
  if (crossed > jobs.length) notes.push(`${crossed - jobs.length} run(s) are in more than one part of the grid: each is trained once`);
  return notes.length > 0 ? { ...deduped, notes } : deduped;
}

/** A grid part's settings checked as the main grid's are. */
function gridPart(a: GridPartArgs): GridPart {
  const part: GridPart = {};
  for (const key of Object.keys(a)) if (!(PART_KEYS as readonly string[]).includes(key)) throw new Error(`also: unknown setting "${key}" (${PART_KEYS.join(', ')})`);
  if (a.sizes !== undefined) part.sizes = list(a.sizes).map((s) => (parseSize(String(s)), String(s)));
  if (a.tokens !== undefined) part.tokens = list(a.tokens).map((t) => count(t as string | number, 'also: tokens'));
  if (a.precisions !== undefined) part.precisions = list(a.precisions).map((p) => precision(String(p)));
  if (a.seeds !== undefined) part.seeds = list(a.seeds).map((s) => integer(s as string | number, 'also: seeds'));
  for (const key of PART_KEYS) if (part[key]?.length === 0) throw new Error(`also: ${key} is empty`);
  return part;
}

/**
 * One line per job, in the order the sweep trains them (trainingOrder) and numbered as its
 * progress lines are ("[1/24]" trains first): name, N, D and precision, for a dry run or a
 * confirmation prompt. `note` adds a remark to a job's line (for example "already complete").
 */
export function describeSweep(grid: SweepGrid | TrainJob[], note: (job: TrainJob) => string | undefined = () => undefined): string[] {
  const jobs = Array.isArray(grid) ? grid : expandGrid(grid);
  return trainingOrder(jobs).map((index, position) => {
    const job = jobs[index];
    const remark = note(job);
    return `[${position + 1}/${jobs.length}] ${job.name}  N=${compactCount(countNonEmbeddingParams(resolveJob(job).model))}  D=${compactCount(job.tokens)}  ${job.precision}${remark ? `  (${remark})` : ''}`;
  });
}

export const clock = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds));
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}` : `${m}:${String(s % 60).padStart(2, '0')}`;
};

/**
 * A terminal line for a sweep event (undefined for events not worth a line): what the
 * `precision-sweep` task's pseudoterminal and the CLI print. `step` lines are meant to be
 * rewritten in place; the others to stay.
 */
export function formatSweepEvent(e: SweepEvent): string | undefined {
  const job = `[${e.position + 1}/${e.total}] ${e.name}`;
  const sweep = e.total > 1 ? `  | sweep ${(100 * e.sweepDone).toFixed(0)}%${e.sweepEtaSeconds !== undefined ? ` ETA ${clock(e.sweepEtaSeconds)}` : ''}` : '';
  switch (e.type) {
    case 'start':
      return `${job}: N=${compactCount(e.params)}, D=${compactCount(e.tokens)} in ${e.steps} steps -> ${e.runDir}`;
    case 'step':
      return `${job}: step ${e.step}/${e.steps}  ${compactCount(e.tokens)}/${compactCount(e.step > 0 ? Math.round((e.tokens / e.step) * e.steps) : e.tokens)} tokens  loss ${e.loss.toFixed(3)}  ${Math.round(e.tokensPerSecond)} tok/s  ETA ${clock(e.etaSeconds)}${sweep}`;
    case 'eval':
      return `${job}: validation loss ${e.valLoss.toFixed(4)} at ${compactCount(e.tokens)} tokens`;
    case 'ptq':
      return `${job}: PTQ ${e.label}: ${e.valLoss.toFixed(4)} (SQNR ${e.sqnrDb.toFixed(1)} dB)`;
    case 'probe':
      return `${job}: weight noise of relative norm ${e.relativeNorm}: loss ${e.lossIncrease >= 0 ? '+' : ''}${e.lossIncrease.toFixed(4)}`;
    case 'end':
      return `${job}: ${e.status}${e.valLoss !== undefined ? `, validation loss ${e.valLoss.toFixed(4)}` : ''}${e.tokensPerSecond ? `, ${Math.round(e.tokensPerSecond)} tok/s` : ''}${e.error ? ` (${e.error})` : ''}${e.cancelReason ? ` (${e.cancelReason})` : ''}${sweep}`;
    case 'skip':
      return `${job}: skipped (${e.reason})`;
    case 'note':
      return `${job}: note: ${e.message}`;
    case 'queue':
      return `${job}: Slurm job ${e.jobId}: ${e.detail}${e.state === 'pending' || e.state === 'running' ? '' : sweep}`;
    case 'log':
      return `${job}: ${e.line.length > 200 ? `${e.line.slice(0, 200)}...` : e.line}`;
    default:
      return undefined;
  }
}

/** Seconds between two plain progress lines of one run, when no status line can be rewritten. */
export const PLAIN_PROGRESS_SECONDS = 5;

/**
 * For output that cannot rewrite a status line in place (a file, a pipe, a CI log): decides
 * which step events get a line of their own. Each run's first step, then one every
 * `intervalSeconds` per run; `now` (seconds) is a parameter so the rule can be tested.
 */
export function plainProgress(intervalSeconds = PLAIN_PROGRESS_SECONDS, now: () => number = () => performance.now() / 1000): (event: SweepEvent) => boolean {
  const last = new Map<number, number>();
  return (event) => {
    if (event.type !== 'step') return false;
    const t = now();
    const previous = last.get(event.index);
    if (previous !== undefined && t - previous < intervalSeconds) return false;
    last.set(event.index, t);
    return true;
  };
}

/**
 * The end-of-sweep summary. "cancelled" runs had started (their run.json says so); "not started"
 * ones were still waiting when the sweep was cancelled, and nothing was written for them.
 */
export function summarizeOutcomes(outcomes: readonly JobOutcome[]): string {
  const count = (status: JobOutcome['status']): number => outcomes.filter((o) => o.status === status).length;
  const [cancelled, notStarted, queued] = [count('cancelled'), count('not-started'), count('queued')];
  const parts = [
    ...(queued > 0 ? [`${queued} queued (not followed: precision-planner jobs DIR reports them)`] : []),
    `${count('complete')} complete`,
    `${count('skipped')} already complete`,
    `${cancelled} cancelled${cancelled > 0 ? ' (started, then stopped; their run.json says so)' : ''}`,
    `${notStarted} not started${notStarted > 0 ? ' (nothing written)' : ''}`,
    `${count('failed')} failed`,
  ];
  return parts.join(', ');
}
