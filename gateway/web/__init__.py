"""Web pages (household portal, officer console): empty until those pages come.

Pages will live in `household/` and `officer/`, with `templates/` and `static/`; they call the
same use-cases as `gateway.api` and build no SQL.
"""
