// The columns of a results table: which one holds N, D, the loss, the training compute, the
// step of a checkpoint row; what unit a column's name puts on its bare numbers; and which values
// are too odd to be what their column claims. Shared by the sweep-table reader and the W&B
// export reader, pure functions only.
//
// Column choice, for the fields where a table often has several candidates:
// - N: the user's aliases, then columns that say they count non-embedding parameters
//   (non_embedding_parameters, N_no_emb, params_nonemb), then the built-in aliases in their
//   order. A generic size column (model_size, parameters) never beats an explicit
//   non-embedding one.
// - loss: the user's aliases, then the built-in validation names (val_loss, eval_loss, …), then
//   any column that says it is an evaluation loss ("C4 Eval Loss", eval/paloma/macro_loss,
//   eval/c4_en-validation/CrossEntropyLoss), and only then a bare "loss" or "final_loss". A
//   training loss is never taken; W&B exports never take a bare "loss" either (it is what
//   training scripts log as the training loss there).
// - names with a unit ("params_M", "tokens (B)", "Model Size (in Million)", "C (FLOPs)",
//   "compute (PF-days)") are matched by the name without it, and the unit scales bare numbers.

import { type AliasField, type AliasTable, DEFAULT_ALIASES, matchKeys, normaliseKey } from '../aliases';
import type { Diagnostic, DiagnosticCode, Severity } from '../diagnostics';
import { parsePrecision } from '../precision';
import { DECIMAL_NUMBER, formatCount, nameScale, parseQuantity } from '../quantity';
import type { PartPrecision, Run, RunField } from '../run';
import { MAX_PLAUSIBLE_LOSS, MIN_TOKENS_PER_PARAM, describeValue, diagnostic } from '../validate';

export const SWEEP_TABLE_FORMAT = 'sweep-table';

// ---------------------------------------------------------------------------------------------
// Wide-layout PTQ columns

const LOSS_WORD = String.raw`(?:(?:val(?:id(?:ation)?)?|eval|test)[-_ /]?)?loss`;
const BIT_SPEC = String.raw`(?:(ptq|post|quant(?:ized)?)[-_ ]?)?(int|fp|nf|w|q)?(\d{1,2})(?:[-_ ]?(bits?|b))?`;
const LOSS_FIRST = new RegExp(String.raw`^${LOSS_WORD}(?:[-_ /]|(@))${BIT_SPEC}$`);
const SPEC_FIRST = new RegExp(String.raw`^${BIT_SPEC}[-_ /]${LOSS_WORD}$`);

/**
 * The post-training precision a wide-layout loss column holds, or undefined. The column must say
 * it is about quantization (ptq/post/quant, a number type, "bit" or "@"): "loss_4" is not enough.
 */
export function wideColumnPrecision(column: string): PartPrecision | undefined {
  const c = column.trim().toLowerCase();
  const lossFirst = LOSS_FIRST.exec(c);
  const m = lossFirst ?? SPEC_FIRST.exec(c);
  if (!m) return undefined;
  const [at, marker, type, digits, bitWord] = lossFirst ? m.slice(1) : [undefined, ...m.slice(1)];
  // "w4_loss" alone could as well be the loss of a run trained with 4-bit weights.
  const marked = marker !== undefined || bitWord !== undefined || at !== undefined || (type !== undefined && (lossFirst !== null || type !== 'w'));
  const bits = Number(digits);
  if (!marked || bits < 1 || bits >= 16) return undefined;
  if (type === 'fp' || type === 'nf') return parsePrecision(`${type}${bits}`) ?? { bits, type: 'fp', name: `${type}${bits}` };
  return { bits, type: 'int' };
}

// ---------------------------------------------------------------------------------------------
// Units in column names

