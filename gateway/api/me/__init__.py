"""Routes for households, authenticated by a household session (`gw_session` cookie):
consents (`consents.py`), dossier, access log and signed export (`dossier.py`,
`access_log.py`, `export.py`, thin callers of `gateway.access`)."""
