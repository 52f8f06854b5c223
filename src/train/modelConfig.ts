// The shape of the transformer as plain values: its configuration, the names and shapes of its
// weights, and N counted from them. Free of TensorFlow.js, so planners (sweep grids, the
// extension's task provider) can size a model without loading the trainer.

export interface ModelConfig {
  vocabSize: number;
  /** Model width (d_model). */
  width: number;
  /** Number of transformer blocks. */
  depth: number;
  heads: number;
  /** Sequence length the model is trained on. */
  context: number;
  mlp: 'gelu' | 'swiglu';
  positions: 'rotary' | 'learned';
  tiedEmbeddings: boolean;
}

/** Names of the weights that are not counted in N: token and position embeddings, unembedding. */
export const EMBEDDING_PARAMS = new Set(['wte', 'wpe', 'head']);

/** The linear layers of block i, the weights that are fake-quantized and post-training quantized. */
export const linearNames = (config: ModelConfig, i: number): string[] => [
  `h${i}.q`,
  `h${i}.k`,
  `h${i}.v`,
  `h${i}.proj`,
  ...(config.mlp === 'gelu' ? [`h${i}.fc`] : [`h${i}.gate`, `h${i}.up`]),
  `h${i}.fc2`,
];

export const allLinearNames = (config: ModelConfig): string[] => Array.from({ length: config.depth }, (_, i) => linearNames(config, i)).flat();

/** Hidden width of the MLP: 4d for GELU; for SwiGLU 8d/3 (same parameter count), rounded up to a multiple of 32. */
export function mlpHidden(config: ModelConfig): number {
  return config.mlp === 'gelu' ? 4 * config.width : Math.ceil((8 * config.width) / 3 / 32) * 32;
}

export function validateConfig(config: ModelConfig): void {
  const { width, heads, depth, context, vocabSize } = config;
  for (const [name, value] of Object.entries({ width, heads, depth, context, vocabSize })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`model ${name} must be a positive integer, got ${value}`);
  }
  if (width % heads !== 0) throw new Error(`width ${width} is not divisible by ${heads} heads`);
  if (config.positions === 'rotary' && (width / heads) % 2 !== 0) throw new Error(`rotary positions need an even head size, got ${width / heads}`);
}

/** Shapes of every weight, in a fixed order (the order seeds are drawn in). */
export function paramShapes(config: ModelConfig): [string, number[]][] {
  const { vocabSize: v, width: d, context: t } = config;
  const h = mlpHidden(config);
  const shapes: [string, number[]][] = [['wte', [v, d]]];
  if (config.positions === 'learned') shapes.push(['wpe', [t, d]]);
  for (let i = 0; i < config.depth; i++) {
    shapes.push([`h${i}.norm1`, [d]], [`h${i}.q`, [d, d]], [`h${i}.k`, [d, d]], [`h${i}.v`, [d, d]], [`h${i}.proj`, [d, d]], [`h${i}.norm2`, [d]]);
    if (config.mlp === 'gelu') shapes.push([`h${i}.fc`, [d, h]]);
    else shapes.push([`h${i}.gate`, [d, h]], [`h${i}.up`, [d, h]]);
    shapes.push([`h${i}.fc2`, [h, d]]);
  }
  shapes.push(['normF', [d]]);
  if (!config.tiedEmbeddings) shapes.push(['head', [d, v]]);
  return shapes;
}

const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** N from the config alone (the same count, without building the model): for planning sweeps. */
export function countNonEmbeddingParams(config: ModelConfig): number {
  return paramShapes(config).reduce((n, [name, shape]) => (EMBEDDING_PARAMS.has(name) ? n : n + count(shape)), 0);
}
