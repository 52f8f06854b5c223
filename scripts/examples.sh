#!/usr/bin/env bash
# Regenerates examples/runs: the example sweep (EXAMPLE_SWEEP in src/train/options.ts, the default
# of Launch a Sweep; README "The example workspace"), about an hour on 2 cores. Every run is
# trained again (--rerun); the folder is cleared first so no run of an earlier design is left
# beside the new ones.
set -euo pipefail
cd "$(dirname "$0")/.."
node esbuild.js --production
rm -rf examples/runs
# The PTQ law: three sizes (13x in N) x four budgets (D/N up to 194 for the smallest), fp32;
# each part's factor: weights, activations, KV cache each alone at 3, 4, 6 bits;
# the run-to-run scale: a second seed of five cells.
node dist/cli.js sweep --sizes 2x32,2x64,3x96 --tokens 600k,1.2M,2.4M,4.8M --precisions fp32 \
  --also "sizes=2x32 tokens=2.4M precisions=w3a32kv32,w4a32kv32,w6a32kv32,w32a3kv32,w32a4kv32,w32a6kv32,w32a32kv3,w32a32kv4,w32a32kv6" \
  --also "sizes=2x32,2x64 tokens=2.4M seeds=2" \
  --also "sizes=2x32 tokens=2.4M precisions=w3a32kv32,w32a3kv32,w32a32kv3 seeds=2" \
  --lr 5e-3 --batch 16 --ptq-bits 8,6,5,4,3 --ptq-groups channel \
  --ptq-formats mxint8,mxint4,mxfp8,mxfp6-e2m3,mxfp4,int4-g32,int3-g32 --gptq-bits 4,3 \
  --eval-tokens 16k --out examples/runs --name examples --rerun
