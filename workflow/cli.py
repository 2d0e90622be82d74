"""The `orders` console command."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from workflow import config


def show_stack(args: argparse.Namespace) -> int:
    """Synthesize the stack (cdk-nag included) and list what `cdk deploy` would create."""
    from workflow.app import synthesize

    template = synthesize(args.outdir)
    console = Console()
    table = Table(title=f"{config.STACK_NAME}: {len(template['Resources'])} resources, synthesized into {args.outdir}")
    table.add_column("Type")
    table.add_column("Count", justify="right")
    for resource_type, count in sorted(Counter(r["Type"] for r in template["Resources"].values()).items()):
        table.add_row(resource_type, str(count))
    console.print(table)
    console.print("cdk-nag AwsSolutions: no unacknowledged findings.")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="orders", description="Serverless order processor: tools for operators.")
    commands = root.add_subparsers(dest="command", required=True)
    stack = commands.add_parser("stack", help="synthesize the CDK stack and list its resources")
    stack.add_argument("--outdir", type=Path, default=config.PROJECT_ROOT / "cdk.out")
    stack.set_defaults(run=show_stack)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
