"""The `demogen` command line: parses arguments, calls a library function, prints."""