// What nameScale (src/runs/quantity.ts) reads as a scale, with the separator before it, so the
// name can be matched without it: "params_M" → "params", "tokens (B)" → "tokens".
const SCALE_SUFFIX = /(?:^|[\s_([/-]+)(?:in\s+)?(?:thousands?|k|millions?|mio|mn|m|billions?|bn|b|g|trillions?|tn|t|1e\+?\d{1,2})\s*[)\]]?$/i;
// A bracketed unit word says what is counted, not how much: "C (FLOPs)", "D (tokens)".
const UNIT_WORD_BRACKET = /\s*[([]\s*(?:flops?|flop\/s|tokens?|params?|parameters?)\s*[)\]]\s*$/i;
/** One petaflop/s-day (Kaplan et al.'s unit of compute) in FLOPs. */
export const PF_DAY = 1e15 * 86400;
const PF_DAYS = /(?:^|[\s_([/-]+)(?:pf-?s?[-_ ]?days?|petaflop(?:\/s)?[-_ ]?days?)\s*[)\]]?$/i;

/** A column name longer than this is not read for a unit ("params (M)" is a dozen characters). */
const MAX_UNIT_NAME_CHARS = 128;

/** A column name without its unit, and the scale the unit puts on bare numbers. */
export function splitUnit(name: string): { base: string; scale?: number } {
  const trimmed = name.trim();
  // The suffix patterns try every separator as the unit's start: bounded names keep that cheap.
  if (trimmed.length > MAX_UNIT_NAME_CHARS) return { base: trimmed };
  if (PF_DAYS.test(trimmed)) {
    const base = trimmed.replace(PF_DAYS, '').trim();
    return { base: base || trimmed, scale: PF_DAY };
  }
  const base = trimmed.replace(UNIT_WORD_BRACKET, '').trim() || trimmed;
  const scale = nameScale(base);
  if (scale === undefined) return { base };
  const stripped = base.replace(SCALE_SUFFIX, '').trim();
  // A column named just "M" or "B" is not a scaled anything.
  return stripped ? { base: stripped, scale } : { base };
}

// ---------------------------------------------------------------------------------------------
// Column choice

/** Columns that group runs (a sweep, an experiment of many runs): never a run's name. */
export const GROUP_COLUMNS: ReadonlySet<string> = new Set(['experiment', 'exp', 'group', 'groupname', 'sweep', 'sweepid', 'sweepname', 'project', 'family', 'series', 'suite'].map(normaliseKey));
/** Columns that say how far a run had got when a row was written: its checkpoint rows differ here. */
const PROGRESS_COLUMNS = ['step', 'global_step', 'trainer/global_step', 'iter', 'iteration', 'it', 'current_step', 'current_steps', 'checkpoint_step', 'ckpt_step'].map(normaliseKey);
/** Columns that make a table a per-step training log of one run rather than a sweep. */
const LOG_STEP_COLUMNS = ['step', 'global_step', 'trainer/global_step', 'iter', 'iteration', 'epoch'].map(normaliseKey);
const METHOD_COLUMNS = ['ptq_method', 'quant_method', 'quantization_method', 'quantizer', 'method'].map(normaliseKey);
const GROUP_SIZE_COLUMNS = ['group_size', 'groupsize', 'ptq_group_size', 'quant_group_size', 'q_group_size'].map(normaliseKey);

// Training compute C: "C", "FLOPs", "train_flops", "Training FLOP", "compute", "compute_budget",
// "flops_budget", Levanter's "throughput/total_gflops" (a metric prefix scales it), the HF
// Trainer's "total_flos" (its 6 × tokens × non-embedding parameters estimate).
const FLOP_NAME = /^(?:c|compute|computebudget|(?:train(?:ing)?|total)compute|(?:train(?:ing)?|total|model|compute)?([gtpe])?flo(?:p?s|p)(?:budget)?|pfs?days?|petaflops?days?)$/;
const FLOP_PREFIX: Readonly<Record<string, number>> = { g: 1e9, t: 1e12, p: 1e15, e: 1e18 };

/** The scale a training-compute column name says, or undefined when the name is not one. */
export function flopColumnScale(column: string): number | undefined {
  const { base, scale } = splitUnit(column);
  const leaf = base.split('/').pop() ?? base;
  const m = FLOP_NAME.exec(normaliseKey(leaf));
  if (!m) return undefined;
  return (scale ?? 1) * (m[1] ? FLOP_PREFIX[m[1]] : 1);
}

