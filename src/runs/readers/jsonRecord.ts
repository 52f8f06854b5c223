// JSON run records: one document per run holding its config and results nested, not a table.
// open_lm's exp_data/models/*.json ("Language models scale reliably with over-training": name,
// hyperparameters {tokens, params, params_no_embed, …}, open_lm_args [the command line],
// results [one entry per evaluation set]) and Marin's speedrun_results.json ({"runs":
// [{"run_info": {model_config, model_size, model_flops, total_tokens, eval/…/bpb, …}}]}) are the
// shapes it was built on. Tables (lists of flat rows, a dict of columns, pandas' layouts) are
// left to the sweep-table reader, and JSON that holds no training run (package.json, a model
// config, a DeepSpeed config) to nobody.
//
// Each run object is flattened to located entries, command lines among them read as settings
// (`--precision amp_bfloat16` is `precision: amp_bfloat16`), and handed to the facts engine for
// N, D and precision; the final loss is the evaluation loss on the training distribution.

import * as path from 'node:path';
import type { Node } from 'jsonc-parser';
import { type AliasTable, normaliseKey } from '../aliases';
import { type ArgItem, argListEntries, isArgList } from '../argList';
import type { Diagnostic } from '../diagnostics';
import { type ConfigEntry, MAX_DEPTH } from '../entries';
import { type Found, countOf, describeNumber, findConfigFacts, findName, numberOf } from '../facts';
import { type JsonConfig, jsonEntries, parseJsonWithLines } from '../jsonDoc';
import { loadSmallText } from '../load';
import { type Run, runId, withMissing } from '../run';
import { lineAt } from '../text';
import { diagnostic } from '../validate';
import { TRAINER_STATE } from './hfTrainer';
import { type LossCandidate, type RecordMetrics, chooseLoss, isEvalSegment, recordMetrics, sectionsOf, trainingData } from './jsonRecordLoss';
import { levanterEntries, nonEmbeddingParams, tokensFromFlops } from './jsonRecordModel';
import { propertiesOf, recordShape } from './jsonRecordShape';
import { MANIFEST_FILE_NAME } from './precisionPlanner';
import { isSweepTableCandidate } from './sweepTable';
import type { ReadContext, ReadResult, RunReader } from './types';
import { isWandbSummary } from './wandb';

export const JSON_RECORD_FORMAT = 'json-record';

/** Records are kilobytes (open_lm's ~10 KB); a JSON this large is a table or a dump, and is left to the sweep-table reader. */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

/**
 * Any .json the sweep-table reader would look at: the same exclusions (other readers' files,
 * model and tokenizer files, tool configuration), and never a file another reader owns.
 */
export function isJsonRecordCandidate(baseName: string, file: string): boolean {
  if (!/\.json$/i.test(baseName) || !isSweepTableCandidate(baseName, file)) return false;
  return baseName !== TRAINER_STATE && baseName !== MANIFEST_FILE_NAME && !isWandbSummary(baseName, file);
}

const leafOf = (key: string): string => key.split(/[./]/).pop() ?? key;

/** Keys that make an object a training run's config: N, D, steps, the model's width or depth, the compute. */
function trainingNames(aliases: AliasTable): Set<string> {
  const names = [...aliases.params, ...aliases.tokens, ...aliases.steps].filter((n) => n.length > 1);
  const model = ['hidden_size', 'hidden_dim', 'd_model', 'n_embd', 'num_layers', 'n_layers', 'n_layer', 'num_hidden_layers', 'model_flops', 'training_flops', 'train_flops'];
  return new Set([...names, ...model].map(normaliseKey));
}

const UNFINISHED = /^(fail|crash|running|cancel|kill|diverg|abort|error|preempt)/i;

/** Per document: the entries and metrics of each object looked at, computed once. */
class RecordDoc {
  private readonly entries = new WeakMap<Node, ConfigEntry[]>();
  private readonly metrics = new WeakMap<Node, RecordMetrics>();
  private readonly training: Set<string>;

  constructor(
    readonly json: JsonConfig,
    readonly file: string,
    readonly aliases: AliasTable,
  ) {
    this.training = trainingNames(aliases);
  }

  entriesOf(node: Node): ConfigEntry[] {
    let out = this.entries.get(node);
    if (!out) {
      out = [...jsonEntries({ ...this.json, root: node }, this.file), ...this.argEntries(node)];
      this.entries.set(node, out);
    }
    return out;
  }

  metricsOf(node: Node): RecordMetrics {
    let out = this.metrics.get(node);
    if (!out) {
      out = recordMetrics(node, this.json.starts, this.file, this.aliases);
      this.metrics.set(node, out);
    }
    return out;
  }

