"""gitops-cmp: one Helm render step for Argo CD, laptops and CI.

Every Argo CD sync of every app runs `gitops-cmp generate` as a fresh process, so import time is
product cost (bench/README.md has the figures). Hence, on the generate path:
- a command imports what its command needs, inside `run()`, and `main` imports only that command;
- value types are NamedTuples, not dataclasses (a tenth of the cost to create at import);
- modules that define NamedTuples do not use `from __future__ import annotations`: NamedTuple
  compiles every string annotation of its fields, about 2.5 ms over the package;
- a regex that a typical render never reaches is compiled on first use;
- only public interfaces, no stand-ins in sys.modules: a library the path does not need stays
  unimported (the log line is written with the stdlib, structlog is for a terminal only);
- tests/test_startup.py pins the modules a generate imports (by name and count, no clock).
"""

__version__ = "0.1.0"
