"""`speed.imports`: with the parser's registry-only services imported when a template needs them, the parser
maps every resource type to the class stock moto maps it to."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from workflow import config

# Run in a fresh interpreter: which modules are imported is the point.
SCRIPT = """
import importlib, json, sys
from pathlib import Path
import workflow.local.patches
from workflow.local.patches.speed import imports
from moto.cloudformation import parsing

def registry():
    return {t: f"{c.__module__}.{c.__qualname__}" for t, c in parsing.get_model_map().items()}

template = json.loads(Path(sys.argv[1]).read_text())
types = {r["Type"] for r in template["Resources"].values()}
imports.register_models(types)  # this stack's types: nothing more to import
partial = registry()
loaded_before = sorted(s for s in imports.REGISTRY_ONLY if f"moto.{s}.models" in sys.modules)
imports.register_models({"AWS::EC2::VPC"})
full = registry()
for service in imports.REGISTRY_ONLY:  # what stock moto's parser imports
    importlib.import_module(f"moto.{service}.models")
for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
    cached.cache_clear()
stock = registry()
vpc = parsing.get_model_map()["AWS::EC2::VPC"]
print(json.dumps({
    "types": sorted(types), "partial": partial, "full": full, "stock": stock, "loaded_before": loaded_before,
    "tagged": isinstance(object.__new__(vpc), parsing.TaggedEC2Resource),
    "ec2_backends": type(parsing.ec2_models.ec2_backends).__name__,
}))
"""


def test_the_parser_maps_every_type_as_stock_moto_does(assembly: Path) -> None:
    template = assembly / f"{config.STACK_NAME}.template.json"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(template)],
        capture_output=True,
        text=True,
        check=True,
        cwd=config.PROJECT_ROOT,
    )
    found = json.loads(result.stdout.splitlines()[-1])
    from workflow.local.patches.speed import imports

    # This stack's types imported none of the deferred services: only those Lambda's and S3's models import
    # themselves are loaded (EC2, with its region and instance-type data, is not).
    assert found["loaded_before"] == ["ecr", "events", "kinesis"]
    partial, full, stock = found["partial"], found["full"], found["stock"]
    # Every type the partial registry has maps to stock moto's class (the abstract placeholder type aside).
    assert {t: c for t, c in partial.items() if t != "AWS::SERVICE::RESOURCE"} == {
        t: stock[t] for t in partial if t != "AWS::SERVICE::RESOURCE"
    }
    # The types it lacks are exactly those of the deferred namespaces, which bring in every deferred service.
    assert {t.rsplit("::", 1)[0] for t in set(stock) - set(partial)} == set(imports.DEFERRED_NAMESPACES)
    assert full == stock
    # This stack's own types are all modelled without them (or recorded by fidelity.cloudformation).
    assert not {t.rsplit("::", 1)[0] for t in found["types"]} & imports.DEFERRED_NAMESPACES
    # Once EC2 is imported, the parser tags EC2 resources and reaches EC2's backends as stock moto does.
    assert found["tagged"] is True
    assert found["ec2_backends"] == "BackendDict"
