// Where a prediction stands against the runs its constants were fitted on (LAW.md §8a), and which
// constants behind it were fitted. Pure: the CLI, the hover and the dashboard each say it their way.
//
// fittedDomain(): a fit's domain from its points (N, D, D/N and 6ND ranges; per part the
// precisions seen and whether it ever varied apart from the others; the runs' tokenizer and loss
// unit; each constant's origin). extrapolation(): a query against a domain — inside, or the factor
// beyond in N, D and compute, with an extrapolation threshold, losses the law cannot give (above
// ln(vocabulary), a degradation as large as the loss), parts set apart that the runs never set
// apart, and a tokenizer that makes the losses not comparable. provenance(): the constants behind
// a number, by origin, with a sentence per group.

import { CONSTANT_NAMES, type ConstantName, type Constants, HIGH_PRECISION_BITS, PAPER_DOMAIN, PARTS, PART_CONSTANTS, PART_LABEL, PRESET_DEFAULTS_NOT_IN_PAPER, type Part } from '../law/constants';
import type { Allocation } from '../law/plan';
import type { ConstantSources, LawDomain, PartDomain, Range, TokenizerDomain } from '../law/domain';
import type { Precision } from '../law/law';
import { formatCount } from '../runs/quantity';
import type { Run } from '../runs/run';
import type { ConstantOrigin, StageName, StageReport } from './stages';

/** Beyond this factor in N or D (either way) a prediction is called an extrapolation. */
export const DEFAULT_EXTRAPOLATION_THRESHOLD = 10;

/** Vocabularies this close count as one (padding: 50257 vs 50304). */
const SAME_VOCABULARY = 1.05;
/** ... and this close, against a vocabulary known only roughly (the paper's ~50K). */
const SAME_APPROXIMATE_VOCABULARY = 2;

const distinct = (xs: readonly number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);
const range = (xs: readonly number[]): Range | null => (xs.length > 0 ? { min: Math.min(...xs), max: Math.max(...xs) } : null);
/** High precision (16 bits and above) is one level for the law: fp32 and bf16 runs do not set parts apart. */
const level = (bits: number): number => Math.min(bits, HIGH_PRECISION_BITS);

// --- the tokenizer the runs state ----------------------------------------------------------------

export interface RunTokenizer {
  tokenizer?: string;
  vocabulary?: number;
  lossUnit?: string;
  corpus?: string;
}

const record = (x: unknown): Record<string, unknown> | undefined => (x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined);
const positiveInteger = (x: unknown): number | undefined => (typeof x === 'number' && Number.isInteger(x) && x > 0 ? x : undefined);
const text = (x: unknown): string | undefined => (typeof x === 'string' && x.trim() !== '' ? x.trim() : undefined);

/** Tokenizer names that mean one token per byte: the loss is then in nats per byte. */
export const isByteTokenizer = (name: string | undefined): boolean => name !== undefined && /^(bytes?|byte[-_ ]?level|utf-?8)$/i.test(name);

/**
 * What a run's files say about its tokenizer: the project's run.json records `model.vocabSize`,
 * `model.tokenizer` and `data.corpus`; the Hugging Face reader puts config.json's vocab_size on
 * `meta.vocabSize`. Cross-entropy in these trainers is natural-log: nats per token (per byte for a
 * byte tokenizer). Nothing is guessed for formats that do not say.
 */
export function runTokenizer(run: Pick<Run, 'format' | 'meta'>): RunTokenizer {
  const meta = record(run.meta) ?? {};
  const model = record(meta.model) ?? {};
  const data = record(meta.data) ?? {};
  const out: RunTokenizer = {};
  const vocabulary = positiveInteger(model.vocabSize) ?? positiveInteger(meta.vocabSize) ?? positiveInteger(meta.vocab_size);
  if (vocabulary !== undefined) out.vocabulary = vocabulary;
  const tokenizer = text(model.tokenizer) ?? text(meta.tokenizer);
  if (tokenizer !== undefined) out.tokenizer = tokenizer;
  const corpus = text(data.corpus);
  if (corpus !== undefined) out.corpus = corpus;
  if (isByteTokenizer(tokenizer)) out.lossUnit = 'nats per byte';
  else if (run.format === 'precision-planner' || run.format === 'hf-trainer') out.lossUnit = 'nats per token';
  return out;
}

