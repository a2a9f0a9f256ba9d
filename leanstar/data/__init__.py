"""Datasets in and out: our JSONL (`jsonl`), Lean-STaR `{input, output}` records
(`leanstar_json`), LeanDojo Benchmark 4 (`leandojo`), miniF2F shipped with the package
(`minif2f`) and the embedded benchmark (`embedded_benchmark`). Import the module you need.
"""
