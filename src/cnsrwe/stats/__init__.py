"""Statistics layer proven against R (survival, cmprsk, coxphf, stats)."""
