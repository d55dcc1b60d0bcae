"""Routes for organisation systems, authenticated by a signed organisation token per call."""
