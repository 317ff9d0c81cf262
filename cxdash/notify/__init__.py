"""Notices of the inner loop: the outbox written with a case, their text in the reader's language, and their
delivery by e-mail (SMTP) and chat webhooks with retries (docs/alerts.md)."""
