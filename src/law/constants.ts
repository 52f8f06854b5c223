// The unified law's parameter vector and the paper's fitted values (Kumar et al. 2024,
// Appendix K, Table 2). Flat, so fits, intervals and tables can iterate over names.

import type { LawDomain } from './domain';

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

/**
 * What the paper's constants were fitted on (Kumar et al. 2024, Sec. 3 and Appendix K): OLMo-style
 * models of 30M-220M non-embedding parameters, 1.5B-26B tokens of Dolma with OLMo's BPE tokenizer
 * (vocabulary ~50K), loss in nats per token; weights, activations and KV cache quantized one at a
 * time and together, integer fake quantization, PTQ of the final weights. A prediction from the
 * preset is measured against this domain.
 */
const paperDomain: LawDomain = {
  source: 'preset',
  label: "the paper's runs (Kumar et al. 2024: OLMo-style models on Dolma)",
  runs: 0,
  params: { min: 30e6, max: 220e6 },
  tokens: { min: 1.5e9, max: 26e9 },
  tokensPerParam: { min: 1.5e9 / 220e6, max: 26e9 / 30e6 },
  compute: { min: 6 * 30e6 * 1.5e9, max: 6 * 220e6 * 26e9 },
  parts: {
    w: { bits: [3, 4, 5, 6, 8, 16], varied: true, variedApart: true, movesWith: [] },
    a: { bits: [3, 4, 5, 6, 8, 16], varied: true, variedApart: true, movesWith: [] },
    kv: { bits: [3, 4, 5, 6, 8, 16], varied: true, variedApart: true, movesWith: [] },
  },
  post: [3, 4, 5, 6, 8],
  tokenizer: { tokenizer: 'bpe', vocabulary: 50280, vocabularies: [50280], approximate: true, lossUnit: 'nats per token', corpus: ['Dolma'], stated: 0 },
  constants: {
    fitted: [],
    preset: CONSTANT_NAMES.filter((n) => !PRESET_DEFAULTS_NOT_IN_PAPER.includes(n)),
    projectDefault: [...PRESET_DEFAULTS_NOT_IN_PAPER],
    fixed: [],
    neutral: [],
    why: Object.fromEntries(PRESET_DEFAULTS_NOT_IN_PAPER.map((n) => [n, "not in the paper's table: 1 is this project's default"])),
  },
};
export const PAPER_DOMAIN: Readonly<LawDomain> = Object.freeze(paperDomain);

export const PAPER_PRESET_DESCRIPTION =
  'Kumar et al. 2024, Table 2 (OLMo-style models, 30M-220M params, 1.5B-26B tokens, Dolma, integer fake quantization)';

/** Training at or above this many bits counts as high precision. */
export const HIGH_PRECISION_BITS = 16;
