import { renameSync, writeFileSync } from 'node:fs';
import { CONSTANT_NAMES, PAPER_CONSTANTS } from '../../law/constants';
import { type FitResult, fit } from '../../fit/fit';
import { type Metrics, shownMetric } from '../../fit/metrics';
import type { CoverageSet } from '../../fit/coverage';
import { heldOff } from '../../fit/stages';
import { type ScanResult, scan } from '../../runs/discover';
import { RUN_FILES_LOOKED_FOR } from '../../runs/readers';
import { type Io, fmt, integer, parse } from '../args';
import { CliError } from '../errors';
import { formatCount } from '../../runs/quantity';
import { table } from '../table';
import { parseVariant } from '../../fit/variants';
import { summarizeRuns, summaryText } from '../../runs/summary';
import { CLI_HINTS, precisionDefaults, problemLines, runsLines, summaryJson } from '../summary';

export const FIT_USAGE = `precision-planner fit PATH... [--out FILE] [--variant NAME] [--loss huber|squares] [--untied] [--offsets fit|zero]
                      [--bootstrap N] [--seed S] [--no-joint] [--no-held-out] [--allow-negative gammaN,gammaD]
                      [--precision [GLOB=]NAME]... [--verbose] [--json]
  Reads the runs under PATH (folders are searched; --precision, as in scan, gives the training
  precision of runs whose files give none), says what the runs left out lack and the problems
  reading them by folder and kind (--verbose lists each run and problem), fits the unified law
  in stages and prints each stage's solver status, gradient norm and constants at a bound, the
  constants with 95% bootstrap intervals (or why there is none: not identifiable, failed
  bootstrap), R^2, RMSE and the error on the held-out largest model, the run-to-run scale and how
  often the 95% intervals cover the losses: in sample, on the held-out largest size, and in a
  rollout (fit the k smallest sizes, predict the next).
  Variants: the default fit (tied exponents, fitted offsets, joint refinement, Huber) and each
  variant one choice away (untied, zero-offsets, no-joint, squares) are refitted on the smaller
  sizes and scored by their error on the sizes they did not see; the best is used and the table
  printed. --variant NAME pins one (default, or names joined by "+": untied+no-joint); --untied,
  --offsets, --no-joint and --loss pin those choices and the others are compared.
  --allow-negative lets gamma_N and/or gamma_D take negative values (by default bounded at 0).
  --out writes the fit as JSON for "predict/recommend/dcrit --fit FILE".`;

const SIGN_CONSTANTS = ['gammaN', 'gammaD'] as const;

const percent = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);

/** How often the 95% intervals contain the losses they are about, and the scale they add. */
export function coverageLines(result: Pick<FitResult, 'coverage' | 'residualScale'>): string[] {
  const lines: string[] = [];
  const scale = result.residualScale;
  const part = (label: string, s: NonNullable<FitResult['residualScale']>['train']) => (s ? `${fmt(s.sigma, 3)} ${label} (${s.source === 'seeds' ? 'seed replicates' : 'residuals'}, ${s.dof} dof)` : `none ${label}`);
  if (scale) lines.push(`${'run-to-run scale'.padEnd(22)} ${part('end of training', scale.train)}, ${part('after PTQ', scale.ptq)} (log-loss standard deviation)`);
  const c = result.coverage;
  if (!c) return lines;
  const rows: Array<Array<string | number>> = [];
  const notes: string[] = [];
  const add = (label: string, set: CoverageSet) => rows.push([label, percent(set.all.confidence), percent(set.all.prediction), percent(set.train.prediction), percent(set.ptq.prediction), set.all.n]);
  add('in sample', c.inSample);
  if ('skipped' in c.heldOut) notes.push(`held out: skipped, ${c.heldOut.skipped}`);
  else {
    add(`held out (N=${formatCount(c.heldOut.params)})`, c.heldOut);
    notes.push(`held out: refit on the ${c.heldOut.fittedSizes.length} smaller sizes, its band from ${c.heldOut.replicates} bootstrap replicates`);
  }
  if ('skipped' in c.rollout) notes.push(`rollout: skipped, ${c.rollout.skipped}`);
  else {
    add(`rollout (${c.rollout.steps.length} step${c.rollout.steps.length === 1 ? '' : 's'})`, c.rollout.pooled);
    notes.push(`rollout: ${c.rollout.steps.map((s) => `${s.fittedSizes.length} smallest sizes -> N=${formatCount(s.params)}: ${percent(s.all.confidence)} / ${percent(s.all.prediction)}`).join(', ')}`);
  }
  lines.push(
    '',
    `Coverage of the ${Math.round(c.level * 100)}% intervals: the confidence band of the expected loss (bootstrap of the constants) and the prediction interval for a run (adds the run-to-run scale)`,
    table(['', 'confidence band', 'prediction interval', 'prediction, end of training', 'prediction, after PTQ', 'points'], rows),
    ...notes.map((n) => `  ${n}`),
  );
  return lines;
}

