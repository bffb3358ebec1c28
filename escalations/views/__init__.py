"""Escalation pages: the triage board, an escalation, pulling the cord from a ticket, the metrics."""
