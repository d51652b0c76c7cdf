"""Parts every domain uses: the error tree, the strict YAML reader, validation of file
models with line numbers, and effective-date windows. Imports nothing above it."""
