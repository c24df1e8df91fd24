"""gitops-cmp: one Helm render step for Argo CD, laptops and CI.

Every Argo CD sync of every app runs `gitops-cmp generate` as a fresh process, so import time is
product cost (bench/README.md has the figures). Hence, on the generate path:
- a command imports what its command needs, inside `run()`, and `main` imports only that command;
- value types are NamedTuples, not dataclasses (a tenth of the cost to create at import);
- modules that define NamedTuples do not use `from __future__ import annotations`: NamedTuple
  compiles every string annotation of its fields, about 2.5 ms over the package;
- a regex that a typical render never reaches is compiled on first use.
"""

__version__ = "0.1.0"