  hasTraining = (node: Node): boolean => this.entriesOf(node).some((e) => this.training.has(normaliseKey(leafOf(e.key))) && countOf(e.value) !== undefined);

  /** A run: a training config and at least one result (a loss, even a training one, or a bits-per-byte metric). */
  isRun = (node: Node): boolean => {
    if (!this.hasTraining(node)) return false;
    const m = this.metricsOf(node);
    return m.losses.length > 0 || m.bitsPerByte.length > 0 || m.train.length > 0;
  };

  /** Command lines kept as lists of strings, anywhere in the object, as entries with each flag's line. */
  private argEntries(root: Node): ConfigEntry[] {
    const out: ConfigEntry[] = [];
    const walk = (node: Node, prefix: string, depth: number): void => {
      if (depth > MAX_DEPTH) return;
      for (const { key, value } of propertiesOf(node)) {
        const full = prefix ? `${prefix}.${key}` : key;
        if (value.type === 'object') walk(value, full, depth + 1);
        else if (value.type === 'array') {
          const items: ArgItem[] = (value.children ?? []).map((c) => ({ value: c.type === 'string' ? c.value : undefined, line: lineAt(this.json.starts, c.offset) }));
          if (isArgList(items)) out.push(...argListEntries(items, full, this.file));
        }
      }
    };
    walk(root, '', 0);
    return out;
  }
}

const notMine = (): ReadResult => ({ runs: [], diagnostics: [], notMine: true });

export async function readJsonRecord(file: string, context: ReadContext): Promise<ReadResult> {
  // Whatever keeps the file from being read (size, binary, a Git LFS pointer) is for the
  // sweep-table reader to say, which is offered the file next: it may not be a record at all.
  const loaded = await loadSmallText(file, [], { maxBytes: MAX_RECORD_BYTES });
  if (loaded.text === undefined) return notMine();
  const diagnostics: Diagnostic[] = [];
  const json = parseJsonWithLines(loaded.text, file, diagnostics);
  const doc = new RecordDoc(json, file, context.aliases);
  const shape = recordShape(json.root, context.aliases, doc.isRun, doc.hasTraining);
  if (shape.kind === 'table' || shape.kind === 'other') return notMine();

  const runs: Run[] = [];
  if (shape.kind === 'run') runs.push(readRun(doc, shape.node, undefined, context, diagnostics));
  else {
    const listed = shape.key === '' ? 'the top-level list' : shape.key;
    const list = shape.key === '' ? json.root : propertiesOf(json.root).find((p) => p.key === shape.key)?.value;
    const kept = new Set(shape.items.map((i) => i.index));
    (list?.children ?? []).forEach((child, index) => {
      if (!kept.has(index)) {
        diagnostics.push(diagnostic(file, lineAt(json.starts, child.offset), `${shape.key}[${index}]`, `entry ${index} of ${listed} holds no run (no training config and result beside it); skipped`, 'warning', 'bad-value'));
      }
    });
    for (const item of shape.items) runs.push(readRun(doc, item.node, { key: shape.key, index: item.index, count: shape.items.length }, context, diagnostics));
  }
  return { runs, diagnostics, inputs: [file] };
}

interface ListPlace {
  key: string;
  index: number;
  count: number;
}

