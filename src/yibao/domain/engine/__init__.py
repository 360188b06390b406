"""The vectorized rules engine: a frame of residents (or claims) in, a frame of results out."""
