"""TFLite metadata: descriptions of what to write (info) kept apart from the writer."""
