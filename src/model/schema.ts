// The runbook format, defined once: zod gives the TypeScript types, the validator and the JSON Schema in schema/.
import { z } from 'zod';

// zod compiles a checking function per object schema (new Function) on first use, which V8 then compiles afresh in
// every process: in a short-lived CLI that costs more than it saves. Measured on irm validate over 1,000 runbooks in
// a fresh process, eight interleaved pairs: median 474 ms without it against 506 ms with it.
z.config({ jitless: true });

export const SEVERITY_LEVELS = ['P0', 'P1', 'P2', 'P3'] as const;
export const RISKS = ['read', 'change', 'destructive'] as const;
export const DEPLOYMENTS = ['docker', 'host'] as const;

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'an id is lower-case letters, digits and dashes, e.g. "db-performance"');
const varName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'a variable name is lower-case letters, digits and underscores, e.g. "api_port"');
const text = z.string().min(1, 'must not be empty');
/** "500ms", "10s", "2m", "1h" or a number of seconds. */
export const Duration = z.union([
  z.number().nonnegative(),
  z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/, 'a duration is a number with a unit: 500ms, 10s, 2m, 1h, 1d'),
]);
export const Severity = z.enum(SEVERITY_LEVELS);
export const Risk = z.enum(RISKS);

export const Reference = z.strictObject({
  title: text,
  doc: z.string().optional().describe('A document of the team, e.g. PERFORMANCE_TUNING.md'),
  url: z.string().url().optional(),
  note: z.string().optional(),
});

export const Variable = z
  .strictObject({
    description: text,
    type: z.enum(['string', 'integer', 'number', 'boolean', 'port', 'path', 'url', 'host', 'enum']).default('string'),
    default: z.union([z.string(), z.number(), z.boolean()]).optional()
      .describe('May refer to other variables: "http://localhost:${{ api_port }}"'),
    pattern: z.string().optional().describe('A regular expression every value must match in full'),
    values: z.array(z.string()).optional().describe('The allowed values of an enum'),
    secret: z.boolean().optional().describe('Never shown, reported or recorded'),
    example: z.string().optional(),
  })
  .describe('A deployment-specific value: a port, a container, a path. Referred to as ${{ name }}.');

/** Run with a shell, or as an argument list with no shell; either may differ between a docker and a host deployment. */
const ShellLine = z.string().min(1);
const Argv = z.array(z.string()).min(1);
export const CommandFields = {
  run: z
    .union([ShellLine, z.partialRecord(z.enum(DEPLOYMENTS), ShellLine)])
    .optional()
    .describe('A shell line, or one per deployment ({docker: ..., host: ...}); ${{ var }} is expanded as one literal word'),
  argv: z
    .union([Argv, z.partialRecord(z.enum(DEPLOYMENTS), Argv)])
    .optional()
    .describe('An argument list run without a shell, or one per deployment'),
  risk: Risk.optional().describe('read: observes only; change: restarts, edits config; destructive: kills, deletes'),
  timeout: Duration.optional(),
  impact: z.string().optional().describe('What a change or destructive command does to the running system'),
  confirm: z.string().optional().describe('The word an operator types to run a destructive command (default: the runbook id)'),
  stream: z.boolean().optional().describe('The command follows output forever (logs -f): it runs for a bounded window'),
  manual: z.string().optional().describe("The manual's own form of this command, where this one differs"),
};

