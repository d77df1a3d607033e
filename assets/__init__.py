"""The embedded data set, shipped as package data (see README.md here)."""
