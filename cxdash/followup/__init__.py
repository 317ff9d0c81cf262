"""The inner loop's write side: alert rules, the triggers they find in responses and tickets, and the follow-up
cases those open, with due times on the site's business calendar (docs/alerts.md)."""
