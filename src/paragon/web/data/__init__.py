"""What the pages show, as plain data (the JSON twins): built over paragon.measures and
paragon.stats, cached by data version."""
