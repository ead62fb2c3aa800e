"""What trainers learn from many desks: anonymous phrase statistics, shared over git."""
