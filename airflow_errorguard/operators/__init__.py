"""Operators of errorguard (guarded processing, quarantine replay)."""
