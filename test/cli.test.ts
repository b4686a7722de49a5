// End to end: the built bin/irm spawned as an operator or a script would, checking stdout, stderr and the exit code.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANSI, irm, oneCauseRunbook, ROOT, tree } from './helpers.js';

const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8'));

const TEAM_CONFIG = `
variables:
  api_port: 9000
  deployment: host
contacts:
  primary:
    on-call-engineer: { name: Dana Reyes, phone: '+1-555-0100' }
  secondary:
    database: { contacts: [{ email: dba-oncall@example.test }] }
channels:
  slack: { address: '#ops-war-room' }
`;

const TEAM_RUNBOOK = `
id: cache-stampede
title: Cache stampede
summary: Redis is hammered after a cache flush.
severity: P2
symptoms: [Redis CPU at 100%]
causes:
  - id: cold-cache
    title: Cold cache
    explanation: Every request misses at once.
    checks:
      - id: redis-up
        title: Redis answers
        run: redis-cli -h \${{ redis_host }} -p \${{ redis_port }} ping
        expect: [{ contains: PONG }]
    solution:
      - text: Warm the cache before sending traffic.
`;

const OVERRIDE = `
id: logging
title: Logging issues (our way)
summary: Our logs go to journald.
severity: P3
symptoms: [No logs]
causes:
  - id: journald
    title: journald is full
    explanation: The journal hit its size cap.
    checks:
      - id: journal-size
        title: The journal is under its cap
        run: journalctl --disk-usage
    solution:
      - text: Vacuum the journal.
`;

/** Checks whose hints say what a problem (or a warning) means; the URL's password must never show. */
const HINTED = `
id: hinted
title: Hinted
summary: A service that does not answer and a disk that fills.
severity: P2
symptoms: [x]
variables:
  service_url: { description: Where the service answers, default: 'http://ops:pw-hint-5ecret@localhost:9/health' }
causes:
  - id: down
    title: The service is down
    explanation: Nothing answers.
    checks:
      - id: answers
        title: The service answers
        run: echo "connection refused"
        expect: [{ contains: pong }]
        hint: Nothing answers at \${{ service_url }}; start it, then read its log.
      - id: disk
        title: The disk has room
        run: echo "used 85%"
        warn: [{ number: { pattern: 'used (\\d+)%', max: 80 }, says: disk use at most 80% }]
        hint: The disk is filling; rotate the logs.
      - id: fine
        title: Everything else is fine
        run: echo fine
        hint: Never shown, this check is healthy.
    solution:
      - text: Start it.
`;

const BROKEN = `
id: broken-one
title: Broken
summary: x
severity: P9
symptoms: [x]
causes: []
`;

