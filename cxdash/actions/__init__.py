"""SMART action plans run through plan-do-check-act, with their history."""
