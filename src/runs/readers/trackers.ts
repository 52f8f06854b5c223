// What the readers of experiment trackers (W&B, MLflow, Lightning) share: which logged losses are
// validation losses, the world size a run's files record, the tokens a run saw against the tokens
// it planned, and whether its last evaluation came at the end of its training. The facts engine
// (facts.ts) turns entries into N, D and a precision; this module decides which entries a run's
// files can vouch for and feeds it those.

import * as path from 'node:path';
import { type AliasTable, DEFAULT_ALIASES, normaliseKey } from '../aliases';
import { lossKeys } from '../curves';
import type { Diagnostic, DiagnosticCode, Severity } from '../diagnostics';
import { argListEntries } from '../argList';
import type { ConfigEntry } from '../entries';
import { type ConfigFacts, EntryIndex, type FactsOptions, type Found, countOf, describeSource, findConfigFacts, numberOf } from '../facts';
import { formatCount } from '../quantity';
import type { SourceRef } from '../run';
import { describeValue, diagnostic } from '../validate';

// --- validation losses ---------------------------------------------------------------------------

/** Words that make a logged loss a held-out one: "val_loss", "eval/loss", "valid_loss", "test_loss". */
const HELD_OUT = /(?:^|[^a-z])(?:val|valid|validation|eval|evaluation|test|dev|heldout)(?:[^a-z]|$)/;

/**
 * Could this logged name be the final validation loss? Only names that say they are held out
 * count, and names the user added to the loss aliases: a bare "loss" is what training_step and
 * HF's on_log write for the training loss.
 */
export function isValidationLossName(name: string, aliases: AliasTable): boolean {
  if (HELD_OUT.test(name.toLowerCase())) return true;
  const norm = normaliseKey(name);
  const builtIn = new Set(DEFAULT_ALIASES.loss.map(normaliseKey));
  return aliases.loss.some((alias) => normaliseKey(alias) === norm && !builtIn.has(norm));
}

/** lossKeys, with the validation loss restricted to held-out names. */
export function validationLossKeys(keys: readonly string[], aliases: AliasTable): { val?: string; train?: string } {
  const val = lossKeys(
    keys.filter((k) => isValidationLossName(k, aliases)),
    aliases,
  ).val;
  const train = lossKeys(
    keys.filter((k) => k !== val),
    { ...aliases, loss: [] },
  ).train;
  const out: { val?: string; train?: string } = {};
  if (val !== undefined) out.val = val;
  if (train !== undefined) out.train = train;
  return out;
}

/** The reason a run with a training loss and no validation loss has no final loss. */
export const trainingOnlyReason = (trainKey: string): string => `only a training loss was logged (${trainKey}); the final loss must be a validation loss`;

// --- the last evaluation against the end of training ----------------------------------------------

/** An evaluation this close to the last step (as a fraction of it) is taken as the end of training. */
export const NEAR_END = 0.9;

/**
 * Why a validation loss logged at `evalStep` is not an end-of-training loss when the run's last
 * logged step is `lastStep`, or undefined when it is one (or the steps are not known).
 */
export function notAtEnd(evalStep: number | undefined, lastStep: number | undefined, key: string): string | undefined {
  // A last step of 0 is a log that keeps no steps (MLflow's default step), not a run that never trained.
  if (evalStep === undefined || lastStep === undefined || !Number.isFinite(evalStep) || !Number.isFinite(lastStep) || lastStep <= 0) return undefined;
  if (evalStep >= NEAR_END * lastStep) return undefined;
  if (evalStep === 0) return `the only ${key} was logged at step 0, before training; the run went on to step ${lastStep} without another evaluation`;
  return `the last ${key} was logged at step ${evalStep}, but training went on to step ${lastStep}: it is not the end-of-training loss`;
}

// --- world size --------------------------------------------------------------------------------

/** The key of the world-size entry fed to the facts engine. */
export const WORLD_SIZE_KEY = 'world_size';

// The facts engine reads a world size among the entries itself (world_size first); these lists
// hold every key it reads and a few more, so that when none of them gives a count here, the
// engine has taken one device too.
/** Keys naming every process of the run at once. */
const WORLD_KEYS = ['world_size', 'ddp_world_size', 'num_processes', 'n_procs', 'total_gpus', 'total_devices'];
/** Keys naming the devices of one node (Lightning's Trainer(devices=…), torchrun's --nproc_per_node). */
const DEVICE_KEYS = ['devices', 'nproc_per_node', 'gpus', 'num_gpus', 'n_gpus', 'ngpus', 'n_gpu', 'gpus_per_node', 'num_devices'];
/** Keys naming the nodes. */
const NODE_KEYS = ['num_nodes', 'nnodes', 'n_nodes', 'nodes', 'num_machines'];

