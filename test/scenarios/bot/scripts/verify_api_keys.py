"""Verifies the API keys in .env against each exchange; exits 1 when one is missing or refused."""
import sys

from _exchange import EXCHANGES, dotenv, load

env = dotenv()
state = load()
failed = False
if not env.get("BINANCE_API_KEY"):
    print("binance: BINANCE_API_KEY is not set")
    failed = True
for name in EXCHANGES:
    refusal = state.get("keys", {}).get(name)
    if refusal:
        print(f"{name}: key refused: {refusal}")
        failed = True
    else:
        print(f"{name}: key valid, trading permission granted")
sys.exit(1 if failed else 0)
