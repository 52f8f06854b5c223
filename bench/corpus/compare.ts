// Compares what the readers find in the real-log corpus with test/corpus/truth.json, the values
// worked out by reading each run's files. Used by bench/corpus/run.ts (the report) and by
// test/unit/corpus.test.ts (reachability now, per-run expectations as the readers improve).

import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { type ScanResult, scan } from '../../src/runs/discover';
import { type PartPrecision, type RunField, REQUIRED_FIELDS, type Run, type TrainingPrecision, isComplete } from '../../src/runs/run';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const TRUTH_FILE = path.join(REPO_ROOT, 'test', 'corpus', 'truth.json');

/** Relative tolerance per numeric field: N and D within 2%, the loss within 0.5%. */
export const TOLERANCE: Readonly<Record<Exclude<RunField, 'precision'>, number>> = { params: 0.02, tokens: 0.02, finalLoss: 0.005 };

/** A training precision: one name for weights, activations and KV alike, or one per part. */
export type PrecisionTruth = string | { w: string; a: string; kv: string };

export interface TruthValue<T> {
  /** null where the files say the field has no usable value (a NaN loss). */
  value: T | null;
  how: string;
}

export interface TruthRun {
  id: string;
  folder: string;
  /** The run's main file, relative to its folder: what a reader's Run.id should be. */
  file: string;
  format: string;
  /** 1-based position among the runs read from `file`, for files holding several runs. */
  row?: number;
  params: TruthValue<number> | null;
  tokens: TruthValue<number> | null;
  precision: TruthValue<PrecisionTruth> | null;
  finalLoss: TruthValue<number> | null;
  /** The run did not finish: a reader may leave its loss out. */
  unfinished?: boolean;
  notes: string;
}

export interface Truth {
  description?: string;
  folders: string[];
  runCounts?: Record<string, number>;
  runs: TruthRun[];
}

/**
 * match: equal within tolerance; absent-ok: neither the files nor the reader give a value;
 * missing: the files give one, the reader none; wrong: both give one and they differ;
 * spurious: the reader gives a value the files do not support.
 * tool-default: the files give none and the reader took the tool's documented default, saying so.
 */
export type Verdict = 'match' | 'absent-ok' | 'missing' | 'wrong' | 'spurious' | 'tool-default';
export const CORRECT: ReadonlySet<Verdict> = new Set(['match', 'absent-ok']);

export interface FieldResult {
  verdict: Verdict;
  expected: number | PrecisionTruth | null;
  got: number | PrecisionTruth | null;
}

export interface RunComparison {
  truth: TruthRun;
  /** The reader's run for this truth entry, if the scan produced one. */
  run?: Run;
  fields: Record<RunField, FieldResult>;
}

export interface FolderScan {
  folder: string;
  result: ScanResult;
}

export interface CorpusComparison {
  runs: RunComparison[];
  /** Runs the readers produced that no truth entry names. */
  extra: Array<{ folder: string; run: Run }>;
  /** Diagnostics per folder, by severity. */
  diagnostics: Record<string, Record<string, number>>;
}

export function loadTruth(file: string = TRUTH_FILE): Truth {
  return JSON.parse(readFileSync(file, 'utf8')) as Truth;
}

/**
 * The corpus folder: `--corpus DIR`, $PRECISION_CORPUS, test/corpus (when the data has been put
 * there) or shared/corpus beside the repository; undefined when none holds the truth's folders.
 */
export function findCorpus(truth: Truth, argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): string | undefined {
  const flag = argv.indexOf('--corpus');
  const candidates = [
    flag >= 0 ? argv[flag + 1] : undefined,
    env.PRECISION_CORPUS,
    path.join(REPO_ROOT, 'test', 'corpus'),
    path.join(REPO_ROOT, '..', 'shared', 'corpus'),
  ].filter((c): c is string => typeof c === 'string' && c.length > 0);
  return candidates.map((c) => path.resolve(c)).find((c) => truth.folders.some((f) => existsSync(path.join(c, f))));
}

/** Scans each truth folder on its own, as a user opening that folder would. */
export async function scanCorpus(root: string, truth: Truth): Promise<FolderScan[]> {
  const scans: FolderScan[] = [];
  for (const folder of truth.folders) scans.push({ folder, result: await scan([path.join(root, folder)]) });
  return scans;
}

const PRECISION_ALIASES: Record<string, string> = {
  bfloat16: 'bf16',
  float16: 'fp16',
  half: 'fp16',
  float32: 'fp32',
  float: 'fp32',
  e4m3fn: 'e4m3',
  fp8_e4m3: 'e4m3',
  float8_e4m3fn: 'e4m3',
  fp8_e5m2: 'e5m2',
  float8_e5m2: 'e5m2',
};

function normalName(name: string): string {
  const lower = name.trim().toLowerCase();
  return PRECISION_ALIASES[lower] ?? lower;
}

/** A part's precision as a name: the one the source wrote, else type and bits ("fp32", "int8"). */
export function partName(part: PartPrecision): string {
  return normalName(part.name ?? `${part.type}${part.bits}`);
}

