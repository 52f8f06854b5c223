// The dashboard's view model: every chart's data, computed from the current constants, the
// fit and the runs. Pure — the webview draws it and computes nothing.

import { CONSTANT_NAMES, type Constants, PAPER_CONSTANTS, PARTS } from '../law/constants';
import { type CostModel, costModelById } from '../law/cost';
import { type Format, formatLabel } from '../law/formats';
import { criticalTokens } from '../law/dcrit';
import { precisionFactor, predict } from '../law/law';
import { fixedPrecisionOptimum, isLawError, plan } from '../law/plan';
import type { FitResult } from '../fit/fit';
import { DEFAULT_EXTRAPOLATION_THRESHOLD, defaultSensitivity, domainFor, extrapolation, provenance, sensitivityText } from '../fit/domain';
import type { LawDomain } from '../law/domain';
import { lawPtqEntries } from '../fit/points';
import { heldOff } from '../fit/stages';
import { planUncertainty } from '../fit/planInterval';
import { formatCount } from '../runs/quantity';
import { type Run, isComplete } from '../runs/run';
import type { PtqReport } from '../ptq/workspace';
import { checkpointFrontier, ptqSamples } from '../ptq/samples';
import type { DashboardInputs, DashboardModel, XY } from '../../webview/protocol';

const PART_NAMES: Record<string, string> = { w: 'weights', a: 'activations', kv: 'KV cache' };
const geometric = (lo: number, hi: number, n: number): number[] => Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (i / (n - 1)));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};

/** Defaults from the workspace's runs (their median size and tokens), else a 1B / 20B model. */
export function defaultInputs(runs: readonly Run[], inferenceBits: number): DashboardInputs {
  const complete = runs.filter(isComplete);
  const params = complete.length > 0 ? median(complete.map((r) => r.params)) : 1e9;
  const tokens = complete.length > 0 ? median(complete.map((r) => r.tokens)) : 2e10;
  return { params, tokens, post: inferenceBits, compute: 1e21, scenario: 'joint', planPrecision: 8, planParams: 1e9, planMemoryGB: 4 };
}

function fitSection(fit: FitResult): DashboardModel['fit'] {
  const m = fit.metrics;
  const metrics: NonNullable<DashboardModel['fit']>['metrics'] = [];
  for (const [label, x] of [['all points', m.all], ['end of training', m.train], ['after PTQ', m.ptq]] as const) {
    if (x) metrics.push({ label, n: x.n, r2: x.r2, rmse: x.rmse, mape: x.mape, ...(x.unavailable ? { unavailable: x.unavailable } : {}) });
  }
  if (m.heldOut && 'params' in m.heldOut && m.heldOut.all) {
    const h = m.heldOut.all;
    metrics.push({ label: `held out (N = ${m.heldOut.params.toPrecision(3)})`, n: h.n, r2: h.r2, rmse: h.rmse, mape: h.mape, ...(h.unavailable ? { unavailable: h.unavailable } : {}) });
  }
  return {
    message: fit.message,
    warnings: fit.warnings,
    // A point the law gives no finite prediction for has no place on the observed-predicted chart.
    points: fit.points.flatMap((p) => (typeof p.predicted === 'number' ? [{ ...p, predicted: p.predicted }] : [])).map((p) => ({
      observed: p.observed,
      predicted: p.predicted,
      heldOut: p.heldOutPrediction,
      kind: p.kind,
      label: `${p.runId}${p.kind === 'ptq' ? ` · PTQ ${p.post} bits` : ''}`,
      file: p.file,
      line: p.line,
    })),
    stages: fit.stages.map((s) => ({
      name: s.name,
      status: s.status,
      detail: s.status === 'fitted' ? [...new Set(s.fitted)].join(', ') : (s.reason ?? ''),
      ...(s.solver ? { solver: s.solver.status, gradientNorm: s.solver.gradientNorm } : {}),
      ...(s.atBound ? { atBound: [...new Set(s.atBound)] } : {}),
    })),
    constants: [
      ...CONSTANT_NAMES.map((name) => {
        const ci = fit.intervals[name];
        const off = heldOff(fit, name);
        if (off) return { name, value: fit.constants[name], heldOff: off, paper: PAPER_CONSTANTS[name], origin: fit.origin[name] };
        const why = fit.origin[name] === 'fitted' ? fit.identifiability?.notIdentifiable[name] : undefined;
        if (why !== undefined) return { name, value: fit.constants[name], notIdentifiable: why, paper: PAPER_CONSTANTS[name], origin: fit.origin[name] };
        const atBound = fit.identifiability?.atBound[name];
        const status = fit.bootstrap?.intervalStatus?.[name];
        return {
          name,
          value: fit.constants[name],
          low: ci?.[0],
          high: ci?.[1],
          paper: PAPER_CONSTANTS[name],
          origin: fit.origin[name],
          ...(atBound ? { atBound } : {}),
          ...(status?.status === 'failed' ? { intervalFailed: status.reason } : {}),
        };
      }),
      ...(fit.identifiability?.products ?? []).map((p) => ({ name: p.label, value: p.value, low: p.interval?.[0], high: p.interval?.[1], paper: p.paper, origin: 'fitted' })),
    ],
    metrics,
    coverage: coverageRows(fit),
  };
}