// Words that mark a non-embedding parameter count, and what is left must be a parameter count.
const NON_EMBEDDING = /non?-?emb(?:edding)?s?|(?:excluding|without|ex)-?emb(?:edding)?s?/;

function isNonEmbeddingParams(base: string, aliases: AliasTable): boolean {
  const norm = normaliseKey(base);
  if (!NON_EMBEDDING.test(norm)) return false;
  const rest = norm.replace(NON_EMBEDDING, '');
  return rest.includes('param') || aliases.params.some((a) => normaliseKey(a) === rest);
}

const EVAL_WORDS = new Set(['eval', 'evaluation', 'val', 'valid', 'validation', 'test', 'heldout', 'dev']);
// A loss that is not one run's end-of-training validation loss: training, quantized, a spread.
const NOT_FINAL_LOSS_WORDS = new Set(['train', 'training', 'ptq', 'post', 'quant', 'quantized', 'std', 'stderr', 'var', 'min', 'max', 'delta', 'diff', 'gap', 'ratio']);
/** Loss aliases that say nothing about the split: a last resort in plain tables, never in W&B exports. */
const GENERIC_LOSS = new Set(['loss', 'finalloss']);

const words = (column: string): string[] => column.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== '');

/** Does the name say it is an evaluation loss ("C4 Eval Loss", eval/paloma/macro_loss)? */
export function isEvalLossName(column: string): boolean {
  const w = words(column);
  return w.some((x) => EVAL_WORDS.has(x)) && w.some((x) => x.endsWith('loss')) && !w.some((x) => NOT_FINAL_LOSS_WORDS.has(x));
}

const isTrainName = (column: string): boolean => words(column).some((w) => w === 'train' || w === 'training' || w.startsWith('train'));

/** Alias names the user added in front of the built-in ones: those come first whatever the tier. */
function userAliases(aliases: AliasTable, field: AliasField): string[] {
  const builtIn = new Set(DEFAULT_ALIASES[field].map(normaliseKey));
  return aliases[field].filter((a) => !builtIn.has(normaliseKey(a)));
}

interface Candidate {
  column: string;
  base: string;
  scale?: number;
}

/** The first candidate, in list order, named by any of `names` (tried in their order). */
function byAlias(candidates: readonly Candidate[], names: readonly string[]): Candidate | undefined {
  for (const name of names) {
    const norm = normaliseKey(name);
    const hit = candidates.find((c) => normaliseKey(c.base) === norm);
    if (hit) return hit;
  }
  return undefined;
}

function chooseCount(field: 'params' | 'tokens', candidates: readonly Candidate[], aliases: AliasTable): Candidate | undefined {
  const user = byAlias(candidates, userAliases(aliases, field));
  if (user) return user;
  if (field === 'params') {
    const nonEmbedding = candidates.find((c) => isNonEmbeddingParams(c.base, aliases));
    if (nonEmbedding) return nonEmbedding;
  }
  return byAlias(candidates, aliases[field]);
}

/**
 * Loss columns best first: the user's aliases, the built-in validation names, columns named as
 * an evaluation loss (fewer path segments first: the macro average before one data set), then,
 * unless `evalOnly`, a bare "loss"/"final_loss". Training losses never.
 */
export function lossColumns(keys: readonly string[], aliases: AliasTable, evalOnly = false): string[] {
  const candidates = keys.filter((k) => !isTrainName(k)).map((column) => ({ column, base: column }));
  const out: string[] = [];
  const push = (c: string | undefined) => {
    if (c !== undefined && !out.includes(c)) out.push(c);
  };
  for (const name of userAliases(aliases, 'loss')) push(byAlias(candidates, [name])?.column);
  for (const name of aliases.loss.filter((a) => !GENERIC_LOSS.has(normaliseKey(a)))) push(byAlias(candidates, [name])?.column);
  const segments = (k: string) => k.split(/[/.]/).length;
  candidates
    .map((c) => c.column)
    .filter(isEvalLossName)
    .sort((a, b) => segments(a) - segments(b))
    .forEach(push);
  if (!evalOnly) for (const name of aliases.loss.filter((a) => GENERIC_LOSS.has(normaliseKey(a)))) push(byAlias(candidates, [name])?.column);
  return out;
}

