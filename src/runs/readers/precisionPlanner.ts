// The project's own run format: a directory with run.json (manifest, schemas/run.schema.json)
// and metrics.jsonl (loss curve). Hand-written manifests are common, so every value is checked
// and every problem points at its line; nothing here throws on bad input.

import * as path from 'node:path';
import { type Node, findNodeAtLocation } from 'jsonc-parser';
import type { Diagnostic, DiagnosticCode, Severity } from '../diagnostics';
import { type NumberType, type PartPrecision, type ProbePoint, type PtqEval, type Run, type SourceRef, type TrainingPrecision, runId, withMissing } from '../run';
import { parseJsonDoc } from '../jsonDoc';
import { loadSmallText } from '../load';
import type { ResumeSlots } from '../resume';
import {
  bitsInRange,
  describeValue,
  diagnostic,
  integer,
  isDiagnostic,
  nonEmptyString,
  nonNegativeFinite,
  oneOf,
  positiveFinite,
} from '../validate';
import type { ReadResult } from './types';
import { METRICS_FILE_NAME, readMetricsJsonl } from './metricsJsonl';

export const PRECISION_PLANNER_FORMAT = 'precision-planner';
export const MANIFEST_FILE_NAME = 'run.json';
export const SCHEMA_VERSION = 1;
export const RUN_STATUSES = ['complete', 'running', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
const NUMBER_TYPES: readonly NumberType[] = ['int', 'fp'];

/** A manifest is a few kilobytes; anything this large is not one, and is not loaded whole. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** A file that is not JSON at all yields an error per token; the first few say enough. */
const MAX_SYNTAX_DIAGNOSTICS = 20;

export interface ReadOptions {
  /** Run ids are paths relative to this folder; defaults to the folder holding the run directory. */
  root?: string;
  /** Upper bound on the loss-curve length kept from metrics.jsonl. */
  maxCurvePoints?: number;
  /** The marks of the last read: metrics.jsonl is read on from where it stopped when it only grew. */
  resume?: ResumeSlots;
}


/** A parsed manifest and what is needed to point at its lines. */
interface Doc {
  file: string;
  root: Node;
  lineOf(node: Node): number;
  diagnostics: Diagnostic[];
  /** The file has syntax errors: the tree is what jsonc-parser recovered around them. */
  recovered: boolean;
}

const lineOf = (doc: Doc, node: Node): number => doc.lineOf(node);
const child = (obj: Node, key: string): Node | undefined => (obj.type === 'object' ? findNodeAtLocation(obj, [key]) : undefined);

/** Own, enumerable, and safe for any key (a free key may be "__proto__"). */
function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The JSON value of a node as plain objects and arrays. jsonc-parser's getNodeValue makes
 * prototype-less objects (surprising to consumers) and lets the last duplicate key win, where
 * findNodeAtLocation, used for every known field, finds the first.
 */
export function nodeValue(node: Node): unknown {
  if (node.type === 'array') return (node.children ?? []).map(nodeValue);
  if (node.type !== 'object') return node.value;
  const object: Record<string, unknown> = {};
  for (const property of node.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    const key: unknown = keyNode?.value;
    if (typeof key === 'string' && valueNode && !Object.hasOwn(object, key)) setKey(object, key, nodeValue(valueNode));
  }
  return object;
}

const report = (doc: Doc, line: number | undefined, field: string | undefined, message: string, severity: Severity = 'error', code: DiagnosticCode = 'bad-value'): void => {
  doc.diagnostics.push(diagnostic(doc.file, line, field, message, severity, code));
};
// Beside a syntax error an absent key is most likely the error's doing; saying so again per key
// buries the one message that matters. The run's `missing` list still names them.
const reportMissing = (doc: Doc, line: number, field: string, message: string, severity: Severity = 'error'): void => {
  if (!doc.recovered) report(doc, line, field, message, severity, 'missing-field');
};

type Check<T> = (value: unknown, file: string, line: number | undefined, field: string, severity?: Severity) => T | Diagnostic;

interface Got<T> {
  value?: T;
  line?: number;
  /** The key was there, whether or not its value was usable. */
  present: boolean;
}

interface GetOptions {
  /** Message when the key is absent; absent optional keys are not reported. */
  missing?: string;
  severity?: Severity;
  /** Appended to the problem message: what the reader does about it. */
  consequence?: string;
}

/** Reads obj[key] through a check, reporting an absent required key or an unusable value. */
function get<T>(doc: Doc, obj: Node, key: string, field: string, check: Check<T>, options: GetOptions = {}): Got<T> {
  const node = child(obj, key);
  if (!node) {
    if (options.missing) reportMissing(doc, lineOf(doc, obj), field, options.missing, options.severity);
    return { present: false };
  }
  const line = lineOf(doc, node);
  const result = check(nodeValue(node), doc.file, line, field, options.severity);
  if (isDiagnostic(result)) {
    doc.diagnostics.push(options.consequence ? { ...result, message: `${result.message}; ${options.consequence}` } : result);
    return { present: true, line };
  }
  return { value: result, line, present: true };
}

/** Duplicate keys are legal JSON but ambiguous (this reader takes the first, JSON.parse the last). */
function checkKeys(doc: Doc, obj: Node, prefix: string, known?: readonly string[]): void {
  const seen = new Set<string>();
  for (const property of obj.children ?? []) {
    const keyNode = property.children?.[0];
    if (!keyNode || typeof keyNode.value !== 'string') continue;
    const key = keyNode.value;
    const field = prefix ? `${prefix}.${key}` : key;
    if (seen.has(key)) report(doc, lineOf(doc, keyNode), field, `duplicate key "${key}"; only the first is read`, 'warning', 'duplicate');
    else if (known && !known.includes(key)) {
      report(doc, lineOf(doc, keyNode), field, `unknown key "${key}" in ${prefix}; expected ${known.join(', ')}`, 'warning', 'unsupported');
    }
    seen.add(key);
  }
}

// --- loading and parsing -------------------------------------------------------------------

async function loadText(file: string, diagnostics: Diagnostic[]): Promise<string | undefined> {
  const loaded = await loadSmallText(file, diagnostics, { maxBytes: MAX_MANIFEST_BYTES, severity: 'error' });
  if (loaded.absent) diagnostics.push(diagnostic(file, undefined, undefined, `${path.basename(file)} not found`, 'error', 'not-found'));
  return loaded.text;
}

function parseManifest(text: string, file: string, diagnostics: Diagnostic[]): Doc | undefined {
  const name = path.basename(file);
  if (text.trim() === '') {
    diagnostics.push(diagnostic(file, 1, undefined, `${name} is empty`, 'error', 'syntax'));
    return undefined;
  }
  // Strict JSON: other tools (Python's json, JSON.parse) read these files too. Bare NaN and
  // Infinity, which Python's json.dump writes, are read as numbers for the checks to name.
  const json = parseJsonDoc(text, { strict: true });
  const { root, errors } = json;
  for (const e of errors.slice(0, MAX_SYNTAX_DIAGNOSTICS)) {
    diagnostics.push(diagnostic(file, e.line, undefined, e.message, 'error', 'syntax'));
  }
  if (errors.length > MAX_SYNTAX_DIAGNOSTICS) {
    diagnostics.push(diagnostic(file, undefined, undefined, `${errors.length - MAX_SYNTAX_DIAGNOSTICS} more syntax errors not listed`, 'error', 'syntax'));
  }
  if (!root || root.type !== 'object') {
    const line = root ? json.lineOf(root) : undefined;
    diagnostics.push(diagnostic(file, line, undefined, `${name} must hold one JSON object, found ${root ? `a JSON ${root.type}` : 'none'}`, 'error', 'syntax'));
    return undefined;
  }
  return { file, root, lineOf: json.lineOf, diagnostics, recovered: errors.length > 0 };
}

// --- manifest fields -----------------------------------------------------------------------

function readSchemaVersion(doc: Doc): void {
  const node = child(doc.root, 'schemaVersion');
  if (!node) {
    reportMissing(doc, lineOf(doc, doc.root), 'schemaVersion', `schemaVersion is missing; read as version ${SCHEMA_VERSION}`, 'warning');
    return;
  }
  const value: unknown = nodeValue(node);
  if (value === SCHEMA_VERSION) return;
  const newer = typeof value === 'number' && Number.isInteger(value) && value > SCHEMA_VERSION;
  const message = newer
    ? `schemaVersion ${value} is newer than this reader (${SCHEMA_VERSION}); fields it does not know are ignored`
    : `schemaVersion must be ${SCHEMA_VERSION}, got ${describeValue(value)}; read as version ${SCHEMA_VERSION}`;
  report(doc, lineOf(doc, node), 'schemaVersion', message, 'warning', newer ? 'unsupported' : 'bad-value');
}

interface StatusRead {
  status: string;
  unfinished: boolean;
  /** What an unfinished run is, as the user would say it: "cancelled", "failed: <its error>". */
  said?: string;
}

/** The first line of the manifest's `error` (the trainer writes one for a failed run), kept short. */
function errorText(doc: Doc): string | undefined {
  const node = child(doc.root, 'error');
  const value: unknown = node ? nodeValue(node) : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const first = value.trim().split(/\r?\n/)[0];
  return first.length > 120 ? `${first.slice(0, 119)}…` : first;
}

function readStatus(doc: Doc): StatusRead {
  const node = child(doc.root, 'status');
  if (!node) return { status: 'complete', unfinished: false };
  const line = lineOf(doc, node);
  const value: unknown = nodeValue(node);
  const status = oneOf(value, RUN_STATUSES, doc.file, line, 'status', 'warning');
  if (isDiagnostic(status)) {
    // A status this reader cannot vouch for is not taken as a finished run.
    doc.diagnostics.push({ ...status, message: `${status.message}; the run is treated as unfinished` });
    return { status: typeof value === 'string' ? value : describeValue(value), unfinished: true, said: `status ${typeof value === 'string' ? JSON.stringify(value) : describeValue(value)}` };
  }
  if (status === 'complete') return { status, unfinished: false };
  report(doc, line, 'status', `status is "${status}": the run did not finish, so its losses are not end-of-training losses`, 'info', 'unfinished');
  const error = status === 'failed' ? errorText(doc) : undefined;
  return { status, unfinished: true, said: error ? `${status}: ${error}` : status };
}

function readPart(doc: Doc, parent: Node, key: string): PartPrecision | undefined {
  const field = `precision.${key}`;
  const node = child(parent, key);
  if (!node) {
    reportMissing(doc, lineOf(doc, parent), field, `${field} is missing`);
    return undefined;
  }
  if (node.type !== 'object') {
    report(doc, lineOf(doc, node), field, `${field} must be an object like {"bits": 8, "type": "int"}, got ${describeValue(nodeValue(node))}`);
    return undefined;
  }
  checkKeys(doc, node, field, ['bits', 'type', 'name']);
  const bits = get(doc, node, 'bits', `${field}.bits`, bitsInRange, { missing: `${field}.bits is missing` });
  const type = get(doc, node, 'type', `${field}.type`, (v, f, l, n, s) => oneOf(v, NUMBER_TYPES, f, l, n, s), {
    missing: `${field}.type is missing ("int" or "fp")`,
  });
  const name = get(doc, node, 'name', `${field}.name`, nonEmptyString, { severity: 'warning', consequence: 'ignored' });
  if (bits.value === undefined || type.value === undefined) return undefined;
  const part: PartPrecision = { bits: bits.value, type: type.value };
  if (name.value !== undefined) part.name = name.value;
  return part;
}

const PARTS = [
  ['weights', 'w'],
  ['activations', 'a'],
  ['kv', 'kv'],
] as const;

function readPrecision(doc: Doc): { value?: TrainingPrecision; line?: number } {
  const node = child(doc.root, 'precision');
  if (!node) {
    reportMissing(doc, lineOf(doc, doc.root), 'precision', 'precision is missing (training precision of weights, activations and kv)');
    return {};
  }
  const line = lineOf(doc, node);
  if (node.type !== 'object') {
    report(doc, line, 'precision', `precision must be an object with weights, activations and kv, got ${describeValue(nodeValue(node))}`);
    return {};
  }
  checkKeys(
    doc,
    node,
    'precision',
    PARTS.map(([key]) => key),
  );
  // Every part is read (not stopping at the first bad one) so all problems show at once.
  const parts = PARTS.map(([key]) => readPart(doc, node, key));
  const [w, a, kv] = parts;
  if (!w || !a || !kv) return { line };
  return { value: { w, a, kv }, line };
}

function groupSizeCheck(value: unknown, file: string, line: number | undefined, field: string): number | null | Diagnostic {
  if (value === null) return null;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value;
  return diagnostic(file, line, field, `${field} must be a positive integer, or null for per-channel scales, got ${describeValue(value)}`, 'error', 'bad-value');
}

function readPtqEntry(doc: Doc, node: Node, field: string): PtqEval | undefined {
  if (node.type !== 'object') {
    report(doc, lineOf(doc, node), field, `${field} must be an object, got ${describeValue(nodeValue(node))}; evaluation left out`);
    return undefined;
  }
  checkKeys(doc, node, field);
  const consequence = 'evaluation left out';
  const bits = get(doc, node, 'bits', `${field}.bits`, bitsInRange, { missing: `${field}.bits is missing; ${consequence}`, consequence });
  const type = get(doc, node, 'type', `${field}.type`, (v, f, l, n, s) => oneOf(v, NUMBER_TYPES, f, l, n, s), {
    missing: `${field}.type is missing ("int" or "fp"); ${consequence}`,
    consequence,
  });
  const format = get(doc, node, 'format', `${field}.format`, nonEmptyString, { severity: 'warning', consequence: 'the type is used instead' });
  const method = get(doc, node, 'method', `${field}.method`, nonEmptyString, { severity: 'warning', consequence: '"rtn" is used instead' });
  const groupSize = get(doc, node, 'groupSize', `${field}.groupSize`, groupSizeCheck, { consequence });
  const loss = get(doc, node, 'valLoss', `${field}.valLoss`, positiveFinite, { missing: `${field}.valLoss is missing; ${consequence}`, consequence });
  if (bits.value === undefined || type.value === undefined || loss.value === undefined) return undefined;
  if (groupSize.present && groupSize.value === undefined) return undefined;
  const evaluation: PtqEval = {
    bits: bits.value,
    type: type.value,
    format: format.value ?? type.value,
    method: method.value ?? 'rtn',
    loss: loss.value,
    source: { file: doc.file, line: lineOf(doc, node), field },
  };
  if (groupSize.value !== undefined) evaluation.groupSize = groupSize.value;
  // Features of the post-quantization predictor: optional, and null where JSON could not hold the
  // number (an exact quantization's infinite SQNR).
  const sqnr = get(doc, node, 'sqnrDb', `${field}.sqnrDb`, nullableFinite, { severity: 'warning', consequence: 'ignored' });
  if (typeof sqnr.value === 'number') evaluation.sqnrDb = sqnr.value;
  const storage = get(doc, node, 'bitsPerWeight', `${field}.bitsPerWeight`, positiveFinite, { severity: 'warning', consequence: 'ignored' });
  if (storage.value !== undefined) evaluation.bitsPerWeight = storage.value;
  return evaluation;
}

const nullableFinite: Check<number | null> = (value, file, line, field, severity) =>
  value === null || (typeof value === 'number' && Number.isFinite(value)) ? value : diagnostic(file, line, field, `${field} must be a number (or null), got ${describeValue(value)}`, severity, 'bad-value');

function readProbePoint(doc: Doc, node: Node, field: string): ProbePoint | undefined {
  if (node.type !== 'object') {
    report(doc, lineOf(doc, node), field, `${field} must be an object, got ${describeValue(nodeValue(node))}; point left out`, 'warning');
    return undefined;
  }
  const options = { severity: 'warning' as const, consequence: 'point left out' };
  const norm = get(doc, node, 'relativeNorm', `${field}.relativeNorm`, positiveFinite, { ...options, missing: `${field}.relativeNorm is missing; point left out` });
  const increase = get(doc, node, 'lossIncrease', `${field}.lossIncrease`, nullableFinite, { ...options, missing: `${field}.lossIncrease is missing; point left out` });
  if (norm.value === undefined || typeof increase.value !== 'number') return undefined;
  return { relativeNorm: norm.value, lossIncrease: increase.value };
}

/** The loss-landscape probe, when the run has one. */
function readLandscape(doc: Doc): ProbePoint[] | undefined {
  const node = child(doc.root, 'landscape');
  if (!node) return undefined;
  if (node.type !== 'array') {
    report(doc, lineOf(doc, node), 'landscape', `landscape must be an array of probe points, got ${describeValue(nodeValue(node))}`, 'warning');
    return undefined;
  }
  return (node.children ?? []).flatMap((entry, i) => readProbePoint(doc, entry, `landscape[${i}]`) ?? []);
}

function readPtq(doc: Doc): PtqEval[] {
  const node = child(doc.root, 'ptq');
  if (!node) return [];
  if (node.type !== 'array') {
    report(doc, lineOf(doc, node), 'ptq', `ptq must be an array of evaluations, got ${describeValue(nodeValue(node))}`);
    return [];
  }
  return (node.children ?? []).flatMap((entry, i) => readPtqEntry(doc, entry, `ptq[${i}]`) ?? []);
}

const objectCheck: Check<Record<string, unknown>> = (value, file, line, field, severity) =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : diagnostic(file, line, field, `${field} must be an object, got ${describeValue(value)}`, severity, 'bad-value');

const dateCheck: Check<string> = (value, file, line, field, severity) =>
  typeof value === 'string' && !Number.isNaN(Date.parse(value))
    ? value
    : diagnostic(file, line, field, `${field} must be an ISO 8601 date, got ${describeValue(value)}`, severity, 'bad-value');

/** Optional keys with a meaning: shown to the user, never needed by the fit, so problems are warnings. */
const OPTIONAL_KEYS: readonly (readonly [string, Check<unknown>])[] = [
  ['embeddingParams', nonNegativeFinite],
  ['epochs', positiveFinite],
  ['seed', integer],
  ['model', objectCheck],
  ['training', objectCheck],
  ['created', dateCheck],
];

const MANIFEST_KEYS = new Set([
  ...['schemaVersion', 'name', 'status', 'params', 'tokens', 'precision', 'valLoss', 'ptq', 'landscape'],
  ...OPTIONAL_KEYS.map(([key]) => key),
]);

/** Optional keys that check out, plus any free keys as written. */
function readMeta(doc: Doc): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  const set = (key: string, value: unknown): void => setKey(meta, key, value);
  for (const [key, check] of OPTIONAL_KEYS) {
    const got = get(doc, doc.root, key, key, check, { severity: 'warning', consequence: 'ignored' });
    if (got.value !== undefined) set(key, got.value);
  }
  for (const property of doc.root.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    const key: unknown = keyNode?.value;
    // The first of duplicate keys wins, as everywhere in this reader.
    if (typeof key !== 'string' || !valueNode || MANIFEST_KEYS.has(key) || Object.hasOwn(meta, key)) continue;
    set(key, nodeValue(valueNode));
  }
  return meta;
}