/** How often the two 95% intervals held, in sample, on the largest size held out and in the rollout. */
function coverageRows(fit: FitResult): NonNullable<DashboardModel['fit']>['coverage'] {
  const c = fit.coverage;
  if (!c) return [];
  const rows = [{ label: 'in sample', n: c.inSample.all.n, confidence: c.inSample.all.confidence, prediction: c.inSample.all.prediction }];
  if (!('skipped' in c.heldOut)) rows.push({ label: `held out (N = ${formatCount(c.heldOut.params)})`, n: c.heldOut.all.n, confidence: c.heldOut.all.confidence, prediction: c.heldOut.all.prediction });
  if (!('skipped' in c.rollout)) rows.push({ label: `rollout (${c.rollout.steps.length} step${c.rollout.steps.length === 1 ? '' : 's'})`, n: c.rollout.pooled.all.n, confidence: c.rollout.pooled.all.confidence, prediction: c.rollout.pooled.all.prediction });
  return rows;
}

function precisionSection(c: Constants, runs: readonly Run[], inputs: DashboardInputs): DashboardModel['precision'] {
  const bitsGrid = Array.from({ length: 61 }, (_, i) => 1 + i * 0.25);
  const factors = PARTS.map((part) => ({
    part: PART_NAMES[part],
    points: bitsGrid.map((b) => ({ x: b, y: Math.max(0, precisionFactor(c, part, b)) })),
  }));
  const loss: XY[] = [];
  for (const b of bitsGrid.filter((x) => x >= 2)) {
    const p = predict(c, { params: inputs.params, tokens: inputs.tokens, precision: { w: b, a: b, kv: b } });
    if (p.ok) loss.push({ x: b, y: p.loss });
  }
  // Runs within a factor 1.5 of the chosen size and tokens, where the precision effect is comparable.
  const near = runs.filter(isComplete).filter((r) => Math.abs(Math.log(r.params / inputs.params)) < Math.log(1.5) && Math.abs(Math.log(r.tokens / inputs.tokens)) < Math.log(1.5));
  return {
    factors,
    loss,
    runs: near.map((r) => ({ x: r.precision.w.bits, y: r.finalLoss, label: `${r.name} (w${r.precision.w.bits}a${r.precision.a.bits}kv${r.precision.kv.bits})`, file: r.file, line: r.sources.finalLoss?.line })),
  };
}

/**
 * How far the PTQ chart's token range may grow past the runs' range (a third of the smallest to
 * 30x the largest run's tokens) to reach the D_crit values it marks: 30x more at either end.
 * A D_crit further out is not drawn; its size's legend entry says where it lies.
 */
export const DCRIT_RANGE_EXTENSION = 30;

