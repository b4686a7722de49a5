// exchange-connection: the bot's API really reporting a rate limit; keys, IP refusals and maintenance as the bot's
// scripts, its log and Binance's status endpoint (a local stand-in) would show them. Nothing here leaves 127.0.0.1.
import { describe, expect } from 'vitest';
import { freePort } from './services.js';
import { expectCauses, expectChecks, scenario, useServices } from './scenario.js';

const services = useServices();
const ALL_FINE = { 'api-key-invalid': 'ruled-out', 'ip-not-whitelisted': 'skipped', 'rate-limiting': 'ruled-out', 'exchange-maintenance': 'ruled-out' } as const;

// Independent scenarios (own directory, ports and bot; nothing shared is changed): they run side by side.
describe.concurrent('exchange-connection', () => {
  scenario('rate limit reported by /api/exchange-status', {
    state: { exchange_status: { exchanges: { binance: { connected: true, rate_limited: true, retry_after: 42 }, upbit: { connected: true, rate_limited: false } } } },
  }, services, async (s) => {
    const r = await s.run('exchange-connection');
    expectCauses(r, { ...ALL_FINE, 'rate-limiting': 'confirmed' });
    expect(r.report.checks.find((c) => c.id === 'rate-limit-status')!.reasons.find((x) => !x.ok)!.got).toBe('exchanges.binance.rate_limited = true');
    expectChecks(await s.checkAll(), { 'exchange-connection/rate-limit-status': 'problem', 'trades-not-executing/exchanges-connected': 'healthy' });
  });

  scenario('no .env and the bot\'s API down: neither rate limiting nor maintenance is confirmed on a refused connection', { vars: { env_file: 'no-such.env' }, bot: false }, services, async (s) => {
    const r = await s.run('exchange-connection');
    expect(r.report.diagnosis.confirmed).toEqual([]);
    const status = Object.fromEntries(r.report.diagnosis.causes.map((c) => [c.id, c.status]));
    expect(status).toMatchObject({ 'api-key-invalid': 'unknown', 'rate-limiting': 'unknown', 'exchange-maintenance': 'unknown' });
    expect(r.report.checks.find((c) => c.id === 'rate-limit-status')!.verdict).toBe('blocked');
    expect(r.report.checks.find((c) => c.id === 'api-key-set')!.verdict).toBe('blocked');
  });

  scenario('rate-limit errors in the bot\'s log', {
    log: ['2025-01-01 10:00:02,010 ERROR tradingbot.exchange: binance GET /api/v3/depth: HTTP 429 Too Many Requests'],
  }, services, async (s) => {
    expectCauses(await s.run('exchange-connection'), { ...ALL_FINE, 'rate-limiting': 'confirmed' });
  });

  scenario('API key expired (simulated exchange)', {
    exchange: { keys: { binance: 'APIError(code=-2014): API-key format invalid.' } },
    log: ['2025-01-01 10:00:02,010 ERROR tradingbot.exchange: binance account: APIError(code=-2014): API-key format invalid.'],
  }, services, async (s) => {
    const r = await s.run('exchange-connection');
    // The keys failing means the IP cannot be vouched for: that cause is checked, and the public IP comes from the stub.
    expectCauses(r, { ...ALL_FINE, 'api-key-invalid': 'confirmed', 'ip-not-whitelisted': 'ruled-out' });
    expect(r.report.checks.find((c) => c.id === 'public-ip')!.output!.excerpt).toContain('203.0.113.7');
  });

  scenario('IP not on the key\'s whitelist (simulated exchange)', {
    exchange: { keys: { upbit: 'no_authorization_ip: This is not a verified IP.' } },
    log: ['2025-01-01 10:00:02,010 ERROR tradingbot.exchange: upbit accounts: 401 {"error":{"name":"no_authorization_ip","message":"This is not a verified IP."}}'],
  }, services, async (s) => {
    const r = await s.run('exchange-connection');
    expectCauses(r, { ...ALL_FINE, 'api-key-invalid': 'confirmed', 'ip-not-whitelisted': 'confirmed' });
    expect(r.report.checks.find((c) => c.id === 'ip-errors-in-log')!.reasons[0]!.got).toBe('1');
  });

  scenario('exchange maintenance (Binance\'s status answered by a local stand-in)', {
    state: {
      binance_status: { status: 1, msg: 'system maintenance' },
      exchange_status: { exchanges: { binance: { connected: false, rate_limited: false }, upbit: { connected: true, rate_limited: false } } },
    },
  }, services, async (s) => {
    const r = await s.run('exchange-connection');
    expectCauses(r, { ...ALL_FINE, 'exchange-maintenance': 'confirmed' });
    expectChecks(await s.checkAll(), { 'exchange-connection/binance-system-status': 'problem', 'exchange-connection/exchanges-connected': 'problem' });
  });

  scenario('public IP and Binance unreachable: warnings, never a cause', {}, services, async (s) => {
    const closed = await freePort();
    s.writeConfig({ public_ip_url: `http://127.0.0.1:${closed}/ip`, binance_api_url: `http://127.0.0.1:${closed}` });
    s.writeEnv({});
    const r = await s.run('exchange-connection');
    const checks = Object.fromEntries(r.report.checks.map((c) => [c.id, c]));
    expect(checks['binance-system-status']!.verdict).toBe('warning');
    expect(checks['binance-system-status']!.warnings.find((x) => !x.ok)!.got).toContain('Binance unreachable');
    expectCauses(r, ALL_FINE);
    const c = await s.checkAll();
    expectChecks(c, { 'exchange-connection/public-ip': 'warning', 'exchange-connection/binance-system-status': 'warning' });
  });
});
