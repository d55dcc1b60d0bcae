"""The demo deployment only: synthetic households, demo organisation keys, the token helper.

Nothing outside `gateway.commands` imports this package; a production deployment never runs it.
"""
