"""Sub-commands of the `gateway` CLI; each module has `register(subparsers)`."""