function precisionOf(p: TrainingPrecision): { w: string; a: string; kv: string } {
  return { w: partName(p.w), a: partName(p.a), kv: partName(p.kv) };
}

function expand(p: PrecisionTruth): { w: string; a: string; kv: string } {
  return typeof p === 'string' ? { w: normalName(p), a: normalName(p), kv: normalName(p) } : { w: normalName(p.w), a: normalName(p.a), kv: normalName(p.kv) };
}

function withinTolerance(expected: number, got: number, tolerance: number): boolean {
  return Math.abs(got - expected) <= tolerance * Math.abs(expected);
}

function verdict(expected: unknown, got: unknown, equal: () => boolean, absenceAllowed = false): Verdict {
  const has = (v: unknown) => v !== null && v !== undefined;
  if (!has(expected)) return has(got) ? 'spurious' : 'absent-ok';
  if (!has(got)) return absenceAllowed ? 'absent-ok' : 'missing';
  return equal() ? 'match' : 'wrong';
}

/** One field of one run against its truth. */
export function compareField(field: RunField, truth: TruthRun, run: Run | undefined): FieldResult {
  if (field === 'precision') {
    const expected = truth.precision?.value ?? null;
    const got = run?.precision ? precisionOf(run.precision) : null;
    const shown = got && got.w === got.a && got.a === got.kv ? got.w : got;
    if (expected === null && got !== null && run?.meta?.precisionIsToolDefault === true) return { verdict: 'tool-default', expected, got: shown };
    return {
      verdict: verdict(expected, got, () => {
        const e = expand(expected as PrecisionTruth);
        return e.w === got?.w && e.a === got.a && e.kv === got.kv;
      }),
      expected,
      got: shown,
    };
  }
  const expected = truth[field]?.value ?? null;
  const got = run?.[field] ?? null;
  const absenceAllowed = field === 'finalLoss' && truth.unfinished === true;
  return { verdict: verdict(expected, got, () => withinTolerance(expected as number, got as number, TOLERANCE[field]), absenceAllowed), expected, got };
}

/** The reader's runs matched to truth entries: by id (the file relative to the folder), then by folder of the file. */
function matchRuns(truthRuns: readonly TruthRun[], runs: readonly Run[]): { matched: Map<TruthRun, Run>; extra: Run[] } {
  const matched = new Map<TruthRun, Run>();
  const used = new Set<Run>();
  for (const truth of truthRuns) {
    const same = runs.filter((r) => !used.has(r) && r.id === truth.file);
    const run = same[(truth.row ?? 1) - 1];
    if (run) {
      matched.set(truth, run);
      used.add(run);
    }
  }
  // A reader may name another file of the same run folder (config.yaml for wandb-summary.json, say).
  for (const truth of truthRuns) {
    if (matched.has(truth)) continue;
    const dir = path.posix.dirname(truth.file);
    const others = truthRuns.filter((t) => path.posix.dirname(t.file) === dir);
    const candidates = runs.filter((r) => !used.has(r) && path.posix.dirname(r.id) === dir);
    if (others.length === 1 && candidates.length >= 1) {
      matched.set(truth, candidates[0]);
      used.add(candidates[0]);
    }
  }
  return { matched, extra: runs.filter((r) => !used.has(r)) };
}

/** Every truth run against what the scans found. */
export function compareToTruth(truth: Truth, scans: readonly FolderScan[]): CorpusComparison {
  const comparison: CorpusComparison = { runs: [], extra: [], diagnostics: {} };
  for (const { folder, result } of scans) {
    const truthRuns = truth.runs.filter((t) => t.folder === folder);
    const { matched, extra } = matchRuns(truthRuns, result.runs);
    for (const t of truthRuns) {
      const run = matched.get(t);
      const fields = Object.fromEntries(REQUIRED_FIELDS.map((f) => [f, compareField(f, t, run)])) as Record<RunField, FieldResult>;
      comparison.runs.push(run ? { truth: t, run, fields } : { truth: t, fields });
    }
    comparison.extra.push(...extra.map((run) => ({ folder, run })));
    const counts: Record<string, number> = {};
    for (const d of result.diagnostics) counts[d.severity] = (counts[d.severity] ?? 0) + 1;
    comparison.diagnostics[folder] = counts;
  }
  return comparison;
}

export interface FormatSummary {
  format: string;
  folders: number;
  truthRuns: number;
  /** Truth runs the readers produced a run for. */
  found: number;
  /** Of those, runs the readers call complete (all four fields). */
  complete: number;
  /** Per field: how many truth runs the reader got right (value within tolerance, or rightly absent). */
  correct: Record<RunField, number>;
  /** Per field: how many truth runs have a value in their files. */
  withValue: Record<RunField, number>;
  /** Values given where the files have none, or differing from them. */
  wrong: number;
  /** Values the files do not give, taken from a tool's documented default and said as such. */
  toolDefaults: number;
}

