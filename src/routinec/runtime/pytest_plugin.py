"""Runtime layer: pytest plugin (placeholder until the plugin lands; registers nothing)."""
