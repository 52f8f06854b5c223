import { PLAN_SCENARIOS, type PlanScenario, plan } from '../../law/plan';
import { COMMON_OPTIONS, type Io, bits, costModel, fmt, parse, precisionLabel, quantity } from '../args';
import { loadConstants } from '../constants';
import { DOMAIN_OPTIONS, DOMAIN_USAGE, defaultSensitivity, domainAnswer, domainJson, domainLines, extrapolationThreshold } from '../domain';
import { CliError } from '../errors';
import { formatCount, parseBytes } from '../../runs/quantity';
import { type Cell, columnDecimals, signed, table } from '../table';
import { intervalText, presetHeldText, intervalBasis, signedIntervalText } from '../../fit/interval';
import { planUncertainty } from '../../fit/planInterval';

export const RECOMMEND_USAGE = `precision-planner recommend --compute C [--scenario joint|fixed-precision|fixed-params|inference]
                            [--precision P] [--params N] [--memory BYTES | --inference-budget BITS] [--post P]
                            [--preset paper | --fit FILE] [--cost-model ID] ${DOMAIN_USAGE} [--json]
  Compute-optimal model size N*, tokens D* and precision P* for a training budget of C FLOPs.
  joint: choose N, D and P; fixed-precision: P given; fixed-params: N given;
  inference: also choose the deployment precision, with the weights held to --memory (e.g. 4GB).
  Says how far the plan lies beyond the runs the constants were fitted on (N, D, 6ND).
  With --fit, the plan's loss gets its 95% intervals (confidence band of the expected loss,
  prediction interval for a run) and each alternative the paired 95% interval of its margin
  from the same bootstrap replicates; an alternative whose margin's interval contains 0 is
  indistinguishable from the plan. JSON: "interval", and per alternative "marginInterval" and
  "distinguishable" (null where there is no interval: the paper preset).`;

