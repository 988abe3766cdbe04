"""Edge TPU: compatibility check, edgetpu_compiler integration and log parsing."""
