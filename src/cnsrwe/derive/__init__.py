"""Derivation of the response analysis datasets over a study (``cnsrwe derive``)."""
