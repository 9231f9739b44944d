"""Plan specs (templates), targets and the plan model computed in Python."""