function ptqSection(c: Constants, runs: readonly Run[], inputs: DashboardInputs): DashboardModel['ptq'] {
  const complete = runs.filter(isComplete);
  const sizes = [...new Set(complete.map((r) => r.params))].sort((a, b) => a - b);
  const chosen = sizes.length > 0 ? sizes : [1e8, 3e8, 1e9];
  const tokenValues = complete.map((r) => r.tokens);
  const baseLo = tokenValues.length > 0 ? Math.min(...tokenValues) / 3 : 1e9;
  const baseHi = tokenValues.length > 0 ? Math.max(...tokenValues) * 30 : 1e12;
  const post = inputs.post;
  const precision = { w: 16, a: 16, kv: 16 };
  const dcrits = chosen.map((params) => criticalTokens(c, params, precision, post));
  // Widen the range (within bounds) so that each D_crit lies on its drawn curve, with some curve
  // past it to show the loss turning up.
  const reachable = dcrits.flatMap((d) => (d.ok && d.tokens >= baseLo / DCRIT_RANGE_EXTENSION && d.tokens <= baseHi * DCRIT_RANGE_EXTENSION ? [d.tokens] : []));
  const lo = Math.max(baseLo / DCRIT_RANGE_EXTENSION, Math.min(baseLo, ...reachable.map((t) => t / 2)));
  const hi = Math.min(baseHi * DCRIT_RANGE_EXTENSION, Math.max(baseHi, ...reachable.map((t) => t * 3)));
  const steps = Math.max(60, Math.ceil(15 * Math.log10(hi / lo)));
  return {
    post,
    sizes: chosen.map((params, i) => {
      const d = dcrits[i];
      const inside = d.ok && d.tokens >= lo && d.tokens <= hi;
      // The marker's own token count is a point of the curve, so the line passes through it.
      const grid = geometric(lo, hi, steps);
      if (inside) grid.push(d.tokens);
      const points: XY[] = [];
      for (const tokens of grid.sort((a, b) => a - b)) {
        const p = predict(c, { params, tokens, precision, post });
        if (p.ok) points.push({ x: tokens, y: p.loss });
      }
      if (!d.ok) return { params, points };
      return inside ? { params, points, dcrit: { x: d.tokens, y: d.loss } } : { params, points, dcritBeyond: d.tokens };
    }),
    runs: complete.flatMap((r) =>
      lawPtqEntries(r.ptq)
        .filter((q) => q.bits === post && r.precision.w.bits >= 16)
        .map((q) => ({ x: r.tokens, y: q.loss, params: r.params, label: `${r.name} · PTQ ${q.bits} bits`, file: q.source?.file ?? r.file, line: q.source?.line })),
    ),
  };
}

function quantizedSection(runs: readonly Run[], report: PtqReport | undefined): DashboardModel['quantized'] {
  const files = new Map(runs.map((r) => [r.id, r.file]));
  const { candidates, frontier } = checkpointFrontier(ptqSamples(runs).samples);
  const point = (c: (typeof candidates)[number], memory: number) => ({ x: memory, y: c.loss, label: c.label, format: c.format, file: files.get(c.runId) });
  const section: DashboardModel['quantized'] = {
    checkpoints: candidates.map((c) => point(c, (c.params * c.bitsPerWeight) / 8)),
    frontier: frontier.map((c) => point(c, c.memoryBytes)),
  };
  const e = report?.evaluation;
  if (e) {
    section.predictor = {
      message: e.message,
      features: [...e.features],
      rows: e.sizes.map((s) =>
        s.status === 'skipped'
          ? { params: s.params, n: s.n, skipped: s.reason }
          : { params: s.params, n: s.n, forestMae: s.forest.mae, lawMae: s.baseline?.errors?.mae, lawN: s.baseline?.errors?.n, forestOnLawMae: s.baseline?.forestOnSame?.mae },
      ),
    };
    const p = e.pooled;
    if (p.forest) section.predictor.pooled = { n: p.forest.n, forestMae: p.forest.mae, lawMae: p.baseline?.errors?.mae, lawN: p.baseline?.errors?.n, forestOnLawMae: p.baseline?.forestOnSame?.mae };
  }
  return section;
}

