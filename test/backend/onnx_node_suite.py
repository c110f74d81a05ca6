#!/usr/bin/env python3
"""Runs the ONNX conformance suite's node tests through Kiln.

Every directory under the `onnx` package's backend/test/data/node is one
test: a model.onnx with test_data_set_*/input_*.pb and output_*.pb. Each is
imported with `kiln-import`, evaluated with `kiln eval` (the reference
evaluator) and compared with the expected outputs using the suite's own
tolerances (rtol 1e-3, atol 1e-7 unless the test's data.json says otherwise).

Each test ends as `pass`, `fail` or `unsupported` (the importer or evaluator
said it does not support something) -- a crash or a hang is a `fail` with its
reason, never the runner's end.

  onnx_node_suite.py --bin build/bin --coverage docs/onnx-coverage.md
      writes the per-op coverage table.
  onnx_node_suite.py --bin build/bin --check-pinned test/backend/onnx-node-passing.txt
      fails when a test listed there no longer passes, or when a test not
      listed passes (the pin and the coverage doc are then stale); CI runs it.
  onnx_node_suite.py --bin build/bin --write-pinned test/backend/onnx-node-passing.txt
      records today's passing set.
"""

import argparse
import collections
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

TIMEOUT_SECONDS = 120


def node_test_root():
    return os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")


