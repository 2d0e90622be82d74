"""`speed.cloudformation`: a JSON template read as JSON gives what moto's YAML reader gives."""

from __future__ import annotations

from pathlib import Path

from workflow import config
from workflow.local.patches.speed import cloudformation as patch


def test_the_synthesized_template_reads_as_moto_reads_it(assembly: Path) -> None:
    text = (assembly / f"{config.STACK_NAME}.template.json").read_text()
    assert patch._parse_template(text) == patch._original_parse_template(text)


def test_a_yaml_template_still_goes_to_moto_s_reader() -> None:
    text = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n"
    assert patch._parse_template(text) == {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}
    assert patch._parse_template("{not json: [1]}") == patch._original_parse_template("{not json: [1]}")
