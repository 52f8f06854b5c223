// Config files beside foreign logs (W&B config.yaml, MLflow params, Lightning hparams.yaml) as
// located key/value entries, and the quantities the law needs found among them by alias: N, D,
// training precision and post-training quantization results. Every value keeps the file and
// line it came from, so the run can say where each number was read.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { type Node as JsonNode, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import { LineCounter, type Document, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { type AliasField, type AliasTable, normaliseKey } from './aliases';
import type { Diagnostic, Severity } from './diagnostics';
import { PRECISION_NAMES, parsePrecision, parseTrainingPrecision, precisionFromBits } from './precision';
import { parseQuantity } from './quantity';
import { DEFAULT_MAX_CURVE_POINTS, MAX_SPLITS, StrideDecimator, shareBudget, thin } from './readers/metricsJsonl';
import type { CurvePoint, PartPrecision, PtqEval, Run, SourceRef, TrainingPrecision } from './run';
import { BINARY_SNIFF_BYTES, binaryMessage, lineAt, lineStarts, sniffBinary } from './text';
import { describeValue, diagnostic } from './validate';

/** One value of a config, with where it was written. */
export interface ConfigEntry {
  /** Path of the value, nested keys joined with "." ("trainer.precision"); keys may themselves hold "/" or ".". */
  key: string;
  /** A scalar, or an array of scalars; nested objects become entries of their own. */
  value: unknown;
  file: string;
  /** 1-based line of the key. */
  line?: number;
}

export interface Found<T> {
  value: T;
  source: SourceRef;
}

/** The three factors of D when it is computed rather than read. */
export interface TokenProduct {
  steps: Found<number>;
  batchSize: Found<number>;
  seqLen: Found<number>;
}

export interface ConfigFacts {
  params?: Found<number>;
  tokens?: Found<number> & { product?: TokenProduct };
  precision?: Found<TrainingPrecision>;
  ptq: PtqEval[];
  diagnostics: Diagnostic[];
}

/** Puts the N, D and precision a config gave on the run, each with where it was found. */
export function applyFacts(run: Pick<Run, 'params' | 'tokens' | 'precision' | 'sources'>, facts: ConfigFacts): void {
  if (facts.params) [run.params, run.sources.params] = [facts.params.value, facts.params.source];
  if (facts.tokens) [run.tokens, run.sources.tokens] = [facts.tokens.value, facts.tokens.source];
  if (facts.precision) [run.precision, run.sources.precision] = [facts.precision.value, facts.precision.source];
}

/** Configs are kilobytes; a file this large is not one and is not loaded whole. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** A broken file yields an error per token; the first few say enough. */
const MAX_SYNTAX_DIAGNOSTICS = 10;
/** Bounds on what a pathological config can make the flattening hold. */
const MAX_ENTRIES = 20_000;
const MAX_DEPTH = 12;

// --- loading -----------------------------------------------------------------------------------

export interface TextLoad {
  text?: string;
  /** The file does not exist; no diagnostic was made for it. */
  absent?: boolean;
}

/**
 * Reads a small text file whole: size checked first, binary and UTF-16 content reported once
 * instead of parsed. An absent file is `{ absent: true }` with no diagnostic; the caller knows
 * whether its absence matters.
 */
export async function loadSmallText(file: string, diagnostics: Diagnostic[], options: { maxBytes?: number; severity?: Severity } = {}): Promise<TextLoad> {
  const name = path.basename(file);
  const severity = options.severity ?? 'warning';
  const maxBytes = options.maxBytes ?? MAX_CONFIG_BYTES;
  const fail = (message: string): TextLoad => {
    diagnostics.push(diagnostic(file, undefined, undefined, message, severity));
    return {};
  };
  let buffer: Buffer;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return fail(`${name} is not a regular file; not read`);
    if (stat.size > maxBytes) return fail(`${name} is ${(stat.size / 2 ** 20).toFixed(1)} MiB, too large for this kind of file; not read`);
    buffer = await fs.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return { absent: true };
    return fail(`cannot read ${name}: ${(e as Error).message}`);
  }
  const verdict = sniffBinary(buffer.subarray(0, BINARY_SNIFF_BYTES));
  if (verdict !== 'text') return fail(binaryMessage(verdict, name));
  const text = buffer.toString('utf8');
  // Blanking a BOM (rather than cutting it) keeps every offset, hence every line, right.
  return { text: text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text };
}

