"""The closed loop's write side: self-inspection (checklist items per touchpoint and the scores inspectors record
on site visits) and SMART action plans run through plan-do-check-act, with their history."""