const num = (x: number | null): string => (x === null ? '-' : fmt(x, 3));

/** The variants compared by held-out error, the one used marked. */
export function variantLines(result: Pick<FitResult, 'variants'>): string[] {
  const c = result.variants;
  if (!c) return [];
  const errors = (x: NonNullable<FitResult['variants']>['rows'][number]['largestOut'] | NonNullable<FitResult['variants']>['rows'][number]['rollout']) =>
    'skipped' in x ? ['skipped', '-'] : [num(x.train), num(x.degradation)];
  const rows = c.rows.map((r) => [`${r.chosen ? '* ' : '  '}${r.name}`, ...errors(r.largestOut), ...errors(r.rollout), r.score === null ? '-' : r.score.toFixed(3)]);
  const how = c.choice === 'pinned' ? 'pinned' : c.choice === 'held-out' ? 'chosen by held-out error' : 'the base: no other variant could be scored';
  const lo = c.rows.find((r) => 'params' in r.largestOut)?.largestOut;
  const steps = c.rows.find((r) => 'steps' in r.rollout)?.rollout;
  return [
    '',
    `Variants (held-out error; * = used: ${c.chosen}, ${how}${c.pinned.length > 0 && c.choice !== 'pinned' ? `; pinned: ${c.pinned.join(', ')}` : ''})`,
    table(
      ['variant', `largest out${lo && 'params' in lo ? ` (N=${formatCount(lo.params)})` : ''}: log-loss RMSE`, 'degradation RMSE', `rollout${steps && 'steps' in steps ? ` (${steps.steps} step${steps.steps === 1 ? '' : 's'})` : ''}: log-loss RMSE`, 'degradation RMSE', 'score'],
      rows,
    ),
    `  score: ${c.rule}`,
  ];
}

const metricLine = (label: string, m: Metrics | null): string =>
  m
    ? `${label.padEnd(22)} R^2 ${shownMetric(m, 'r2', (x) => fmt(x, 3), '-')}  RMSE ${shownMetric(m, 'rmse', (x) => fmt(x, 3), '-')}  mean |error| ${shownMetric(m, 'mape', (x) => `${fmt(x * 100, 3)}%`, '-')}  (${m.n} points)`
    : `${label.padEnd(22)} no points`;