describe('irm --version and --help', () => {
  it('prints the version', () => {
    const r = irm(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('lists the commands and the exit codes', () => {
    const r = irm(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['list', 'show', 'contacts', 'severity', 'escalation', 'procedure', 'post-incident', 'ref', 'validate', 'config']) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.stdout).toMatch(/Exit codes:\n  0 +completed/);
    for (const code of ['1 ', '2 ', '3 ', '4 ', '130']) expect(r.stdout).toContain(`\n  ${code}`);
    // As the README says them.
    expect(r.stdout).toContain('\n  1   a problem was found (a cause confirmed, or a check failed or could not run)\n');
    expect(r.stdout).toMatch(/Variables: --set name=value, then --vars-file lines, then IRM_VAR_<NAME>, then irm\.yaml's variables, then the runbook's default, then \(on a terminal\) a prompt\./);
  });

  it('a bad flag or command is a usage error (exit 2), not a stack trace', () => {
    const r = irm(['list', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
    const c = irm(['lst']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/unknown command 'lst'[\s\S]*list/);
    expect(c.stderr + r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('irm list and show', () => {
  it('lists the seven built-in runbooks with their source', () => {
    const r = irm(['list', '--json']);
    expect(r.code).toBe(0);
    const items = r.json<{ id: string; source: string; severity: string }[]>();
    expect(items.map((i) => i.id).sort()).toEqual(['app-wont-start', 'db-performance', 'exchange-connection', 'high-cpu', 'logging', 'memory-leak', 'trades-not-executing']);
    expect(new Set(items.map((i) => i.source))).toEqual(new Set(['built-in']));
    expect(items.find((i) => i.id === 'db-performance')!.severity).toBe('P1');
  });

  it('renders a runbook with its commands filled in and risk marked', () => {
    const r = irm(['show', 'db-performance']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Database performance issues');
    expect(r.stdout).toContain('[destructive] Delete trades older than the retention period');
    expect(r.stdout).toContain('$ docker exec tradingbot-db psql -X -At -U tradingbot -d tradingbot -c "SELECT pid');
    expect(r.stdout).toContain('asks you to type: trades');
    expect(r.stdout).not.toMatch(ANSI);
  });

  it('show --json gives the whole runbook as data, with commands for the chosen deployment', () => {
    const r = irm(['show', 'db-performance', '--json', '--set', 'deployment=host', '--set', 'db_host=db.internal']);
    expect(r.code).toBe(0);
    const s = r.json();
    expect(s.runbook.causes.map((c: { id: string }) => c.id)).toEqual(['long-running-queries', 'missing-indexes', 'pool-exhausted', 'disk-full']);
    expect(s.deployment).toBe('host');
    expect(s.commands['long-running-queries.long-queries'].command).toMatch(/^psql -X -At -h db.internal -p 5432 -U tradingbot/);
    expect(s.commands['disk-full.solution.1']).toMatchObject({ risk: 'destructive', confirm: 'trades' });
  });

  it("show --json masks a secret's default, as the text view and config do", () => {
    const rb = oneCauseRunbook('keyed', 'Keyed', ['      - id: use', '        title: Uses the token', '        run: echo "${{ token }}"'], [
      'variables:',
      '  token: { description: The token, secret: true, default: defaultsecretZZ }',
      '  bench_password: { description: Secret by its name, default: namedsecretYY }',
      '  word: { description: Not a secret, default: plainZZ }',
    ]);
    const dir = tree({ 'team/keyed.yaml': rb });
    const r = irm(['show', 'keyed', '--json', '--runbooks', 'team'], { cwd: dir });
    expect(r.code).toBe(0);
    const s = r.json();
    expect(s.runbook.variables).toMatchObject({ token: { default: '********', secret: true }, bench_password: { default: '********' }, word: { default: 'plainZZ' } });
    for (const args of [['show', 'keyed', '--json'], ['show', 'keyed'], ['config', 'keyed', '--json'], ['config', 'keyed']]) {
      const out = irm([...args, '--runbooks', 'team'], { cwd: dir });
      expect(out.code).toBe(0);
      expect(out.stdout + out.stderr, args.join(' ')).not.toMatch(/defaultsecretZZ|namedsecretYY/);
    }
  });

  it('an unknown id is exit 2 with the closest match', () => {
    const r = irm(['show', 'db-perf']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no runbook "db-perf"');
    expect(r.stderr).toContain('did you mean "db-performance"?');
    expect(r.stdout).toBe('');
  });
});

describe('irm contacts', () => {
  it('P0: the roles to involve, why, and the channels', () => {
    const r = irm(['contacts', 'p0', '--json']);
    expect(r.code).toBe(0);
    const c = r.json();
    expect(c.kind).toBe('severity');
    expect(c.involve.map((p: { role: string }) => p.role)).toEqual(['on-call-engineer', 'engineering-manager', 'devops-lead']);
    expect(c.involve[1].why).toBe('Notify management immediately');
    expect(c.channels.map((x: { id: string }) => x.id)).toContain('pagerduty');
  });

  it('a service by name or alias gives its secondary contact', () => {
    expect(irm(['contacts', 'database', '--json']).json().service.contacts[0].email).toBe('dba@company.com');
    const ex = irm(['contacts', 'binance', '--json']).json();
    expect(ex.service.service).toBe('exchange');
    expect(ex.service.contacts.map((c: { email: string }) => c.email)).toEqual(['support@binance.com', 'support@upbit.com']);
  });

  it('everything, with a TBD warning until the team sets its contacts', () => {
    const r = irm(['contacts']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('On-Call Engineer');
    expect(r.stdout).toContain('#tradingbot-incidents');
    expect(r.stdout).toContain('set them under contacts.primary in irm.yaml');
  });

  it("the team's irm.yaml replaces the manual's TBDs, found from a sub-folder", () => {
    const dir = tree({ 'irm.yaml': TEAM_CONFIG, 'deep/er/.keep': '' });
    const c = irm(['contacts', 'p1', '--json'], { cwd: `${dir}/deep/er` }).json();
    expect(c.involve[0]).toMatchObject({ role: 'on-call-engineer', name: 'Dana Reyes', phone: '+1-555-0100', tbd: false, source: 'irm.yaml' });
    expect(c.involve[1]).toMatchObject({ role: 'devops-lead', name: 'TBD', tbd: true, source: 'manual' });
    expect(c.channels.find((x: { id: string }) => x.id === 'slack').address).toBe('#ops-war-room');
    expect(irm(['contacts', 'db', '--json'], { cwd: dir }).json().service.contacts[0].email).toBe('dba-oncall@example.test');
  });

  it('an unknown level or service is exit 2 with the closest match', () => {
    const r = irm(['contacts', 'P5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no severity level "P5"');
    expect(r.stderr).toContain('levels: P0, P1, P2, P3');
    const s = irm(['contacts', 'securty']);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('did you mean "security"?');
  });
});

describe('irm severity', () => {
  it('lists the four levels with their response', () => {
    const r = irm(['severity', '--json']);
    expect(r.code).toBe(0);
    const levels = r.json();
    expect(levels.map((l: { level: string }) => l.level)).toEqual(['P0', 'P1', 'P2', 'P3']);
    expect(levels[1].response).toContain('Provide status updates every 30 minutes');
  });

  it('one level', () => {
    const r = irm(['severity', 'p2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('P2 - Medium (response time: <1 hour)');
    expect(r.stdout).toContain('Update stakeholders at end of day');
  });

  const cases: [string, string][] = [
    ['one exchange connector down', 'P1'],
    ['unauthorized trades', 'P0'],
    ['complete outage, nothing trades', 'P0'],
    ['the dashboard display is wrong', 'P2'],
    ['typo in the docs', 'P3'],
    ['database replication lag', 'P1'],
  ];
  for (const [text, level] of cases) {
    it(`classify "${text}" → ${level}`, () => {
      const r = irm(['severity', 'classify', text, '--json']);
      expect(r.code).toBe(0);
      expect(r.json().best).toBe(level);
    });
  }

  it('classify with nothing matching says so and proposes no level', () => {
    const r = irm(['severity', 'classify', 'zebra', '--json']);
    expect(r.json().best).toBeNull();
    expect(irm(['severity', 'classify', 'zebra']).stdout).toContain('No level matches');
  });
});

describe('irm escalation', () => {
  const at: [string, number][] = [['0m', 1], ['29m59s', 1], ['30m', 2], ['45m', 2], ['59m59s', 2], ['60m', 3], ['5h', 3]];
  for (const [elapsed, level] of at) {
    it(`after ${elapsed}: level ${level}`, () => {
      const r = irm(['escalation', '--elapsed', elapsed, '--json']);
      expect(r.code).toBe(0);
      expect(r.json().elapsed.level).toBe(level);
    });
  }

  it('says who owns it now and the triggers to go up', () => {
    const r = irm(['escalation', '--elapsed', '45m']);
    // Marked in words, not only in colour: this output has none.
    expect(r.stdout).toMatch(/^│ 2 \(now\) │ DevOps Lead/m);
    expect(r.stdout).not.toMatch(/^│ [134] \(now\)/m);
    expect(r.stdout).toContain('45m after detection: level 2, DevOps Lead + Engineering Lead should own the incident.');
    expect(r.stdout).toContain('Escalate to level 3 (Engineering Manager + CTO) at 1h, or sooner if:');
    expect(r.stdout).toContain('Potential data loss or security breach');
  });

  it('a bad duration is exit 2', () => {
    const r = irm(['escalation', '--elapsed', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"soon" is not a duration');
  });
});

describe('irm procedure, post-incident and ref', () => {
  it('the five steps with their windows', () => {
    const steps = irm(['procedure', '--json']).json();
    expect(steps.map((s: { title: string }) => s.title)).toEqual(['Detection and Assessment', 'Initial Response', 'Investigation and Diagnosis', 'Resolution', 'Recovery and Verification']);
    expect(irm(['procedure', '2']).stdout).toContain('Step 2: Initial Response (5-15 minutes)');
    expect(irm(['procedure', '9']).code).toBe(2);
  });

  it('the post-mortem template, verbatim from the manual', () => {
    const md = readFileSync(`${ROOT}docs/manual/incident-response-manual.md`, 'utf8');
    const template = md.match(/```markdown\n([\s\S]*?)```/)![1]!;
    const r = irm(['post-incident', '--template']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(template);
    expect(irm(['post-incident']).stdout).toContain('Immediate actions (within 24h)');
  });

  it('the quick-reference commands, grouped, with their risk', () => {
    const r = irm(['ref', '--json']).json();
    expect(r.groups.map((g: { id: string }) => g.id)).toEqual(['status', 'logs', 'restart', 'emergency-shutdown', 'backup', 'restore']);
    const all = r.groups.flatMap((g: { commands: unknown[] }) => g.commands);
    expect(all.find((c: { id: string }) => c.id === 'kill-api')).toMatchObject({ risk: 'destructive', command: "pkill -f 'python3 -m uvicorn'" });
    expect(all.find((c: { id: string }) => c.id === 'pg-dump').command).toBe('pg_dump -h localhost -p 5432 -U tradingbot tradingbot > backup_$(date +%Y%m%d_%H%M%S).sql');
    expect(r.references.map((x: { doc: string }) => x.doc)).toContain('BACKUP_RECOVERY.md');
  });

  it('docker-only commands say so on a host deployment', () => {
    const r = irm(['ref', 'restart', '--set', 'deployment=host', '--json']).json();
    expect(r.groups[0].commands[0].unavailable).toBe('only for a docker deployment');
  });
});

describe('variables', () => {
  it('precedence: --set, then IRM_VAR_<NAME>, then irm.yaml, then the default; irm config says where each came from', () => {
    const dir = tree({ 'irm.yaml': TEAM_CONFIG });
    const get = (r: ReturnType<typeof irm>, name: string) => r.json().variables.find((v: { name: string }) => v.name === name);
    expect(get(irm(['config', '--json']), 'api_port')).toMatchObject({ value: '8000', source: 'default' });
    expect(get(irm(['config', '--json'], { cwd: dir }), 'api_port')).toMatchObject({ value: '9000', source: 'irm.yaml', where: 'irm.yaml:3' });
    expect(get(irm(['config', '--json'], { cwd: dir, env: { IRM_VAR_API_PORT: '9100' } }), 'api_port')).toMatchObject({ value: '9100', source: 'env', where: 'IRM_VAR_API_PORT' });
    expect(get(irm(['config', '--json', '--set', 'api_port=9200'], { cwd: dir, env: { IRM_VAR_API_PORT: '9100' } }), 'api_port')).toMatchObject({ value: '9200', source: 'flag' });
    // A default built from other variables follows them.
    expect(get(irm(['config', '--json', '--set', 'api_port=9200'], { cwd: dir }), 'api_url').value).toBe('http://localhost:9200');
  });

  it('a value that does not fit the variable is exit 2, naming it and its source', () => {
    const r = irm(['show', 'db-performance', '--set', 'api_port=eighty']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid value for variable "api_port" (from --set api_port): expected a port (1-65535), got "eighty"');
    const p = irm(['show', 'db-performance', '--set', 'db_container=x; touch /tmp/pwned']);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('does not match the pattern');
    const u = irm(['show', 'db-performance', '--set', 'db_contianer=x']);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('did you mean "db_container"?');
  });

  it('a bad value in irm.yaml is exit 3, located', () => {
    const dir = tree({ 'irm.yaml': 'variables:\n  api_port: 70000\n' });
    const r = irm(['config'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('irm.yaml:2:13: error: variable "api_port": expected a port (1-65535), got "70000"');
  });
});

describe('team runbooks', () => {
  it('are added and override built-ins by id; irm list says where each came from', () => {
    const dir = tree({ 'team/cache.yaml': TEAM_RUNBOOK, 'team/logging.yaml': OVERRIDE });
    const r = irm(['list', '--json', '--runbooks', 'team'], { cwd: dir });
    expect(r.code).toBe(0);
    const items = r.json<{ id: string; source: string; overrides?: string; title: string }[]>();
    expect(items).toHaveLength(8);
    expect(items.find((i) => i.id === 'cache-stampede')!.source).toBe('--runbooks');
    expect(items.find((i) => i.id === 'logging')).toMatchObject({ title: 'Logging issues (our way)', source: '--runbooks', overrides: 'built-in (runbooks/logging.yaml)' });
  });

  it('come from irm.yaml and IRM_RUNBOOKS too', () => {
    const dir = tree({ 'irm.yaml': 'runbooks: [ops/runbooks]\n', 'ops/runbooks/cache.yaml': TEAM_RUNBOOK, 'more/logging.yaml': OVERRIDE });
    const items = irm(['list', '--json'], { cwd: dir, env: { IRM_RUNBOOKS: `${dir}/more` } }).json<{ id: string; source: string }[]>();
    expect(items.find((i) => i.id === 'cache-stampede')!.source).toBe('irm.yaml');
    expect(items.find((i) => i.id === 'logging')!.source).toBe('IRM_RUNBOOKS');
  });

  it('a broken one is warned about once on stderr and the rest still works; --strict makes it fatal', () => {
    const dir = tree({ 'team/cache.yaml': TEAM_RUNBOOK, 'team/broken.yaml': BROKEN });
    const r = irm(['list', '--json', '--runbooks', 'team'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.json<{ id: string }[]>().map((i) => i.id)).toContain('cache-stampede');
    expect(r.stderr.match(/irm: warning/g)).toHaveLength(1);
    expect(r.stderr).toContain('team/broken.yaml:5:11: error: severity: expected one of "P0", "P1", "P2", "P3", got "P9"');
    const s = irm(['list', '--json', '--strict', '--runbooks', 'team'], { cwd: dir });
    expect(s.code).toBe(3);
    expect(s.stderr).toContain('team/broken.yaml:7:9: error: causes: needs at least 1 item');
    // With --json, stdout is still one JSON document: the error, its exit code and every located diagnostic.
    expect(s.json().error).toMatchObject({ message: '2 errors in the runbooks (--strict)', exit_code: 3 });
    expect(s.json().error.diagnostics).toContainEqual(expect.objectContaining({ file: 'team/broken.yaml', line: 7, col: 9 }));
  });

  it('--json on a failed command still prints one JSON document: the error and its exit code', () => {
    const missing = irm(['show', 'nope', '--json']);
    expect(missing.code).toBe(2);
    expect(missing.json()).toEqual({ error: { message: 'no runbook "nope"', exit_code: 2, details: [expect.stringContaining('runbooks: app-wont-start')] } });
    const flag = irm(['list', '--json', '--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.json().error).toMatchObject({ message: "unknown option '--bogus'", exit_code: 2 });
    expect(irm(['show', 'nope']).stdout).toBe('');
  });

  it('a runbook asked for by id whose file did not load says so, and how to see why', () => {
    const dir = tree({ 'team/broken.yaml': BROKEN });
    const r = irm(['show', 'broken-one', '--runbooks', 'team'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('runbook "broken-one" did not load: team/broken.yaml has errors');
    expect(r.stderr).toContain('irm validate team/broken.yaml shows them');
    expect(irm(['--strict', 'show', 'broken-one', '--runbooks', 'team'], { cwd: dir }).code).toBe(3);
  });

  it('irm help for a command that does not exist, and severity classify without words, are usage errors', () => {
    const help = irm(['help', 'contcts']);
    expect(help.code).toBe(2);
    expect(help.stderr).toContain('unknown command "contcts"');
    expect(help.stderr).toContain('did you mean "contacts"?');
    expect(irm(['help', 'contacts']).code).toBe(0);
    const classify = irm(['severity', 'classify', ' ']);
    expect(classify.code).toBe(2);
    expect(classify.stderr).toContain('severity classify needs words');
  });

  it('did-you-mean suggests a near name, a whole part of one, or nothing', () => {
    expect(irm(['show', 'hihg-cpu']).stderr).toContain('did you mean "high-cpu"?');
    expect(irm(['show', 'cpu']).stderr).toContain('did you mean "high-cpu"?');
    expect(irm(['show', '']).stderr).not.toContain('did you mean');
    expect(irm(['ref', 'bogus']).stderr).not.toContain('did you mean');
  });

  it('a missing folder is a clear usage error', () => {
    const r = irm(['list', '--runbooks', 'nowhere']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('runbook folder not found: nowhere');
  });
});

describe('irm check: the hints of problems and warnings', () => {
  const dir = () => tree({ 'team/hinted.yaml': HINTED });
  const check = (args: string[]) => irm(['check', 'hinted', '--runbooks', 'team', ...args], { cwd: dir() });
  const problem = 'Nothing answers at http://ops:********@localhost:9/health; start it, then read its log.';
  const warning = 'The disk is filling; rotate the logs.';

  it('the table lists them below, by check, the healthy one without; the password masked', () => {
    const r = check([]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/│ hinted\s+│ The service answers\s+│ ✖ problem found │ expected output containing "pong", got: connection refused │/);
    expect(r.stdout).toContain(`┘\n\nWhere to look next:\n  ✖ hinted/answers: ${problem}\n  ⚠ hinted/disk: ${warning}\n\n1 healthy, 1 warning, 1 problem in `);
    expect(r.stdout).not.toContain('Never shown');
    expect(r.stdout + r.stderr).not.toContain('pw-hint-5ecret');
  });

  it('JSON has a hint on the problem and the warning only; junit puts it in the failure', () => {
    const rows = check(['--json']).json().results as { id: string; verdict: string; hint?: string }[];
    expect(rows.map((x) => [x.id, x.verdict, x.hint])).toEqual([['answers', 'problem', problem], ['disk', 'warning', warning], ['fine', 'healthy', undefined]]);
    const j = check(['--format', 'junit']);
    expect(j.code).toBe(1);
    expect(j.stdout).toContain(
      `<failure message="expected output containing &quot;pong&quot;, got: connection refused" type="problem">expected output containing &quot;pong&quot;, got: connection refused\nhint: ${problem}</failure>`
    );
    expect(j.stdout).toContain(`<system-out>warning: expected disk use at most 80%, got: 85\nhint: ${warning}</system-out>`);
    expect(j.stdout).not.toContain('Never shown');
    expect(j.stdout).not.toContain('pw-hint-5ecret');
  });
});

describe('irm validate', () => {
  it('the built-in runbooks are valid', () => {
    const r = irm(['validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/8 files valid/);
  });

  it('prints every error located, exit 3', () => {
    const dir = tree({ 'team/broken.yaml': BROKEN, 'team/cache.yaml': TEAM_RUNBOOK });
    const r = irm(['validate', 'team'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('team/broken.yaml:5:11: error: severity');
    expect(r.stdout).toContain(' 5 | severity: P9');
    expect(r.stdout).toContain('team/broken.yaml:7:9: error: causes: needs at least 1 item');
    expect(r.stdout).toContain('2 errors in 1 of 2 files');
    const j = irm(['validate', 'team', '--json'], { cwd: dir }).json();
    expect(j.errors).toBe(2);
    expect(j.diagnostics[0]).toMatchObject({ file: 'team/broken.yaml', line: 5, col: 11 });
  });

  it('without a path, checks the runbook folders irm loads, and says each error once, even with --strict', () => {
    const dir = tree({ 'team/broken.yaml': BROKEN, 'team/cache.yaml': TEAM_RUNBOOK });
    for (const flags of [[], ['--strict']]) {
      const r = irm(['validate', '--runbooks', 'team', ...flags], { cwd: dir });
      expect(r.code, flags.join(' ')).toBe(3);
      expect(r.stdout).toContain('team/broken.yaml:5:11: error: severity');
      expect(r.stdout).toContain('2 errors in 1 of 10 files');
      // The report is the command's output; the warning other commands give about files left out would repeat it.
      expect(r.stderr).toBe('');
    }
  });

  it('a runbook folder that is not there is exit 2, not "valid"; an invalid irm.yaml does not hide the other folders', () => {
    const dir = tree({ 'team/broken.yaml': BROKEN, 'irm.yaml': 'runbooks: [team]\nbogus: 1\n' });
    const missing = irm(['validate', '--runbooks', 'nodir'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('runbook folder not found: nodir');
    expect(missing.stdout).not.toContain('valid');
    const r = irm(['validate', '--runbooks', 'team'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('irm.yaml:2:1: error: unknown key "bogus"');
    expect(r.stdout).toContain('team/broken.yaml:5:11: error: severity');
  });

  it('a list as a key is an error at the key, with nothing from the yaml library on stderr', () => {
    const dir = tree({ 'team/key.yaml': 'id: key\n? [a]\n: 1\n' });
    const r = irm(['validate', 'team/key.yaml'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('team/key.yaml:2:3: error: a key must be text, not a list');
    expect(r.stderr).toBe('');
  });

  it('a path that does not exist is exit 2', () => {
    expect(irm(['validate', 'nope.yaml']).code).toBe(2);
  });
});

describe('what a team keeps beside the built-ins', () => {
  const withVars = (vars: string) => TEAM_RUNBOOK.replace('causes:', `variables:\n${vars}\ncauses:`);

  it('a runbook file that cannot be read is left out with a located warning; the rest answers (it was an internal error)', () => {
    const dir = tree({ 'team/cache.yaml': TEAM_RUNBOOK });
    // A regular file to stat whose every read fails (EIO), even for root: the tests run as root in CI.
    symlinkSync('/proc/self/mem', join(dir, 'team/unreadable.yaml'));
    const list = irm(['list', '--json', '--runbooks', 'team'], { cwd: dir });
    expect(list.code, list.stderr).toBe(0);
    expect(list.json().map((r: { id: string }) => r.id)).toContain('cache-stampede');
    expect(list.stderr).toContain('team/unreadable.yaml:1:1: error: cannot read: input/output error');
    expect(list.stderr).not.toContain('internal error');
    const v = irm(['validate', 'team'], { cwd: dir });
    expect(v.code).toBe(3);
    expect(v.stdout).toContain('team/unreadable.yaml:1:1: error: cannot read: input/output error');
  });

  it('a runbook whose text holds terminal escapes is left out, and its diagnostic shows them as pictures, never raw', () => {
    const raw = TEAM_RUNBOOK.replace(/^title: .*$/m, 'title: "Clear\\e[2J screen"').replace(/^id: .*$/m, 'id: escaped');
    const bytes = TEAM_RUNBOOK.replace(/^title: .*$/m, 'title: Raw \u001b]0;pwned\u0007 bytes').replace(/^id: .*$/m, 'id: raw-bytes');
    // A value quoted back in a schema message ("got ...") reaches the terminal too.
    const severity = TEAM_RUNBOOK.replace(/^severity: .*$/m, 'severity: "\\e[31mP1"').replace(/^id: .*$/m, 'id: bad-severity');
    const dir = tree({ 'team/cache.yaml': TEAM_RUNBOOK, 'team/escaped.yaml': raw, 'team/raw-bytes.yaml': bytes, 'team/severity.yaml': severity });
    const list = irm(['list', '--runbooks', 'team'], { cwd: dir });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout + list.stderr).not.toContain('\u001b');
    expect(list.stdout + list.stderr).not.toContain('\u0007');
    expect(list.stdout).toContain('cache-stampede');
    expect(list.stdout).not.toContain('escaped');
    const v = irm(['validate', 'team'], { cwd: dir });
    expect(v.code).toBe(3);
    expect(v.stdout + v.stderr).not.toContain('\u001b');
    expect(v.stdout).toContain('team/escaped.yaml:3:8: error: title: control character U+001B (ESC): a terminal showing this text would act on it');
    expect(v.stdout).toContain('title: control character U+001B (ESC)');
    // The raw bytes in the line shown under the message, as their pictures.
    expect(v.stdout).toContain('title: Raw ␛]0;pwned␇ bytes');
    expect(v.stdout).toContain('severity: expected one of "P0", "P1", "P2", "P3", got "␛[31mP1"');
  });

  it('a FIFO named like a runbook is reported, not waited on, and not opened: a writer waiting on it stays waiting', async () => {
    const dir = tree({ 'team/cache.yaml': TEAM_RUNBOOK });
    const fifo = join(dir, 'team/pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    // A writer blocked until someone opens the FIFO to read: irm must not be that someone (its data would be lost).
    const writer = spawn('sh', ['-c', `echo hi > "${fifo}" && touch "${join(dir, 'released')}"`], { stdio: 'ignore' });
    try {
      for (let run = 0; run < 2; run++) {
        const list = irm(['list', '--json', '--runbooks', 'team'], { cwd: dir, timeout: 10_000 });
        expect(list.code, list.stderr).toBe(0);
        expect(list.json().map((r: { id: string }) => r.id)).toContain('cache-stampede');
        expect(list.stderr).toContain('team/pipe.yaml:1:1: error: not a regular file');
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(existsSync(join(dir, 'released')), 'irm opened the FIFO and released its writer').toBe(false);
    } finally {
      writer.kill('SIGKILL');
    }
  });

  it('an empty irm.yaml, one of comments only, or a section whose entries are commented out is no settings', () => {
    for (const text of ['', '# yaml-language-server: $schema=./irm.schema.json\n', 'variables:\n#  api_port: 9000\ncontacts:\n']) {
      const dir = tree({ 'irm.yaml': text });
      const r = irm(['contacts', 'p0', '--json'], { cwd: dir });
      expect(r.code, JSON.stringify(text) + r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(irm(['validate'], { cwd: dir }).code).toBe(0);
    }
  });

  it('irm.yaml kept in a runbook folder is settings, not a runbook that fails to load', () => {
    const dir = tree({ 'irm.yaml': 'runbooks: [.]\nvariables:\n  api_port: 9000\n', 'cache.yaml': TEAM_RUNBOOK });
    const list = irm(['list', '--json'], { cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stderr).toBe('');
    expect(list.json().map((r: { id: string }) => r.id)).toContain('cache-stampede');
    const v = irm(['validate'], { cwd: dir });
    expect(v.code, v.stdout).toBe(0);
    expect(irm(['validate', '.'], { cwd: dir }).code).toBe(0);
  });

  it('validate accepts an override from another folder, as irm loads it; the same id twice in one folder is an error', () => {
    const dir = tree({ 'a/logging.yaml': OVERRIDE, 'b/logging.yaml': OVERRIDE, 'c/one.yaml': OVERRIDE, 'c/two.yaml': OVERRIDE });
    const over = irm(['validate', '--runbooks', 'a', '--runbooks', 'b'], { cwd: dir });
    expect(over.code, over.stdout).toBe(0);
    expect(irm(['list', '--json', '--runbooks', 'a', '--runbooks', 'b'], { cwd: dir }).json().find((r: { id: string }) => r.id === 'logging').file).toBe('b/logging.yaml');
    const same = irm(['validate', 'c'], { cwd: dir });
    expect(same.code).toBe(3);
    expect(same.stdout).toContain('c/two.yaml:2:5: error: duplicate runbook id "logging": also defined in c/one.yaml');
    // A file named twice is one file.
    const twice = irm(['validate', 'a', 'a/logging.yaml'], { cwd: dir });
    expect(twice.code, twice.stdout).toBe(0);
    expect(twice.stdout).toContain('1 file valid');
  });

  it('a folder irm.yaml or IRM_RUNBOOKS names that is not there is a located warning; contacts still answer; --strict stops', () => {
    const dir = tree({ 'irm.yaml': 'runbooks: [team, ~/gone]\n', 'team/cache.yaml': TEAM_RUNBOOK, 'home/ops/x.yaml': OVERRIDE });
    const home = join(dir, 'home');
    const c = irm(['contacts', 'p0', '--json'], { cwd: dir, env: { HOME: home } });
    expect(c.code).toBe(0);
    expect(c.stderr).toContain('left out 1 runbook folder');
    expect(c.stderr).toContain('irm.yaml:1:18: error: runbook folder not found: home/gone');
    expect(irm(['--strict', 'contacts', 'p0'], { cwd: dir, env: { HOME: home } }).code).toBe(3);
    const v = irm(['validate'], { cwd: dir, env: { HOME: home } });
    expect(v.code).toBe(3);
    expect(v.stdout).toContain('irm.yaml:1:18: error: runbook folder not found');
    // ~/ is the home folder, as in a shell.
    writeFileSync(join(dir, 'irm.yaml'), 'runbooks: [~/ops]\n');
    expect(irm(['list', '--json'], { cwd: dir, env: { HOME: home } }).json().find((r: { id: string }) => r.id === 'logging').file).toBe('home/ops/x.yaml');
    const env = irm(['contacts', 'p0', '--json'], { cwd: dir, env: { HOME: home, IRM_RUNBOOKS: join(dir, 'nowhere') } });
    expect(env.code).toBe(0);
    expect(env.stderr).toContain(`IRM_RUNBOOKS: error: runbook folder not found: nowhere`);
    // Named on the command line, it is the caller's mistake: exit 2.
    expect(irm(['list', '--runbooks', 'nowhere'], { cwd: dir }).code).toBe(2);
  });

  it('validate says so when a folder holds no runbook, and rejects a team file of kind manual', () => {
    const dir = tree({ 'empty/notes.txt': 'x', 'team/manual.yaml': readFileSync(join(ROOT, 'runbooks/manual.yaml'), 'utf8') });
    const empty = irm(['validate', 'empty'], { cwd: dir });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no runbook files in empty');
    const manual = irm(['validate', 'team'], { cwd: dir });
    expect(manual.code).toBe(3);
    expect(manual.stdout).toContain('error: only the built-in manual may be of kind "manual"');
  });

  it("validate checks irm.yaml's variables against their declarations: a bad value is an error, a misspelt name a warning", () => {
    const dir = tree({
      'irm.yaml': 'runbooks: [team]\nvariables:\n  api_port: abc\n  api_prot: 9000\n  cache_ttl: 30\n',
      'team/cache.yaml': withVars('  cache_ttl: { description: Seconds a key lives, type: number }'),
    });
    const v = irm(['validate'], { cwd: dir });
    expect(v.code).toBe(3);
    expect(v.stdout).toContain('irm.yaml:3:13: error: variable "api_port" (declared by the manual): expected a port');
    expect(v.stdout).toContain('irm.yaml:4:3: warning: variable "api_prot" is not declared by the manual or any runbook');
    expect(v.stdout).toContain('did you mean "api_port"?');
    expect(v.stdout).not.toContain('cache_ttl');
    writeFileSync(join(dir, 'irm.yaml'), 'runbooks: [team]\nvariables:\n  api_prot: 9000\n');
    const config = irm(['config'], { cwd: dir });
    expect(config.code).toBe(0);
    expect(config.stdout).toContain('warning: irm.yaml:3: variable "api_prot" is not declared');
    expect(irm(['config', '--json'], { cwd: dir }).json().undeclared_variables).toEqual([
      expect.objectContaining({ where: 'irm.yaml:3', hint: 'did you mean "api_port"?' }),
    ]);
  });

  it("a message about a secret's value does not repeat it: --set, irm.yaml, validate, a misspelt name, a bad default", () => {
    const secretVar = "  api_key: { description: The API key, secret: true, pattern: '[a-f0-9]{8}' }";
    const dir = tree({
      'irm.yaml': 'runbooks: [team]\nvariables:\n  api_key: deadbeefcafe # from the vault\n  api_kye: feedfacefeed\n',
      'team/cache.yaml': withVars(secretVar),
      'defaults/cache.yaml': withVars(secretVar.replace('secret: true,', "secret: true, default: 'not-hex-zz',")),
    });
    const set = irm(['config', 'cache-stampede', '--set', 'api_key=deadbeefcafe'], { cwd: dir });
    expect(set.code).toBe(2);
    expect(set.stderr).toContain('invalid value for variable "api_key" (from --set api_key): the value does not match the pattern [a-f0-9]{8}');
    const config = irm(['config', 'cache-stampede'], { cwd: dir });
    expect(config.code).toBe(3);
    expect(config.stderr).toContain('irm.yaml:3:12: error: variable "api_key": the value does not match the pattern [a-f0-9]{8}\n 3 |   api_key: ******** # from the vault\n   |            ^^^^^^^^');
    const validate = irm(['validate'], { cwd: dir });
    expect(validate.code).toBe(3);
    expect(validate.stdout).toContain('variable "api_key" (declared by runbook cache-stampede): the value does not match the pattern [a-f0-9]{8}\n 3 |   api_key: ********');
    expect(validate.stdout).toContain('variable "api_kye" is not declared by the manual or any runbook, so nothing uses it\n 4 |   api_kye: ********');
    const defaults = irm(['validate', 'defaults'], { cwd: dir });
    expect(defaults.code).toBe(3);
    expect(defaults.stdout).toContain('default of "api_key" is invalid: the value does not match the pattern [a-f0-9]{8}');
    for (const r of [set, config, validate, defaults]) {
      for (const s of ['deadbeefcafe', 'feedfacefeed', 'not-hex-zz']) expect(r.stdout + r.stderr).not.toContain(s);
    }
  });
});

describe('colour', () => {
  const colored = (env: Record<string, string>, args: string[] = []) => ANSI.test(irm(['severity', 'p0', ...args], { env }).stdout);
  it('none when piped, with NO_COLOR, --no-color or TERM=dumb; on when forced', () => {
    expect(colored({})).toBe(false);
    expect(colored({ FORCE_COLOR: '1' })).toBe(true);
    expect(colored({ FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
    expect(colored({ FORCE_COLOR: '1', TERM: 'dumb' })).toBe(false);
    expect(colored({ FORCE_COLOR: '1' }, ['--no-color'])).toBe(false);
  });

  it('tables have no coloured borders when colour is off', () => {
    const out = irm(['list']).stdout;
    expect(out).toContain('┌');
    expect(out).not.toMatch(ANSI);
  });
});
