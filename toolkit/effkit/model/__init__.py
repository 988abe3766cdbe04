"""The model: variants, the Keras network, preprocessing, labels."""