/** Sniffs the head of a file that is streamed rather than loaded. */
export async function sniffFile(file: string): Promise<ReturnType<typeof sniffBinary>> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(BINARY_SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return sniffBinary(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** Own, enumerable, and safe for any key (a config may hold "__proto__"). */
function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

class EntryCollector {
  readonly entries: ConfigEntry[] = [];
  truncated = false;

  add(entry: ConfigEntry): void {
    if (this.entries.length >= MAX_ENTRIES) this.truncated = true;
    else this.entries.push(entry);
  }

  visit(): boolean {
    return ++this.visits <= MAX_ENTRIES * 4;
  }

  private visits = 0;
}

// --- YAML --------------------------------------------------------------------------------------

export interface YamlConfig {
  entries: ConfigEntry[];
  /** The top level is a mapping (what every config here is); false for an empty file, a list or a scalar. */
  isMapping: boolean;
  /** Syntax errors were found: the entries are what the parser recovered around them. */
  recovered: boolean;
  /** Top-level keys with their values as plain data (for metadata such as MLflow's meta.yaml). */
  top: Record<string, unknown>;
  /** Lines of the top-level keys. */
  topLines: Record<string, number>;
}

export interface YamlOptions {
  /** W&B config.yaml wraps every top-level value as {desc, value}: read the value. */
  unwrapValue?: boolean;
  severity?: Severity;
}

/** "Map keys must be unique at line 3, column 1:\n\n…" → "map keys must be unique". */
function yamlErrorText(message: string): string {
  const first = message.split('\n')[0].replace(/ at line \d+, column \d+:?\s*$/, '').trim();
  return first.charAt(0).toLowerCase() + first.slice(1);
}

const WANDB_WRAPPER_KEYS = new Set(['desc', 'value']);

/** Parses YAML into entries, reporting syntax errors on their lines and reading what can be read. */
export function yamlEntries(text: string, file: string, diagnostics: Diagnostic[], options: YamlOptions = {}): YamlConfig {
  const severity = options.severity ?? 'warning';
  const lineCounter = new LineCounter();
  const result: YamlConfig = { entries: [], isMapping: false, recovered: false, top: {}, topLines: {} };
  let doc: Document.Parsed;
  try {
    // Duplicate keys are reported here, the first one read, as JSON configs are.
    doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: true, logLevel: 'error' });
  } catch (e) {
    diagnostics.push(diagnostic(file, undefined, undefined, `cannot parse ${path.basename(file)}: ${(e as Error).message}`, severity));
    return result;
  }
  const lineOf = (offset: number | undefined): number | undefined => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  for (const error of doc.errors.slice(0, MAX_SYNTAX_DIAGNOSTICS)) {
    diagnostics.push(diagnostic(file, error.linePos?.[0]?.line ?? lineOf(error.pos[0]), undefined, `syntax error: ${yamlErrorText(error.message)}`, severity));
  }
  if (doc.errors.length > MAX_SYNTAX_DIAGNOSTICS) {
    diagnostics.push(diagnostic(file, undefined, undefined, `${doc.errors.length - MAX_SYNTAX_DIAGNOSTICS} more syntax errors not listed`, severity));
  }
  result.recovered = doc.errors.length > 0;
  const collector = new EntryCollector();

  const resolve = (node: unknown): unknown => {
    try {
      return isAlias(node) ? node.resolve(doc) : node;
    } catch {
      return undefined;
    }
  };
  const plain = (node: unknown): unknown => {
    try {
      const n = resolve(node);
      return isScalar(n) || isMap(n) || isSeq(n) ? n.toJS(doc, { maxAliasCount: 1000 }) : undefined;
    } catch {
      return undefined;
    }
  };

  const walk = (node: unknown, prefix: string, depth: number, unwrap: boolean): void => {
    if (!isMap(node) || depth > MAX_DEPTH) return;
    const seen = new Set<string>();
    for (const pair of node.items) {
      // Aliases can make a small file a huge tree; the entry budget bounds the walk too.
      if (collector.truncated || !collector.visit()) {
        collector.truncated = true;
        return;
      }
      const keyNode = resolve(pair.key);
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') continue;
      const key = String(keyNode.value);
      const line = lineOf(keyNode.range?.[0]);
      const full = prefix ? `${prefix}.${key}` : key;
      if (seen.has(key)) {
        diagnostics.push(diagnostic(file, line, full, `duplicate key "${key}"; only the first is read`, 'warning'));
        continue;
      }
      seen.add(key);
      let value = resolve(pair.value);
      if (unwrap && isMap(value)) {
        const keys = value.items.map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
        if (keys.includes('value') && keys.every((k) => WANDB_WRAPPER_KEYS.has(k))) value = resolve(value.get('value', true));
      }
      if (depth === 0) {
        setKey(result.top, key, plain(value));
        if (line !== undefined) setKey(result.topLines, key, line);
      }
      if (isMap(value)) walk(value, full, depth + 1, false);
      else if (isSeq(value)) {
        const items = value.items.map(resolve);
        if (items.every(isScalar)) collector.add({ key: full, value: items.map((i) => (i as { value: unknown }).value), file, line });
      } else if (isScalar(value)) collector.add({ key: full, value: value.value, file, line });
      else if (value === null || value === undefined) collector.add({ key: full, value: null, file, line });
    }
  };

  const contents = resolve(doc.contents);
  result.isMapping = isMap(contents);
  walk(contents, '', 0, options.unwrapValue === true);
  if (collector.truncated) diagnostics.push(diagnostic(file, undefined, undefined, `more than ${MAX_ENTRIES} values; the rest are not read`, 'warning'));
  result.entries = collector.entries;
  return result;
}

