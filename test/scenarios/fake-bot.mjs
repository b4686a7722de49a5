// The trading bot as irm sees it, run as its own process so that irm's process checks find it by its command line:
//   node fake-bot.mjs api TAG STATE_FILE API_PORT OUTSIDE_PORT   the bot's API, and the outside services it is watched by
//   node fake-bot.mjs grow TAG                                     a bot process whose memory keeps growing
//   node fake-bot.mjs spin TAG THREADS                             a bot process that keeps THREADS cores busy
// TAG only makes the command line match the scenario's process_pattern. The API reads STATE_FILE on every request,
// so a scenario changes what the bot answers by rewriting that file.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Worker } from 'node:worker_threads';

const [mode, , ...rest] = process.argv.slice(2);

function state(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

function answer(res, spec, fallback) {
  // A spec is a body (answered with 200), or { code, body }.
  const s = spec === undefined ? fallback : spec;
  const isReply = s !== null && typeof s === 'object' && 'code' in s;
  const code = isReply ? s.code : 200;
  const body = isReply ? s.body : s;
  res.writeHead(code, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body ?? null));
}

if (mode === 'api') {
  const [file, apiPort, outsidePort] = rest;
  const healthyExchanges = { binance: { connected: true, rate_limited: false }, upbit: { connected: true, rate_limited: false } };
  const bot = createServer((req, res) => {
    const s = state(file);
    if (req.url === '/health') return answer(res, s.health, { status: 'ok' });
    if (req.url === '/api/status') return answer(res, s.status, { status: 'running', circuit_breakers: { binance: { state: 'closed' }, upbit: { state: 'closed' } } });
    if (req.url === '/api/exchange-status') return answer(res, s.exchange_status, { exchanges: healthyExchanges });
    answer(res, { code: 404, body: 'not found' });
  });
  // Prometheus, Loki, the public-IP echo service and Binance's public status, as the bot's host reaches them.
  const outside = createServer((req, res) => {
    const s = state(file);
    if (req.url === '/-/healthy') return answer(res, s.prometheus, 'Prometheus Server is Healthy.\n');
    if (req.url === '/ready') return answer(res, s.loki, 'ready\n');
    if (req.url === '/ip') return answer(res, s.public_ip, '203.0.113.7\n');
    if (req.url === '/sapi/v1/system/status') return answer(res, s.binance_status, { status: 0, msg: 'normal' });
    answer(res, { code: 404, body: 'not found' });
  });
  bot.listen(Number(apiPort), '127.0.0.1', () => outside.listen(Number(outsidePort), '127.0.0.1', () => process.stdout.write('listening\n')));
} else if (mode === 'grow') {
  // 300 MB at once, then 40 MB a second up to 1.5 GB: every page written, so that it counts in the resident size.
  const kept = [];
  const add = (mb) => kept.push(Buffer.alloc(mb * 1024 * 1024, 1));
  add(300);
  const timer = setInterval(() => (kept.length < 1200 / 4 ? add(4) : clearInterval(timer)), 100);
  process.stdout.write('growing\n');
  setInterval(() => {}, 1 << 30);
} else if (mode === 'spin') {
  const threads = Number(rest[0] ?? 1);
  const spin = 'for (;;) {}';
  for (let i = 1; i < threads; i++) new Worker(spin, { eval: true });
  process.stdout.write('spinning\n');
  setImmediate(() => {
    for (;;) {}
  });
} else {
  process.stderr.write('usage: fake-bot.mjs api|grow|spin TAG ...\n');
  process.exit(2);
}