export const Expectation: z.ZodType<ExpectationT> = z.lazy(() =>
  z
    .strictObject({
      exit: z.union([z.number().int(), z.array(z.number().int()).min(1)]).optional(),
      contains: z.string().optional(),
      not_contains: z.string().optional(),
      matches: z.string().optional(),
      not_matches: z.string().optional(),
      number: z
        .strictObject({
          pattern: z.string().describe('A regex; its first group (or the whole match) is the number'),
          max: z.number().optional(),
          min: z.number().optional(),
          below: z.number().optional(),
          above: z.number().optional(),
          missing: z.enum(['healthy', 'problem']).optional().describe('The verdict when the pattern is not found (default: problem)'),
          every: z.boolean().optional().describe('Every match must satisfy the bounds, not only the first'),
        })
        .optional(),
      lines: z.strictObject({ max: z.number().int().optional(), min: z.number().int().optional() }).optional()
        .describe('How many non-empty output lines there may be'),
      json: z
        .strictObject({
          path: z.string().describe('Dotted path; * matches every key or element: circuit_breakers.*.state'),
          equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
          not_equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
          in: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
          exists: z.boolean().optional(),
          max: z.number().optional(),
          min: z.number().optional(),
        })
        .optional(),
      any: z.array(Expectation).min(1).optional(),
      all: z.array(Expectation).min(1).optional(),
      stream: z.enum(['stdout', 'stderr', 'output']).optional().describe('Which output to look at (default: stdout and stderr together)'),
      says: z.string().optional().describe('Plain words for what is wanted, used in the verdict'),
    })
);
export interface ExpectationT {
  exit?: number | number[];
  contains?: string;
  not_contains?: string;
  matches?: string;
  not_matches?: string;
  number?: {
    pattern: string;
    max?: number;
    min?: number;
    below?: number;
    above?: number;
    missing?: 'healthy' | 'problem';
    every?: boolean;
  };
  lines?: { max?: number; min?: number };
  json?: {
    path: string;
    equals?: string | number | boolean | null;
    not_equals?: string | number | boolean | null;
    in?: (string | number | boolean | null)[];
    exists?: boolean;
    max?: number;
    min?: number;
  };
  any?: ExpectationT[];
  all?: ExpectationT[];
  stream?: 'stdout' | 'stderr' | 'output';
  says?: string;
}

/** Where an answer or a verdict leads the diagnosis. */
export const Branch = z.strictObject({
  goto: id.optional().describe('Go straight to this cause'),
  skip: z.array(id).optional().describe('Causes not worth checking any more'),
  end: z.string().optional().describe('End the diagnosis, with this conclusion'),
  note: z.string().optional().describe('Said to the operator when this branch is taken'),
});

export const Check = z.strictObject({
  id,
  title: text,
  ...CommandFields,
  expect: z.array(Expectation).optional().describe('What healthy output looks like; all must hold (default: exit 0)'),
  warn: z.array(Expectation).optional().describe('Healthy but worth a warning when one of these does not hold'),
  needs: z.array(id).optional().describe('Checks that must be healthy first; otherwise this one is blocked'),
  unavailable_if: z
    .array(Expectation)
    .optional()
    .describe('When any of these holds the check could not run (its evidence is missing, not bad): it neither confirms nor rules out'),
  retry: z.strictObject({ count: z.number().int().min(0).max(20), delay: Duration.optional() }).optional(),
  hint: z.string().optional().describe('What a problem here means, and where to look next'),
  on_problem: Branch.optional(),
  on_healthy: Branch.optional(),
});

export const Step = z.strictObject({
  title: z.string().optional(),
  text: z.string().optional().describe('Prose: what to do by hand'),
  ...CommandFields,
});

export const Cause = z.strictObject({
  id,
  title: text,
  explanation: text,
  checks: z.array(Check).default([]),
  manual_check: z.string().optional().describe('How to confirm this cause by hand, where no command can'),
  solution: z.array(Step).min(1, 'a cause needs at least one solution step'),
});

export const Answer = z.strictObject({
  id,
  label: text,
  then: Branch.optional(),
});

export const Question = z.strictObject({
  id,
  ask: text,
  help: z.string().optional(),
  answers: z.array(Answer).min(2, 'a question needs at least two answers'),
});

export const Runbook = z
  .strictObject({
    $schema: z.string().optional(),
    kind: z.literal('runbook').default('runbook'),
    id,
    title: text,
    summary: text,
    severity: Severity.describe('The typical severity of this issue'),
    symptoms: z.array(text).min(1),
    tags: z.array(z.string()).optional(),
    references: z.array(Reference).optional(),
    variables: z.record(varName, Variable).optional(),
    timeout: Duration.optional().describe('Default timeout of this runbook\'s commands (default 30s)'),
    questions: z.array(Question).optional(),
    preflight: z
      .array(Check)
      .optional()
      .describe('Checks run before any cause (the database answers, the .env is readable); a cause\'s checks can need them, and when one fails they are blocked instead of blaming every cause'),
    causes: z.array(Cause).min(1),
    mitigations: z.array(Step).optional().describe('Immediate mitigations, offered during initial response'),
    notes: z.array(z.string()).optional(),
  })
  .describe('An irm runbook: one common issue, its causes, their checks and their fixes');

// ---- The manual's reference data --------------------------------------------------------------

