"""Phone events: the hook and its socket, the event server, the baresip follower, the spool."""