/** The runs' tokenizer as one: a vocabulary, tokenizer and unit where all runs that state one agree. */
export function tokenizerDomain(runs: ReadonlyArray<Pick<Run, 'format' | 'meta'>>): TokenizerDomain {
  const each = runs.map(runTokenizer);
  const vocabularies = distinct(each.flatMap((t) => (t.vocabulary !== undefined ? [t.vocabulary] : [])));
  const one = <T>(values: Array<T | undefined>): T | undefined => {
    const set = new Set(values.filter((v): v is T => v !== undefined));
    return set.size === 1 ? [...set][0] : undefined;
  };
  const out: TokenizerDomain = { vocabularies, stated: each.filter((t) => t.vocabulary !== undefined).length };
  if (vocabularies.length === 1) out.vocabulary = vocabularies[0];
  const tokenizer = one(each.map((t) => t.tokenizer));
  if (tokenizer !== undefined) out.tokenizer = tokenizer;
  const lossUnit = one(each.map((t) => t.lossUnit));
  if (lossUnit !== undefined) out.lossUnit = lossUnit;
  const corpus = [...new Set(each.flatMap((t) => (t.corpus !== undefined ? [t.corpus] : [])))].sort();
  if (corpus.length > 0) out.corpus = corpus;
  return out;
}

// --- a fit's domain --------------------------------------------------------------------------------

/** What a domain needs of a fit's points. */
export interface DomainPoint {
  params: number;
  tokens: number;
  precision: Precision;
  post?: number;
}

/** Constants each stage fits; a skipped or failed stage's reason is why they are not fitted. */
const STAGE_CONSTANTS: Record<Exclude<StageName, 'joint'>, readonly ConstantName[]> = {
  chinchilla: ['A', 'alpha', 'B', 'beta', 'E'],
  precision: PARTS.flatMap((p) => [PART_CONSTANTS[p].gamma, PART_CONSTANTS[p].offset]),
  ptq: ['CT', 'gammaD', 'gammaN', 'gammaPost', 'bPost', ...PARTS.map((p) => PART_CONSTANTS[p].robust)],
};

export function constantSources(origin: Record<ConstantName, ConstantOrigin>, stages: readonly StageReport[] = []): ConstantSources {
  const out: ConstantSources = { fitted: [], preset: [], projectDefault: [], fixed: [], neutral: [], why: {} };
  for (const name of CONSTANT_NAMES) {
    const o = origin[name];
    if (o === 'fitted') out.fitted.push(name);
    else if (o === 'fixed') out.fixed.push(name);
    else if (o === 'neutral') out.neutral.push(name);
    else if (PRESET_DEFAULTS_NOT_IN_PAPER.includes(name)) out.projectDefault.push(name);
    else out.preset.push(name);
  }
  for (const stage of stages) {
    if (stage.name === 'joint') continue;
    for (const h of stage.held) if (origin[h.name] !== 'fitted') out.why[h.name] ??= h.reason;
    if (stage.status !== 'fitted' && stage.reason) for (const name of STAGE_CONSTANTS[stage.name]) if (origin[name] !== 'fitted') out.why[name] ??= `${stage.status === 'failed' ? 'its stage failed: ' : ''}${stage.reason}`;
  }
  return out;
}

function partDomains(points: readonly DomainPoint[]): Record<Part, PartDomain> {
  const column = (part: Part) => points.map((p) => level(p.precision[part])).join(',');
  const out = {} as Record<Part, PartDomain>;
  for (const part of PARTS) {
    const levels = new Set(points.map((p) => level(p.precision[part])));
    const movesWith = points.length > 0 ? PARTS.filter((other) => other !== part && column(other) === column(part)) : [];
    const varied = levels.size > 1;
    out[part] = { bits: distinct(points.map((p) => p.precision[part])), varied, variedApart: varied && movesWith.length === 0, movesWith };
  }
  return out;
}

export function fittedDomain(
  points: readonly DomainPoint[],
  origin: Record<ConstantName, ConstantOrigin>,
  stages: readonly StageReport[] = [],
  context: { runs?: number; tokenizer?: TokenizerDomain } = {},
): LawDomain {
  const runs = context.runs ?? 0;
  return {
    source: 'fit',
    label: `the ${runs} runs of the fit`,
    runs,
    params: range(points.map((p) => p.params)),
    tokens: range(points.map((p) => p.tokens)),
    tokensPerParam: range(points.map((p) => p.tokens / p.params)),
    compute: range(points.map((p) => 6 * p.params * p.tokens)),
    parts: partDomains(points),
    post: distinct(points.flatMap((p) => (p.post !== undefined ? [p.post] : []))),
    tokenizer: context.tokenizer ?? { vocabularies: [], stated: 0 },
    constants: constantSources(origin, stages),
  };
}

