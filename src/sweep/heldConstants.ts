// Constants a fit did not fit (held at the preset, or neutral for a part another part's factor
// carries) are assumed, not known: the paper says its constants do not transfer across setups.
// The fit's interval counts no uncertainty for them, so a run that would fit one would look
// useless to a simulation that held it at the preset. The suggester's simulations draw each one
// that matters at the target from a spread around its assumed value instead. Pure.

import { CONSTANT_NAMES, type ConstantName, type Constants } from '../law/constants';
import type { FitResult } from '../fit/fit';
import { normalQuantile } from '../fit/interval';

/**
 * A held constant's effect is taken to be known to a factor of 2 either way (95%): a log-normal
 * spread of a positive constant, an additive one of the offsets n_x and b_post, which enter the
 * law as exp(n) (so the same factor on what they scale). A choice, named in every result.
 */
export const HELD_SPREAD = Math.LN2 / normalQuantile(0.975);
export const HELD_SPREAD_TEXT = 'each drawn within a factor of 2 of its assumed value (95%)';

const ADDITIVE: ReadonlySet<ConstantName> = new Set(['nW', 'nA', 'nKV', 'bPost']);

/**
 * A held constant matters at the target when a factor-2 change of it, refitted on the runs without
 * noise, moves the target's log-loss from the changed law by more than this (or leaves the target
 * outside the law): what the fitted constants absorb (a factor at 16 bits that all the runs and
 * the target share goes into A) does not matter.
 */
export const MATTERS = 1e-3;

/** The constant moved by `z` spreads. */
function moved(c: Constants, name: ConstantName, z: number): Constants {
  const step = z * HELD_SPREAD;
  return { ...c, [name]: ADDITIVE.has(name) ? c[name] + step : c[name] * Math.exp(step) };
}

/** Constants the fit did not fit and did not fix by choice (offsets at zero). */
export function heldNames(origin: FitResult['origin']): ConstantName[] {
  return CONSTANT_NAMES.filter((n) => origin[n] === 'preset' || origin[n] === 'neutral');
}

/**
 * The held constants that matter at the target. `error(changed)`: the target's log-loss error of a
 * refit of the runs drawn without noise from the changed law (undefined: no prediction there).
 */
export function heldThatMatter(truth: Constants, names: readonly ConstantName[], error: (changed: Constants) => number | undefined): ConstantName[] {
  const z = normalQuantile(0.975);
  return names.filter((name) =>
    [z, -z].some((side) => {
      const e = error(moved(truth, name, side));
      return e === undefined || Math.abs(e) > MATTERS;
    }),
  );
}

/** One simulation's truth: the named constants drawn about their values, the rest as given. */
export function drawHeld(truth: Constants, names: readonly ConstantName[], normal: () => number): Constants {
  return names.reduce((c, name) => moved(c, name, normal()), truth);
}
