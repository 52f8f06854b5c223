import { HIGH_PRECISION_BITS } from '../../law/constants';
import { criticalTokens, criticalTokensClosedForm } from '../../law/dcrit';
import { COMMON_OPTIONS, type Io, PRECISION_OPTIONS, bits, fmt, parse, precisionFrom, precisionLabel, quantity } from '../args';
import { loadConstants } from '../constants';
import { DOMAIN_OPTIONS, DOMAIN_USAGE, domainAnswer, domainJson, domainLines, extrapolationThreshold } from '../domain';
import { CliError } from '../errors';
import { formatCount } from '../../runs/quantity';

export const DCRIT_USAGE = `precision-planner dcrit --params N --post P [--precision P ...] [--preset paper | --fit FILE] ${DOMAIN_USAGE} [--json]
  Critical data size: past D_crit tokens, more pre-training raises the loss after post-training
  quantization to P bits (Kumar et al. 2024, Eq. 13). Says how far N and D_crit lie beyond the runs.`;

export function dcritCommand(argv: string[], io: Io): number {
  const { values } = parse(argv, { ...COMMON_OPTIONS, ...PRECISION_OPTIONS, params: { type: 'string', short: 'n' }, post: { type: 'string' }, ...DOMAIN_OPTIONS });
  if (values.help) return io.out(DCRIT_USAGE), 0;
  const params = quantity(values.params, 'params', true);
  const post = bits(values.post, 'post');
  if (post === undefined) throw new CliError('--post is required', 2);
  const precision = precisionFrom(values);
  const source = loadConstants(values.preset, values.fit);
  const r = criticalTokens(source.constants, params, precision, post);
  if (!r.ok) throw new CliError(`${r.code}: ${r.message}`);
  const high = Math.min(precision.w, precision.a, precision.kv) >= HIGH_PRECISION_BITS;
  const closed = high ? criticalTokensClosedForm(source.constants, params, post) : undefined;
  const where = domainAnswer(source, { params, tokens: r.tokens, precision, post, loss: r.loss }, extrapolationThreshold(values['extrapolation-threshold']));
  const result = {
    tokens: r.tokens,
    tokensPerParam: r.tokens / params,
    loss: r.loss,
    closedFormTokens: closed?.ok ? closed.tokens : null,
    params,
    precision,
    post,
    constants: source.label,
    ...domainJson(where),
  };
  if (values.json) {
    io.out(JSON.stringify(result, null, 2));
    return 0;
  }
  io.out(
    [
      `D_crit  ${formatCount(r.tokens)} tokens (${fmt(r.tokens / params, 3)} per parameter)`,
      `  for N ${formatCount(params)} trained at ${precisionLabel(precision)}, quantized to ${post} bits after training`,
      `  lowest post-PTQ loss ${fmt(r.loss)}, reached at D_crit`,
      ...(closed?.ok ? [`  Eq. 13 closed form (N in place of N_eff): ${formatCount(closed.tokens)} tokens`] : []),
      `  constants ${source.label}`,
      ...domainLines(where),
    ].join('\n'),
  );
  return 0;
}
