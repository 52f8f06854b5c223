import { trainingCompute } from '../../law/cost';
import { criticalTokens } from '../../law/dcrit';
import { predict } from '../../law/law';
import { type IntervalBasis, type LossIntervals, intervalBasis, intervalText, lossInterval, lossIntervals, presetHeldText } from '../../fit/interval';
import { COMMON_OPTIONS, type Io, PRECISION_OPTIONS, bits, costModel, fmt, parse, precisionFrom, precisionLabel, quantity } from '../args';
import { loadConstants } from '../constants';
import { DOMAIN_OPTIONS, DOMAIN_USAGE, domainAnswer, domainJson, domainLines, extrapolationThreshold } from '../domain';
import { CliError } from '../errors';
import { formatCount } from '../../runs/quantity';

export const PREDICT_USAGE = `precision-planner predict --params N --tokens D [--precision P | --weights P --activations P --kv P] [--post P]
                          [--preset paper | --fit FILE] [--cost-model ID] ${DOMAIN_USAGE} [--json]
  Loss the unified law predicts for a model of N non-embedding parameters trained on D tokens
  at the given training precision, optionally quantized to P_post bits after training. Says
  where it stands against the runs the constants were fitted on: beyond --extrapolation-threshold
  (default 10x) in N or D it is an extrapolation.
  With --fit, two 95% intervals, each by its name: the confidence band of the expected loss
  (bootstrap of the fit's constants; constants held at the preset contribute none) and the
  prediction interval for one run (adds the run-to-run scale of the fit's residuals). JSON:
  "interval" for the end-of-training loss, "servedInterval" for the loss after PTQ (--post).`;

const intervalLines = (label: string, i: LossIntervals, basis: IntervalBasis, scale: number | null): string[] => {
  const held = presetHeldText(basis.presetHeld);
  return [
    i.confidence
      ? `  ${label}: 95% confidence band of the expected loss ${intervalText(i.confidence)} (bootstrap of ${basis.replicates} replicates${held ? `; ${held}` : ''})`
      : `  ${label}: no confidence band (the fit has no bootstrap replicates)`,
    ...(i.prediction ? [`  ${label}: 95% prediction interval for a run ${intervalText(i.prediction)} (adds the run-to-run scale, ${scale !== null ? fmt(scale, 2) : '?'} in log-loss)`] : []),
  ];
};

export function predictCommand(argv: string[], io: Io): number {
  const { values } = parse(argv, {
    ...COMMON_OPTIONS,
    ...PRECISION_OPTIONS,
    params: { type: 'string', short: 'n' },
    tokens: { type: 'string', short: 'd' },
    post: { type: 'string' },
    ...DOMAIN_OPTIONS,
  });
  if (values.help) return io.out(PREDICT_USAGE), 0;
  const params = quantity(values.params, 'params', true);
  const tokens = quantity(values.tokens, 'tokens', true);
  const precision = precisionFrom(values);
  const post = bits(values.post, 'post');
  const source = loadConstants(values.preset, values.fit);
  const cost = costModel(values['cost-model']);
  const scenario = { params, tokens, precision, post };
  const p = predict(source.constants, scenario);
  if (!p.ok) throw new CliError(`${p.code}: ${p.message}`);
  const interval = source.fit ? lossInterval(source.fit, scenario) : undefined;
  const none: LossIntervals = { confidence: null, prediction: null };
  const trainIntervals = source.fit ? lossIntervals(source.fit, { params, tokens, precision }) : none;
  const servedIntervals = source.fit && post !== undefined ? lossIntervals(source.fit, scenario) : none;
  const basis = source.fit ? intervalBasis(source.fit) : undefined;
  const dcrit = post !== undefined ? criticalTokens(source.constants, params, precision, post) : undefined;
  const where = domainAnswer(source, { ...scenario, loss: p.loss, trainLoss: p.trainLoss, deltaPTQ: p.deltaPTQ }, extrapolationThreshold(values['extrapolation-threshold']));
  // A loss the law cannot give (above ln(vocabulary), PTQ as large as the loss) is not a prediction.
  const outside = where.extrapolation.outsideLaw ? where.extrapolation.warnings.find((w) => /outside the law/.test(w)) : undefined;
  const result = {
    loss: outside ? null : p.loss,
    /** The confidence band of `loss` alone (kept for scripts written before "interval"). */
    lossInterval: interval ?? null,
    /** 95% intervals of the end-of-training loss (no PTQ): null without a fit to take them from. */
    interval: trainIntervals,
    /** The same for the served loss after PTQ to --post bits; null without --post. */
    servedInterval: post !== undefined ? servedIntervals : null,
    intervalBasis: basis ?? null,
    trainLoss: p.trainLoss,
    deltaPTQ: p.deltaPTQ,
    nEff: p.nEff,
    nEffRatio: p.nEffRatio,
    factors: p.factors,
    params,
    tokens,
    precision,
    post: post ?? null,
    compute: trainingCompute(cost, params, tokens, precision),
    costModel: cost.id,
    criticalTokens: dcrit?.ok ? dcrit.tokens : null,
    constants: source.label,
    ...domainJson(where),
    ...(outside ? { outsideLaw: outside } : {}),
  };
  if (values.json) {
    io.out(JSON.stringify(result, null, 2));
    return 0;
  }
  const lines = [
    outside ? `No prediction    ${outside}` : `Predicted loss   ${fmt(p.loss)}${where.extrapolation.extrapolated ? '  — an extrapolation' : ''}`,
    `  training loss  ${fmt(p.trainLoss)}`,
    ...(basis ? intervalLines('training loss', trainIntervals, basis, basis.scale.train) : []),
    post !== undefined ? `  PTQ to ${post} bits adds ${fmt(p.deltaPTQ, 3)}` : '  no post-training quantization',
    ...(basis && post !== undefined ? intervalLines(`served in ${post} bits`, servedIntervals, basis, basis.scale.served) : []),
    ...(source.fit ? [] : ['  intervals      none: the paper\'s constants come without bootstrap replicates or residuals (use --fit)']),
    `  N_eff / N      ${fmt(p.nEffRatio)}  (weights ${fmt(p.factors.w)}, activations ${fmt(p.factors.a)}, KV ${fmt(p.factors.kv)})`,
    `  model          N ${formatCount(params)}, D ${formatCount(tokens)}, ${precisionLabel(precision)} training`,
    `  compute        ${result.compute.toExponential(2)} FLOPs (${cost.label})`,
  ];
  if (dcrit?.ok) lines.push(`  D_crit         ${formatCount(dcrit.tokens)} tokens: past this, more data raises the loss after PTQ to ${post} bits`);
  lines.push(`  constants      ${source.label}`, ...domainLines(where));
  io.out(lines.join('\n'));
  return 0;
}
