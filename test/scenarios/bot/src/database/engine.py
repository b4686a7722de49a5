"""The bot's database engine, reduced to what irm runs: connect with DATABASE_URL from .env, as the bot does at startup."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.getcwd(), "scripts"))
from _exchange import dotenv  # noqa: E402


class Engine:
    def __init__(self, url):
        self.url = url

    def connect(self):
        if not self.url:
            raise RuntimeError("DATABASE_URL is not set")
        # postgresql+asyncpg://... is SQLAlchemy's form; libpq takes postgresql://...
        url = re.sub(r"^postgres(ql)?\+[A-Za-z0-9_]+:", "postgresql:", self.url)
        r = subprocess.run(["psql", "-X", "-At", "-d", url, "-c", "SELECT 1"], capture_output=True, text=True,
                           env={**os.environ, "PGCONNECT_TIMEOUT": "5"})
        if r.returncode != 0:
            raise ConnectionError(r.stderr.strip())
        return self


engine = Engine(dotenv().get("DATABASE_URL"))
