"""The whole-network threat graph over HTTP: the map, and the questions it answers."""
