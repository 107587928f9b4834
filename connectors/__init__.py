"""Everything that talks to the outside world: this host, files, the store, remote sources. No Qt."""