function readRun(doc: RecordDoc, node: Node, place: ListPlace | undefined, context: ReadContext, diagnostics: Diagnostic[]): Run {
  const { file } = doc;
  const base = path.basename(file);
  const where = place ? `${place.key || 'list'}[${place.index}] of ${base}` : base;
  const notes: Diagnostic[] = [];
  const own = doc.entriesOf(node);
  // What sits under an evaluation key (results.c4_val.tokens: the evaluation's token count) is no training setting.
  const settings = own.filter((e) => !sectionsOf(e.key).some(isEvalSegment));
  const entries = [...settings, ...levanterEntries(settings, notes)];
  const facts = findConfigFacts(entries, context.aliases, { file, where });
  const sources: Run['sources'] = {};
  const reasons: NonNullable<Run['reasons']> = {};
  const meta: Record<string, unknown> = {};

  // N: a non-embedding count, else a stated total checked against the architecture.
  const params = facts.params ? nonEmbeddingParams(facts.params, entries, context.aliases, file, notes) : undefined;
  // D: stated or steps × batch × length (the facts engine), else the training FLOPs over 6N.
  const noTokens = facts.diagnostics.find((d) => d.code === 'missing-field' && d.field === 'tokens');
  let tokens: Found<number> | undefined = facts.tokens;
  if (!tokens && noTokens && params) {
    tokens = tokensFromFlops(entries, params, notes);
    if (tokens) meta.tokensFrom = 'training FLOPs / 6N';
  }
  diagnostics.push(...facts.diagnostics.filter((d) => !(tokens && d === noTokens)), ...notes);
  if (facts.tokens?.product) meta.tokensFrom = 'steps × batch size × sequence length';

  const run: Omit<Run, 'missing'> = {
    id: place ? `${runId(file, context.root)}#${place.index}` : runId(file, context.root),
    name: findName(own, context.aliases) ?? defaultName(file, place),
    format: JSON_RECORD_FORMAT,
    file,
    ptq: facts.ptq,
    sources,
    meta,
  };
  if (params) [run.params, sources.params] = [params.value, params.source];
  if (tokens) [run.tokens, sources.tokens] = [tokens.value, tokens.source];
  if (facts.precision) [run.precision, sources.precision] = [facts.precision.value, facts.precision.source];

  const loss = finalLoss(doc.metricsOf(node), trainingData(entries), file, where, diagnostics, reasons);
  if (loss) {
    run.finalLoss = loss.value;
    sources.finalLoss = loss.candidate.source;
    if (loss.set) meta.evalSet = loss.set;
  }
  if (place) meta.record = `${place.key || ''}[${place.index}]`;
  const status = own.find((e) => e.key.split('.').length <= 2 && context.aliases.status.some((s) => normaliseKey(s) === normaliseKey(leafOf(e.key))) && typeof e.value === 'string');
  if (status && UNFINISHED.test(String(status.value).trim())) {
    run.unfinished = true;
    diagnostics.push(diagnostic(file, status.line, status.key, `${status.key} is "${String(status.value)}": the run did not finish, so its losses are not end-of-training losses`, 'info', 'unfinished'));
  }
  return withMissing(run, reasons);
}

/** The file's name without .json, under its folder's ("130m/speedrun_results"); the list position when the file holds several runs. */
function defaultName(file: string, place: ListPlace | undefined): string {
  const name = `${path.basename(path.dirname(file))}/${path.basename(file).replace(/\.json$/i, '')}`;
  return place && place.count > 1 ? `${name}#${place.index}` : name;
}

function finalLoss(
  metrics: RecordMetrics,
  training: ConfigEntry[],
  file: string,
  where: string,
  diagnostics: Diagnostic[],
  reasons: NonNullable<Run['reasons']>,
): { value: number; candidate: LossCandidate; set?: string } | undefined {
  const choice = chooseLoss(metrics.losses, training, file);
  diagnostics.push(...choice.diagnostics);
  const chosen = choice.chosen;
  if (chosen) {
    const value = numberOf(chosen.value);
    if (value !== undefined && Number.isFinite(value) && value > 0) return { value, candidate: chosen, ...(choice.set ? { set: choice.set } : {}) };
    // A NaN final loss says the run diverged: another set's loss would hide that.
    diagnostics.push(diagnostic(file, chosen.source.line, chosen.source.field, `${chosen.source.field} is ${describeNumber(chosen.value)}: not a usable final loss (did the run diverge?); the run has no final loss`, 'warning', 'bad-value'));
    reasons.finalLoss = `loss is ${describeNumber(chosen.value)} (${chosen.source.field})`;
    return undefined;
  }
  const fields = (refs: RecordMetrics['train']): string => refs.slice(0, 3).map((r) => r.field).join(', ') + (refs.length > 3 ? ', …' : '');
  let message: string;
  if (metrics.bitsPerByte.length > 0) {
    reasons.finalLoss = `only a bits-per-byte metric (${fields(metrics.bitsPerByte)}), which is not a loss in nats per token`;
    message = `no validation loss in ${where}: ${fields(metrics.bitsPerByte)} is bits per byte, not a loss in nats per token, and cannot be converted without the data's bytes per token; it is not used as the final loss`;
  } else if (metrics.train.length > 0) {
    reasons.finalLoss = `only a training loss (${fields(metrics.train)})`;
    message = `no validation loss in ${where}, only the training loss ${fields(metrics.train)}; the final loss must be a held-out loss`;
  } else {
    reasons.finalLoss = `no validation loss in ${where}`;
    message = `no validation loss in ${where} (looked for val_loss, eval_loss, eval/…/loss and the loss of each entry of a results list)`;
  }
  diagnostics.push(diagnostic(file, undefined, 'finalLoss', message, 'warning', 'missing-field'));
  return undefined;
}

export const jsonRecordReader: RunReader = {
  id: JSON_RECORD_FORMAT,
  label: 'JSON run record',
  matches: isJsonRecordCandidate,
  read: readJsonRecord,
};
