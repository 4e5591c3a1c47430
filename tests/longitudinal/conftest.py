"""A small synthetic cohort with sessions, and a segment output made from its truth (copied per test)."""

from tests.helpers.longitudinal import cohort_template, segmented  # noqa: F401 - the fixtures
