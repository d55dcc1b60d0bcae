"""The tamper-evident audit log: hash chain, group commit, checkpoints, verification."""
