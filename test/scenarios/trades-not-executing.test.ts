// trades-not-executing: the settings really changed in .env, the bot's API really answering an open breaker, the bot's
// log and scripts saying what the bot's would. What the exchanges answer (balances, API errors) is simulated: no test
// may reach a real exchange (docs/causes.md).
import { describe, expect } from 'vitest';
import { expectCauses, expectChecks, scenario, useServices } from './scenario.js';

const services = useServices();
const ALL_FINE = {
  'insufficient-balance': 'ruled-out',
  'exchange-api-errors': 'ruled-out',
  'trading-mode-disabled': 'ruled-out',
  'risk-limits-exceeded': 'ruled-out',
  'circuit-breaker-triggered': 'ruled-out',
} as const;

// Independent scenarios (own directory, ports and bot; nothing shared is changed): they run side by side.
describe.concurrent('trades-not-executing', () => {
  scenario('ENABLE_AUTO_TRADING=false', { env: { ENABLE_AUTO_TRADING: 'false' } }, services, async (s) => {
    const r = await s.run('trades-not-executing');
    expectCauses(r, { ...ALL_FINE, 'trading-mode-disabled': 'confirmed' });
    expectChecks(await s.checkAll(), { 'trades-not-executing/auto-trading': 'problem' });
  });

  scenario('ENABLE_AUTO_TRADING absent from .env', { env: { ENABLE_AUTO_TRADING: null } }, services, async (s) => {
    expectCauses(await s.run('trades-not-executing'), { ...ALL_FINE, 'trading-mode-disabled': 'confirmed' });
  });

  scenario('risk limits absent: MAX_POSITION_SIZE not set', { env: { MAX_POSITION_SIZE: null } }, services, async (s) => {
    const r = await s.run('trades-not-executing');
    expectCauses(r, { ...ALL_FINE, 'risk-limits-exceeded': 'confirmed' });
    expect(r.report.checks.find((c) => c.id === 'risk-settings')!.reasons.find((x) => !x.ok)!.wanted).toBe('MAX_POSITION_SIZE set above 0');
    expectChecks(await s.checkAll(), { 'trades-not-executing/risk-settings': 'problem' });
  });

  scenario('risk limits at zero', { env: { RISK_PER_TRADE: '0' } }, services, async (s) => {
    expectCauses(await s.run('trades-not-executing'), { ...ALL_FINE, 'risk-limits-exceeded': 'confirmed' });
  });

  scenario('risk limits exceeded: the risk manager rejects orders', {
    log: [
      '2025-01-01 10:00:02,000 INFO tradingbot.strategy: signal BUY BTCUSDT from momentum',
      '2025-01-01 10:00:02,010 WARNING tradingbot.risk: Risk manager rejected order BTCUSDT buy: position 1200 USDT exceeds MAX_POSITION_SIZE 1000',
      '2025-01-01 10:05:02,000 INFO tradingbot.strategy: signal BUY ETHUSDT from momentum',
      '2025-01-01 10:05:02,010 WARNING tradingbot.risk: Risk manager rejected order ETHUSDT buy: position 1100 USDT exceeds MAX_POSITION_SIZE 1000',
    ],
  }, services, async (s) => {
    const r = await s.run('trades-not-executing');
    expectCauses(r, { ...ALL_FINE, 'risk-limits-exceeded': 'confirmed' });
    expect(r.report.checks.find((c) => c.id === 'risk-rejections-in-log')!.reasons[0]!.got).toBe('2');
    expectChecks(await s.checkAll(), { 'trades-not-executing/risk-rejections-in-log': 'problem', 'trades-not-executing/risk-settings': 'healthy' });
  });

  scenario('circuit breaker open in /api/status', {
    state: { status: { status: 'running', circuit_breakers: { binance: { state: 'open', failures: 5 }, upbit: { state: 'closed' } } } },
  }, services, async (s) => {
    const r = await s.run('trades-not-executing');
    expectCauses(r, { ...ALL_FINE, 'circuit-breaker-triggered': 'confirmed' });
    const breakers = r.report.checks.find((c) => c.id === 'circuit-breakers')!;
    expect(breakers.reasons.find((x) => !x.ok)!.got).toBe('circuit_breakers.binance.state = open');
    expectChecks(await s.checkAll(), { 'trades-not-executing/circuit-breakers': 'problem' });
  });

  scenario('circuit breaker half-open: a warning, not the cause', {
    state: { status: { circuit_breakers: { binance: { state: 'half_open' }, upbit: { state: 'closed' } } } },
  }, services, async (s) => {
    const r = await s.run('trades-not-executing');
    expectCauses(r, ALL_FINE);
    expect(r.report.checks.find((c) => c.id === 'circuit-breakers')!.verdict).toBe('warning');
  });

  scenario('insufficient balance (simulated exchange)', {
    exchange: { balances: { binance: 12.5 } },
    log: ['2025-01-01 10:00:02,010 ERROR tradingbot.orders: binance order BTCUSDT buy failed: Account has insufficient balance for requested action.'],
  }, services, async (s) => {
    const r = await s.run('trades-not-executing');
    expectCauses(r, { ...ALL_FINE, 'insufficient-balance': 'confirmed' });
    expect(r.report.checks.find((c) => c.id === 'check-balances')!.output!.excerpt).toContain('binance: USDT free 12.50, order size 50.00');
  });

  scenario('exchange API errors (simulated exchange): the bot reports binance disconnected', {
    exchange: { errors: { binance: 'APIError(code=-1021): Timestamp for this request is outside of the recvWindow.' } },
    state: { exchange_status: { exchanges: { binance: { connected: false, rate_limited: false }, upbit: { connected: true, rate_limited: false } } } },
    log: ['2025-01-01 10:00:02,010 ERROR tradingbot.exchange: BinanceAPIException: APIError(code=-1021): Timestamp for this request is outside of the recvWindow.'],
  }, services, async (s) => {
    const r = await s.run('trades-not-executing');
    expectCauses(r, { ...ALL_FINE, 'exchange-api-errors': 'confirmed' });
    const checks = Object.fromEntries(r.report.checks.map((c) => [c.id, c.verdict]));
    expect(checks).toMatchObject({ 'test-exchanges': 'problem', 'exchanges-connected': 'problem', 'exchange-errors-in-log': 'problem' });
  });

  scenario('no .env and the bot\'s API down: no cause confirmed on missing evidence', { vars: { env_file: 'no-such.env' }, bot: false }, services, async (s) => {
    // Before, a grep of a missing .env and a refused connection were each a "problem", confirming four causes at once.
    const r = await s.run('trades-not-executing');
    expect(r.report.diagnosis.confirmed).toEqual([]);
    expectCauses(r, { ...ALL_FINE, 'trading-mode-disabled': 'unknown', 'risk-limits-exceeded': 'unknown', 'circuit-breaker-triggered': 'unknown', 'exchange-api-errors': 'unknown' });
    const checks = Object.fromEntries(r.report.checks.map((c) => [c.id, c]));
    for (const id of ['auto-trading', 'risk-settings']) expect(checks[id]!.note, id).toContain('needs "The bot\'s .env file is readable" (env-readable), which found a problem');
    for (const id of ['circuit-breakers', 'exchanges-connected']) expect(checks[id]!.note, id).toContain('needs "The bot\'s API answers" (api-answers), which found a problem');
    expect(checks['env-readable']!.verdict).toBe('problem');
    expect(checks['api-answers']!.verdict).toBe('problem');
  });

  scenario('a log irm cannot read is no evidence: the log checks could not run', { vars: { app_log: 'logs/no-such.log' } }, services, async (s) => {
    // Before this issue a missing log counted "0 errors": each log check was healthy, ruling causes out on nothing.
    const r = await s.run('trades-not-executing');
    for (const id of ['balance-errors-in-log', 'exchange-errors-in-log', 'risk-rejections-in-log']) {
      const c = r.report.checks.find((x) => x.id === id)!;
      expect(c, id).toMatchObject({ verdict: 'error', error: { kind: 'unavailable' } });
      expect(c.error!.message).toContain("cannot read the bot's log logs/no-such.log");
    }
    expectCauses(r, { ...ALL_FINE, 'insufficient-balance': 'unknown', 'exchange-api-errors': 'unknown', 'risk-limits-exceeded': 'unknown' });
  });
});
