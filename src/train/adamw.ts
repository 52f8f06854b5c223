// AdamW (Loshchilov & Hutter): Adam's update plus weight decay applied to the weights directly,
// not through the gradient. Matrices decay, norm gains do not (as in nanoGPT).

import { tf } from './backend';
import type { Params } from './model';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  weightDecay: number;
  eps?: number;
}

export class AdamW {
  private readonly m: Record<string, tf.Variable> = {};
  private readonly v: Record<string, tf.Variable> = {};
  private t = 0;

  constructor(
    private readonly params: Params,
    private readonly options: AdamWOptions,
  ) {
    for (const [name, p] of Object.entries(params)) {
      this.m[name] = tf.variable(tf.zerosLike(p), false);
      this.v[name] = tf.variable(tf.zerosLike(p), false);
    }
  }

  /** One update with the gradients of every parameter (by name), scaled by `gradScale` (clipping). */
  step(grads: Record<string, tf.Tensor>, learningRate: number, gradScale = 1): void {
    const { beta1, beta2, weightDecay, eps = 1e-8 } = this.options;
    this.t++;
    // Bias corrections folded into the step size (Kingma & Ba, end of section 2).
    const stepSize = (learningRate * Math.sqrt(1 - beta2 ** this.t)) / (1 - beta1 ** this.t);
    tf.tidy(() => {
      for (const [name, p] of Object.entries(this.params)) {
        const g = gradScale === 1 ? grads[name] : tf.mul(grads[name], gradScale);
        const m = tf.add(tf.mul(this.m[name], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[name], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[name].assign(m);
        this.v[name].assign(v);
        const decayed = p.rank >= 2 && weightDecay > 0 ? tf.mul(p, 1 - learningRate * weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, tf.add(tf.sqrt(v), eps)), stepSize)));
      }
    });
  }

  dispose(): void {
    for (const t of [...Object.values(this.m), ...Object.values(this.v)]) t.dispose();
  }
}

/** Linear warmup to the peak, then a cosine down to peak * minRatio at the last step. */
export function learningRateAt(step: number, steps: number, peak: number, warmup: number, minRatio: number): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const progress = steps - warmup <= 1 ? 1 : (step - warmup) / (steps - warmup - 1);
  return peak * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}

/** Global L2 norm of all gradients (one number, read back). */
export function globalNorm(grads: readonly tf.Tensor[]): number {
  const squares = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const norm = Math.sqrt(squares.dataSync()[0]);
  squares.dispose();
  return norm;
}
