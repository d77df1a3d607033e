"""`dropout-tui sweep` and `dropout-tui compare`: runs at several dropout rates (or saved runs) side by side.

state.py folds a sweep's tagged events (or the files compare loads) into one SweepState; metrics.py
says what the table's columns and the chart's curves read from it; app.py draws both; compare.py reads
exports and headless streams back. The sweep's JSON lines are the command line's (tui/cli/sweep_headless.py).
"""
