"""Social listening: per-client boolean queries over what the public posts, matched at ingest."""
