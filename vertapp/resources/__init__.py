"""Data files the app ships (icon, desktop entry); read them through `vertapp.appresources`."""
