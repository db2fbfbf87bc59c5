"""The patch engine: the write-audit-publish steps, the job state machine, revert and demo tenants."""