def load_tensor(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return tensor, numpy_helper.to_array(tensor)


def tolerances(case_dir):
    rtol, atol = 1e-3, 1e-7
    data = os.path.join(case_dir, "data.json")
    if os.path.exists(data):
        with open(data) as f:
            info = json.load(f)
        rtol, atol = info.get("rtol", rtol), info.get("atol", atol)
    return rtol, atol


def classify_error(stderr):
    """`unsupported` when Kiln said so, else a failure with the first line."""
    text = stderr.strip()
    lines = text.splitlines()
    index = next((i for i, line in enumerate(lines) if "error" in line.lower()), 0)
    first = lines[index] if lines else "no message"
    # A list of unsupported nodes follows on indented lines.
    if first.rstrip().endswith(":") and index + 1 < len(lines):
        first = first.rstrip() + " " + lines[index + 1].strip()
    # Kiln's own words for a limitation, as opposed to a wrong answer.
    # (bf16 outputs cannot be compared: .npy has no bf16 dtype.)
    if re.search(r"unsupported|not supported|does not support"
                 r"|must be a (positive )?constant|bf16 has no NumPy dtype"
                 r"|imports no opset of the default ONNX domain",
                 text, re.IGNORECASE):
        return "unsupported", first.strip()
    return "fail", first.strip()


def shorten(message, limit=160):
    message = re.sub(r"^.*?error: ", "", message)
    message = re.sub(r"/tmp/[^ :]*", "<tmp>", message)
    return message if len(message) <= limit else message[: limit - 3] + "..."


def run_case(case_dir, bin_dir):
    """Returns (status, reason) for one node test."""
    model_path = os.path.join(case_dir, "model.onnx")
    try:
        model = onnx.load(model_path)
    except Exception as error:  # a malformed fixture is the suite's problem
        return "fail", f"cannot load the model with onnx: {error}"
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    outputs = list(model.graph.output)
    data_sets = sorted(d for d in os.listdir(case_dir) if d.startswith("test_data_set"))
    rtol, atol = tolerances(case_dir)

    with tempfile.TemporaryDirectory(prefix="kiln-node-") as tmp:
        mlir = os.path.join(tmp, "model.mlir")
        try:
            result = subprocess.run(
                [os.path.join(bin_dir, "kiln-import"), model_path, "-o", mlir],
                capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            return "fail", "kiln-import timed out"
        if result.returncode != 0:
            if result.returncode < 0:
                return "fail", f"kiln-import crashed (signal {-result.returncode})"
            status, reason = classify_error(result.stderr)
            return status, "import: " + shorten(reason)

        for data_set in data_sets:
            set_dir = os.path.join(case_dir, data_set)
            args = [os.path.join(bin_dir, "kiln"), "eval", mlir]
            for index, info in enumerate(inputs):
                pb = os.path.join(set_dir, f"input_{index}.pb")
                if not os.path.exists(pb):
                    return "unsupported", f"input {info.name} is not a tensor (optional or sequence)"
                try:
                    _, array = load_tensor(pb)
                except Exception as error:
                    return "unsupported", f"input {info.name}: {error}"
                npy = os.path.join(tmp, f"input_{index}.npy")
                np.save(npy, array)
                args += ["--input", f"{info.name}={npy}"]
            out_dir = os.path.join(tmp, "out-" + data_set)
            args += ["--output-dir", out_dir]
            try:
                result = subprocess.run(args, capture_output=True, text=True,
                                        timeout=TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                return "fail", "kiln eval timed out"
            if result.returncode != 0:
                if result.returncode < 0:
                    return "fail", f"kiln eval crashed (signal {-result.returncode})"
                status, reason = classify_error(result.stderr)
                return status, "eval: " + shorten(reason)

            for index, info in enumerate(outputs):
                pb = os.path.join(set_dir, f"output_{index}.pb")
                if not os.path.exists(pb):
                    return "unsupported", f"output {info.name} is not a tensor"
                _, expected = load_tensor(pb)
                produced_path = os.path.join(out_dir, f"{info.name}.npy")
                if not os.path.exists(produced_path):
                    return "fail", f"no output {info.name}"
                produced = np.load(produced_path)
                if produced.shape != expected.shape:
                    return "fail", (f"output {info.name}: shape {produced.shape}, "
                                    f"expected {expected.shape}")
                if produced.dtype != expected.dtype:
                    return "fail", (f"output {info.name}: dtype {produced.dtype}, "
                                    f"expected {expected.dtype}")
                try:
                    if expected.dtype.kind in "fc":
                        np.testing.assert_allclose(produced, expected, rtol=rtol, atol=atol)
                    else:
                        np.testing.assert_array_equal(produced, expected)
                except AssertionError as error:
                    mismatch = next((l.strip() for l in str(error).splitlines()
                                     if "Mismatched" in l), "values differ")
                    return "fail", f"output {info.name}: {mismatch}"
    return "pass", ""


def op_of(case_dir, cache):
    """The op a test exercises: its single node's type; expanded variants
    (`_expanded`, `_expanded_ver18`) count for the op of their base test."""
    name = os.path.basename(case_dir)
    base = re.sub(r"_expanded(_ver\d+)?$", "", name)
    base_dir = os.path.join(os.path.dirname(case_dir), base)
    target = base_dir if os.path.isdir(base_dir) else case_dir
    if target not in cache:
        try:
            graph = onnx.load(os.path.join(target, "model.onnx")).graph
            types = [n.op_type for n in graph.node]
            cache[target] = types[0] if len(set(types)) == 1 else (types[-1] if types else "?")
        except Exception:
            cache[target] = "?"
    return cache[target]


def write_coverage(path, results, ops):
    by_op = collections.defaultdict(list)
    for name, (status, reason) in results.items():
        by_op[ops[name]].append((name, status, reason))
    passed = sum(1 for s, _ in results.values() if s == "pass")
    unsupported = sum(1 for s, _ in results.values() if s == "unsupported")
    lines = [
        "# ONNX conformance suite coverage",
        "",
        "<!-- Generated; do not edit. Regenerate with: .venv/bin/python "
        "test/backend/onnx_node_suite.py --bin build/bin --coverage docs/onnx-coverage.md "
        "--write-pinned test/backend/onnx-node-passing.txt -->",
        "",
        f"Generated by `test/backend/onnx_node_suite.py` from the node tests of "
        f"onnx {onnx.__version__}: every test is imported with `kiln-import`, run "
        "with the reference evaluator (`kiln eval`) and compared with its expected "
        "outputs at the suite's tolerances.",
        "",
        f"**{passed} of {len(results)} tests pass**; {unsupported} use something Kiln "
        "does not support (reason given), the rest fail. The passing set is pinned in "
        "`test/backend/onnx-node-passing.txt` and checked by CI.",
        "",
        "Kiln's element types are f32, f16, bf16, i64, i32, i8 and bool, so the many "
        "tests of other types (double, unsigned and 16-bit integers, strings, float8) "
        "are unsupported; so are tests that feed axes, pads, K or shapes as graph "
        "inputs rather than constants (real models carry them as initializers), and "
        "ops outside the supported list. bf16 results cannot be compared here (.npy "
        "has no bf16).",
        "",
        "| op | passed / total | why the others do not pass |",
        "| --- | --- | --- |",
    ]
    for op in sorted(by_op):
        cases = by_op[op]
        ok = sum(1 for _, s, _ in cases if s == "pass")
        reasons = collections.Counter(
            f"{s}: {r}" for _, s, r in cases if s != "pass")
        why = "; ".join(f"{r} (x{n})" if n > 1 else r
                        for r, n in reasons.most_common(3))
        why = why.replace(" (supported: FLOAT, FLOAT16, BFLOAT16, INT64, INT32, INT8, BOOL)", "")
        if len(reasons) > 3:
            why += f"; and {len(reasons) - 3} other reasons"
        why = why.replace("|", "\\|")
        lines.append(f"| {op} | {ok} / {len(cases)} | {why} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="directory with kiln and kiln-import")
    parser.add_argument("--filter", default="", help="regex over test names")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--coverage", help="write the per-op coverage markdown here")
    parser.add_argument("--check-pinned", help="fail if a test listed in this file does not pass")
    parser.add_argument("--write-pinned", help="write the passing tests to this file")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    root = node_test_root()
    if not os.path.isdir(root):
        print(f"error: no ONNX node tests at {root}; is onnx==1.22.0 installed?", file=sys.stderr)
        return 2
    pinned = None
    if args.check_pinned:
        with open(args.check_pinned) as f:
            pinned = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    names = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    if args.filter:
        names = [n for n in names if re.search(args.filter, n)]

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_case, os.path.join(root, n), args.bin): n for n in names}
        for future in concurrent.futures.as_completed(futures):
            name = futures[future]
            try:
                results[name] = future.result()
            except Exception as error:  # the runner itself must not die
                results[name] = ("fail", f"runner error: {error}")
            if args.verbose:
                status, reason = results[name]
                print(f"{status:11} {name} {reason}")

    counts = collections.Counter(s for s, _ in results.values())
    if args.coverage:
        cache = {}
        ops = {n: op_of(os.path.join(root, n), cache) for n in results}
        write_coverage(args.coverage, results, ops)
    if args.write_pinned:
        with open(args.write_pinned, "w") as f:
            f.write(f"# ONNX node tests (onnx {onnx.__version__}) that pass through kiln-import + "
                    "kiln eval; written by onnx_node_suite.py --write-pinned.\n")
            for name in sorted(n for n, (s, _) in results.items() if s == "pass"):
                f.write(name + "\n")

    status = 0
    if pinned is not None:
        regressions = [n for n in pinned if results.get(n, ("missing", ""))[0] != "pass"]
        for name in regressions:
            status_, reason = results.get(name, ("missing", "test not found"))
            print(f"REGRESSION {name}: {status_}: {reason}")
        # A test that starts passing means the pin and docs/onnx-coverage.md
        # are behind: regenerate them rather than let them drift.
        newly = sorted(n for n, (s, _) in results.items()
                       if s == "pass" and n not in set(pinned))
        for name in newly:
            print(f"NEWLY PASSING {name}: add it to the pin (--write-pinned) and "
                  "regenerate docs/onnx-coverage.md (--coverage)")
        print(f"pinned: {len(pinned) - len(regressions)} passed, {len(regressions)} failed")
        status = 1 if regressions or newly else 0
    print(f"{counts['pass']} passed, {counts['fail']} failed, "
          f"{counts['unsupported']} unsupported (of {len(results)})")
    return status


if __name__ == "__main__":
    sys.exit(main())
