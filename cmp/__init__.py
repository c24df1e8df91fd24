"""gitops-cmp: one Helm render step for Argo CD, laptops and CI."""

__version__ = "0.1.0"
