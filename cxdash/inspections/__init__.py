"""Self-inspection: checklist items per touchpoint and the scores inspectors record on site visits."""