/** Where each quantity is in a table (or in one JSON row). */
export interface TableLayout {
  columns: Partial<Record<AliasField, string>>;
  wide: ReadonlyArray<{ column: string; precision: PartPrecision }>;
  /** PTQ method ("rtn", "gptq") and group size, when the table has such columns. */
  method?: string;
  groupSize?: string;
  /** The scale a column's name puts on its bare numbers ("params_M" → 1e6). */
  scales: Partial<Record<'params' | 'tokens' | 'flops', number>>;
  /** Training compute C, for D = C / (6N) on rows without a token count. */
  flops?: string;
  /** The step of a checkpoint row: rows of one run that differ only here are its loss curve. */
  progress?: string;
  /** A column that groups runs (experiment, sweep): shown in names, never a run's id. */
  group?: string;
}

/**
 * The layout of a table with these column names, or undefined when it is not a sweep table: it
 * needs a loss (end-of-training, long-layout PTQ or wide PTQ columns) and N or D. With
 * `asTable` false (one JSON row of a table already recognised) any known column will do.
 */
export function tableLayout(keys: readonly string[], aliases: AliasTable = DEFAULT_ALIASES, asTable = true): TableLayout | undefined {
  const named = keys.filter((k) => typeof k === 'string' && k.trim() !== '');
  const wide = named.flatMap((column) => {
    const precision = wideColumnPrecision(column);
    return precision ? [{ column, precision }] : [];
  });
  const wideNames = new Set(wide.map((w) => w.column));
  const rest = named.filter((k) => !wideNames.has(k));

  const taken = new Set<string>();
  const loss = lossColumns(rest, aliases)[0];
  if (loss !== undefined) taken.add(loss);
  const candidates = (): Candidate[] => rest.filter((k) => !taken.has(k)).map((column) => ({ column, ...splitUnit(column) }));
  const params = chooseCount('params', candidates(), aliases);
  if (params) taken.add(params.column);
  const tokens = chooseCount('tokens', candidates(), aliases);
  if (tokens) taken.add(tokens.column);
  const flops = rest.find((k) => !taken.has(k) && flopColumnScale(k) !== undefined);
  if (flops !== undefined) taken.add(flops);

  // The other fields by plain alias; the name never from a column that groups runs.
  const others: AliasTable = { ...aliases, name: aliases.name.filter((n) => !GROUP_COLUMNS.has(normaliseKey(n))), params: [], tokens: [], loss: [] };
  const columns = matchKeys(
    rest.filter((k) => !taken.has(k)),
    others,
  );
  if (loss !== undefined) columns.loss = loss;
  if (params) columns.params = params.column;
  if (tokens) columns.tokens = tokens.column;

  if (asTable) {
    const hasLoss = columns.loss !== undefined || wide.length > 0 || (columns.postLoss !== undefined && columns.postBits !== undefined);
    if (!hasLoss || (columns.params === undefined && columns.tokens === undefined)) return undefined;
    if (columns.params === undefined && columns.name === undefined && rest.some((k) => LOG_STEP_COLUMNS.includes(normaliseKey(k)))) return undefined;
  } else if (wide.length === 0 && Object.keys(columns).length === 0) return undefined;

  const layout: TableLayout = { columns, wide, scales: {} };
  if (params?.scale !== undefined) layout.scales.params = params.scale;
  if (tokens?.scale !== undefined) layout.scales.tokens = tokens.scale;
  if (flops !== undefined) {
    layout.flops = flops;
    const scale = flopColumnScale(flops) as number;
    if (scale !== 1) layout.scales.flops = scale;
  }
  const used = new Set(Object.values(columns));
  const byNorm = (wanted: readonly string[]) => wanted.map((w) => rest.find((k) => normaliseKey(k) === w)).find((k) => k !== undefined);
  const method = byNorm(METHOD_COLUMNS);
  const groupSize = byNorm(GROUP_SIZE_COLUMNS);
  if (method !== undefined && !used.has(method)) layout.method = method;
  if (groupSize !== undefined && !used.has(groupSize)) layout.groupSize = groupSize;
  const progress = byNorm(PROGRESS_COLUMNS);
  if (progress !== undefined) layout.progress = progress;
  const group = rest.find((k) => GROUP_COLUMNS.has(normaliseKey(k)));
  if (group !== undefined && !used.has(group)) layout.group = group;
  return layout;
}