function planSection(c: Constants, inputs: DashboardInputs, costModel: string | CostModel, formats: readonly Format[] | undefined, domain: LawDomain, threshold: number, fit?: FitResult): DashboardModel['plan'] {
  const cost = typeof costModel === 'object' ? costModel : costModelById(costModel);
  const request = {
    scenario: inputs.scenario,
    compute: inputs.compute,
    cost,
    ...(formats ? { formats } : {}),
    precision: inputs.planPrecision,
    params: inputs.planParams,
    inferenceBudget: inputs.planMemoryGB * 8e9,
  };
  const p = plan(c, request);
  const isoFlop: XY[] = [];
  for (let b = 3; b <= 16.001; b += 0.25) {
    const a = fixedPrecisionOptimum(c, inputs.compute, { w: b, a: b, kv: b }, cost);
    if (!isLawError(a)) isoFlop.push({ x: b, y: a.loss });
  }
  if (isLawError(p)) return { ok: false, message: p.message, rows: [], isoFlop };
  const where = extrapolation(domain, { params: p.params, tokens: p.tokens, precision: p.precision, post: p.post, loss: p.loss, trainLoss: p.trainLoss, deltaPTQ: p.deltaPTQ }, threshold);
  const { inside, extrapolated, params, tokens, compute, summary, warnings } = where;
  const prov = provenance(domain, { precision: p.precision, post: p.post, plan: true }, c);
  // Intervals from the fit's bootstrap, under the constants in use (they are the fit's).
  const u = planUncertainty(fit ? { ...fit, constants: c } : undefined, p);
  const interval = { ...(u.interval.confidence ? { confidence: u.interval.confidence } : {}), ...(u.interval.prediction ? { prediction: u.interval.prediction } : {}) };
  return {
    ok: true,
    extrapolation: { inside, extrapolated, params, tokens, compute, threshold: where.threshold, summary, warnings },
    // Constants neither fitted nor the paper's (C_x = 1) behind the plan: how it moves when they do.
    provenance: [...prov.notes, ...defaultSensitivity(c, prov.projectDefault, (changed) => plan(changed, request)).map(sensitivityText)],
    rows: [
      {
        label: 'plan',
        params: p.params,
        tokens: p.tokens,
        bits: p.precision.w,
        post: p.post,
        loss: p.loss,
        ...(p.format ? { format: formatLabel(p.format) } : {}),
        ...(p.postFormat && p.post !== undefined ? { postFormat: formatLabel(p.postFormat) } : {}),
      },
      ...p.alternatives.map((a, i) => {
        const { marginInterval, distinguishable } = u.alternatives[i];
        return { label: a.label, params: a.params, tokens: a.tokens, bits: a.precision.w, post: a.post, loss: a.loss, margin: a.margin, ...(marginInterval ? { marginInterval } : {}), ...(distinguishable !== null ? { distinguishable } : {}) };
      }),
    ],
    ...(Object.keys(interval).length > 0 ? { interval } : {}),
    uncertaintyNotes: u.notes,
    planNotes: [
      `Formats chosen among: ${p.formats.map(formatLabel).join(', ')}; cost model ${cost.label}.`,
      ...(p.continuous ? [`Continuous optimum, not a format: ${p.continuous.bits.toFixed(2)} bits, loss ${p.continuous.loss.toFixed(4)}.`] : []),
      ...p.notes.map((n) => `${n[0].toUpperCase()}${n.slice(1)}.`),
    ],
    isoFlop,
    optimum: inputs.scenario === 'joint' || inputs.scenario === 'fixed-precision' ? { x: p.precision.w, y: p.loss } : undefined,
  };
}

export function dashboardModel(args: {
  constants: Constants;
  constantsLabel: string;
  fit?: FitResult;
  ptq?: PtqReport;
  runs: readonly Run[];
  inputs: DashboardInputs;
  /** A built-in cost model id or a model (a throughput table). */
  costModel: string | CostModel;
  /** The formats plans choose among; default the cost table's, else the default set. */
  formats?: readonly Format[];
  /** The constants' domain; by default the fit's (with `fit`) or the paper's. */
  domain?: LawDomain;
  extrapolationThreshold?: number;
}): DashboardModel {
  const { constants: c, runs, inputs } = args;
  const domain = args.domain ?? domainFor(args.fit);
  const threshold = args.extrapolationThreshold ?? DEFAULT_EXTRAPOLATION_THRESHOLD;
  const precision = precisionSection(c, runs, inputs);
  const ptq = ptqSection(c, runs, inputs);
  // Where the panels' numbers stand against the constants' runs, in words under each chart.
  precision.domain = `At N ${formatCount(inputs.params)}, D ${formatCount(inputs.tokens)}: ${extrapolation(domain, { params: inputs.params, tokens: inputs.tokens }, threshold).summary}.`;
  const largest = Math.max(...ptq.sizes.map((x) => x.params));
  const farthest = Math.max(...ptq.sizes.flatMap((x) => x.points.map((pt) => pt.x)));
  if (Number.isFinite(largest) && Number.isFinite(farthest)) {
    ptq.domain = `At the curves' far end (N ${formatCount(largest)}, D ${formatCount(farthest)}): ${extrapolation(domain, { params: largest, tokens: farthest }, threshold).summary}.`;
  }
  const model: DashboardModel = {
    inputs,
    constantsLabel: args.constantsLabel,
    precision,
    ptq,
    quantized: quantizedSection(runs, args.ptq),
    plan: planSection(c, inputs, args.costModel, args.formats, domain, threshold, args.fit?.ok ? args.fit : undefined),
  };
  if (args.fit?.ok) model.fit = fitSection(args.fit);
  return model;
}
