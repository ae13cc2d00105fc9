"""claude_magic: Claude in Jupyter, with an offline simulator."""
