"""The render pipeline, one stage per module, in the order they run:

inputs -> (policy on inputs) -> helm -> manifests -> (policy on output) -> emit.
`cmp.pipeline.run` wires them together; every command goes through it.
"""
