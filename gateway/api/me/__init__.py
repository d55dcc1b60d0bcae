"""Routes for households, authenticated by a household session (`__Host-gw_session`
cookie, issued by the OIDC login in `login`)."""
