"""Each function's cold init, as Lambda runs it, against importing boto3, in fresh interpreters.

    .venv/bin/python benchmarks/cold_start.py [--runs 15] [--against REV] [--parts]

Every figure is a whole process (`python -c ...`, timed from outside with `time.perf_counter`): the
interpreter's start, then the import. Each is run `--runs` times, the commands taking turns (one of
each per round, the order rotating), and the median is kept; the ratios compare medians measured in
the same run, on the same machine, which is what to compare across machines. Targets: the starter's
handler module at most 1.2x `import boto3` plus creating a Step Functions client (the least a starter
needs), the validator's at most 1.2x `import boto3`.

The handlers run as Lambda runs them: the stack is synthesized first (or its assembly reused from the
synthesis cache `orders local run` keeps, `workflow.local.synth_cache`) and each function's own asset
(the packages its deployment package holds) is the code directory, first on `sys.path` and the
working directory; its environment is the one the template gives it (`Environment.Variables`) plus
what Lambda sets for every function ("Defined runtime environment variables",
https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
with the X-Ray variables when its tracing is `Active`; this environment's Powertools, the version the
layer pins, stands for the layer. `--against REV` also measures the handlers of a git revision (its
`functions/` packages, in the same layout and environment), so that a change is judged in pairs. `--parts`
also measures pieces on their own, each against its function's baseline: Powertools' Logger and Metrics (from
the package or from its submodules), asyncio (which Powertools' batch utility imports), the batch utility, a
Tracer (the X-Ray SDK), pydantic and the contract's models, boto3's TypeSerializer.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "functions"), str(ROOT / "benchmarks")]

from command_failure import one_line  # noqa: E402

from workflow import config  # noqa: E402
from workflow.local.synth_cache import CachedAssembly  # noqa: E402

TARGET_RATIO = 1.2
BOTO3 = "import boto3"
BOTO3_AND_CLIENT = "import boto3; boto3.client('stepfunctions')"
# What each function is held against: the starter needs a Step Functions client, the validator nothing of boto3.
BASELINES = {config.STARTER_SERVICE: BOTO3_AND_CLIENT, config.VALIDATE_SERVICE: BOTO3}
# `--parts`: what each piece a handler imports adds, measured the same way (each against the same baseline).
POWERTOOLS = "from aws_lambda_powertools import Logger, Metrics"
BATCH = "from aws_lambda_powertools.utilities.batch import BatchProcessor"
PARTS = {
    config.STARTER_SERVICE: [
        f"{BOTO3_AND_CLIENT}; {POWERTOOLS}",
        f"{BOTO3_AND_CLIENT}; {POWERTOOLS}; import asyncio",
        f"{BOTO3_AND_CLIENT}; {POWERTOOLS}; {BATCH}",
        f"{BOTO3_AND_CLIENT}; from aws_lambda_powertools import Tracer; Tracer()",
    ],
    config.VALIDATE_SERVICE: [
        POWERTOOLS,
        "from aws_lambda_powertools.logging import Logger; from aws_lambda_powertools.metrics import Metrics",
        "import pydantic",
        f"{POWERTOOLS}; import order_validation.rules",
        "import boto3.dynamodb.types",
    ],
}
REGION = "us-east-1"
ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Function:
    service: str
    handler_module: str
    code_dir: Path
    environment: dict[str, str]


def lambda_environment(template: dict[str, Any], name: str, code_dir: Path) -> dict[str, str]:
    """What the function's process sees at init on Lambda (fake credentials, as in any test)."""
    props = template["Resources"][name]["Properties"]
    function_name = f"{config.STACK_NAME}-{name}"
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "_HANDLER": props["Handler"],
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{props['Runtime']}",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props.get("MemorySize", 128)),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/29/[$LATEST]0123456789abcdef0123456789abcdef",
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEEXAMPLE00",
        "AWS_SECRET_ACCESS_KEY": "example-secret",
        "AWS_SESSION_TOKEN": "example-token",
        "LAMBDA_TASK_ROOT": str(code_dir),
        "LAMBDA_RUNTIME_DIR": str(code_dir),
        "PYTHONPATH": str(code_dir),
    }
    if props.get("TracingConfig", {}).get("Mode") == "Active":
        environment |= {
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
            "_AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129",
            "_AWS_XRAY_DAEMON_PORT": "2000",
        }
    for key, value in props.get("Environment", {}).get("Variables", {}).items():
        # A reference to another resource (the state machine's ARN) resolves at deploy time: any ARN of its shape.
        environment[key] = value if isinstance(value, str) else f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:x"
    return environment


def deployed_functions() -> list[Function]:
    """Each function as the template deploys it, from the synthesized assembly `orders local run` uses (the
    stack synthesized for the emulator with cdk.json's context, cdk-nag included), reused while its inputs are
    unchanged (`workflow.local.synth_cache`)."""
    outdir = CachedAssembly().get()
    template = json.loads((outdir / f"{config.STACK_NAME}.template.json").read_text())
    manifest = json.loads((outdir / f"{config.STACK_NAME}.assets.json").read_text())
    # The asset each function's code key names: the folder `cdk deploy` zips and uploads.
    sources = {
        destination["objectKey"]: outdir / asset["source"]["path"]
        for asset in manifest["files"].values()
        for destination in asset["destinations"].values()
    }
    functions = []
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        props = resource["Properties"]
        code_dir = sources[props["Code"]["S3Key"]]
        functions.append(
            Function(
                service=props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"],
                handler_module=props["Handler"].rpartition(".")[0],
                code_dir=code_dir,
                environment=lambda_environment(template, name, code_dir),
            )
        )
    return sorted(functions, key=lambda f: f.service)


