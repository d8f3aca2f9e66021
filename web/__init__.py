"""What the three surfaces share on the web side: context, i18n, security, devices, live updates."""
