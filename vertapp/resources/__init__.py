"""Data files the app ships (icon, desktop entry, starter model); read them through
`vertapp.appresources`."""
