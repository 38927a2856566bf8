"""Run outputs: tidy tables, their files and the run manifest."""