// ---------------------------------------------------------------------------------------------
// Cells

/** Cell values that mean "nothing here". */
const EMPTY = new Set(['', 'na', 'n/a', 'none', 'null', 'nil', '-', '—', '–']);

export function isEmptyCell(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && EMPTY.has(value.trim().toLowerCase()));
}

/** A cell as a user sees it in the file. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return describeValue(value);
}

const DECIMAL_COMMA = /^[+-]?\d*,\d+(?:e[+-]?\d+)?$/i;
// A count's own multiplier ("124M", "1.3B tokens"), which wins over the column name's unit.
// The spaces before the unit word belong to it: two \s* around an optional word could share a run of spaces.
const OWN_SUFFIX = /[kmbgt](?:\s*(?:flops?|tokens?|params?|parameters?))?\s*$/i;

function numberText(text: string, decimalComma: boolean): string {
  const t = text.trim();
  return decimalComma && DECIMAL_COMMA.test(t) ? t.replace(',', '.') : t;
}

/** A positive count (1.3e8, 130M, "1,300,000"), bare numbers times the column's `scale`. */
export function countOf(value: unknown, decimalComma: boolean, scale = 1): number | undefined {
  let n: number | undefined;
  let own = false;
  if (typeof value === 'number') n = Number.isFinite(value) && value > 0 ? value : undefined;
  else if (typeof value === 'string') {
    const text = numberText(value, decimalComma);
    n = parseQuantity(text);
    own = OWN_SUFFIX.test(text);
  }
  if (n === undefined || own || scale === 1) return n;
  const scaled = n * scale;
  return Number.isFinite(scaled) && scaled > 0 ? scaled : undefined;
}

export function lossOf(value: unknown, decimalComma: boolean): number | undefined {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const t = numberText(value, decimalComma);
    if (DECIMAL_NUMBER.test(t)) n = Number(t);
  }
  return n !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

// ---------------------------------------------------------------------------------------------
// Values too odd to be what their column claims

/**
 * Fewer parameters than this in a table's size column: the column is in other units, or is
 * something else. Stricter than MIN_PLAUSIBLE_PARAMS (validate.ts, for counts a config or
 * manifest states): a bare size column is most often in millions, so 1e3 to 1e4 there is read as
 * a unit slip and the message says which unit would make it usual.
 */
export const MIN_TABLE_PARAMS = 1e4;
/** Tokens per parameter of real training runs, for telling which unit would make a value sensible. */
const USUAL_TOKENS_PER_PARAM: readonly [number, number] = [0.5, 1e4];
const USUAL_PARAMS: readonly [number, number] = [1e5, 1e13];

const UNITS: ReadonlyArray<readonly [number, string, string]> = [
  [1e6, 'M', 'millions'],
  [1e9, 'B', 'billions'],
  [1e12, 'T', 'trillions'],
];

/** "if model_size is in millions (50 → 50M), name it model_size_M" for each unit that would make the value usual. */
function unitHint(column: string, value: number, units: ReadonlyArray<(typeof UNITS)[number]>, usual: (scaled: number) => boolean): string | undefined {
  const { base, scale } = splitUnit(column);
  // A name that already has a unit is read with it; renaming it again is no advice.
  if (scale !== undefined) return undefined;
  const fits = units.filter(([s]) => usual(value * s));
  if (fits.length === 0) return undefined;
  return fits.map(([s, letter, word]) => `if ${column} is in ${word} (${formatCount(value)} → ${formatCount(value * s)}), name the column ${base}_${letter}`).join('; ');
}