function render(result: FitResult, scanned: ScanResult, roots: readonly string[], verbose: boolean): string {
  const lines: string[] = [result.message, ''];
  const problems = scanned.diagnostics.length > 0 ? ['', ...problemLines(scanned.diagnostics, roots, verbose)] : [];
  // What the runs left out lack, grouped; each run with --verbose.
  const lacking = runsLines(summarizeRuns(scanned.runs));
  const each = verbose ? result.data.skippedRuns.map((s) => `left out: ${s.runId}: ${s.reason}`) : [];
  const skippedRuns = lacking.length > 0 || each.length > 0 ? ['', ...lacking, ...each] : [];
  lines.push(
    table(
      ['stage', 'status', 'solver', '|gradient|', 'points', 'objective', 'at bound', 'constants / reason'],
      result.stages.map((s) => [
        s.name,
        s.status,
        s.solver?.status ?? '-',
        typeof s.gradientNorm === 'number' ? s.gradientNorm.toExponential(1) : '-',
        s.points,
        s.cost !== undefined ? s.cost.toExponential(3) : '-',
        s.atBound && s.atBound.length > 0 ? [...new Set(s.atBound)].join(' ') : '-',
        s.status === 'fitted' ? [...new Set(s.fitted)].join(' ') : (s.reason ?? ''),
      ]),
    ),
  );
  // Without a fitted stage the constants and errors would be the preset's: show only why.
  if (!result.ok) return [...lines, ...skippedRuns, ...problems].join('\n');
  lines.push('');
  const ident = result.identifiability;
  const status = result.bootstrap?.intervalStatus ?? {};
  const rows = CONSTANT_NAMES.map((name) => {
    const ci = result.intervals[name];
    const off = heldOff(result, name);
    const unknown = ident?.notIdentifiable[name] !== undefined && result.origin[name] === 'fitted';
    const value = off ?? (unknown ? 'not identifiable' : `${fmt(result.constants[name])}${ident?.atBound[name] ? ' (at bound)' : ''}`);
    const interval = off || unknown ? '-' : ci ? `${fmt(ci[0])} to ${fmt(ci[1])}` : status[name]?.status === 'failed' ? 'bootstrap failed' : '-';
    return [name, value, interval, fmt(PAPER_CONSTANTS[name]), result.origin[name]];
  });
  for (const p of ident?.products ?? []) {
    rows.push([p.label, fmt(p.value), p.interval ? `${fmt(p.interval[0])} to ${fmt(p.interval[1])}` : '-', fmt(p.paper), 'fitted']);
  }
  lines.push(table(['constant', 'value', '95% interval', 'paper', 'source'], rows));
  // Why a constant has no estimate or sits on a bound (the warnings below say the rest).
  for (const name of CONSTANT_NAMES) {
    const why = ident?.notIdentifiable[name];
    if (why !== undefined && !heldOff(result, name)) lines.push(`not identifiable: ${name}: ${why}`);
  }
  for (const [name, text] of Object.entries(ident?.atBound ?? {})) if (!/prefer|pull/.test(text)) lines.push(`at bound: ${name} ${text}`);
  lines.push('', metricLine('all points', result.metrics.all), metricLine('end of training', result.metrics.train), metricLine('after PTQ', result.metrics.ptq));
  // Degradations are small differences, so a relative error on them says little: give loss units.
  const deg = result.metrics.degradation;
  const three = (x: number) => fmt(x, 3);
  lines.push(
    deg
      ? `${'PTQ degradation'.padEnd(22)} R^2 ${shownMetric(deg, 'r2', three, '-')}  RMSE ${shownMetric(deg, 'rmse', three, '-')}  max |error| ${shownMetric(deg, 'maxAbsError', three, '-')}  (${deg.n} points)`
      : `${'PTQ degradation'.padEnd(22)} no points`,
  );
  const held = result.metrics.heldOut;
  if (held && 'params' in held) lines.push(metricLine(`held out (N=${formatCount(held.params)})`, held.all));
  else if (held) lines.push(`held out               skipped: ${held.skipped}`);
  const b = result.bootstrap;
  if (b) {
    const counts = b.failed !== undefined ? `; ${b.failed} failed, ${b.unmoved ?? 0} never moved, ${b.unconverged ?? 0} kept unconverged; each from the fit's solution and ${b.gridStarts ?? 0} grid starts` : '';
    lines.push(`bootstrap              ${b.succeeded} of ${b.replicates} replicates used${counts}, seed ${b.seed}`);
  }
  lines.push(...coverageLines(result));
  lines.push(...variantLines(result));
  for (const w of result.warnings) lines.push(`warning: ${w}`);
  return [...lines, ...skippedRuns, ...problems].join('\n');
}

