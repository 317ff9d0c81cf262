"""The closed loop's figures: action plans, their baseline and effect, options and weak checklist items."""