export function summarize(comparison: CorpusComparison): FormatSummary[] {
  const byFormat = new Map<string, RunComparison[]>();
  for (const c of comparison.runs) byFormat.set(c.truth.format, [...(byFormat.get(c.truth.format) ?? []), c]);
  return [...byFormat.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([format, runs]) => {
      const count = (pred: (c: RunComparison, f: RunField) => boolean) =>
        Object.fromEntries(REQUIRED_FIELDS.map((f) => [f, runs.filter((c) => pred(c, f)).length])) as Record<RunField, number>;
      return {
        format,
        folders: new Set(runs.map((c) => c.truth.folder)).size,
        truthRuns: runs.length,
        found: runs.filter((c) => c.run).length,
        complete: runs.filter((c) => c.run && isComplete(c.run)).length,
        correct: count((c, f) => CORRECT.has(c.fields[f].verdict)),
        withValue: count((c, f) => c.fields[f].expected !== null),
        wrong: runs.reduce((n, c) => n + REQUIRED_FIELDS.filter((f) => c.fields[f].verdict === 'wrong' || c.fields[f].verdict === 'spurious').length, 0),
        toolDefaults: runs.reduce((n, c) => n + REQUIRED_FIELDS.filter((f) => c.fields[f].verdict === 'tool-default').length, 0),
      };
    });
}

const FIELD_HEADERS: Record<RunField, string> = { params: 'N', tokens: 'D', precision: 'precision', finalLoss: 'loss' };

function show(value: number | PrecisionTruth | null): string {
  if (value === null) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return typeof value === 'string' ? value : `w:${value.w} a:${value.a} kv:${value.kv}`;
}

/** The report: one row per format, then every field the readers got wrong or missed. */
export function markdown(comparison: CorpusComparison): string {
  const rows = summarize(comparison);
  const lines = [
    `| format | folders | runs | found | complete | ${REQUIRED_FIELDS.map((f) => `${FIELD_HEADERS[f]} ok`).join(' | ')} | wrong values | tool defaults |`,
    `| --- | ---: | ---: | ---: | ---: | ${REQUIRED_FIELDS.map(() => '---:').join(' | ')} | ---: | ---: |`,
    ...rows.map(
      (r) => `| ${r.format} | ${r.folders} | ${r.truthRuns} | ${r.found} | ${r.complete} | ${REQUIRED_FIELDS.map((f) => `${r.correct[f]}/${r.truthRuns} (${r.withValue[f]} stated)`).join(' | ')} | ${r.wrong} | ${r.toolDefaults} |`,
    ),
    '',
    '"ok" counts runs whose value matches truth (N and D within 2%, loss within 0.5%, precision names equal) or that rightly have none; "stated" is how many of the runs have the value in their files; "tool defaults" are values no file gives, taken from a documented default of the tool and said so (Lightning: 32-true).',
    '',
    '## Mismatches',
    '',
  ];
  const extraByFile = new Map<string, Run[]>();
  for (const { folder, run } of comparison.extra) {
    const key = `${folder}/${run.id.replace(/#.*$/, '')}`;
    extraByFile.set(key, [...(extraByFile.get(key) ?? []), run]);
  }
  for (const c of comparison.runs) {
    if (!c.run) {
      const split = extraByFile.get(c.truth.id);
      const note = split ? `read instead as ${split.length} ${split[0].format} run(s) (${split.map((r) => r.id.slice(r.id.indexOf('#'))).join(', ')}), none of them this run` : 'not found by any reader';
      lines.push(`- ${c.truth.id} (${c.truth.format}): ${note}`);
      continue;
    }
    const bad = REQUIRED_FIELDS.filter((f) => !CORRECT.has(c.fields[f].verdict));
    if (bad.length === 0) continue;
    const what = bad.map((f) => `${FIELD_HEADERS[f]} ${c.fields[f].verdict}: expected ${show(c.fields[f].expected)}, got ${show(c.fields[f].got)}`).join('; ');
    const reasons = bad.flatMap((f) => (c.run?.reasons?.[f] ? [`${FIELD_HEADERS[f]}: ${c.run.reasons[f]}`] : [])).join('; ');
    lines.push(`- ${c.truth.id} (${c.truth.format}, read as ${c.run.format}): ${what}${reasons ? ` — reader says: ${reasons}` : ''}`);
  }
  if (extraByFile.size > 0) {
    lines.push('', '## Runs found that truth.json does not list', '');
    for (const [file, runs] of extraByFile) {
      const values = runs.map((r) => `N ${show(r.params ?? null)}, D ${show(r.tokens ?? null)}, loss ${show(r.finalLoss ?? null)}`);
      lines.push(`- ${file}: ${runs.length} ${runs[0].format} run(s); first: ${values[0]}`);
    }
  }
  lines.push('', '## Diagnostics per folder', '');
  for (const [folder, counts] of Object.entries(comparison.diagnostics)) {
    const text = Object.entries(counts).map(([severity, n]) => `${n} ${severity}`).join(', ');
    lines.push(`- ${folder}: ${text || 'none'}`);
  }
  return `${lines.join('\n')}\n`;
}
