"""What the exchanges answer the bot's scripts: fake-exchange.json in the checkout (absent: every exchange is fine)."""
import json
import os

EXCHANGES = ("binance", "upbit")


def load():
    try:
        with open("fake-exchange.json") as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def dotenv(path=".env"):
    values = {}
    if not os.path.exists(path):
        return values
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            values[key.replace("export ", "").strip()] = value.strip().strip("\"'")
    return values
