// The unified law's parameter vector and the paper's fitted values (Kumar et al. 2024,
// Appendix K, Table 2). Flat, so fits, intervals and tables can iterate over names.

export const CONSTANT_NAMES = [
  'A',
  'alpha',
  'B',
  'beta',
  'E',
  'gammaW',
  'nW',
  'gammaA',
  'nA',
  'gammaKV',
  'nKV',
  'CT',
  'gammaD',
  'gammaN',
  'gammaPost',
  'bPost',
  'Cw',
  'Ca',
  'Ckv',
] as const;

export type ConstantName = (typeof CONSTANT_NAMES)[number];
export type Constants = Record<ConstantName, number>;

/** The three parts of the network whose training precision the law models. */
export const PARTS = ['w', 'a', 'kv'] as const;
export type Part = (typeof PARTS)[number];

export const PART_LABEL: Record<Part, string> = { w: 'weights', a: 'activations', kv: 'KV cache' };

/** Names of a part's saturation scale gamma_x and offset n_x. */
export const PART_CONSTANTS: Record<Part, { gamma: ConstantName; offset: ConstantName; robust: ConstantName }> = {
  w: { gamma: 'gammaW', offset: 'nW', robust: 'Cw' },
  a: { gamma: 'gammaA', offset: 'nA', robust: 'Ca' },
  kv: { gamma: 'gammaKV', offset: 'nKV', robust: 'Ckv' },
};

/**
 * Table 2 of the paper. C_w, C_a and C_kv are not in the table; 1.0 is this project's
 * neutral default (the robustness factor is ~1 once training precision exceeds P_post by a
 * few bits) and is marked as such wherever the preset is shown.
 */
export const PAPER_CONSTANTS: Readonly<Constants> = Object.freeze({
  A: 4.299e3,
  alpha: 0.4965,
  B: 1.806e4,
  beta: 0.4965,
  E: 2.7648,
  gammaW: 2.6745,
  nW: 0.3037,
  gammaA: 2.2102,
  nA: 1.4072,
  gammaKV: 0.9578,
  nKV: 2.4185,
  CT: 0.0598,
  gammaD: 0.5068,
  gammaN: 0.3439,
  gammaPost: 0.5907,
  bPost: 1.1277,
  Cw: 1,
  Ca: 1,
  Ckv: 1,
});

/** Constants of the preset that are this project's choice rather than the paper's. */
export const PRESET_DEFAULTS_NOT_IN_PAPER: readonly ConstantName[] = ['Cw', 'Ca', 'Ckv'];

export const PAPER_PRESET_DESCRIPTION =
  'Kumar et al. 2024, Table 2 (OLMo-style models, 30M-220M params, 1.5B-26B tokens, Dolma, integer fake quantization)';

/** Training at or above this many bits counts as high precision. */
export const HIGH_PRECISION_BITS = 16;
