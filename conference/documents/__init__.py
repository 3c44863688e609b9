"""Stored documents: each signed file kept once, addressed by its SHA-256, never changed (a database trigger
refuses UPDATE and DELETE), checked against its hash whenever it is read."""