export function recommendCommand(argv: string[], io: Io): number {
  const { values } = parse(argv, {
    ...COMMON_OPTIONS,
    compute: { type: 'string', short: 'c' },
    scenario: { type: 'string', short: 's' },
    precision: { type: 'string', short: 'p' },
    params: { type: 'string', short: 'n' },
    memory: { type: 'string' },
    'inference-budget': { type: 'string' },
    post: { type: 'string' },
    ...DOMAIN_OPTIONS,
  });
  if (values.help) return io.out(RECOMMEND_USAGE), 0;
  const compute = quantity(values.compute, 'compute', true);
  const scenario = (values.scenario ?? 'joint') as PlanScenario;
  if (!PLAN_SCENARIOS.includes(scenario)) throw new CliError(`--scenario: "${values.scenario}" is not one of ${PLAN_SCENARIOS.join(', ')}`, 2);
  if (scenario === 'fixed-precision' && values.precision === undefined) throw new CliError('--scenario fixed-precision needs --precision (e.g. --precision bf16 or 8)', 2);
  if (scenario === 'fixed-params' && values.params === undefined) throw new CliError('--scenario fixed-params needs --params (e.g. --params 1B)', 2);
  if (scenario === 'inference' && values.memory === undefined && values['inference-budget'] === undefined) {
    throw new CliError('--memory is required for the inference scenario: the memory the deployed weights may take (e.g. --memory 4GB), or --inference-budget in parameter-bits', 2);
  }
  let inferenceBudget = quantity(values['inference-budget'], 'inference-budget');
  if (values.memory !== undefined) {
    const bytes = parseBytes(values.memory);
    if (bytes === undefined) throw new CliError(`--memory: "${values.memory}" is not a size (examples: 4GB, 512MiB)`, 2);
    inferenceBudget = bytes * 8;
  }
  const source = loadConstants(values.preset, values.fit);
  const request = {
    scenario,
    compute,
    precision: bits(values.precision, 'precision'),
    params: quantity(values.params, 'params'),
    inferenceBudget,
    post: bits(values.post, 'post'),
    cost: costModel(values['cost-model']),
  };
  const p = plan(source.constants, request);
  if (!p.ok) throw new CliError(`${p.code}: ${p.message}`);
  const where = domainAnswer(
    source,
    { params: p.params, tokens: p.tokens, precision: p.precision, post: p.post, loss: p.loss, trainLoss: p.trainLoss, deltaPTQ: p.deltaPTQ, plan: true },
    extrapolationThreshold(values['extrapolation-threshold']),
  );
  const sensitivity = defaultSensitivity(source.constants, where.provenance.projectDefault, (c) => plan(c, request));
  const uncertainty = planUncertainty(source.fit, p);
  if (values.json) {
    const fields = domainJson(where);
    const alternatives = p.alternatives.map((a, i) => ({ ...a, marginInterval: uncertainty.alternatives[i].marginInterval, distinguishable: uncertainty.alternatives[i].distinguishable }));
    io.out(JSON.stringify({ ...p, alternatives, interval: uncertainty.interval, notes: [...p.notes, ...uncertainty.notes], constants: source.label, ...fields, provenance: { ...fields.provenance, ...(sensitivity.length > 0 ? { sensitivity } : {}) } }, null, 2));
    return 0;
  }
  // Numbers go to the table as numbers: it gives each column one number of decimals, and the
  // margins their sign (an alternative can beat the plan where the plan's search is coarse).
  const row = (label: string, a: { params: number; tokens: number; precision: { w: number; a: number; kv: number }; post?: number; loss: number }, margin: Cell): Cell[] => [
    label,
    formatCount(a.params),
    formatCount(a.tokens),
    a.tokens / a.params,
    precisionLabel(a.precision),
    a.post !== undefined ? `${a.post}-bit` : '-',
    a.loss,
    margin,
  ];
  // The margins' intervals come after the margin, where a fit gives them.
  const withIntervals = uncertainty.alternatives.some((a) => a.marginInterval !== null);
  const marginDecimals = columnDecimals(uncertainty.alternatives.flatMap((a) => a.marginInterval ?? []), 2);
  const marginCells = (i: number): Cell[] => {
    const u = uncertainty.alternatives[i];
    const verdict = u.distinguishable === false ? 'indistinguishable' : u.marginInterval && u.marginInterval[1] < 0 ? 'alternative better' : u.distinguishable ? 'plan better' : '-';
    return withIntervals ? [signedIntervalText(u.marginInterval, marginDecimals), verdict] : [];
  };
  const lines = [
    `Recommendation for ${compute.toExponential(2)} FLOPs (${scenario}, cost model ${p.costModel}, constants ${source.label})`,
    '',
    table(
      ['', 'N', 'D', 'D/N', 'training', 'PTQ', 'loss', 'vs plan', ...(withIntervals ? ['95% interval of margin', ''] : [])],
      [
        [...row('plan', p, ''), ...(withIntervals ? ['', ''] : [])],
        ...p.alternatives.map((a, i) => [...row(a.label, a, signed(a.margin)), ...marginCells(i)]),
      ],
      { significant: { 7: 3 } },
    ),
  ];
  const { confidence, prediction } = uncertainty.interval;
  if (source.fit && (confidence || prediction)) {
    const held = presetHeldText(intervalBasis(source.fit).presetHeld);
    lines.push('');
    if (confidence) lines.push(`Plan's loss: 95% confidence band of the expected loss ${intervalText(confidence)} (bootstrap of the fit's constants${held ? `; ${held}` : ''})`);
    if (prediction) lines.push(`Plan's loss: 95% prediction interval for a run ${intervalText(prediction)} (adds the run-to-run scale)`);
  }
  if (p.integerPrecision) lines.push('', `Best whole number of bits: ${p.integerPrecision.bits} (loss ${fmt(p.integerPrecision.loss)})`);
  for (const note of [...p.notes, ...uncertainty.notes]) lines.push(`note: ${note}`);
  lines.push('', ...domainLines(where, ''));
  for (const s of sensitivity) {
    const set = Object.entries(s.set).map(([k, v]) => `${k} = ${fmt(v as number, 3)}`).join(', ');
    lines.push(
      s.error !== undefined
        ? `if ${set}: no plan (${s.error})`
        : `if ${set}: N ${formatCount(s.params ?? NaN)}, D ${formatCount(s.tokens ?? NaN)}, ${s.precision ? precisionLabel(s.precision) : '?'} training${s.post !== undefined ? `, served in ${s.post} bits` : ''}, loss ${fmt(s.loss ?? NaN)}`,
    );
  }
  io.out(lines.join('\n'));
  return 0;
}
