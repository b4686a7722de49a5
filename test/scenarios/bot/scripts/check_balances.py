"""Prints each exchange's free quote balance against the order size; exits 1 when one cannot cover an order."""
import sys

from _exchange import EXCHANGES, load

state = load()
order_size = float(state.get("order_size", 50))
short = []
for name in EXCHANGES:
    free = float(state.get("balances", {}).get(name, 10000))
    print(f"{name}: USDT free {free:.2f}, order size {order_size:.2f}")
    if free < order_size:
        short.append(name)
if short:
    print(f"insufficient balance on {', '.join(short)}", file=sys.stderr)
    sys.exit(1)
