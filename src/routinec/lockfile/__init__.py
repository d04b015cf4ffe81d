"""lockfile package."""
