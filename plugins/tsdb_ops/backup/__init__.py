"""Nightly backup: artefacts, manifests, verification, retention, restore."""
