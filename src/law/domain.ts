// The domain a set of constants was fitted on (LAW.md §8a): the sizes, token counts and compute
// of the runs, the precisions each part trained at, the tokenizer and loss unit, and where each
// constant came from. Types only; the paper's own domain is PAPER_DOMAIN in ./constants, a fit's
// is built by src/fit/domain.ts.

import type { ConstantName, Part } from './constants';

export interface Range {
  min: number;
  max: number;
}

export interface PartDomain {
  /** Training precisions seen for this part, bits, ascending. */
  bits: number[];
  /** More than one precision was seen (16 bits and above count as one: high precision). */
  varied: boolean;
  /** It varied, and never moved in lockstep with another part: its own effect can be told apart. */
  variedApart: boolean;
  /** Parts whose precision was the same as this one's in every run (high precision as one). */
  movesWith: Part[];
}

export interface TokenizerDomain {
  /** "bytes", "bpe", ... as the runs name it. */
  tokenizer?: string;
  /** The vocabulary size of the runs, when they all agree. */
  vocabulary?: number;
  /** Every vocabulary size the runs state. */
  vocabularies: number[];
  /** The vocabulary is known only roughly (a paper's "~50K"). */
  approximate?: boolean;
  /** "nats per token", "nats per byte" (a byte-level tokenizer). */
  lossUnit?: string;
  corpus?: string[];
  /** Runs that state their vocabulary, of all runs. */
  stated: number;
}

/**
 * Where the constants came from: fitted on these runs, the paper's preset, a project default that
 * is neither fitted nor the paper's (C_w, C_a, C_kv = 1), fixed by an option (offsets at zero), or
 * neutral (a part carried by another part's factor). `why` says, per constant, why it was not
 * fitted, in the stage report's words.
 */
export interface ConstantSources {
  fitted: ConstantName[];
  preset: ConstantName[];
  projectDefault: ConstantName[];
  fixed: ConstantName[];
  neutral: ConstantName[];
  why: Partial<Record<ConstantName, string>>;
}

export interface LawDomain {
  source: 'fit' | 'preset';
  /** What the domain is, for a sentence: "48 runs of the workspace", "the paper's runs". */
  label: string;
  runs: number;
  /** Non-embedding parameters N. */
  params: Range | null;
  /** Training tokens D. */
  tokens: Range | null;
  tokensPerParam: Range | null;
  /** Training compute counted as 6ND (no precision scaling), FLOPs. */
  compute: Range | null;
  parts: Record<Part, PartDomain>;
  /** Post-training quantization bits seen. */
  post: number[];
  tokenizer: TokenizerDomain;
  constants: ConstantSources;
}