def at_revision(function: Function, revision: str, workdir: Path) -> Function:
    """The same function with the handler code of `revision`: its asset's packages, from that revision's tree."""
    packages = sorted(p.name for p in function.code_dir.iterdir() if p.is_dir())
    archive = subprocess.run(
        ["git", "archive", revision, *(f"functions/{p}" for p in packages)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    code_dir = workdir / f"{function.service}@{revision}"
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(code_dir, filter="data")
    for package in packages:
        shutil.move(code_dir / "functions" / package, code_dir / package)
    environment = {
        **function.environment,
        "LAMBDA_TASK_ROOT": str(code_dir),
        "LAMBDA_RUNTIME_DIR": str(code_dir),
        "PYTHONPATH": str(code_dir),
    }
    return Function(function.service, function.handler_module, code_dir, environment)


def run_once(code: str, environment: dict[str, str], cwd: Path) -> tuple[float, float]:
    """The process's wall time and CPU time (user and system, its own, from the kernel's accounting)."""
    started = time.perf_counter()
    command = [sys.executable, "-c", code]
    process = subprocess.Popen(command, env=environment, cwd=cwd, stderr=subprocess.PIPE)
    assert process.stderr is not None
    stderr = process.stderr.read()  # to its end, when the process exits: a full pipe never blocks it
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.stderr.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command, stderr=stderr)
    return wall, usage.ru_utime + usage.ru_stime


def measure(commands: dict[str, tuple[str, dict[str, str], Path]], runs: int) -> dict[str, list[tuple[float, float]]]:
    """Every command once per round, in an order that rotates each round, so that drift hits them alike."""
    names = list(commands)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for round_ in range(runs):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            times[name].append(run_once(*commands[name]))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="processes per command (default 15)")
    parser.add_argument("--against", metavar="REV", help="also measure the handlers of this git revision")
    parser.add_argument("--parts", action="store_true", help="also measure what each imported piece adds")
    args = parser.parse_args()
    installed = version("aws-lambda-powertools")
    if installed != config.POWERTOOLS_VERSION:
        sys.exit(f"Powertools {installed} is installed; the layer pins {config.POWERTOOLS_VERSION}")

    try:
        with tempfile.TemporaryDirectory() as work:
            functions = deployed_functions()
            commands: dict[str, tuple[str, dict[str, str], Path]] = {}
            for function in functions:
                baseline = BASELINES[function.service]
                commands[baseline] = (baseline, function.environment, function.code_dir)
                commands[f"import {function.handler_module}"] = (
                    f"import {function.handler_module}",
                    function.environment,
                    function.code_dir,
                )
                if args.against:
                    old = at_revision(function, args.against, Path(work))
                    commands[f"import {function.handler_module} @ {args.against}"] = (
                        f"import {function.handler_module}",
                        old.environment,
                        old.code_dir,
                    )
                for code in PARTS[function.service] if args.parts else []:
                    commands[code] = (code, function.environment, function.code_dir)
            commands["(the interpreter alone)"] = ("pass", functions[0].environment, functions[0].code_dir)
            # One untimed round first: the file system's caches and the bytecode caches, as on a warm Lambda host.
            measure(commands, 1)
            times = measure(commands, args.runs)
    except subprocess.CalledProcessError as error:  # a revision git does not know, an import that fails
        sys.exit(f"cold_start: {one_line(error)}")

    wall = {name: statistics.median(w for w, _ in values) for name, values in times.items()}
    cpu = {name: statistics.median(c for _, c in values) for name, values in times.items()}
    print(f"{args.runs} processes per command, Powertools {config.POWERTOOLS_VERSION}, Python {sys.version.split()[0]}")
    print(f"{'command':<100} {'wall ms':>8} {'CPU ms':>8}  (medians)")
    for name in times:
        print(f"{name:<100} {wall[name] * 1000:>8.0f} {cpu[name] * 1000:>8.0f}")
    print()
    for function in functions:
        baseline = BASELINES[function.service]
        for label in [f"import {function.handler_module}", f"import {function.handler_module} @ {args.against}"]:
            if label in times:
                print(f"{label} / {baseline!r}: {ratios(label, baseline, wall, cpu)}")
        for code in PARTS[function.service] if args.parts else []:
            print(f"  {code} / {baseline!r}: {ratios(code, baseline, wall, cpu)}")
    return 0


def ratios(name: str, baseline: str, wall: dict[str, float], cpu: dict[str, float]) -> str:
    """Wall time is what Lambda bills; CPU time is what still compares when other work shares the machine."""
    shown = []
    for kind, medians in (("wall", wall), ("CPU", cpu)):
        ratio = medians[name] / medians[baseline]
        shown.append(f"{ratio:.2f} {kind} ({'met' if ratio <= TARGET_RATIO else 'NOT met'})")
    return f"{', '.join(shown)}, target {TARGET_RATIO}"


if __name__ == "__main__":
    raise SystemExit(main())
