"""Practice: spaced-repetition cards drilled from the phrase library."""
