"""Run every benchmark script in this directory (`make bench`) and print their tables."""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    for script in sorted(HERE.glob("*.py")):
        if script.name in ("run.py", "common.py"):
            continue
        print(f"\n## {script.stem}\n", flush=True)
        runpy.run_path(str(script), run_name="__main__")
