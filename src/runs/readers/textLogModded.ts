// modded-nanogpt's training logs (github.com/KellerJordan/modded-nanogpt, records/*/*.txt): the
// training script's own source printed first, then `step:N/M train_loss:x …` and
// `step:N/M val_loss:x …` lines. Its settings are the fields of the script's `Hyperparameters`
// dataclass (`batch_size : int = 8*64 # … across all devices`, `sequence_length : int = 1024`),
// read as Python assignments and never run; the model is `GPT(GPTConfig(n_layer=12, …))`.
// D = the last evaluation's step × batch_size × sequence_length (the batch counts every
// device). The precision is set in the script's code (autocast, casts), not in a setting, so
// it is left to the user to say.

import type { Found } from '../facts';
import { KeyedCurves } from '../curves';
import { pythonAssignment } from '../pythonConfig';
import type { ConfigEntry } from '../entries';
import { type DialectRun, type FinishContext, type LogDialect, type RunParts, RunNotes, entry, grouped, logFacts, logNumber, source } from './textLogShared';

export const MODDED_NANOGPT_DIALECT = 'modded-nanogpt';

const PROGRESS = /^step:(\d+)\/(\d+) (train_loss|val_loss):(\S+)/;
const HYPERPARAMETER = /^\s{4}(batch_size|device_batch_size|sequence_length|num_iterations)\s*:/;
const GPT_CONFIG = 'GPTConfig(';

/**
 * The arguments of the first "GPTConfig(…)" on a line, found with two searches: as the pattern
 * /GPTConfig\(([^)]*)\)/ a line of repeated "GPTConfig(" without a ")" was rescanned from each.
 */
function gptConfigArgs(text: string): string | undefined {
  const at = text.indexOf(GPT_CONFIG);
  if (at < 0) return undefined;
  const close = text.indexOf(')', at + GPT_CONFIG.length);
  return close < 0 ? undefined : text.slice(at + GPT_CONFIG.length, close);
}
const ARCHITECTURE_KWARGS = new Set(['n_layer', 'n_head', 'n_embd', 'vocab_size']);

class ModdedRun implements DialectRun {
  progressed = false;
  lastProgressLine = 0;
  private readonly settings = new Map<string, ConfigEntry>();
  private readonly curves = new KeyedCurves();
  private lastVal?: { step: number; of: number; loss: number; line: number };
  private badVal?: { step: number; text: string; line: number };

  constructor(private readonly file: string) {}

  feed(text: string, line: number): void {
    const progress = PROGRESS.exec(text);
    if (progress) {
      const [step, of] = [Number(progress[1]), Number(progress[2])];
      const value = logNumber(progress[4]);
      this.progressed = true;
      this.lastProgressLine = line;
      if (progress[3] === 'val_loss') {
        if (value !== undefined && Number.isFinite(value) && value > 0) {
          this.lastVal = { step, of, loss: value, line };
          this.badVal = undefined;
        } else this.badVal = { step, text: progress[4], line };
      }
      if (value !== undefined && Number.isFinite(value) && value > 0) this.curves.add(progress[3], { step, value, line, file: this.file });
      return;
    }
    if (this.progressed) return;
    if (HYPERPARAMETER.test(text)) {
      const assignment = pythonAssignment(text.trim());
      if (assignment && typeof assignment.value === 'number') this.settings.set(assignment.key, entry(assignment.key, assignment.value, this.file, line));
      return;
    }
    const config = gptConfigArgs(text);
    if (config !== undefined) {
      for (const kwarg of config.split(',')) {
        const [key, value] = kwarg.split('=').map((s) => s.trim());
        const n = value === undefined ? undefined : logNumber(value);
        if (ARCHITECTURE_KWARGS.has(key) && n !== undefined) this.settings.set(key, entry(key, n, this.file, line));
      }
    }
  }

  finish(context: FinishContext): RunParts {
    const notes = new RunNotes(this.file);
    const facts = logFacts([...this.settings.values()], context.aliases, this.file, "the training script the log printed");
    notes.diagnostics.push(...facts.diagnostics);
    const parts: RunParts = { reasons: notes.reasons, curve: this.curves.curve(['val_loss', 'train_loss']), ptq: [], meta: { tool: 'modded-nanogpt' }, diagnostics: notes.diagnostics };
    parts.params = facts.params;
    if (!parts.params) notes.missing('params', 'no GPTConfig(n_layer=…, n_embd=…) in the printed script', 'the printed script builds no GPTConfig with n_layer and n_embd; N is unknown');
    parts.tokens = this.tokens_(notes);
    notes.missing('precision', "set in the script's code (autocast, casts), not in a setting", "modded-nanogpt sets the training precision in the script's code, not in a setting; give it with the default-precision setting or --precision", undefined, 'info');
    if (this.lastVal && this.lastVal.step === 0 && !this.badVal) notes.missing('finalLoss', 'only the evaluation before training (step 0)', 'the only val_loss line is at step 0, before any training; no final loss', this.lastVal.line);
    else if (this.lastVal && !this.badVal) parts.finalLoss = { value: this.lastVal.loss, source: source(this.file, this.lastVal.line, 'val_loss') };
    else if (this.badVal) notes.missing('finalLoss', `val_loss at step ${this.badVal.step} is ${this.badVal.text}`, `val_loss at step ${this.badVal.step} is ${this.badVal.text}, not a loss; no final loss`, this.badVal.line, 'warning', 'bad-value');
    else notes.missing('finalLoss', 'no val_loss line', 'no "step:N/M val_loss:…" line; no final loss');
    if (this.lastVal && this.lastVal.step < this.lastVal.of) {
      parts.unfinished = true;
      notes.add(this.lastVal.line, 'finalLoss', `the last evaluation is at step ${this.lastVal.step} of ${this.lastVal.of}: the run did not finish`, 'info', 'unfinished');
    } else if (context.ending) {
      parts.unfinished = true;
      notes.add(context.ending.line, undefined, `the log ends with ${context.ending.what}`, 'info', 'unfinished');
    }
    return parts;
  }

  /** D = the last evaluation's step × sequences per step (over all devices) × sequence length. */
  private tokens_(notes: RunNotes): Found<number> | undefined {
    const batch = this.settings.get('batch_size');
    const length = this.settings.get('sequence_length');
    const last = this.lastVal;
    if (!batch || !length || !last || last.step === 0) {
      notes.missing('tokens', 'no batch_size and sequence_length in the printed script, or no evaluation', "D needs the script's batch_size and sequence_length and a val_loss step; not all are in the log");
      return undefined;
    }
    const value = last.step * (batch.value as number) * (length.value as number);
    notes.add(last.line, 'tokens', `D = step ${last.step} × batch_size ${grouped(batch.value as number)} (sequences over all devices, line ${batch.line}) × sequence_length ${grouped(length.value as number)} (line ${length.line}) = ${grouped(value)}`, 'info', 'derived');
    return { value, source: source(this.file, last.line, 'step × batch_size × sequence_length') };
  }
}

export const moddedNanoGptDialect: LogDialect = {
  id: MODDED_NANOGPT_DIALECT,
  label: 'modded-nanogpt',
  signature: (text) => PROGRESS.test(text),
  // One training per file: the records hold one run each.
  startsRun: () => false,
  restartVerdict: () => undefined,
  create: (file) => new ModdedRun(file),
};