const ContactWays = {
  phone: z.string().optional(),
  email: z.string().optional(),
  slack: z.string().optional(),
};

export const PrimaryContact = z.strictObject({
  role: id,
  title: text,
  name: z.string().default('TBD'),
  ...ContactWays,
  availability: text,
});

export const ServiceContact = z.strictObject({
  service: id,
  title: text,
  aliases: z.array(z.string()).optional(),
  contacts: z.array(z.strictObject({ name: z.string().optional(), ...ContactWays })).min(1),
  purpose: text,
});

export const Channel = z.strictObject({
  id,
  title: text,
  address: text,
  purpose: text,
});

export const SeverityLevel = z.strictObject({
  level: Severity,
  name: text,
  response_time: text.describe('As the manual says it: "Immediate", "<15 minutes"'),
  respond_within: Duration,
  impact: text,
  examples: z.array(text).min(1),
  response: z.array(text).min(1),
  involve: z
    .array(z.strictObject({ role: id, why: text }))
    .describe('The roles to reach, and why (from the response)'),
  channels: z.array(id).describe('The channels to use'),
  updates_every: z.string().optional().describe('Status update cadence: a duration, or "end of day"'),
  postmortem: z.boolean().default(false),
});

export const ProcedureStep = z.strictObject({
  step: z.number().int().min(1),
  title: text,
  window: z.strictObject({ from: Duration.optional(), to: Duration.optional(), note: z.string().optional() }),
  tasks: z.array(z.strictObject({ title: text, items: z.array(text).default([]) })).min(1),
});

export const EscalationLevel = z.strictObject({
  level: z.number().int().min(1),
  title: text,
  roles: z.array(z.string()).min(1),
  window: z.strictObject({ from: Duration.optional(), to: Duration.optional() }).optional(),
  handles: z.array(text).min(1),
  escalate_if: z.array(text).default([]),
});

export const QuickCommand = z.strictObject({
  id,
  title: text,
  ...CommandFields,
});

export const QuickGroup = z.strictObject({
  id,
  title: text,
  commands: z.array(QuickCommand).min(1),
});

export const Manual = z
  .strictObject({
    $schema: z.string().optional(),
    kind: z.literal('manual'),
    title: text,
    contacts: z.strictObject({
      primary: z.array(PrimaryContact).min(1),
      secondary: z.array(ServiceContact).default([]),
    }),
    channels: z.array(Channel).default([]),
    severities: z.array(SeverityLevel).length(4, 'the manual has four severity levels, P0 to P3'),
    procedure: z.array(ProcedureStep).min(1),
    escalation: z.array(EscalationLevel).min(1),
    post_incident: z.strictObject({
      immediate: z.strictObject({ within: Duration, tasks: z.array(z.strictObject({ title: text, items: z.array(text) })) }),
      postmortem: z.strictObject({ for: z.array(Severity), within: Duration, template: text }),
      follow_up: z.array(z.strictObject({ title: text, items: z.array(text) })),
    }),
    quick_reference: z.array(QuickGroup).default([]),
    references: z.array(Reference).default([]),
    variables: z.record(varName, Variable).default({}),
  })
  .describe("The manual's reference data: contacts, severities, procedure, escalation, post-incident actions");

/** One YAML file in a runbook folder: a runbook, or the manual's reference data. */
export const RunbookFile = z.union([Runbook, Manual]);

// ---- irm.yaml ---------------------------------------------------------------------------------

// Every secret is the name of an environment variable, read when a message is delivered: never in this file,
// the incident record or the outbox.
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable');
const Severities = z.array(Severity);

