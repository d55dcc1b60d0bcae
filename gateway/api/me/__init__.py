"""Routes for households, authenticated by a household session (`gw_session` cookie)."""
