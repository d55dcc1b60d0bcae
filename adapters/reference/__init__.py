"""Reference source systems: small real services with deterministic synthetic data."""