export interface Implausible {
  /** Why the value cannot be what its column says, in the user's terms. */
  why: string;
  /** What would make it plausible (a unit in the column's name), when something would. */
  hint?: string;
}

export function implausibleParams(n: number, column: string, tokens?: number): Implausible | undefined {
  if (n >= MIN_TABLE_PARAMS) return undefined;
  const usual = (x: number) => (tokens !== undefined ? tokens / x >= USUAL_TOKENS_PER_PARAM[0] && tokens / x <= USUAL_TOKENS_PER_PARAM[1] : x >= USUAL_PARAMS[0] && x <= USUAL_PARAMS[1]);
  const hint = unitHint(column, n, UNITS.slice(0, 2), usual);
  return { why: `${formatCount(n)} parameters is fewer than any language model has (under ${formatCount(MIN_TABLE_PARAMS)})`, ...(hint ? { hint } : {}) };
}

/** `flops` names the compute column D was worked out from, when it was. */
export function implausibleTokens(d: number, n: number, column: string, flops?: string): Implausible | undefined {
  if (d >= n * MIN_TOKENS_PER_PARAM) return undefined;
  const why = `${formatCount(d)} tokens is under N/1000 for N = ${formatCount(n)}, too few to be the training tokens`;
  if (flops !== undefined) return { why, hint: `check the unit of ${flops}: it should be the training FLOPs` };
  const hint = unitHint(column, d, UNITS, (x) => x / n >= USUAL_TOKENS_PER_PARAM[0] && x / n <= USUAL_TOKENS_PER_PARAM[1]);
  return { why, ...(hint ? { hint } : {}) };
}

export function implausibleLoss(loss: number): Implausible | undefined {
  if (loss < MAX_PLAUSIBLE_LOSS) return undefined;
  return { why: `a loss of ${+loss.toPrecision(4)} is over ${MAX_PLAUSIBLE_LOSS} nats per token, more than any trained model's`, hint: 'a perplexity, or a loss summed over a sequence, would look like this; give the mean cross-entropy in nats per token' };
}

/** Labels of the fields as a table's user knows them, for the reasons of implausible values. */
const FIELD_WORD: Record<'params' | 'tokens' | 'finalLoss', string> = { params: 'N', tokens: 'D', finalLoss: 'loss' };

/** One implausible value taken off a run: said once per column, with how many rows had one. */
export interface Finding {
  field: 'params' | 'tokens' | 'finalLoss';
  column: string;
  line?: number;
  value: number;
  problem: Implausible;
  /** D was worked out from the compute column named by `column`. */
  derived?: boolean;
}

/**
 * Takes N, D and the final loss off a run when they cannot be what their columns say, with the
 * reason on the run; `flops` names the compute column when D was worked out from it. N is
 * judged first: D is only compared with an N that stood.
 */
export function dropImplausible(run: Omit<Run, 'missing'>, reasons: Partial<Record<RunField, string>>, flops?: string): Finding[] {
  const found: Finding[] = [];
  const drop = (field: Finding['field'], problem: Implausible | undefined) => {
    const value = run[field];
    if (!problem || value === undefined) return;
    const source = run.sources[field];
    // A worked-out D is the compute column's value: that is the cell to look at.
    const column = field === 'tokens' && flops !== undefined ? flops : (source?.field ?? field);
    found.push({ field, column, line: source?.line, value, problem, ...(column === flops ? { derived: true } : {}) });
    reasons[field] = `${FIELD_WORD[field]} = ${formatCount(value)} (${column}) is implausible: ${problem.why}${problem.hint ? `; ${problem.hint}` : ''}`;
    delete run[field];
    delete run.sources[field];
  };
  if (run.params !== undefined) drop('params', implausibleParams(run.params, run.sources.params?.field ?? 'params', run.tokens));
  if (run.tokens !== undefined && run.params !== undefined) drop('tokens', implausibleTokens(run.tokens, run.params, run.sources.tokens?.field ?? 'tokens', flops));
  if (run.finalLoss !== undefined) drop('finalLoss', implausibleLoss(run.finalLoss));
  return found;
}

