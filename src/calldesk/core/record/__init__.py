"""The agent's own record: what they did per week and month, for a review or a career talk."""
