"""The usage the cost model counts rather than assumes: transitions from the definition, resources from the template,
and (in `measured_usage.json`, written by `orders measure-usage`) bytes and calls measured by a local run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from workflow import config

MEASURED_USAGE_FILE = Path(__file__).with_name("measured_usage.json")
MEASURE_COMMAND = "orders measure-usage"


def paths(definition: dict[str, Any]) -> Iterator[tuple[str, ...]]:
    """Every path through the definition from StartAt to an end, as the states entered (Next, Choices, Default and
    every Catch's Next). A path never enters a state twice (this definition has no loops)."""
    states = definition["States"]

    def walk(name: str, seen: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        state = states[name]
        here = (*seen, name)
        targets = [c["Next"] for c in state.get("Catch", [])] + [c["Next"] for c in state.get("Choices", [])]
        targets += [state[key] for key in ("Next", "Default") if key in state]
        ends = state.get("End") or state["Type"] in ("Succeed", "Fail")
        if ends:
            yield here
        for target in dict.fromkeys(targets):
            if target not in here:
                yield from walk(target, here)

    yield from walk(definition["StartAt"], ())


def transitions(definition: dict[str, Any]) -> dict[str, int]:
    """State transitions per execution by outcome: Step Functions counts one each time a step of the workflow runs
    ("AWS Step Functions Pricing": https://aws.amazon.com/step-functions/pricing/), so a path's count is the states
    it enters. `success`: the path an order takes when no step fails (each state's Next, from StartAt);
    `failure`: the longest path ending in a Fail state (the costliest failure)."""
    states = definition["States"]
    happy = [definition["StartAt"]]
    while "Next" in states[happy[-1]]:
        happy.append(states[happy[-1]]["Next"])
    failed = [len(p) for p in paths(definition) if states[p[-1]]["Type"] == "Fail"]
    return {"success": len(happy), "failure": max(failed) if failed else 0}


def definition_transitions(path: Path = config.DEFINITION_FILE) -> dict[str, int]:
    return transitions(json.loads(path.read_text()))


def template_facts(template: dict[str, Any]) -> dict[str, Any]:
    """What the cost depends on in a synthesized template: keys, alarms, dashboards, functions, batch size, table
    capacity and backups, log levels and retention, tracing, e-mail subscriptions."""
    resources = list(template["Resources"].values())

    def of(kind: str) -> list[dict[str, Any]]:
        return [r.get("Properties", {}) for r in resources if r["Type"] == kind]

    functions = {
        p["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]: {
            "memoryMb": p["MemorySize"],
            "architecture": p["Architectures"][0],
            "tracing": p.get("TracingConfig", {}).get("Mode") == "Active",
        }
        for p in of("AWS::Lambda::Function")
    }
    (table,) = of("AWS::DynamoDB::Table")
    (machine,) = of("AWS::StepFunctions::StateMachine")
    (mapping,) = of("AWS::Lambda::EventSourceMapping")
    throughput = table.get("ProvisionedThroughput", {})
    return {
        "customerManagedKeys": len(of("AWS::KMS::Key")),
        "alarms": len(of("AWS::CloudWatch::Alarm")),
        "dashboards": len(of("AWS::CloudWatch::Dashboard")),
        "functions": dict(sorted(functions.items())),
        "starterBatchSize": mapping["BatchSize"],
        "tableWriteCapacity": throughput.get("WriteCapacityUnits"),
        "tableReadCapacity": throughput.get("ReadCapacityUnits"),
        "pointInTimeRecovery": bool(
            table.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
        ),
        "stateMachineLogLevel": machine["LoggingConfiguration"]["Level"],
        "stateMachineTracing": bool(machine.get("TracingConfiguration", {}).get("Enabled")),
        "logRetentionDays": sorted({p["RetentionInDays"] for p in of("AWS::Logs::LogGroup")}),
        "emailSubscriptions": sum(p.get("Protocol") == "email" for p in of("AWS::SNS::Subscription")),
        "topicsWithAwsManagedKey": sum(
            "alias/aws/sns" in json.dumps(p.get("KmsMasterKeyId", "")) for p in of("AWS::SNS::Topic")
        ),
    }


def load_measured(path: Path = MEASURED_USAGE_FILE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(), parse_float=Decimal)
    return data