/**
 * The domain of a fit as stored: its own `domain`, or (a fit written before fits recorded one)
 * rebuilt from its points, without the tokenizer the runs stated.
 */
export function domainOfFit(fit: { domain?: LawDomain; points: readonly DomainPoint[]; origin: Record<ConstantName, ConstantOrigin>; stages?: readonly StageReport[]; data?: { runs: number } }): LawDomain {
  return fit.domain ?? fittedDomain(fit.points, fit.origin, fit.stages ?? [], { runs: fit.data?.runs ?? 0 });
}

// --- a query against a domain ---------------------------------------------------------------------

export interface DomainQuery {
  params: number;
  tokens: number;
  precision?: Precision;
  post?: number;
  /** The predicted loss (after PTQ when `post` is given), its end-of-training part and the PTQ degradation. */
  loss?: number;
  trainLoss?: number;
  deltaPTQ?: number;
  /** What the config the query comes from says about its tokenizer. */
  vocabulary?: number;
  tokenizer?: string;
}

export interface Extrapolation {
  /** N, D and compute all within the domain's ranges. */
  inside: boolean;
  /** How far outside, as a factor: 1 inside; 13000 = 13,000x beyond the largest (or below the smallest). */
  params: number;
  tokens: number;
  /** Compute counted as 6ND, against the runs' 6ND. */
  compute: number;
  tokensPerParam: number;
  threshold: number;
  /** Beyond the threshold in N or D: the answer is an extrapolation and says so. */
  extrapolated: boolean;
  /** The query's tokenizer or vocabulary differs from the runs': the losses are in other units. */
  comparable: boolean;
  /** The predicted loss is not one the law can give (above ln(vocabulary), or PTQ as large as the loss). */
  outsideLaw: boolean;
  /** One line for people: "inside the fitted domain", "extrapolation: N x13,000 beyond the largest run, ...". */
  summary: string;
  warnings: string[];
}

const factorOf = (x: number, r: Range | null): number => (!r ? Infinity : x > r.max ? x / r.max : x < r.min ? r.min / x : 1);

