"""Helpers shared by the tests (images, cohorts, command runs)."""
