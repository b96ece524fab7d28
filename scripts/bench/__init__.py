"""The benchmarks behind scripts/bench.py, by concern (each module imports only those above it):

  measure   running and timing commands: alternating runs, medians, peak RSS; the machine
  tables    formatting numbers, markdown tables, the summary and results.md
  layouts   reading OCI layouts, and making the images measured (real, synthetic, pass-through)
  targets   what each section aims at (issue 4) and the synthetic image sizes
  sections  the six sections, each its commands against their peers, returning rows and tables
  chart     the PNG, drawn from results.json in a venv with matplotlib

Check without running anything: python3 -m unittest discover -s scripts/bench -t scripts
"""
