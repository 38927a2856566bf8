"""Reports of runs: plots and summaries for people to read."""
