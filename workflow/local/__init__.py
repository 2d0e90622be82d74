"""Local mode: the synthesized stack deployed into moto, run in one process (`orders local run`)."""
