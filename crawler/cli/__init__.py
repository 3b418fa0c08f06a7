"""The `crawler` command line: fetch, db; print() is used only here."""
