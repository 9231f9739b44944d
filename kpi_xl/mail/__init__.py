"""Package mail."""
