// A Hugging Face Trainer output folder with a trainer_state.json of about the size asked for:
// the shape the Trainer writes (json.dumps(indent=2, sort_keys=True) of TrainerState, a
// log_history entry per logging step, an evaluation every `evalEvery` steps, the summary entry
// at the end) and a LLaMA config.json beside it, so the folder is one complete run. Written
// streaming, for files of hundreds of MB. Shared by the unit tests and bench/vscode/hostBlock.ts.

import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const CONFIG = {
  architectures: ['LlamaForCausalLM'],
  hidden_act: 'silu',
  hidden_size: 256,
  intermediate_size: 688,
  max_position_embeddings: 2048,
  model_type: 'llama',
  num_attention_heads: 4,
  num_hidden_layers: 4,
  num_key_value_heads: 4,
  rms_norm_eps: 1e-5,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  vocab_size: 32000,
};

const TOKENS_PER_STEP = 8 * 2048;

const indent = (json: string, by: string): string => json.split('\n').join(`\n${by}`);
const entry = (o: Record<string, unknown>): string => `    ${indent(JSON.stringify(o, Object.keys(o).sort(), 2), '    ')}`;

function trainEntry(step: number, steps: number): string {
  return entry({ epoch: step / steps, grad_norm: 0.5 + 0.1 * Math.cos(step), learning_rate: 3e-4 * (1 - step / steps), loss: 3 + 2 / Math.sqrt(1 + step / 50), num_input_tokens_seen: step * TOKENS_PER_STEP, step });
}

function evalEntry(step: number, steps: number): string {
  return entry({ epoch: step / steps, eval_loss: 3.1 + 2 / Math.sqrt(1 + step / 50), eval_runtime: 12.3, eval_samples_per_second: 81.2, eval_steps_per_second: 10.2, num_input_tokens_seen: step * TOKENS_PER_STEP, step });
}

/** About 233 bytes per logging step (an evaluation every 500 included): the step count that makes a file of `bytes`. */
const BYTES_PER_STEP = 233;

/** Writes `dir`/trainer_state.json (about `bytes` long) and `dir`/config.json; returns the state file. */
export async function writeTrainerState(dir: string, bytes: number, evalEvery = 500): Promise<string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(CONFIG, null, 2)}\n`);
  const file = path.join(dir, 'trainer_state.json');
  const steps = Math.max(2, Math.round(bytes / BYTES_PER_STEP));
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`{\n  "best_global_step": null,\n  "best_metric": null,\n  "best_model_checkpoint": null,\n  "epoch": 1.0,\n  "eval_steps": ${evalEvery},\n  "global_step": ${steps},\n  "is_hyper_param_search": false,\n  "is_local_process_zero": true,\n  "is_world_process_zero": true,\n  "log_history": [\n`);
  let block: string[] = [];
  for (let step = 1; step <= steps; step++) {
    block.push(trainEntry(step, steps));
    if (step % evalEvery === 0 || step === steps) block.push(evalEntry(step, steps));
    if (block.length >= 5000) {
      await write(`${block.join(',\n')},\n`);
      block = [];
    }
  }
  block.push(entry({ epoch: 1.0, num_input_tokens_seen: steps * TOKENS_PER_STEP, step: steps, total_flos: 1.2e15, train_loss: 3.4, train_runtime: 3600.5, train_samples_per_second: 120.1, train_steps_per_second: 15.0 }));
  await write(`${block.join(',\n')}\n  ],\n  "logging_steps": 1,\n  "max_steps": ${steps},\n  "num_input_tokens_seen": ${steps * TOKENS_PER_STEP},\n  "num_train_epochs": 1,\n  "save_steps": ${evalEvery},\n  "total_flos": 1.2e15,\n  "train_batch_size": 8,\n  "trial_name": null,\n  "trial_params": null\n}\n`);
  out.end();
  await once(out, 'finish');
  return file;
}
