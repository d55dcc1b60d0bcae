"""Routes for households, authenticated by a household session (`__Host-gw_session`
cookie, issued by the OIDC login in `login`): consents (`consents.py`), dossier, access
log and signed export (`dossier.py`, `access_log.py`, `export.py`, thin callers of
`gateway.access`)."""
