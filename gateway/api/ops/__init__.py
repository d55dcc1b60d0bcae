"""Routes without a caller identity: health and readiness, JWKS, the OpenAPI document."""
