"""Readers and writers kept apart from the models (files, folders, formats)."""
