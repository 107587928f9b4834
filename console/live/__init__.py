"""Live data plumbing: collection off the GUI thread, in-memory ring buffers, store writes."""