// --- JSON --------------------------------------------------------------------------------------

export interface JsonConfig {
  root?: JsonNode;
  starts: number[];
  recovered: boolean;
}

/** Python's json writes NaN and ±Infinity bare; they become strings so the checks can name them. */
const BARE_NON_FINITE = /^-?(?:NaN|Infinity)/;

/** "CloseBraceExpected" → "close brace expected". */
function jsonErrorText(error: ParseError): string {
  if ((error.error as number) === NESTED_TOO_DEEP) return 'nested too deeply to read';
  return printParseErrorCode(error.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

const NESTED_TOO_DEEP = -1;

/** jsonc-parser recurses per nesting level: thousands of "[" exhaust the stack. */
function safeParseTree(text: string, errors: ParseError[]): JsonNode | undefined {
  try {
    return parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  } catch {
    errors.push({ error: NESTED_TOO_DEEP as never, offset: 0, length: 0 });
    return undefined;
  }
}

/**
 * Parses strict JSON with positions. Bare NaN and Infinity (not JSON, but what Python writes) are
 * read as the strings "NaN" and "Infinity"; quoting them keeps every line where it was.
 */
export function parseJsonWithLines(text: string, file: string, diagnostics: Diagnostic[], severity: Severity = 'warning'): JsonConfig {
  let errors: ParseError[] = [];
  let source = text;
  let root = safeParseTree(source, errors);
  const bare = errors.filter((e) => e.error === 1 /* InvalidSymbol */ && BARE_NON_FINITE.test(text.slice(e.offset, e.offset + 9)));
  if (bare.length > 0) {
    let out = '';
    let at = 0;
    for (const e of bare) {
      if (e.offset < at) continue;
      const word = BARE_NON_FINITE.exec(text.slice(e.offset))?.[0] ?? '';
      out += `${text.slice(at, e.offset)}"${word}"`;
      at = e.offset + word.length;
    }
    source = out + text.slice(at);
    errors = [];
    root = safeParseTree(source, errors);
  }
  const starts = lineStarts(source);
  for (const e of errors.slice(0, MAX_SYNTAX_DIAGNOSTICS)) {
    diagnostics.push(diagnostic(file, lineAt(starts, e.offset), undefined, `syntax error: ${jsonErrorText(e)}`, severity));
  }
  if (errors.length > MAX_SYNTAX_DIAGNOSTICS) {
    diagnostics.push(diagnostic(file, undefined, undefined, `${errors.length - MAX_SYNTAX_DIAGNOSTICS} more syntax errors not listed`, severity));
  }
  return { root, starts, recovered: errors.length > 0 };
}

/**
 * Entries of a JSON object, nested objects flattened. `skip` leaves out values that are not
 * settings (W&B's media and histogram objects, its internal keys).
 */
export function jsonEntries(json: JsonConfig, file: string, skip: (key: string, node: JsonNode) => boolean = () => false): ConfigEntry[] {
  const collector = new EntryCollector();
  const walk = (node: JsonNode, prefix: string, depth: number): void => {
    if (node.type !== 'object' || depth > MAX_DEPTH) return;
    const seen = new Set<string>();
    for (const property of node.children ?? []) {
      const [keyNode, valueNode] = property.children ?? [];
      if (!keyNode || typeof keyNode.value !== 'string' || !valueNode) continue;
      const key: string = keyNode.value;
      if (seen.has(key)) continue;
      seen.add(key);
      const full = prefix ? `${prefix}.${key}` : key;
      if (skip(full, valueNode)) continue;
      const line = lineAt(json.starts, keyNode.offset);
      if (valueNode.type === 'object') walk(valueNode, full, depth + 1);
      else if (valueNode.type === 'array') {
        const items = valueNode.children ?? [];
        if (items.every((i) => i.type !== 'object' && i.type !== 'array')) collector.add({ key: full, value: items.map((i) => i.value as unknown), file, line });
      } else collector.add({ key: full, value: valueNode.value as unknown, file, line });
    }
  };
  if (json.root) walk(json.root, '', 0);
  return collector.entries;
}

/** The value of a JSON object's key, or undefined. */
export function jsonChild(node: JsonNode | undefined, key: string): JsonNode | undefined {
  if (!node || node.type !== 'object') return undefined;
  for (const property of node.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    if (keyNode?.value === key) return valueNode;
  }
  return undefined;
}

// --- finding keys ------------------------------------------------------------------------------

const SEPARATORS = /[./]/;
const leafOf = (key: string): string => key.split(SEPARATORS).pop() ?? key;
const depthOf = (key: string): number => key.split(SEPARATORS).length - 1;

/** Entries indexed by their normalised full key and by their normalised last segment. */
export class EntryIndex {
  private readonly byFull = new Map<string, ConfigEntry[]>();
  private readonly byLeaf = new Map<string, ConfigEntry[]>();

  constructor(readonly entries: readonly ConfigEntry[]) {
    for (const entry of entries) {
      push(this.byFull, normaliseKey(entry.key), entry);
      if (depthOf(entry.key) > 0) push(this.byLeaf, normaliseKey(leafOf(entry.key)), entry);
    }
  }

  /**
   * Entries named by any of `names`, best first: by the name's place in the list, then a
   * whole-key match before a match on the last segment ("model.n_params"), shallower before
   * deeper, then file order. One-letter names ("N", "D") match whole keys only: as the last
   * segment of a nested key they are too often something else.
   */
  find(names: readonly string[]): ConfigEntry[] {
    const out: ConfigEntry[] = [];
    const seen = new Set<ConfigEntry>();
    for (const name of names) {
      const norm = normaliseKey(name);
      if (!norm) continue;
      const leaf = norm.length > 1 ? [...(this.byLeaf.get(norm) ?? [])].sort((a, b) => depthOf(a.key) - depthOf(b.key)) : [];
      for (const entry of [...(this.byFull.get(norm) ?? []), ...leaf]) {
        if (!seen.has(entry)) {
          seen.add(entry);
          out.push(entry);
        }
      }
    }
    return out;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const sourceOf = (entry: ConfigEntry): SourceRef => {
  const ref: SourceRef = { file: entry.file, field: entry.key };
  if (entry.line !== undefined) ref.line = entry.line;
  return ref;
};

/** A count written as a number or as text ("124M", "1.3e9", "1,000,000"); undefined when it is not one. */
export function countOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  if (typeof value === 'string') return parseQuantity(value);
  return undefined;
}

/** A number written as a number or as text, as Python writes it ("nan", "inf" included). */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const t = value.trim().toLowerCase();
  if (t === 'nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  const n = Number(t);
  return Number.isNaN(n) ? undefined : n;
}

/** describeValue, except that non-finite numbers, bare or as Python writes them ("nan", "NaN"), read as NaN and Infinity. */
export function describeNumber(value: unknown): string {
  const n = numberOf(value);
  return n !== undefined && !Number.isFinite(n) ? String(n) : describeValue(value);
}

// torch's hparams() writes Python booleans as 1/0, so `bf16: True` can arrive as the number 1.
const isTrue = (value: unknown): boolean => value === true || value === 1 || (typeof value === 'string' && /^\s*(true|1)\s*$/i.test(value));

// Lightning's Trainer(precision=...) spellings: "bf16-mixed" trains with bf16 matmuls over fp32
// master weights, which is bf16 in the law's sense (the precision the forward pass computes in).
const LIGHTNING_PRECISION = /^(bf16|16|32|64)(?:-(?:mixed|true))?$/;
const LIGHTNING_NAMES: Record<string, string> = { bf16: 'bf16', '16': 'fp16', '32': 'fp32', '64': 'fp64' };

/**
 * A training precision from a config value: the shared vocabulary (bf16, int8, w4a8, …) plus
 * the framework spellings: Lightning's "bf16-mixed", "16-mixed", "32-true", "transformer-engine"
 * and its numeric 16/32/64, HF's torch dtypes ("torch.bfloat16").
 */
export function parseConfigPrecision(value: unknown): TrainingPrecision | undefined {
  if (typeof value === 'number') {
    const named = LIGHTNING_NAMES[String(value)];
    return parseTrainingPrecision(named ?? value);
  }
  if (typeof value !== 'string') return undefined;
  const t = value.trim().toLowerCase();
  const lightning = LIGHTNING_PRECISION.exec(t);
  if (lightning) return parseTrainingPrecision(LIGHTNING_NAMES[lightning[1]]);
  // Transformer Engine runs the linear layers' weights and inputs in FP8 (E4M3 forward) and keeps
  // everything else, attention's K/V included, in the weights dtype: bf16, or fp16 for the
  // "-float16" variant.
  if (t === 'transformer-engine' || t === 'transformer-engine-float16') {
    const rest = PRECISION_NAMES[t.endsWith('float16') ? 'fp16' : 'bf16'];
    return { w: PRECISION_NAMES.e4m3, a: PRECISION_NAMES.e4m3, kv: rest };
  }
  return parseTrainingPrecision(t);
}

/** Bits of one part: 8, "8", "int8", "fp8_e4m3". */
function partOf(value: unknown): PartPrecision | undefined {
  if (typeof value === 'number') return precisionFromBits(value);
  if (typeof value === 'string' && value.trim() !== '') return parsePrecision(value);
  return undefined;
}

// Flags that set the precision without a precision key: HF TrainingArguments' bf16/fp16
// booleans and Accelerate's mixed_precision ("no" is fp32 there).
const FLAG_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['bf16', 'bf16'],
  ['fp16', 'fp16'],
];
const MIXED_PRECISION_KEYS = ['mixed_precision'];
const PTQ_METHOD_KEYS = ['ptq_method', 'quant_method', 'quantization_method'];
const PTQ_GROUP_KEYS = ['ptq_group_size', 'quant_group_size', 'group_size'];

export interface FactsOptions {
  /** File named by the diagnostics about absent fields (the run's main config, or its entry file). */
  file: string;
  /** What was searched, for those diagnostics ("hparams.yaml and metrics.csv"). */
  where: string;
}

const FIELD_WORDS: Partial<Record<AliasField, string>> = {
  params: 'params (N, the non-embedding parameter count)',
  tokens: 'tokens (D, the number of training tokens)',
};

function aliasList(aliases: AliasTable, field: AliasField, count = 4): string {
  const names = aliases[field];
  return names.slice(0, count).join(', ') + (names.length > count ? ', …' : '');
}

/**
 * N, D, training precision and PTQ results among config entries, each with its source. Values
 * that are present but unusable are reported as warnings and skipped; absent fields get one
 * diagnostic each saying what would provide them.
 */
export function findConfigFacts(entries: readonly ConfigEntry[], aliases: AliasTable, options: FactsOptions): ConfigFacts {
  const index = new EntryIndex(entries);
  const diagnostics: Diagnostic[] = [];
  const facts: ConfigFacts = { ptq: [], diagnostics };
  const warn = (entry: ConfigEntry, message: string, severity: Severity = 'warning'): void => {
    diagnostics.push(diagnostic(entry.file, entry.line, entry.key, message, severity));
  };

  // N and D: the first candidate with a usable count.
  const firstCount = (field: 'params' | 'tokens'): Found<number> | undefined => {
    for (const entry of index.find(aliases[field])) {
      const value = countOf(entry.value);
      if (value !== undefined) return { value, source: sourceOf(entry) };
      if (entry.value === null || typeof entry.value === 'boolean') continue;
      warn(entry, `${entry.key} is ${describeValue(entry.value)}, not a usable ${field === 'params' ? 'parameter count' : 'token count'}; ignored`);
    }
    return undefined;
  };
  facts.params = firstCount('params');
  const tokens = firstCount('tokens');

  // The factors of D: unset values (-1, null, 0) are common defaults and not worth a word.
  const factor = (field: 'steps' | 'batchSize' | 'seqLen'): Found<number> | undefined => {
    for (const entry of index.find(aliases[field])) {
      const value = countOf(entry.value);
      if (value !== undefined) return { value, source: sourceOf(entry) };
    }
    return undefined;
  };
  const steps = factor('steps');
  const batchSize = factor('batchSize');
  const seqLen = factor('seqLen');
  if (tokens) facts.tokens = tokens;
  else if (steps && batchSize && seqLen) {
    const value = steps.value * batchSize.value * seqLen.value;
    if (Number.isFinite(value) && value > 0) {
      facts.tokens = { value, source: { ...steps.source, field: `${steps.source.field} × ${batchSize.source.field} × ${seqLen.source.field}` }, product: { steps, batchSize, seqLen } };
      const factors = [steps, batchSize, seqLen];
      diagnostics.push(
        diagnostic(
          steps.source.file,
          steps.source.line,
          'tokens',
          `tokens (D) not given; computed as ${factors.map((f) => f.source.field).join(' × ')} = ${factors.map((f) => f.value).join(' × ')} = ${value} (from ${factors.map((f) => describeSource(f.source)).join(', ')}), taking the batch size as sequences per optimizer step over all devices`,
          'info',
        ),
      );
    }
  }

  const precision = findPrecision(index, aliases, warn, diagnostics);
  if (precision.found) facts.precision = precision.found;
  facts.ptq = findPtq(index, aliases, warn);

  if (!facts.params) {
    diagnostics.push(diagnostic(options.file, undefined, 'params', `${FIELD_WORDS.params} not found in ${options.where}; log it as ${aliasList(aliases, 'params')} or add your key to the params aliases`, 'warning'));
  }
  if (!facts.tokens) {
    const have = [
      ['steps', steps],
      ['batch size', batchSize],
      ['sequence length', seqLen],
    ]
      .filter(([, f]) => f)
      .map(([name]) => name);
    const partial = have.length > 0 ? ` (found ${have.join(' and ')}, but not all three)` : '';
    diagnostics.push(
      diagnostic(
        options.file,
        undefined,
        'tokens',
        `${FIELD_WORDS.tokens} not found in ${options.where}, nor steps, batch size and sequence length to compute it from${partial}; log it as ${aliasList(aliases, 'tokens')} or add your key to the tokens aliases`,
        'warning',
      ),
    );
  }
  // Bits without the rest already had their own message.
  if (!facts.precision && !precision.partial) {
    diagnostics.push(
      diagnostic(
        options.file,
        undefined,
        'precision',
        `training precision not found in ${options.where}; log it as ${aliasList(aliases, 'precision')} (bf16, 16-mixed, int8, w4a8kv4, …) or as weight, activation and kv bits`,
        'warning',
      ),
    );
  }
  return facts;
}

/** "hparams.yaml line 4"; a file that holds just the one value (an MLflow param) by its folder and name: "params/max_steps". */
export function describeSource(source: SourceRef): string {
  const base = path.basename(source.file);
  if (source.field !== undefined && base === leafOf(source.field)) return `${path.basename(path.dirname(source.file))}/${base}`;
  return `${base}${source.line !== undefined ? ` line ${source.line}` : ''}`;
}

type Warn = (entry: ConfigEntry, message: string, severity?: Severity) => void;

function findPrecision(index: EntryIndex, aliases: AliasTable, warn: Warn, diagnostics: Diagnostic[]): { found?: Found<TrainingPrecision>; partial?: boolean } {
  let base: Found<TrainingPrecision> | undefined;
  for (const entry of index.find(aliases.precision)) {
    // false/null ("quant: false", "dtype: null") say nothing about the precision.
    if (entry.value === null || typeof entry.value === 'boolean' || Array.isArray(entry.value)) continue;
    const value = parseConfigPrecision(entry.value);
    if (value) {
      base = { value, source: sourceOf(entry) };
      break;
    }
    warn(entry, `${entry.key} is ${describeValue(entry.value)}, not a precision this reader knows (bf16, fp16, fp32, int8, w4a8, 16-mixed, bf16-mixed, …); ignored`);
  }
  if (!base) {
    for (const [key, name] of FLAG_KEYS) {
      const entry = index.find([key]).find((e) => isTrue(e.value));
      if (entry) {
        base = { value: parseTrainingPrecision(name) as TrainingPrecision, source: sourceOf(entry) };
        break;
      }
    }
  }
  if (!base) {
    for (const entry of index.find(MIXED_PRECISION_KEYS)) {
      if (typeof entry.value !== 'string') continue;
      const value = entry.value.trim().toLowerCase() === 'no' ? parseTrainingPrecision('fp32') : parseConfigPrecision(entry.value);
      if (value) {
        base = { value, source: sourceOf(entry) };
        break;
      }
    }
  }

  // Explicit bits override the matching part of a named precision.
  const part = (field: 'weightBits' | 'actBits' | 'kvBits'): Found<PartPrecision> | undefined => {
    for (const entry of index.find(aliases[field])) {
      if (entry.value === null || typeof entry.value === 'boolean') continue;
      const value = partOf(entry.value);
      if (value) return { value, source: sourceOf(entry) };
      warn(entry, `${entry.key} is ${describeValue(entry.value)}, not a number of bits (1 to 64) or a format name; ignored`);
    }
    return undefined;
  };
  const w = part('weightBits');
  const a = part('actBits');
  const kv = part('kvBits');
  if (!w && !a && !kv) return { found: base };
  const parts = [w, a, kv].filter((p): p is Found<PartPrecision> => p !== undefined);
  const fields = parts.map((p) => p.source.field).join(', ');
  if (base) {
    const value = { w: w?.value ?? base.value.w, a: a?.value ?? base.value.a, kv: kv?.value ?? base.value.kv };
    return { found: { value, source: { ...parts[0].source, field: `${base.source.field}, ${fields}` } } };
  }
  // Without a named precision the KV cache follows the activations, as in parseTrainingPrecision.
  if (w && a) return { found: { value: { w: w.value, a: a.value, kv: (kv ?? a).value }, source: { ...w.source, field: fields } } };
  const first = parts[0];
  const lacking = [!w && 'weight', !a && 'activation'].filter(Boolean).join(' and ');
  diagnostics.push(
    diagnostic(
      first.source.file,
      first.source.line,
      first.source.field,
      `${fields} found (${parts.map((p) => describeSource(p.source)).join(', ')}) but no ${lacking} bits and no precision key; the training precision is incomplete`,
      'warning',
    ),
  );
  return { partial: true };
}

function findPtq(index: EntryIndex, aliases: AliasTable, warn: Warn): PtqEval[] {
  const bitsEntry = index.find(aliases.postBits).find((e) => e.value !== null && typeof e.value !== 'boolean');
  const lossEntry = index.find(aliases.postLoss).find((e) => e.value !== null && typeof e.value !== 'boolean');
  if (!bitsEntry && !lossEntry) return [];
  if (!bitsEntry || !lossEntry) {
    const [have, lack] = bitsEntry ? [bitsEntry, `a loss after quantization (${aliases.postLoss.slice(0, 3).join(', ')}, …)`] : [lossEntry as ConfigEntry, `the bits it was quantized to (${aliases.postBits.slice(0, 3).join(', ')}, …)`];
    warn(have, `${have.key} found but not ${lack}; no post-training quantization result recorded`);
    return [];
  }
  const bitsList = Array.isArray(bitsEntry.value) ? bitsEntry.value : [bitsEntry.value];
  const lossList = Array.isArray(lossEntry.value) ? lossEntry.value : [lossEntry.value];
  if (bitsList.length !== lossList.length) {
    warn(lossEntry, `${bitsEntry.key} has ${bitsList.length} value(s) and ${lossEntry.key} ${lossList.length}; they cannot be paired, no post-training quantization result recorded`);
    return [];
  }
  const methodEntry = index.find(PTQ_METHOD_KEYS).find((e) => typeof e.value === 'string' && e.value.trim() !== '');
  const groupEntry = index.find(PTQ_GROUP_KEYS).find((e) => typeof countOf(e.value) === 'number' && Number.isInteger(countOf(e.value)));
  const out: PtqEval[] = [];
  bitsList.forEach((rawBits, i) => {
    const at = bitsList.length > 1 ? `[${i}]` : '';
    const part = partOf(rawBits);
    if (!part) {
      warn(bitsEntry, `${bitsEntry.key}${at} is ${describeValue(rawBits)}, not a number of bits (1 to 64) or a format name; that result is left out`);
      return;
    }
    const loss = numberOf(lossList[i]);
    if (loss === undefined || !Number.isFinite(loss) || loss <= 0) {
      warn(lossEntry, `${lossEntry.key}${at} is ${describeNumber(lossList[i])}, not a positive finite loss; that result is left out`);
      return;
    }
    const evaluation: PtqEval = {
      bits: part.bits,
      type: part.type,
      format: part.name ?? part.type,
      method: methodEntry ? String(methodEntry.value).trim() : 'rtn',
      loss,
      source: { ...sourceOf(lossEntry), field: `${lossEntry.key}${at}` },
    };
    if (groupEntry) evaluation.groupSize = countOf(groupEntry.value) as number;
    out.push(evaluation);
  });
  return out;
}

/** The run's name from a top-level name key, when a config has one. */
export function findName(entries: readonly ConfigEntry[], aliases: AliasTable): string | undefined {
  for (const alias of aliases.name) {
    const norm = normaliseKey(alias);
    const entry = entries.find((e) => depthOf(e.key) === 0 && normaliseKey(e.key) === norm && typeof e.value === 'string' && e.value.trim() !== '');
    if (entry) return String(entry.value).trim();
  }
  return undefined;
}

// --- loss curves by metric name ----------------------------------------------------------------

/** Names training losses go by, best first; validation losses are found through the loss aliases. */
export const TRAIN_LOSS_NAMES: readonly string[] = ['train_loss', 'train/loss', 'training_loss', 'train_loss_step', 'train/loss_step', 'train_loss_epoch', 'loss'];

/** The split a metric name stands for: "val/loss" → "val", "eval_loss" → "eval", "loss" → "train". */
export function splitOf(key: string): string {
  const k = key.toLowerCase();
  if (k.includes('train')) return 'train';
  if (k.includes('eval')) return 'eval';
  if (k.includes('val')) return 'val';
  if (k.includes('test')) return 'test';
  return 'train';
}

/** Which logged names hold the validation loss (the final loss) and the training loss. */
export function lossKeys(keys: readonly string[], aliases: AliasTable): { val?: string; train?: string } {
  const byNorm = new Map<string, string>();
  for (const key of keys) if (!byNorm.has(normaliseKey(key))) byNorm.set(normaliseKey(key), key);
  let val: string | undefined;
  for (const alias of aliases.loss) {
    val = byNorm.get(normaliseKey(alias));
    if (val !== undefined) break;
  }
  let train: string | undefined;
  for (const name of TRAIN_LOSS_NAMES) {
    const key = byNorm.get(normaliseKey(name));
    if (key !== undefined && key !== val) {
      train = key;
      break;
    }
  }
  return { val, train };
}

/** Could this name be a loss either lossKeys would pick? Cheap, for deciding what to keep while streaming. */
export function lossNameFilter(aliases: AliasTable): (key: string) => boolean {
  const names = new Set([...aliases.loss, ...TRAIN_LOSS_NAMES].map(normaliseKey));
  return (key) => names.has(normaliseKey(key));
}

export interface LocatedValue {
  step: number;
  value: number;
  tokens?: number;
  /** 1-based line in `file`. */
  line: number;
  file: string;
}

/** Points of several metrics as they stream by, each thinned to a bounded curve, the last kept whole. */
export class KeyedCurves {
  private readonly series = new Map<string, StrideDecimator<LocatedValue>>();
  private readonly lastOf = new Map<string, LocatedValue>();

  constructor(private readonly maxPoints = DEFAULT_MAX_CURVE_POINTS) {}

  add(key: string, point: LocatedValue): void {
    let series = this.series.get(key);
    if (!series) {
      if (this.series.size >= MAX_SPLITS) return;
      series = new StrideDecimator<LocatedValue>(this.maxPoints);
      this.series.set(key, series);
    }
    series.push(point);
    this.lastOf.set(key, point);
  }

  /** The last finite value of a metric (NaN and ±Infinity are never added). */
  last(key: string): LocatedValue | undefined {
    return this.lastOf.get(key);
  }

  keys(): string[] {
    return [...this.series.keys()];
  }

  /** One curve of the named metrics, each under its split, in step order, within the point budget. */
  curve(keys: ReadonlyArray<string | undefined>): CurvePoint[] {
    const chosen = keys.filter((k): k is string => k !== undefined && this.series.has(k));
    const groups = chosen.map((k) => (this.series.get(k) as StrideDecimator<LocatedValue>).result());
    const shares = shareBudget(
      groups.map((g) => g.length),
      this.maxPoints,
    );
    return chosen
      .flatMap((key, i) =>
        thin(groups[i], shares[i]).map((p) => {
          const point: CurvePoint = { step: p.step, split: splitOf(key), loss: p.value };
          if (p.tokens !== undefined) point.tokens = p.tokens;
          return point;
        }),
      )
      .sort((a, b) => a.step - b.step);
  }
}
