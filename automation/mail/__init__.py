"""The daily job and its e-mails: SMTP settings, messages, sending, the send log."""
