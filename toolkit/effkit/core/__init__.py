"""Building blocks every stage uses: build-folder files, outputs staged and renamed, progress, resources."""
