#!/usr/bin/env python3
"""End-to-end check of the committed model fixtures against onnxruntime.

For each model and several input shapes (dynamic batch and sequence), runs
onnxruntime on seeded random inputs, then Kiln -- `kiln eval` on the ONNX
model as imported, and on the IR after Kiln's graph pipeline (canonicalize,
symbolic shapes, pattern recognition, folding; for the convolutional models
also with `channels-last=true`), and on the IR grouped into kernels
(`channels-last=true` then `kiln-form-fusion-groups`; the evaluator runs the
`kiln.fusion` bodies) -- and compares every output: the largest difference
must stay within `--rtol` of the output's largest magnitude (1e-4 by
default, fp32). The grouped IR must also go through `kiln-codegen` (every
group accepted by the emitter) when that tool is in `--bin`.

  check_models.py --bin build/bin [--model bert] [--pipeline-only]
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))

# (model, {input: (dtype, shape, high)}) per case; `high` bounds token ids.
CASES = {
    "mlp": [{"x": ("f", (1, 16))}, {"x": ("f", (3, 16))}, {"x": ("f", (8, 16))}],
    "resnet18": [{"image": ("f", (1, 3, 32, 32))}, {"image": ("f", (3, 3, 32, 32))}],
    "mobilenetv2": [{"image": ("f", (1, 3, 32, 32))}, {"image": ("f", (2, 3, 32, 32))}],
    "vit": [{"image": ("f", (1, 3, 32, 32))}, {"image": ("f", (3, 3, 32, 32))}],
    "bert": [{"input_ids": ("i", (1, 1)), "attention_mask": ("m", (1, 1))},
             {"input_ids": ("i", (2, 8)), "attention_mask": ("m", (2, 8))},
             {"input_ids": ("i", (3, 13)), "attention_mask": ("m", (3, 13))}],
    "gpt2": [{"input_ids": ("i", (1, 1))}, {"input_ids": ("i", (2, 8))},
             {"input_ids": ("i", (1, 17))}],
}

# The graph pipeline whose result must still compute the same function.
PIPELINE = "builtin.module(kiln-graph-pipeline)"
# The same with convolutions and pools moved to NHWC (channels_last), for
# the convolutional models.
CHANNELS_LAST_PIPELINE = "builtin.module(kiln-graph-pipeline{channels-last=true})"
CHANNELS_LAST_MODELS = {"resnet18", "mobilenetv2"}
# Every model grouped into kiln.fusion kernels, as code generation needs it.
GROUPED_PIPELINE = ("builtin.module(kiln-graph-pipeline{channels-last=true},"
                    "func.func(kiln-form-fusion-groups))")


def make_inputs(spec, seed):
    rng = np.random.default_rng(seed)
    inputs = {}
    for name, (kind, shape) in spec.items():
        if kind == "f":
            inputs[name] = rng.standard_normal(shape).astype(np.float32)
        elif kind == "i":
            inputs[name] = rng.integers(0, 100, shape).astype(np.int64)
        else:  # an attention mask with some padding at the end of a row
            mask = np.ones(shape, dtype=np.int64)
            if shape[1] > 2:
                mask[0, -2:] = 0
            inputs[name] = mask
    return inputs


def run_kiln(bin_dir, model, inputs, tmp, tag):
    args = [os.path.join(bin_dir, "kiln"), "eval", model, "--output-dir",
            os.path.join(tmp, "out-" + tag)]
    for name, value in inputs.items():
        path = os.path.join(tmp, f"{tag}-{name}.npy")
        np.save(path, value)
        args += ["--input", f"{name}={path}"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"kiln eval failed: {result.stderr.strip()}")
    return os.path.join(tmp, "out-" + tag)


def compare(name, produced, expected, rtol):
    if produced.shape != expected.shape:
        return f"{name}: shape {produced.shape}, expected {expected.shape}"
    scale = max(float(np.max(np.abs(expected))), 1e-30)
    error = float(np.max(np.abs(produced.astype(np.float64) - expected)))
    if not error <= rtol * scale:
        return f"{name}: max error {error:.3g} exceeds {rtol:g} x {scale:.3g}"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--model", action="append", help="only these models")
    parser.add_argument("--rtol", type=float, default=1e-4)
    args = parser.parse_args()

    failures, checks = [], 0
    for model_name, cases in CASES.items():
        if args.model and model_name not in args.model:
            continue
        path = os.path.join(HERE, model_name + ".onnx")
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        outputs = [o.name for o in onnx.load(path).graph.output]
        with tempfile.TemporaryDirectory(prefix="kiln-model-") as tmp:
            imported = os.path.join(tmp, model_name + ".imported.mlir")
            pipelines = [("optimized", PIPELINE)]
            if model_name in CHANNELS_LAST_MODELS:
                pipelines.append(("channels-last", CHANNELS_LAST_PIPELINE))
            pipelines.append(("grouped", GROUPED_PIPELINE))
            commands = [[os.path.join(args.bin, "kiln-import"), path, "-o",
                         imported]]
            variants = [("onnx", path)]
            for tag, pipeline in pipelines:
                optimized = os.path.join(tmp, f"{model_name}.{tag}.mlir")
                commands.append([os.path.join(args.bin, "kiln-opt"), imported,
                                 f"--pass-pipeline={pipeline}", "-o",
                                 optimized])
                variants.append((tag, optimized))
            codegen = os.path.join(args.bin, "kiln-codegen")
            if os.path.exists(codegen):
                # The emitter must accept every group (kernels to stdout).
                commands.append([codegen, os.path.join(
                    tmp, f"{model_name}.grouped.mlir"), "--emit=kernels"])
            for cmd in commands:
                result = subprocess.run(cmd, capture_output=True, text=True)
                if result.returncode != 0:
                    failures.append(f"{model_name}: {os.path.basename(cmd[0])}: "
                                    f"{result.stderr.strip()}")
                    break
            else:
                for index, spec in enumerate(cases):
                    inputs = make_inputs(spec, seed=index)
                    expected = session.run(outputs, inputs)
                    shapes = ", ".join(f"{k}={'x'.join(map(str, v.shape))}"
                                       for k, v in inputs.items())
                    for tag, model in variants:
                        checks += 1
                        try:
                            out_dir = run_kiln(args.bin, model, inputs, tmp, f"{tag}{index}")
                        except RuntimeError as error:
                            failures.append(f"{model_name} [{tag}] {shapes}: {error}")
                            continue
                        for name, ref in zip(outputs, expected):
                            got = np.load(os.path.join(out_dir, name + ".npy"))
                            problem = compare(name, got, ref, args.rtol)
                            if problem:
                                failures.append(f"{model_name} [{tag}] {shapes}: {problem}")
                    print(f"checked {model_name} at {shapes}")
    for failure in failures:
        print("FAIL", failure)
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
