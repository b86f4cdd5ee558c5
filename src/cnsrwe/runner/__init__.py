"""The analysis runner: a study file in, the full report out (``cnsrwe report``).

See ``docs/running-a-study.md``.
"""
