"""`dropout-tui serve`: the app in a browser tab, one app process per tab, behind a token (textual-serve inside)."""
