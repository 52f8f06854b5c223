import { PLAN_SCENARIOS, type PlanScenario, plan } from '../../law/plan';
import { formatLabel } from '../../law/formats';
import { COMMON_OPTIONS, type Io, bits, costModel, fmt, formats, parse, precisionLabel, quantity } from '../args';
import { loadConstants } from '../constants';
import { defaultSensitivity, sensitivityText } from '../../fit/domain';
import { DOMAIN_OPTIONS, DOMAIN_USAGE, domainAnswer, domainJson, domainLines, extrapolationThreshold } from '../domain';
import { CliError } from '../errors';
import { formatCount, parseBytes } from '../../runs/quantity';
import { type Cell, columnDecimals, signed, table } from '../table';
import { intervalText, presetHeldText, intervalBasis, signedIntervalText } from '../../fit/interval';
import { planUncertainty } from '../../fit/planInterval';

export const RECOMMEND_USAGE = `precision-planner recommend --compute C [--scenario joint|fixed-precision|fixed-params|inference]
                            [--precision P] [--params N] [--memory BYTES | --inference-budget BITS] [--post P]
                            [--preset paper | --fit FILE] [--cost-model ID|FILE.json|JSON] [--formats LIST]
                            ${DOMAIN_USAGE} [--json]
  Compute-optimal model size N*, tokens D* and precision P* for a training budget of C FLOPs.
  joint: choose N, D and P; fixed-precision: P given; fixed-params: N given;
  inference: also choose the deployment precision, with the weights held to --memory (e.g. 4GB).
  Precisions are chosen among realizable formats, each evaluated and the best taken: --formats
  16,8,6,4 or names (bf16, fp8, fp6, fp4, int8, int4, ...); by default 16 (bf16), 8 (int8/fp8-e4m3),
  6 (int6/fp6-e3m2), 5, 4 (int4/fp4-e2m1) and 3, or the cost table's formats. A floating-point
  format counts all its bits (fp8 E4M3 is 8). The continuous optimum over bits is printed as a
  reference only. JSON: "format" (and "postFormat" for inference) names the format chosen.
  --cost-model: bits-linear (C = 6ND x P/16, the default), 6nd, or a throughput table as a JSON
  file or inline, relative training speed per format: '{"bf16": 1, "fp8": 1.8, "int4": 3}'. A speed
  s means a token at that format costs 1/s of bf16's (C = 6ND / s); between the table's formats the
  cost is interpolated.
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
    formats: { type: 'string' },
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
    formats: formats(values.formats),
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
  const row = (label: string, a: { params: number; tokens: number; precision: { w: number; a: number; kv: number }; post?: number; loss: number }, margin: Cell, named?: { train?: string; post?: string }): Cell[] => [
    label,
    formatCount(a.params),
    formatCount(a.tokens),
    a.tokens / a.params,
    named?.train ?? precisionLabel(a.precision),
    named?.post ?? (a.post !== undefined ? `${a.post}-bit` : '-'),
    a.loss,
    margin,
  ];
  const planNames = { ...(p.format ? { train: formatLabel(p.format) } : {}), ...(p.postFormat && p.post !== undefined ? { post: formatLabel(p.postFormat) } : {}) };
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
      ['', 'N', 'D', 'D/N', 'training', 'PTQ', 'loss', 'vs plan', ...(withIntervals ? ['95% interval of margin', 'the data say'] : [])],
      [
        [...row('plan', p, '', planNames), ...(withIntervals ? ['', ''] : [])],
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
  lines.push('', `Formats chosen among: ${p.formats.map(formatLabel).join(', ')}${p.costModel !== 'bits-linear' ? ` (cost model: ${request.cost.label})` : ''}`);
  if (p.continuous) {
    const c = p.continuous;
    lines.push(`Continuous optimum, not a format: ${c.bits.toFixed(2)} bits, N ${formatCount(c.params)}, D ${formatCount(c.tokens)}, loss ${fmt(c.loss)} (${c.loss - p.loss >= 0 ? '+' : ''}${fmt(c.loss - p.loss, 2)} vs the plan)`);
  }
  for (const note of [...p.notes, ...uncertainty.notes]) lines.push(`note: ${note}`);
  lines.push('', ...domainLines(where, ''));
  for (const s of sensitivity) lines.push(sensitivityText(s));
  io.out(lines.join('\n'));
  return 0;
}