// --- the run -------------------------------------------------------------------------------


/**
 * Reads one run directory of the precision-planner format, given the path of its run.json.
 * Returns no run only when run.json cannot be read as a JSON object at all; otherwise one run,
 * with `missing` naming what the fitter needs and did not get, and every problem as a diagnostic.
 */
export async function readPrecisionPlannerRun(runJsonPath: string, options: ReadOptions = {}): Promise<ReadResult> {
  const file = path.resolve(runJsonPath);
  const diagnostics: Diagnostic[] = [];
  const text = await loadText(file, diagnostics);
  const doc = text === undefined ? undefined : parseManifest(text, file, diagnostics);
  if (!doc) return { runs: [], diagnostics };

  const runDir = path.dirname(file);
  const { root } = doc;
  checkKeys(doc, root, '');
  readSchemaVersion(doc);
  const { status, unfinished, said } = readStatus(doc);
  const name = get(doc, root, 'name', 'name', nonEmptyString, { severity: 'warning', consequence: 'the folder name is used' });
  const params = get(doc, root, 'params', 'params', positiveFinite, { missing: 'params is missing (N, the non-embedding parameter count)' });
  const tokens = get(doc, root, 'tokens', 'tokens', positiveFinite, { missing: 'tokens is missing (D, the number of training tokens seen)' });
  const precision = readPrecision(doc);
  const valLoss = get(doc, root, 'valLoss', 'valLoss', positiveFinite, { consequence: 'the run has no final loss' });
  const ptq = readPtq(doc);
  const landscape = readLandscape(doc);
  const meta = { status, ...readMeta(doc) };

  const metricsFile = path.join(runDir, METRICS_FILE_NAME);
  const metrics = await readMetricsJsonl(metricsFile, { maxPoints: options.maxCurvePoints, unfinished, resume: options.resume });
  if (metrics) diagnostics.push(...metrics.diagnostics);

  const sources: Run['sources'] = {};
  const at = (line: number | undefined, field: string): SourceRef => ({ file, line, field });
  if (params.value !== undefined) sources.params = at(params.line, 'params');
  if (tokens.value !== undefined) sources.tokens = at(tokens.line, 'tokens');
  if (precision.value !== undefined) sources.precision = at(precision.line, 'precision');

  let finalLoss = valLoss.value;
  if (finalLoss !== undefined) sources.finalLoss = at(valLoss.line, 'valLoss');
  // Only an absent valLoss is filled in: a present but unusable one (null is what JSON.stringify
  // makes of NaN) says the run diverged, and an earlier validation loss would hide that.
  else if (!valLoss.present) {
    const last = metrics?.lastValidation;
    const rootLine = lineOf(doc, root);
    if (last) {
      finalLoss = last.point.loss;
      sources.finalLoss = { file: metricsFile, line: last.line, field: 'loss' };
      const caveat = unfinished ? ' — the run did not finish, so this is not an end-of-training loss' : '';
      report(
        doc,
        rootLine,
        'valLoss',
        `valLoss is missing; using the last validation loss in ${METRICS_FILE_NAME} (line ${last.line}, split "${last.point.split}"): ${last.point.loss}${caveat}`,
        'info',
        'derived',
      );
    } else if (!unfinished) {
      reportMissing(doc, rootLine, 'valLoss', `valLoss is missing (required when status is "complete") and ${METRICS_FILE_NAME} has no validation loss to take it from`);
    }
  }

  // Why a needed value is missing, in the user's terms: the run's status, a NaN, the key it lacks.
  const reasons: NonNullable<Run['reasons']> = {};
  const unusable = (key: string, as: string = key): string | undefined => {
    const node = child(root, key);
    if (!node) return undefined;
    const value = nodeValue(node);
    if (typeof value === 'number' && !Number.isFinite(value)) return `${as} is ${value}`;
    return value === null ? `${key} is null (JSON.stringify writes a NaN as null)` : `${key} is ${describeValue(value)}`;
  };
  if (params.value === undefined) reasons.params = unusable('params') ?? 'no params (N) in run.json';
  if (tokens.value === undefined) reasons.tokens = unusable('tokens') ?? 'no tokens (D) in run.json';
  // Two trainers wrote the folder at once: its losses (and which run the manifest describes) are
  // either one's, so the run is shown but not fitted.
  if (metrics?.conflict) {
    finalLoss = undefined;
    delete sources.finalLoss;
    reasons.finalLoss = `two trainers wrote ${METRICS_FILE_NAME} at once (line ${metrics.conflict.line})`;
  } else if (finalLoss === undefined) {
    reasons.finalLoss = valLoss.present
      ? (unusable('valLoss', 'loss') as string)
      : (said ?? `no valLoss in run.json${metrics ? ` and no validation loss in ${METRICS_FILE_NAME}` : ''}`);
  }

  const run: Omit<Run, 'missing'> = {
    id: runId(file, options.root !== undefined ? path.resolve(options.root) : path.dirname(runDir)),
    name: name.value ?? path.basename(runDir),
    format: PRECISION_PLANNER_FORMAT,
    file,
    ptq,
    sources,
    meta,
  };
  if (params.value !== undefined) run.params = params.value;
  if (tokens.value !== undefined) run.tokens = tokens.value;
  if (precision.value !== undefined) run.precision = precision.value;
  if (finalLoss !== undefined) run.finalLoss = finalLoss;
  if (metrics) run.curve = metrics.curve;
  if (landscape && landscape.length > 0) run.landscape = landscape;
  if (unfinished) run.unfinished = true;
  return { runs: [withMissing(run, reasons)], diagnostics, inputs: [metricsFile] };
}
