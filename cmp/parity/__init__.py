"""CI render parity: every Application under apps/, rendered as Argo CD will, head against base.

discover (Applications under apps/) -> gittree (the base ref from git objects) -> plan (jobs,
shards) -> runner (renders, in worker processes) -> diff (RFC 6902, redacted) -> report.
"""
