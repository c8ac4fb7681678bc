"""Letters as Word files: which to issue, their document numbers, fast rendering."""
