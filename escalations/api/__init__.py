"""The escalations API: features and the release gate, escalations, links, transitions, comments."""