export async function fitCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      out: { type: 'string', short: 'o' },
      loss: { type: 'string' },
      untied: { type: 'boolean' },
      offsets: { type: 'string' },
      bootstrap: { type: 'string' },
      seed: { type: 'string' },
      'no-joint': { type: 'boolean' },
      variant: { type: 'string' },
      'no-held-out': { type: 'boolean' },
      'allow-negative': { type: 'string' },
      precision: { type: 'string', multiple: true },
      verbose: { type: 'boolean' },
    },
    true,
  );
  if (values.help) return io.out(FIT_USAGE), 0;
  if (positionals.length === 0) throw new CliError('give at least one PATH with runs (a folder or a run.json)', 2);
  if (values.loss !== undefined && values.loss !== 'huber' && values.loss !== 'squares') throw new CliError(`--loss: "${values.loss}" is not huber or squares`, 2);
  if (values.offsets !== undefined && values.offsets !== 'fit' && values.offsets !== 'zero') throw new CliError(`--offsets: "${values.offsets}" is not fit or zero`, 2);
  if (values.variant !== undefined && values.variant !== 'auto') {
    const parsed = parseVariant(values.variant);
    if ('error' in parsed) throw new CliError(`--variant: ${parsed.error}`, 2);
  }
  const allowNegative = (values['allow-negative'] ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  for (const name of allowNegative) {
    if (!(SIGN_CONSTANTS as readonly string[]).includes(name)) throw new CliError(`--allow-negative: "${name}" is not ${SIGN_CONSTANTS.join(' or ')}`, 2);
  }
  const defaultPrecision = precisionDefaults(values.precision);
  const scanned = await scan(positionals, defaultPrecision ? { defaultPrecision } : {});
  if (scanned.runs.length === 0) {
    for (const line of problemLines(scanned.diagnostics, positionals, values.verbose === true)) io.err(line);
    throw new CliError(`no runs found under ${positionals.join(', ')} (looked for ${RUN_FILES_LOOKED_FOR}); "precision-planner scan ${positionals.join(' ')}" lists the files found and the problems reading them`);
  }
  const result = fit(scanned.runs, {
    // Only the choices given are pinned: the others are compared by held-out error.
    ...(values.loss !== undefined ? { loss: values.loss as 'huber' | 'squares' } : {}),
    ...(values.untied ? { tieExponents: false } : {}),
    ...(values.offsets !== undefined ? { offsets: values.offsets as 'fit' | 'zero' } : {}),
    ...(values['no-joint'] ? { joint: false } : {}),
    ...(values.variant !== undefined ? { variant: values.variant } : {}),
    bootstrap: integer(values.bootstrap, 'bootstrap', 100),
    seed: integer(values.seed, 'seed', 0),
    heldOut: !values['no-held-out'],
    allowNegative: allowNegative as Array<(typeof SIGN_CONSTANTS)[number]>,
    onProgress: io.progress && ((done, total, what) => io.progress?.(`fitting: ${what} (${done}/${total})`)),
  });
  io.progress?.('');
  if (values.out !== undefined) {
    try {
      // Temp file and rename: an interrupted write never leaves a half fit where a good one was.
      const temp = `${values.out}.${process.pid}.tmp`;
      writeFileSync(temp, `${JSON.stringify(result, null, 2)}\n`);
      renameSync(temp, values.out);
    } catch (error) {
      throw new CliError(`--out ${values.out}: ${(error as Error).message}`);
    }
  }
  const summary = summarizeRuns(scanned.runs);
  if (values.json) io.out(JSON.stringify({ ...result, diagnostics: scanned.diagnostics, summary: summaryJson(summary) }, null, 2));
  else io.out(render(result, scanned, positionals, values.verbose === true));
  // Nothing complete: what the runs lack is the reason, said in one grouped line.
  if (!result.ok) throw new CliError(summary.complete === 0 ? `${summaryText(summary, CLI_HINTS)}; ${result.message}` : result.message);
  return 0;
}