export type WorldSize =
  /** The world size, and the entry that feeds it to the facts engine. */
  | { value: number; entry: ConfigEntry; from: string }
  /** A key says the world size but not as a number ("auto", -1: whatever the machine had). */
  | { unknown: string; entry: ConfigEntry };

/**
 * A device count as Lightning reads Trainer(devices=…): an int is a count, a list or "0,1" are
 * device ids, "auto" and -1 mean every device the machine has, which the files do not say.
 * 'unknown' for those, undefined for what is no device count at all.
 */
export function deviceCount(value: unknown): number | 'unknown' | undefined {
  if (typeof value === 'number') {
    if (value === -1) return 'unknown';
    return Number.isInteger(value) && value > 0 ? value : undefined;
  }
  if (Array.isArray(value)) return value.length > 0 && value.every((v) => typeof v === 'number' || typeof v === 'string') ? value.length : undefined;
  if (typeof value !== 'string') return undefined;
  const t = value.trim().toLowerCase();
  if (t === 'auto' || t === '-1' || t === 'all' || t === 'gpu') return 'unknown';
  if (/^\d+$/.test(t)) return Number(t) > 0 ? Number(t) : undefined;
  // "0,1", "0,1,", "[0, 1]": ids.
  const ids = t.replace(/^\[|\]$/g, '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return ids.length > 0 && ids.every((s) => /^\d+$/.test(s)) ? ids.length : undefined;
}

const positiveInt = (value: unknown): number | undefined => {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
};

const where = (entry: ConfigEntry): string => `${entry.key}${entry.line !== undefined ? ` (${path.basename(entry.file)} line ${entry.line})` : ` (${path.basename(entry.file)})`}`;

/**
 * The world size the entries record: a world-size key, else devices per node × nodes. The first
 * usable key wins, in the order of the lists above (whole keys before nested ones, file order last).
 */
export function findWorldSize(entries: readonly ConfigEntry[]): WorldSize | undefined {
  const index = new EntryIndex(entries);
  for (const entry of index.find(WORLD_KEYS)) {
    const value = positiveInt(entry.value);
    if (value !== undefined) return { value, entry: { key: WORLD_SIZE_KEY, value, file: entry.file, line: entry.line }, from: where(entry) };
  }
  for (const entry of index.find(DEVICE_KEYS)) {
    const devices = deviceCount(entry.value);
    if (devices === undefined) continue;
    if (devices === 'unknown') return { unknown: `${entry.key} is ${describeValue(entry.value)} (every device the machine had, which the files do not say)`, entry };
    const nodesEntry = index.find(NODE_KEYS).find((e) => positiveInt(e.value) !== undefined);
    const nodes = nodesEntry ? (positiveInt(nodesEntry.value) as number) : 1;
    const value = devices * nodes;
    const from = nodesEntry ? `${where(entry)} × ${where(nodesEntry)}` : where(entry);
    return { value, entry: { key: WORLD_SIZE_KEY, value, file: entry.file, line: entry.line }, from };
  }
  return undefined;
}

/** The world-size entry to feed beside the others, unless the entries already hold one under that key. */
export function worldSizeEntries(world: WorldSize | undefined, entries: readonly ConfigEntry[]): ConfigEntry[] {
  if (!world || !('value' in world)) return [];
  return entries.some((e) => normaliseKey(e.key) === normaliseKey(WORLD_SIZE_KEY) && positiveInt(e.value) === world.value) ? [] : [world.entry];
}

/**
 * Command-line arguments (W&B's wandb-metadata.json "args") as entries: "--nproc_per_node=4",
 * "--devices 2", "--trainer.devices=2" (LightningCLI), "trainer.num_nodes=2" (Hydra), "--bf16 True".
 */
export function argumentEntries(args: ReadonlyArray<{ text: string; line?: number }>, file: string): ConfigEntry[] {
  return argListEntries(
    args.map((a) => ({ value: a.text, line: a.line })),
    '',
    file,
  );
}

/** Batches that already count every device, and counts per step that are not a batch of sequences. */
const NOT_PER_DEVICE = /(?:global|total|effective|tokens)/i;

/**
 * What the files say of the world size beyond what the engine can: when D was computed from a
 * per-device batch and no file gives the world size as a number, the engine takes one device
 * and says so in its word on D; this adds why the files leave it open (devices: "auto", -1) or
 * what they do say (`hint`: the machine's GPU count). Undefined when there is nothing to add.
 */
export function worldSizeAssumed(facts: ConfigFacts, world: WorldSize | undefined, file: string, hint = ''): Diagnostic | undefined {
  const product = facts.tokens?.product;
  if (!product || (world && 'value' in world)) return undefined;
  const batch = product.batchSize.source.field ?? 'the batch size';
  if (NOT_PER_DEVICE.test(batch)) return undefined;
  const unknown = world && 'unknown' in world ? world : undefined;
  if (!unknown && hint === '') return undefined;
  const why = unknown ? `${where(unknown.entry)}: ${unknown.unknown}` : `no file of the run records it${hint}`;
  return diagnostic(
    unknown ? unknown.entry.file : file,
    unknown ? unknown.entry.line : undefined,
    WORLD_SIZE_KEY,
    `world size not known (${why}); it is taken as 1, so D counts ${batch} for a single device: if the run used more devices, its D is that many times larger`,
    'info',
    'default',
  );
}

// --- tokens seen against tokens planned ------------------------------------------------------------

/** Names of counts of the tokens a run has seen, as loggers write them (any prefix: "train/tokens_seen"). */
const SEEN_TOKEN_NAMES = [
  'tokens_seen',
  'num_input_tokens_seen',
  'num_tokens_seen',
  'seen_tokens',
  'tokens_consumed',
  'consumed_tokens',
  'tokens_processed',
  'processed_tokens',
  'total_tokens',
  'tokens_trained',
  'trained_tokens',
];
/** Names of step counts a config plans (the run's progress is a logged step). */
const PLANNED_STEP_NAMES = ['total_steps', 'num_train_steps', 'train_iters', 'max_iterations', 'num_iterations'];
/** Names under which loggers write the step a run has reached (not W&B's own "_step" row counter). */
const PROGRESS_NAMES = ['global_step', 'iter', 'iteration', 'step'];

const leafOf = (key: string): string => normaliseKey(key.split(/[./]/).pop() ?? key);

/** The rank of a logged name among the names of seen-token counts (-1: not one), by its last segment. */
export function seenTokenRank(aliases: AliasTable): (key: string) => number {
  // One-letter aliases ("D") are too ambiguous among logged metric names.
  const names = [...SEEN_TOKEN_NAMES, ...aliases.tokens.filter((t) => t.length > 1)].map(normaliseKey);
  return (key) => (key.startsWith('_') ? -1 : names.indexOf(leafOf(key)));
}

/**
 * Counts of seen tokens among logged values (a summary, the latest metrics, a metrics table), best
 * first: the names above, then the token aliases. Any value that is a number counts, 0 included.
 */
export function seenTokenEntries(logged: readonly ConfigEntry[], aliases: AliasTable): ConfigEntry[] {
  const keyRank = seenTokenRank(aliases);
  const rank = (entry: ConfigEntry): number => keyRank(entry.key);
  return logged
    .filter((e) => rank(e) >= 0)
    .filter((e) => {
      const n = numberOf(e.value);
      return n !== undefined && Number.isFinite(n) && n >= 0;
    })
    .sort((a, b) => rank(a) - rank(b));
}

/** The step a run's logged values say it reached ("train/global_step", "trainer/global_step", "iter"). */
export function progressEntry(logged: readonly ConfigEntry[]): ConfigEntry | undefined {
  const usable = logged.filter((e) => !e.key.startsWith('_') && typeof e.value === 'number' && Number.isFinite(e.value) && e.value >= 0);
  return new EntryIndex(usable).find(PROGRESS_NAMES)[0];
}

/** Entries of a config that plan the run's length: its token and step counts. */
export function plannedCountEntries(config: readonly ConfigEntry[], aliases: AliasTable): Set<ConfigEntry> {
  const index = new EntryIndex(config);
  return new Set([...index.find(aliases.tokens), ...index.find([...aliases.steps, ...PLANNED_STEP_NAMES])].filter((e) => countOf(e.value) !== undefined));
}

/** A planned step count among the config's entries ("max_steps: 5000"), for comparing with the run's progress. */
export function plannedSteps(config: readonly ConfigEntry[], aliases: AliasTable): ConfigEntry | undefined {
  const progress = new Set(PROGRESS_NAMES.map(normaliseKey));
  const names = [...aliases.steps, ...PLANNED_STEP_NAMES].filter((n) => !progress.has(normaliseKey(n)));
  return new EntryIndex(config).find(names).find((e) => countOf(e.value) !== undefined);
}

/** A run that logged less than this share of its planned steps did not train as planned. */
export const EARLY_STOP_SHARE = 0.5;

/** Why a config's planned counts are not what the run saw, or undefined when nothing says so. */
export function planNotFollowed(unfinished: string | undefined, progress: ConfigEntry | undefined, planned: ConfigEntry | undefined): { why: string; code: DiagnosticCode } | undefined {
  if (unfinished) return { why: `the run did not finish (${unfinished})`, code: 'unfinished' };
  if (progress && planned) {
    const reached = progress.value as number;
    const plan = countOf(planned.value) as number;
    if (reached < EARLY_STOP_SHARE * plan) return { why: `the run logged ${progress.key} ${reached} of the ${plan} its ${planned.key} plans (it stopped early)`, code: 'conflict' };
  }
  return undefined;
}

const isPlanned = (source: SourceRef | undefined, planned: ReadonlySet<string>): boolean => source !== undefined && planned.has(source.file);

/** Whether the D the engine found came from the plan: a planned token count, or a product over planned steps. */
export function tokensFromPlan(facts: ConfigFacts, plannedFiles: ReadonlySet<string>): boolean {
  const tokens = facts.tokens;
  if (!tokens) return false;
  return tokens.product ? isPlanned(tokens.product.steps.source, plannedFiles) : isPlanned(tokens.source, plannedFiles);
}

export interface TokenDecision {
  /** D, when the reader decided it (a seen count); undefined with `missing` when it decided D is missing. */
  tokens?: Found<number>;
  /** The reader decided; the engine's D and its word about D are replaced. */
  decided: boolean;
  reason?: string;
  diagnostics: Diagnostic[];
}

const fmt = (n: number): string => (n >= 1e4 ? formatCount(n) : String(n));
const sourceOf = (entry: ConfigEntry): SourceRef => {
  const ref: SourceRef = { file: entry.file, field: entry.key };
  if (entry.line !== undefined) ref.line = entry.line;
  return ref;
};
const planText = (facts: ConfigFacts): string => {
  const tokens = facts.tokens as NonNullable<ConfigFacts['tokens']>;
  return tokens.product ? `${tokens.source.field} = ${fmt(tokens.value)}` : `${tokens.source.field} = ${fmt(tokens.value)} (${describeSource(tokens.source)})`;
};

/**
 * D from what the run saw, beating what its config planned: a logged count of seen tokens is D
 * (0 seen means no D); without one, D from the plan is kept unless the run did not follow it
 * (`notFollowed`), when it is missing. `planFacts` are the engine's facts over every entry.
 */
export function decideTokens(options: {
  planFacts: ConfigFacts;
  seen: readonly ConfigEntry[];
  plannedFiles: ReadonlySet<string>;
  notFollowed?: { why: string; code: DiagnosticCode };
  /** Where the logged values are, for messages ("the summary"). */
  loggedIn: string;
}): TokenDecision {
  const { planFacts, seen, plannedFiles, notFollowed, loggedIn } = options;
  const fromPlan = tokensFromPlan(planFacts, plannedFiles);
  const seenEntry = seen[0];
  if (seenEntry) {
    const value = numberOf(seenEntry.value) as number;
    if (value === 0) {
      const also = fromPlan ? `; the planned ${planText(planFacts)} is not what it trained on` : '';
      return {
        decided: true,
        reason: `the run saw 0 tokens (${seenEntry.key} is 0 in ${loggedIn})`,
        diagnostics: [diagnostic(seenEntry.file, seenEntry.line, seenEntry.key, `${seenEntry.key} is 0: the run saw no tokens, so it has no D${also}`, 'warning', fromPlan ? 'conflict' : 'bad-value')],
      };
    }
    const diagnostics: Diagnostic[] = [];
    const planned = planFacts.tokens;
    if (fromPlan && planned && Math.abs(planned.value - value) > 0.05 * value) {
      diagnostics.push(
        diagnostic(seenEntry.file, seenEntry.line, seenEntry.key, `the config plans ${planText(planFacts)} tokens, but ${seenEntry.key} says ${fmt(value)} were seen; D is the seen count`, 'info', 'conflict'),
      );
    }
    return { decided: true, tokens: { value, source: sourceOf(seenEntry) }, diagnostics };
  }
  if (fromPlan && notFollowed) {
    const severity: Severity = notFollowed.code === 'unfinished' ? 'info' : 'warning';
    const src = (planFacts.tokens as NonNullable<ConfigFacts['tokens']>).source;
    return {
      decided: true,
      reason: `${notFollowed.why}: the planned ${planText(planFacts)} is not what it saw`,
      diagnostics: [diagnostic(src.file, src.line, 'tokens', `${notFollowed.why}, and no file says how many tokens it saw: the planned ${planText(planFacts)} is not used as D`, severity, notFollowed.code)],
    };
  }
  return { decided: false, diagnostics: [] };
}

/** The engine's diagnostics without its word about D (not found, computed), for a D the reader decided. */
export const withoutTokenWord = (diagnostics: readonly Diagnostic[]): Diagnostic[] => diagnostics.filter((d) => d.field !== 'tokens');

export interface RunFacts {
  facts: ConfigFacts;
  /** Why D is missing, when the reader decided it is. */
  tokensReason?: string;
}

/**
 * The engine's facts over a run's entries, with D from what the run saw: a seen-token count beats
 * the plan; a plan the run did not follow (`notFollowed`) is taken out, so that D comes from the
 * run's logged progress if the engine can compute it from that, and is missing, said why,
 * otherwise. `planned` are the config entries that plan the run's length.
 */
export function factsFromSeen(options: {
  entries: readonly ConfigEntry[];
  planned: ReadonlySet<ConfigEntry>;
  plannedFiles: ReadonlySet<string>;
  seen: readonly ConfigEntry[];
  notFollowed?: { why: string; code: DiagnosticCode };
  loggedIn: string;
  aliases: AliasTable;
  facts: FactsOptions;
}): RunFacts {
  const planFacts = findConfigFacts(options.entries, options.aliases, options.facts);
  const decision = decideTokens({ planFacts, seen: options.seen, plannedFiles: options.plannedFiles, notFollowed: options.notFollowed, loggedIn: options.loggedIn });
  if (!decision.decided) return { facts: planFacts };
  if (options.seen.length === 0) {
    // The plan is out: D may still come from the progress the run logged.
    const progressFacts = findConfigFacts(
      options.entries.filter((e) => !options.planned.has(e)),
      options.aliases,
      options.facts,
    );
    if (progressFacts.tokens) return { facts: { ...planFacts, tokens: progressFacts.tokens, diagnostics: [...withoutTokenWord(planFacts.diagnostics), ...progressFacts.diagnostics.filter((d) => d.field === 'tokens')] } };
  }
  const facts: ConfigFacts = { ...planFacts, diagnostics: [...withoutTokenWord(planFacts.diagnostics), ...decision.diagnostics] };
  if (decision.tokens) facts.tokens = decision.tokens;
  else delete facts.tokens;
  const out: RunFacts = { facts };
  if (decision.reason !== undefined) out.tokensReason = decision.reason;
  return out;
}

// --- Lightning's documented default ----------------------------------------------------------------

/** Lightning's Trainer(precision=None) trains in "32-true" (full fp32). */
export const LIGHTNING_DEFAULT_PRECISION = '32-true';

/** Entries that say something about the training precision, set or not. */
const PRECISION_FLAGS = ['bf16', 'fp16', 'mixed_precision', 'amp', 'use_amp'];

/** Does any entry give a training precision, even one the engine cannot read? (null and false say nothing.) */
export function precisionWritten(entries: readonly ConfigEntry[], aliases: AliasTable): boolean {
  const index = new EntryIndex(entries);
  const said = (e: ConfigEntry): boolean => e.value !== null && e.value !== false && e.value !== '' && !(Array.isArray(e.value) && e.value.length === 0);
  return index.find([...aliases.precision, ...aliases.weightBits, ...aliases.actBits, ...aliases.kvBits, ...PRECISION_FLAGS]).some(said);
}