/** Implausible values by column: one diagnostic per column, naming the first row and counting the rest. */
export class FindingsByColumn {
  private readonly byColumn = new Map<string, { first: Finding; count: number }>();

  add(findings: readonly Finding[]): void {
    for (const f of findings) {
      const key = `${f.field}\u0000${f.column}`;
      const seen = this.byColumn.get(key);
      if (seen) seen.count++;
      else this.byColumn.set(key, { first: f, count: 1 });
    }
  }

  diagnostics(file: string): Diagnostic[] {
    return [...this.byColumn.values()].map(({ first, count }) => {
      const more = count > 1 ? ` (and on ${count - 1} more row${count > 2 ? 's' : ''})` : '';
      const hint = first.problem.hint ? `; ${first.problem.hint}` : '';
      const from = first.derived ? `worked out from ${first.column}` : `from ${first.column}`;
      const message = `${FIELD_WORD[first.field]} = ${formatCount(first.value)} ${from}${first.line !== undefined ? ` on line ${first.line}` : ''}${more} is implausible: ${first.problem.why}${hint}; left out`;
      return diagnostic(file, first.line, first.column, message, 'warning', 'implausible');
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Rows and the builders that turn them into runs

/** Statuses of a run that did not finish: failed, crashed, still running, cancelled, killed. */
export const UNFINISHED_STATUS = /^(fail|crash|running|cancel|kill|diverg|abort|error|preempt|pending)/i;

/** One row: its cells by column name and the line it is on. */
export interface Row {
  line: number;
  cells: ReadonlyMap<string, unknown>;
  /** The row's own layout, where rows carry their own keys (JSON); else the table's. */
  layout?: TableLayout;
  /** Lines of single cells, where a row spans lines (pretty-printed JSON). */
  cellLines?: ReadonlyMap<string, number>;
  /** Why the row may be incomplete (cut by the end of the file, next to a syntax error). */
  damaged?: string;
  /** A name from outside the cells: the key of a JSON object of rows. */
  key?: string;
}

/** What the file readers hand rows to: the sweep-table builder or the W&B export builder. */
export interface TableSink {
  add(row: Row): void;
  /** A problem of one row, listed up to the per-file bound. */
  problem(line: number | undefined, field: string | undefined, message: string, code: DiagnosticCode, severity?: Severity): void;
  finish(): { runs: Run[]; diagnostics: Diagnostic[] };
}

/** Row and run problems listed individually per file; the rest are counted. */
export const MAX_ROW_DIAGNOSTICS = 50;

/** Diagnostics of one table: file-level notes always, row problems up to MAX_ROW_DIAGNOSTICS. */
export class TableDiagnostics {
  private readonly notes: Diagnostic[] = [];
  private readonly rows: Diagnostic[] = [];
  private rowProblems = 0;

  constructor(private readonly file: string) {}

  problem(line: number | undefined, field: string | undefined, message: string, code: DiagnosticCode, severity: Severity = 'warning'): void {
    this.rowProblems++;
    if (this.rowProblems <= MAX_ROW_DIAGNOSTICS) this.rows.push(diagnostic(this.file, line, field, message, severity, code));
  }

  note(line: number | undefined, field: string | undefined, message: string, code: DiagnosticCode, severity: Severity = 'warning'): void {
    this.notes.push(diagnostic(this.file, line, field, message, severity, code));
  }

  push(d: Diagnostic): void {
    this.notes.push(d);
  }

  /** Everything, in line order, with the count of row problems not listed. */
  all(): Diagnostic[] {
    const out = [...this.notes, ...this.rows];
    if (this.rowProblems > MAX_ROW_DIAGNOSTICS) out.push(diagnostic(this.file, undefined, undefined, `${this.rowProblems - MAX_ROW_DIAGNOSTICS} more row problems not listed`, 'warning', 'truncated'));
    return out.sort((x, y) => (x.line ?? 0) - (y.line ?? 0));
  }
}

/** "12 rows", "1 row", with thousands grouped. */
export function rowsText(n: number, what = 'row'): string {
  return `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;
}
