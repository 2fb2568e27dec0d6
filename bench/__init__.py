"""The end-to-end benchmark: ``python -m bench`` (see ``bench.__main__``)."""
