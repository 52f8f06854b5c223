// The default of every setting under "precisionPlanner", as the code falls back to it when a
// setting is unset or unusable. package.json's contributes.configuration shows the same
// defaults in the Settings editor; test/unit/manifest.test.ts checks the two are equal.

import { DEFAULT_COST_MODEL } from '../law/cost';
import { DEFAULT_EXTRAPOLATION_THRESHOLD } from '../fit/domain';
import { DEFAULT_EXCLUDE } from '../runs/discover';
import { EXAMPLE_SWEEP } from '../train/options';

export const DEFAULT_SCAN_TIMEOUT_SECONDS = 120;

export const SETTING_DEFAULTS = {
  'runs.include': [] as string[],
  'runs.exclude': DEFAULT_EXCLUDE,
  'runs.scanTimeoutSeconds': DEFAULT_SCAN_TIMEOUT_SECONDS,
  'runs.defaultPrecision': {},
  aliases: {},
  inferenceBits: 4,
  extrapolationThreshold: DEFAULT_EXTRAPOLATION_THRESHOLD,
  costModel: DEFAULT_COST_MODEL.id,
  'plan.formats': [] as string[],
  'fit.bootstrap': 100,
  // Shown as the default; the fit compares Huber and squares on held-out data until the user sets it.
  'fit.loss': 'huber',
  'training.outDir': 'runs',
  'training.size': '2x64',
  'training.tokens': '400k',
  'training.precision': 'fp32',
  'training.sweep.sizes': EXAMPLE_SWEEP.sizes,
  'training.sweep.tokens': EXAMPLE_SWEEP.tokens,
  'training.sweep.precisions': EXAMPLE_SWEEP.precisions,
  'training.sweep.also': EXAMPLE_SWEEP.also,
  'training.parallel': 0,
  'training.executor': 'local',
  'training.slurm': {},
  'training.command': '',
  'training.node': '',
  'training.ptqBits': [8, 6, 5, 4, 3],
  'training.corpus': [] as string[],
} as const;
