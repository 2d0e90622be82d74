"""Measure what an order asks of each service, by running the sample orders through the local mode under a profile:
the application's API calls (a botocore hook on its session), the functions' log bytes and the custom metrics they
emit (the runtime's captured invocation logs), the bytes of each record written, and the execution log records."""

from __future__ import annotations

import json
import multiprocessing
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from workflow import config
from workflow.cost.usage import MEASURE_COMMAND, MEASURED_USAGE_FILE, definition_transitions, template_facts
from workflow.local.emulator import EmulatedStack, synthesize_for_local
from workflow.local.run import execution_arns, run
from workflow.local.runtime import FunctionSpec
from workflow.messages import read_file
from workflow.operations import event_details, execution_history, scan_records
from workflow.profiles import PROFILES

SAMPLES = config.PROJECT_ROOT / "samples" / "orders.jsonl"
# Step Functions' error-level logging records only events of these kinds (failed tasks and executions).
ERROR_EVENTS = ("Failed", "TimedOut", "Aborted")
# What `includeExecutionData: false` keeps out of the log: the states' input, output and task parameters.
EXECUTION_DATA = ("input", "output", "inputDetails", "outputDetails", "parameters")


def measure(profile: str, samples: Path = SAMPLES) -> dict[str, Any]:
    """The usage of the sample orders under `profile`, in total, and what became of each message."""
    bodies = read_file(samples.read_bytes())
    calls: Counter[str] = Counter()
    log_bytes: Counter[str] = Counter()
    invocations: Counter[str] = Counter()
    metrics: set[str] = set()

    def count_call(event_name: str, **kwargs: Any) -> None:
        calls[event_name.removeprefix("before-call.")] += 1

    def read_log(spec: FunctionSpec, log: str) -> None:
        service = spec.environment["POWERTOOLS_SERVICE_NAME"]
        invocations[service] += 1
        log_bytes[service] += len(log.encode())
        metrics.update(_emf_metrics(log))

    with tempfile.TemporaryDirectory(prefix="orders-cost-") as outdir:
        assembly = synthesize_for_local(Path(outdir), context={config.CONTEXT_PROFILE: profile})
        emulated = EmulatedStack(assembly, time_scale=0.0001)
        emulated.application_session.events.register("before-call", count_call, unique_id="orders-cost-calls")
        emulated.runtime.log_hooks.append(read_log)
        with emulated as stack:
            report = run(stack, bodies)
            items = scan_records(stack.resource("dynamodb"), stack.resources.table_name)
            facts = template_facts(stack.template)
            level = facts["stateMachineLogLevel"]
            execution_log_bytes = sum(_execution_log_bytes(stack, arn, level) for arn in execution_arns(stack))
    return {
        "template": facts,
        # Totals for the whole sample file; `orders cost` divides them by the orders that reached an outcome.
        "totals": {
            "apiCalls": dict(sorted(calls.items())),
            "functionLogBytes": dict(sorted(log_bytes.items())),
            "functionInvocations": dict(sorted(invocations.items())),
            "executionLogBytes": execution_log_bytes,
            "recordBytes": sum(item_size(item) for item in items),
            "writeRequestUnits": sum(-(-item_size(item) // 1024) for item in items),
        },
        "customMetrics": sorted(metrics),
        "outcomes": {key: report["summary"][key] for key in ("messages", "accepted", "rejected", "failed")},
        # A key made of a random message id (a body without a valid order id) is the same outcome every run.
        "records": sorted(
            ["msg-<message id>" if r["orderId"].startswith("msg-") else r["orderId"], r["status"]]
            for r in report["records"]
        ),
    }


def measure_all(samples: Path = SAMPLES) -> dict[str, Any]:
    """Each profile measured in a fresh process: what a handler logs must not depend on what the process imported
    before (a Powertools logger, once created, keeps the stream it was created with)."""
    with ProcessPoolExecutor(max_workers=len(PROFILES), mp_context=multiprocessing.get_context("spawn")) as pool:
        profiles = dict(zip(PROFILES, pool.map(measure, PROFILES, [samples] * len(PROFILES)), strict=True))
    return {
        "comment": f"Measured by `{MEASURE_COMMAND}` (the sample orders through the local mode under each profile); "
        "tests/local/test_cost_measurement.py fails when it is out of date.",
        "samples": samples.relative_to(config.PROJECT_ROOT).as_posix(),
        "transitions": definition_transitions(),
        "profiles": profiles,
    }


def write(path: Path = MEASURED_USAGE_FILE) -> dict[str, Any]:
    data = measure_all()
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return data


def item_size(item: dict[str, Any]) -> int:
    """A record's size, approximated as the UTF-8 length of its attribute names and values (numbers as their text):
    an approximation of how DynamoDB sizes an item, not its exact rule."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Any) -> int:
    if isinstance(value, dict):
        return sum(len(str(k).encode()) + _value_size(v) for k, v in value.items())
    if isinstance(value, list | set):
        return sum(_value_size(v) for v in value)
    return len(str(value).encode())


def _emf_metrics(log: str) -> set[str]:
    """Each metric an embedded-metric-format line defines: namespace, name and dimension values."""
    found: set[str] = set()
    for line in log.splitlines():
        if '"_aws"' not in line:
            continue
        record = json.loads(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for dimensions in directive["Dimensions"]:
                values = ",".join(f"{d}={record[d]}" for d in dimensions)
                found.update(f"{directive['Namespace']}/{m['Name']}[{values}]" for m in directive["Metrics"])
    return found


def _execution_log_bytes(stack: EmulatedStack, arn: str, level: str) -> int:
    """The bytes Step Functions would log for one execution at `level`, execution data left out: each history event
    as a log record (id, type, details without input and output, previous id, timestamp, execution ARN)."""
    events = execution_history(stack.client("stepfunctions"), arn)
    total = 0
    for event in events:
        if level == "OFF" or (level == "ERROR" and not event["type"].endswith(ERROR_EVENTS)):
            continue
        details = event_details(event)
        record = {
            "id": str(event["id"]),
            "type": event["type"],
            "details": {k: v for k, v in details.items() if k not in EXECUTION_DATA},
            "previous_event_id": str(event.get("previousEventId", 0)),
            "event_timestamp": str(int(event["timestamp"].timestamp() * 1000)),
            "execution_arn": arn,
        }
        total += len(json.dumps(record, default=str).encode())
    return total