export const Notify = z.strictObject({
  enabled: z.boolean().default(true).describe('false turns every notification off (--no-notify does it for one command)'),
  timeout: Duration.default('5s').describe('How long one delivery attempt may take; the most a command waits for its notifications'),
  slack: z
    .strictObject({ webhook_env: EnvName.describe('The variable holding the incoming webhook URL'), channel: z.string().optional().describe('Shown in messages, e.g. #tradingbot-incidents') })
    .optional(),
  pagerduty: z
    .strictObject({
      routing_key_env: EnvName.describe('The variable holding the Events API v2 routing (integration) key'),
      url: z.string().url().default('https://events.pagerduty.com/v2/enqueue'),
      severities: Severities.default(['P0', 'P1']).describe('The severities that page'),
      source: z.string().default('tradingbot').describe('payload.source'),
    })
    .optional(),
  jira: z
    .strictObject({
      url: z.string().url().describe('The Jira base URL, e.g. https://company.atlassian.net'),
      project: z.string().min(1).describe('The project key'),
      issue_type: z.string().default('Incident'),
      priority: z.partialRecord(Severity, z.string()).optional().describe('The Jira priority name for each severity'),
      token_env: EnvName.describe('The variable holding the API token'),
      email_env: EnvName.optional().describe('With it, basic auth as email:token (Jira Cloud); without it, a bearer token (Data Center)'),
      resolve_transition: z.string().optional().describe('The transition to apply when the incident is resolved (e.g. Done); without it, a comment'),
    })
    .optional(),
  email: z
    .strictObject({
      host: z.string().min(1),
      port: z.number().int().positive().default(587),
      secure: z.boolean().default(false).describe('TLS from the start (port 465); otherwise STARTTLS when the server offers it'),
      from: z.string().min(1),
      to: z.array(z.string().min(1)).min(1).describe("The stakeholders: the team's address, the product owner"),
      user_env: EnvName.optional(),
      password_env: EnvName.optional(),
      severities: Severities.default(['P0', 'P1']).describe('The severities whose creation and resolution are emailed'),
    })
    .optional(),
});
export type Notify = z.infer<typeof Notify>;

export const Config = z
  .strictObject({
    $schema: z.string().optional(),
    runbooks: z.array(z.string()).optional().describe('Folders of team runbooks, relative to this file'),
    strict: z.boolean().optional().describe('A broken runbook is fatal, as in irm validate'),
    state_dir: z.string().optional().describe('Where incident records are kept, relative to this file (IRM_HOME overrides it)'),
    recent_changes: z
      .strictObject({ title: z.string().optional(), run: z.string().min(1), timeout: Duration.optional() })
      .optional()
      .describe('A read command that lists recent deploys and changes, run among the quick health checks of irm triage'),
    variables: z.record(varName, z.union([z.string(), z.number(), z.boolean()])).optional(),
    contacts: z
      .strictObject({
        primary: z
          .record(
            id,
            z.strictObject({ name: z.string().optional(), ...ContactWays, availability: z.string().optional(), title: z.string().optional() })
          )
          .optional()
          .describe('By role: on-call-engineer, devops-lead, engineering-manager, product-owner'),
        secondary: z
          .record(id, z.strictObject({ contacts: z.array(z.strictObject({ name: z.string().optional(), ...ContactWays })).min(1), purpose: z.string().optional() }))
          .optional()
          .describe('By service: database, security, exchange, infrastructure'),
      })
      .optional(),
    channels: z
      .record(id, z.strictObject({ title: z.string().optional(), address: z.string().optional(), purpose: z.string().optional() }))
      .optional(),
    notify: Notify.optional().describe('Telling the team from the incident record: Slack, PagerDuty, Jira, email. Secrets are named here, never written here'),
  })
  .describe('irm.yaml: a team\'s settings for irm');

export type Reference = z.infer<typeof Reference>;
export type Variable = z.infer<typeof Variable>;
export type Check = z.infer<typeof Check>;
export type Step = z.infer<typeof Step>;
export type Cause = z.infer<typeof Cause>;
export type Question = z.infer<typeof Question>;
export type Branch = z.infer<typeof Branch>;
export type Runbook = z.infer<typeof Runbook>;
export type Manual = z.infer<typeof Manual>;
export type Config = z.infer<typeof Config>;
export type SeverityLevel = z.infer<typeof SeverityLevel>;
export type EscalationLevel = z.infer<typeof EscalationLevel>;
export type PrimaryContact = z.infer<typeof PrimaryContact>;
export type ServiceContact = z.infer<typeof ServiceContact>;
export type QuickGroup = z.infer<typeof QuickGroup>;
export type QuickCommand = z.infer<typeof QuickCommand>;
export type Severity = z.infer<typeof Severity>;
export type Risk = z.infer<typeof Risk>;
export type Expectation = ExpectationT;
/** Anything that carries a command: a check, a solution step, a quick-reference command. */
export type CommandSpec = Pick<Check, 'run' | 'argv' | 'risk' | 'timeout' | 'impact' | 'confirm' | 'stream' | 'manual'>;
