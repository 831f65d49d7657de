#!/usr/bin/env bash
# The GPU check in one command, for a machine with one CUDA GPU (whatever drives it: a workstation, a cloud VM, a
# lent device). In a few minutes on a current GPU it runs, in order, stopping at the first failure and naming it:
#   1. uncertainty-nn reproduce --profile tiny --device cuda      (every chapter end to end on the GPU)
#   2. pytest tests/test_gpu.py                                   (CUDA fp32 with TF32 off and bf16 against CPU fp32)
#   3. benchmarks/bench.py stages --size paper --device cuda      (fp32 / channels-last / bf16 / both; paper projection)
#   4. benchmarks/bench.py attacks --device cuda                  (BIM at the defaults against torchattacks)
# Every result goes into one folder: OUT (default gpu_check/<date-time>), one log a step, and the tiny run.
# Needs CIFAR-10 where $UNCERTAINTY_NN_DATA points (or in ~/.cache/uncertainty_nn), and torchattacks for step 4.
#
#   benchmarks/gpu_check.sh [OUT]
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-gpu_check/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
echo "gpu_check: results in $out"

step() {
  local name=$1; shift
  local start; start=$(date +%s)
  printf '%-16s' "$name"
  if "$@" > "$out/$name.log" 2>&1; then
    echo "ok ($(( $(date +%s) - start )) s)"
  else
    local rc=$?
    echo "FAILED (exit $rc after $(( $(date +%s) - start )) s)"
    tail -n 25 "$out/$name.log"
    echo "gpu_check: step '$name' failed; its whole output is $out/$name.log"
    exit "$rc"
  fi
}

step cuda python -c "import torch; assert torch.cuda.is_available(), 'torch sees no CUDA GPU'; print(torch.__version__, torch.version.cuda, torch.cuda.get_device_name())"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
step data python -c "from uncertainty_nn.data import find_source; k, p, tried = find_source(); assert k, f'no CIFAR-10: set UNCERTAINTY_NN_DATA (tried {tried})'; print(k, p)"
step reproduce-tiny uncertainty-nn reproduce --profile tiny --device cuda --out "$out/tiny"
step test-gpu python -m pytest -q -p no:cacheprovider tests/test_gpu.py
step bench-stages python benchmarks/bench.py stages --size paper --device cuda --reps 2
step bench-attacks python benchmarks/bench.py attacks --device cuda --size paper --epochs 2
echo "gpu_check: all steps passed ($SECONDS s); results in $out"
