"""Small generic helpers shared by every domain (errors, authorization, validation)."""
