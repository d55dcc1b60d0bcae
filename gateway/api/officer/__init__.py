"""Routes for privacy officers: the audit log, its verification and break-glass review.

Authenticated by an organisation token carrying a privacy-officer role.
"""
