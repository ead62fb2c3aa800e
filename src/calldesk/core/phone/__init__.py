"""Phone events: the hook socket, the baresip follower and missed events."""
