"""Group robots: 钉钉, 企业微信 and 飞书 webhooks for the daily reminders."""