/** A factor in words: 2.1, 37, 13,000, 140,000 (two significant digits past 100). */
export function times(f: number): string {
  if (!Number.isFinite(f)) return String(f);
  if (f < 10) return f.toFixed(1);
  const rounded = f < 100 ? Math.round(f) : Number(f.toPrecision(2));
  return rounded >= 1e15 ? rounded.toExponential(1) : String(rounded).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const rangeText = (r: Range): string => (r.min === r.max ? formatCount(r.min) : `${formatCount(r.min)}–${formatCount(r.max)}`);

function beyond(what: string, unit: string, x: number, r: Range | null, f: number): string {
  if (!r) return `${what}: no runs to compare with`;
  return x > r.max ? `${what} ×${times(f)} beyond the largest run (${formatCount(x)} vs ${formatCount(r.max)}${unit})` : `${what} ×${times(f)} below the smallest run (${formatCount(x)} vs ${formatCount(r.min)}${unit})`;
}

export const uniformLoss = (vocabulary: number): number => Math.log(vocabulary);

/**
 * Why a predicted loss is not a prediction, if it is not: above ln(vocabulary), the loss of a
 * uniform guess over the vocabulary (no trained model is worse), or a PTQ degradation as large as
 * the loss itself (the law's degradation term describes small perturbations of a trained model).
 */
export function outsideLaw(q: { loss?: number; trainLoss?: number; deltaPTQ?: number; post?: number }, vocabulary: number | undefined): string | undefined {
  if (q.loss !== undefined && vocabulary !== undefined && q.loss > uniformLoss(vocabulary)) {
    return `a loss of ${q.loss.toPrecision(3)} is above ln ${vocabulary} = ${uniformLoss(vocabulary).toPrecision(3)}, the loss of a uniform guess over the vocabulary: outside the law, not a prediction`;
  }
  if (q.deltaPTQ !== undefined && q.trainLoss !== undefined && q.deltaPTQ > 0 && q.deltaPTQ >= q.trainLoss) {
    return `a PTQ degradation of ${q.deltaPTQ.toPrecision(3)}${q.post !== undefined ? ` at ${q.post} bits` : ''} is as large as the loss itself (${q.trainLoss.toPrecision(3)}): outside the law, not a prediction`;
  }
  return undefined;
}

const tokenizerText = (t: { tokenizer?: string; vocabulary?: number; approximate?: boolean }): string => {
  const vocab = t.vocabulary !== undefined ? `vocabulary ${t.approximate ? '~' : ''}${formatCount(t.vocabulary)}` : undefined;
  const name = t.tokenizer !== undefined ? (isByteTokenizer(t.tokenizer) ? 'byte-level' : t.tokenizer) : undefined;
  return [name, vocab].filter(Boolean).join(', ') || 'unknown tokenizer';
};

/** Whether the query's tokenizer is the domain's; a reason when it is not. */
function tokenizerMismatch(domain: LawDomain, q: DomainQuery): string | undefined {
  const t = domain.tokenizer;
  const ratio = q.vocabulary !== undefined && t.vocabulary !== undefined ? Math.max(q.vocabulary / t.vocabulary, t.vocabulary / q.vocabulary) : undefined;
  const vocabularyDiffers = ratio !== undefined && ratio > (t.approximate ? SAME_APPROXIMATE_VOCABULARY : SAME_VOCABULARY);
  const bytes = (name: string | undefined) => (name === undefined ? undefined : isByteTokenizer(name));
  const kindDiffers = bytes(q.tokenizer) !== undefined && bytes(t.tokenizer) !== undefined && bytes(q.tokenizer) !== bytes(t.tokenizer);
  if (!vocabularyDiffers && !kindDiffers) return undefined;
  const unit = t.lossUnit ? `; loss in ${t.lossUnit}` : '';
  return `not comparable: this config's tokenizer (${tokenizerText(q)}) differs from ${domain.label} (${tokenizerText(t)}${unit}): its loss is in other units, and the law's numbers here are in the runs' units`;
}

/** "a", "a and b", "a, b and c". */
const listText = (items: readonly string[]): string => (items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`);

function partWarnings(domain: LawDomain, precision: Precision): string[] {
  const warnings: string[] = [];
  const reported = new Set<Part>();
  for (const part of PARTS) {
    if (reported.has(part)) continue;
    const d = domain.parts[part];
    const apart = d.movesWith.filter((other) => level(precision[other]) !== level(precision[part]));
    if (apart.length > 0) {
      for (const other of apart) reported.add(other);
      const list = listText([part, ...apart].map((p) => PART_LABEL[p]));
      warnings.push(
        `${list} were never trained at different precisions in ${domain.label}; this sets them apart (w${precision.w} a${precision.a} kv${precision.kv}), so how the loss divides between them is not from the data: no tighter than a guess`,
      );
    }
  }
  for (const part of PARTS) {
    const seen = domain.parts[part].bits;
    const p = precision[part];
    if (seen.length === 0 || p >= HIGH_PRECISION_BITS) continue;
    if (p < seen[0]) {
      warnings.push(
        seen[0] >= HIGH_PRECISION_BITS
          ? `${PART_LABEL[part]} at ${p} bits: ${domain.label} trained them at high precision only`
          : `${PART_LABEL[part]} at ${p} bits: below the lowest training precision in ${domain.label} (${seen[0]} bits)`,
      );
    }
  }
  return warnings;
}

export function extrapolation(domain: LawDomain, q: DomainQuery, threshold = DEFAULT_EXTRAPOLATION_THRESHOLD): Extrapolation {
  const t = Number.isFinite(threshold) && threshold >= 1 ? threshold : DEFAULT_EXTRAPOLATION_THRESHOLD;
  const params = factorOf(q.params, domain.params);
  const tokens = factorOf(q.tokens, domain.tokens);
  const compute = factorOf(6 * q.params * q.tokens, domain.compute);
  const tokensPerParam = factorOf(q.tokens / q.params, domain.tokensPerParam);
  const inside = params === 1 && tokens === 1 && compute === 1;
  const extrapolated = params > t || tokens > t;
  const warnings: string[] = [];

  const parts: string[] = [];
  if (params > 1) parts.push(beyond('N', '', q.params, domain.params, params));
  if (tokens > 1) parts.push(beyond('D', ' tokens', q.tokens, domain.tokens, tokens));
  if (compute > 1) parts.push(beyond('compute (6ND)', ' FLOPs', 6 * q.params * q.tokens, domain.compute, compute));
  const fitted = domain.params && domain.tokens ? ` (${domain.label}: N ${rangeText(domain.params)}, D ${rangeText(domain.tokens)})` : '';
  let summary: string;
  if (!domain.params || !domain.tokens) summary = `no runs to compare with in ${domain.label}`;
  else if (inside) summary = `inside the fitted domain${fitted}`;
  else if (extrapolated) summary = `extrapolation: ${parts.join(', ')}${fitted}`;
  else summary = `near the fitted domain, within the ${times(t)}× extrapolation threshold: ${parts.join(', ')}${fitted}`;
  if (extrapolated) warnings.push(summary);

  if (q.precision) warnings.push(...partWarnings(domain, q.precision));
  if (q.post !== undefined && domain.source === 'fit') {
    if (domain.post.length === 0) warnings.push(`PTQ to ${q.post} bits: ${domain.label} have no post-training quantization evaluations`);
    else if (q.post < domain.post[0]) warnings.push(`PTQ to ${q.post} bits: below the lowest PTQ precision in ${domain.label} (${domain.post[0]} bits)`);
  }

  const mismatch = tokenizerMismatch(domain, q);
  if (mismatch) warnings.push(mismatch);
  const vocabulary = domain.tokenizer.vocabulary ?? q.vocabulary;
  const law = outsideLaw(q, vocabulary);
  if (law) warnings.push(law);

  return { inside, params, tokens, compute, tokensPerParam, threshold: t, extrapolated, comparable: mismatch === undefined, outsideLaw: law !== undefined, summary, warnings };
}

/** The paper's domain for the preset's answers, a fit's for the fit's. */
export function domainFor(fit: Parameters<typeof domainOfFit>[0] | undefined): LawDomain {
  return fit ? domainOfFit(fit) : PAPER_DOMAIN;
}

// --- provenance ------------------------------------------------------------------------------------

export type ConstantGroup = 'loss level' | 'precision sensitivities' | 'PTQ degradation' | 'PTQ robustness';

export interface Provenance {
  /** Constants behind the number that were fitted on the runs. */
  fitted: ConstantName[];
  /** ... that are the preset's (the paper's Table 2). */
  preset: ConstantName[];
  /** ... that are neither fitted nor the paper's: this project's defaults (C_w, C_a, C_kv = 1). */
  projectDefault: ConstantName[];
  /** ... fixed by an option (offsets at zero) or held off (a part carried by another's factor). */
  fixed: ConstantName[];
  neutral: ConstantName[];
  /** One sentence per group of constants: "precision sensitivities: paper preset — ...". */
  notes: string[];
}

export interface ProvenanceQuery {
  precision?: Precision;
  post?: number;
  /** A plan searches precisions (and its alternatives train at 8 and 4 bits): every part's sensitivity is behind it. */
  plan?: boolean;
}

/** The constants a number depends on, by group. */
export function involvedConstants(q: ProvenanceQuery): Partial<Record<ConstantGroup, ConstantName[]>> {
  const low = (part: Part) => q.plan === true || (q.precision !== undefined && q.precision[part] < HIGH_PRECISION_BITS);
  const parts = PARTS.filter(low);
  const out: Partial<Record<ConstantGroup, ConstantName[]>> = { 'loss level': ['A', 'alpha', 'B', 'beta', 'E'] };
  if (parts.length > 0) out['precision sensitivities'] = parts.flatMap((p) => [PART_CONSTANTS[p].gamma, PART_CONSTANTS[p].offset]);
  if (q.post !== undefined) {
    out['PTQ degradation'] = ['CT', 'gammaD', 'gammaN', 'gammaPost', 'bPost'];
    if (parts.length > 0) out['PTQ robustness'] = parts.map((p) => PART_CONSTANTS[p].robust);
  }
  return out;
}

export function provenance(domain: LawDomain, q: ProvenanceQuery, constants?: Partial<Record<ConstantName, number>>): Provenance {
  const s = domain.constants;
  const out: Provenance = { fitted: [], preset: [], projectDefault: [], fixed: [], neutral: [], notes: [] };
  const presetName = domain.source === 'preset' ? 'paper preset (Kumar et al. 2024, Table 2)' : 'paper preset';
  for (const [group, names] of Object.entries(involvedConstants(q)) as Array<[ConstantGroup, ConstantName[]]>) {
    const by = {
      fitted: names.filter((n) => s.fitted.includes(n)),
      preset: names.filter((n) => s.preset.includes(n)),
      projectDefault: names.filter((n) => s.projectDefault.includes(n)),
      fixed: names.filter((n) => s.fixed.includes(n)),
      neutral: names.filter((n) => s.neutral.includes(n)),
    };
    for (const key of ['fitted', 'preset', 'projectDefault', 'fixed', 'neutral'] as const) out[key].push(...by[key]);
    const why = (list: readonly ConstantName[]) => list.map((n) => s.why[n]).find((w) => w !== undefined);
    const phrases: string[] = [];
    if (by.fitted.length > 0) phrases.push(by.fitted.length === names.length ? 'fitted on the runs' : `fitted ${by.fitted.join(', ')}`);
    if (by.preset.length > 0) {
      const reason = why(by.preset);
      phrases.push(`${by.fitted.length > 0 || by.preset.length < names.length ? `${presetName} ${by.preset.join(', ')}` : presetName}${reason ? ` — ${reason}` : ''}`);
    }
    if (by.fixed.length > 0) phrases.push(`${by.fixed.join(', ')} fixed by an option`);
    if (by.neutral.length > 0) {
      // A part held off is carried by the part it always moved with: say so shortly.
      const off = PARTS.filter((p) => Object.values(PART_CONSTANTS[p]).some((n) => by.neutral.includes(n)));
      const carriers = PARTS.filter((p) => !off.includes(p) && off.some((o) => domain.parts[o].movesWith.includes(p)));
      const reason = carriers.length > 0 ? `${listText(off.map((p) => PART_LABEL[p]))} never trained apart from the ${listText(carriers.map((p) => PART_LABEL[p]))}, whose factor carries them` : why(by.neutral);
      phrases.push(`${by.neutral.join(', ')} held off${reason ? ` — ${reason}` : ''}`);
    }
    if (by.projectDefault.length > 0) {
      const values = by.projectDefault.map((n) => `${n} = ${constants?.[n] ?? 1}`).join(', ');
      phrases.push(`${values}: a project default, neither fitted nor the paper's — the answer moves with it`);
    }
    out.notes.push(`${group}: ${phrases.join('; ')}`);
  }
  return out;
}

