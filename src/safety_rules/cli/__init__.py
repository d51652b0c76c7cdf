"""The ``safety-rules`` command line: the top layer, over every domain."""
