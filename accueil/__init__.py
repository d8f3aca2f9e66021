"""Accueil's domain: the rules of reception, importable without Flask."""