/** Factors the project-default constants (C_w, C_a, C_kv = 1) are moved by to show what the plan owes them. */
export const DEFAULT_SENSITIVITY_FACTORS = [0.5, 2] as const;

export interface DefaultSensitivity {
  /** The constants changed and their values in this re-plan. */
  set: Partial<Constants>;
  params?: number;
  tokens?: number;
  precision?: Allocation['precision'];
  post?: number;
  loss?: number;
  /** Why there is no plan with these values. */
  error?: string;
}

/**
 * The plan again with the project-default constants behind it halved and doubled: a plan that
 * depends on constants neither fitted nor the paper's shows how it moves when they change.
 */
export function defaultSensitivity(constants: Constants, names: readonly (keyof Constants)[], replan: (c: Constants) => Allocation | { ok: false; message: string }): DefaultSensitivity[] {
  if (names.length === 0) return [];
  return DEFAULT_SENSITIVITY_FACTORS.map((factor) => {
    const set = Object.fromEntries(names.map((n) => [n, constants[n] * factor])) as Partial<Constants>;
    const r = replan({ ...constants, ...set });
    if ('message' in r) return { set, error: r.message };
    return { set, params: r.params, tokens: r.tokens, precision: r.precision, ...(r.post !== undefined ? { post: r.post } : {}), loss: r.loss };
  });
}

/** One re-plan of defaultSensitivity in words: "if Cw = 0.5: N 4.1B, D 40B, 8-bit training, loss 2.914". */
export function sensitivityText(s: DefaultSensitivity): string {
  const set = Object.entries(s.set).map(([k, v]) => `${k} = ${Number((v as number).toPrecision(3))}`).join(', ');
  if (s.error !== undefined) return `if ${set}: no plan (${s.error})`;
  const p = s.precision;
  const bits = (b: number) => (Number.isInteger(b) ? `${b}` : b.toFixed(2));
  const training = !p ? '?' : p.w === p.a && p.a === p.kv ? `${bits(p.w)}-bit` : `w${bits(p.w)}a${bits(p.a)}kv${bits(p.kv)}`;
  return `if ${set}: N ${formatCount(s.params ?? NaN)}, D ${formatCount(s.tokens ?? NaN)}, ${training} training${s.post !== undefined ? `, served in ${s.post} bits` : ''}, loss ${(s.loss ?? NaN).toPrecision(4)}`;
}
