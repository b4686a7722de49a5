// What the team is told for each event of an incident's life: one outbox message per channel, built from the record.
// Plain data and no I/O: the secrets (webhook URL, routing key, token) are not here, they are read at delivery time.
import type { Notify } from '../model/schema.js';
import { OPEN_STATUSES, type Incident, type Status, type TimelineEvent } from '../incident/model.js';
import { formatDuration } from '../util/duration.js';

export type Channel = 'slack' | 'pagerduty' | 'jira' | 'email';
export const CHANNELS: readonly Channel[] = ['slack', 'pagerduty', 'jira', 'email'];

/** The settings with their defaults, so that a config parsed elsewhere (or a cached one) reads the same. */
export interface Settings {
  enabled: boolean;
  timeoutMs: number;
  slack?: { webhook_env: string; channel?: string };
  pagerduty?: { routing_key_env: string; url: string; severities: string[]; source: string };
  jira?: { url: string; project: string; issue_type: string; priority?: Partial<Record<string, string>>; token_env: string; email_env?: string; resolve_transition?: string };
  email?: { host: string; port: number; secure: boolean; from: string; to: string[]; user_env?: string; password_env?: string; severities: string[] };
}

export function settingsOf(n: Notify | undefined, parseDuration: (v: string | number) => number): Settings {
  if (!n) return { enabled: false, timeoutMs: 5000 };
  const s: Settings = { enabled: n.enabled ?? true, timeoutMs: parseDuration(n.timeout ?? '5s') };
  if (n.slack) s.slack = n.slack;
  // The schema fills the defaults; a config from elsewhere (a cache, a test) may lack them.
  const p = n.pagerduty as Partial<NonNullable<Notify['pagerduty']>> | undefined;
  if (p?.routing_key_env) s.pagerduty = { routing_key_env: p.routing_key_env, url: p.url ?? 'https://events.pagerduty.com/v2/enqueue', severities: p.severities ?? ['P0', 'P1'], source: p.source ?? 'tradingbot' };
  if (n.jira) s.jira = { ...n.jira, issue_type: n.jira.issue_type ?? 'Incident' };
  const m = n.email as Partial<NonNullable<Notify['email']>> | undefined;
  if (m?.host && m.from && m.to) s.email = { ...m, host: m.host, from: m.from, to: m.to, port: m.port ?? 587, secure: m.secure ?? false, severities: m.severities ?? ['P0', 'P1'] };
  return s;
}

export function configured(s: Settings): Channel[] {
  return CHANNELS.filter((c) => s[c]);
}

export type Kind = 'created' | 'acknowledged' | 'update' | 'resolved' | 'test';

/** What a Jira message does; the issue key comes from the record when it is delivered. */
export type JiraOp = { op: 'create'; fields: Record<string, unknown> } | { op: 'comment'; body: string } | { op: 'transition'; transition: string } | { op: 'priority'; priority: string };

export interface Message {
  /** The idempotency key: the event's id and the channel. Delivered at most once per key. */
  key: string;
  channel: Channel;
  incident: string;
  event_id: string;
  kind: Kind;
  created_at: string;
  /** Slack: the webhook JSON. PagerDuty: the event JSON (routing_key added at delivery). Jira: a JiraOp. Email: subject and text. */
  body: unknown;
  attempts: number;
  /** Not before this time (backoff, Retry-After). */
  next_at?: string;
  last_error?: string;
  /** The operator has been told it is stuck: they are told once. */
  warned?: boolean;
  /** Given up (a permanent refusal): when, in failed/. */
  failed_at?: string;
  /** Jira, once created: the issue key (also on the record). */
  jira_key?: string;
}

export type NewMessage = Omit<Message, 'attempts' | 'created_at'>;

export const PD_SEVERITY: Record<string, string> = { P0: 'critical', P1: 'error', P2: 'warning', P3: 'info' };

/**
 * Slack's message text: &, < and > escaped as Slack requires, so that a title such as "API <-> DB" reads as typed and
 * "<!channel>" in a note pings nobody. irm's own formatting (*bold*, :emoji:) uses none of them.
 */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function slackText(lines: (string | boolean | undefined)[]): { text: string } {
  return { text: slackEscape(lines.filter((l): l is string => typeof l === 'string' && l !== '').join('\n')) };
}

/** "Updated: investigating → identified (confirmed: db-down)": one line for an event worth telling. */
function updateLine(e: TimelineEvent): string | undefined {
  switch (e.type) {
    case 'status':
      return `Status: ${e.from} → ${e.to}${e.reason ? ` (${e.reason})` : ''}`;
    case 'severity':
      return `Severity: ${e.from} → ${e.to}${e.reason ? ` (${e.reason})` : ''}`;
    case 'escalation':
      return `Escalated to level ${e.to_level}: ${e.trigger}${e.contacts.length ? `\nReach: ${e.contacts.join('; ')}` : ''}`;
    case 'note':
      return e.broadcast ? `Update: ${e.text}` : undefined;
    default:
      return undefined;
  }
}

/**
 * The messages for events just appended to an incident (the incident is folded with them). Which events tell whom:
 * creation → Slack, PagerDuty trigger (paging severities), Jira issue, email (mailed severities); acknowledgement
 * (leaving "detected") → PagerDuty acknowledge, Slack, Jira comment; resolution → PagerDuty resolve, Slack with
 * duration and summary, Jira transition or comment, email; other status changes, severity changes, escalations and
 * broadcast notes → Slack and a Jira comment.
 */
export function messagesFor(inc: Incident, events: readonly TimelineEvent[], s: Settings): NewMessage[] {
  const out: NewMessage[] = [];
  // One request's worth per message, so that a retry repeats nothing that went through (the resolution's Jira
  // comment and its transition are two messages: a failed transition does not post the comment again).
  const add = (channel: Channel, e: TimelineEvent, kind: Kind, body: unknown, part = '') => {
    if (!s[channel]) return;
    out.push({ key: `${e.id}:${channel}${part}`, channel, incident: inc.id, event_id: e.id, kind, body });
  };
  const pages = (sev: string) => !!s.pagerduty?.severities.includes(sev);
  const mails = (sev: string) => !!s.email?.severities.includes(sev);
  const head = `*${inc.title}*`;
  const createdMail = (e: TimelineEvent, severity: string, lines: (string | false)[], title = inc.title) =>
    add('email', e, 'created', { subject: `[${severity}] Incident ${inc.id}: ${bare(title)}`, text: lines.filter(Boolean).join('\n').replace(/[*]|:rotating_light: /g, '') });
  for (const e of events) {
    const before = stateBefore(inc, e, s);
    if (e.type === 'created') {
      const lines: (string | false)[] = [
        `:rotating_light: New incident ${inc.id}: ${head}`,
        `Severity: ${e.severity}   Status: detected`,
        `Detected by: ${e.detected_by} at ${e.detected_at}`,
        e.symptoms.length ? `Symptoms: ${e.symptoms.join('; ')}` : false,
        `On it: ${e.owner}`,
      ];
      add('slack', e, 'created', slackText(lines));
      if (pages(e.severity)) add('pagerduty', e, 'created', pdEvent('trigger', inc, s, { severity: e.severity, detected_by: e.detected_by, detected_at: e.detected_at, symptoms: e.symptoms, owner: e.owner }));
      const priority = s.jira?.priority?.[e.severity];
      add('jira', e, 'created', {
        op: 'create',
        fields: {
          project: { key: s.jira?.project },
          // One line: Jira refuses a summary with a line break (a record from before titles were checked may hold one).
          summary: e.title.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' '),
          description: [`Incident ${inc.id}, detected by ${e.detected_by} at ${e.detected_at}.`, e.symptoms.length ? `Symptoms:\n${e.symptoms.map((x) => `* ${x}`).join('\n')}` : '', `Owner: ${e.owner}`].filter(Boolean).join('\n\n'),
          issuetype: { name: s.jira?.issue_type },
          ...(priority ? { priority: { name: priority } } : {}),
          labels: [`irm-${inc.id}`],
        },
      } satisfies JiraOp);
      if (mails(e.severity)) createdMail(e, e.severity, lines, e.title);
      continue;
    }
    const open = OPEN_STATUSES.includes(before.status);
    if (e.type === 'severity' && open) {
      // Reaching a level that pages or mails sends what creation would have sent for it; an open alert gets the new
      // severity (a trigger with the same dedup_key updates it), and the ticket its priority.
      const line = updateLine(e)!;
      add('slack', e, 'update', slackText([`:information_source: Update on ${inc.id}: ${head}`, line, `Severity: ${e.to}   Status: ${before.status}   Owner: ${inc.owner}`]));
      add('jira', e, 'update', { op: 'comment', body: `${line}\n(${e.by}, ${e.at})` } satisfies JiraOp);
      const priority = s.jira?.priority?.[e.to];
      if (priority && priority !== s.jira?.priority?.[e.from]) add('jira', e, 'update', { op: 'priority', priority } satisfies JiraOp, ':priority');
      if (pages(e.to) || before.alert) add('pagerduty', e, before.alert ? 'update' : 'created', pdEvent('trigger', inc, s, { severity: e.to, raised_from: e.from, ...(e.reason ? { reason: e.reason } : {}) }, e.to));
      if (mails(e.to) && !before.mailed) createdMail(e, e.to, [`:rotating_light: Incident ${inc.id}: ${head}`, `Severity: ${e.to} (raised from ${e.from}${e.reason ? `: ${e.reason}` : ''})   Status: ${before.status}`, `Detected by: ${inc.detected_by} at ${inc.detected_at}`, inc.symptoms.length ? `Symptoms: ${inc.symptoms.join('; ')}` : false, `On it: ${inc.owner}`]);
      continue;
    }
    if (e.type === 'status' && !OPEN_STATUSES.includes(e.from) && OPEN_STATUSES.includes(e.to)) {
      // Reopened: the alert was resolved and the stakeholders told so; page and tell them again, as creation did.
      const line = updateLine(e)!;
      add('slack', e, 'update', slackText([`:rotating_light: Reopened ${inc.id}: ${head}`, line, `Severity: ${before.severity}   Status: ${e.to}   Owner: ${inc.owner}`]));
      add('jira', e, 'update', { op: 'comment', body: `${line}\n(${e.by}, ${e.at})` } satisfies JiraOp);
      if (pages(before.severity)) add('pagerduty', e, 'created', pdEvent('trigger', inc, s, { severity: before.severity, reopened: true, ...(e.reason ? { reason: e.reason } : {}) }, before.severity));
      if (mails(before.severity)) createdMail(e, before.severity, [`:rotating_light: Reopened ${inc.id}: ${head}`, line, `Severity: ${before.severity}   Status: ${e.to}`, `On it: ${inc.owner}`]);
      continue;
    }
    if (e.type === 'status' && (e.to === 'resolved' || (e.to === 'closed' && e.from !== 'resolved'))) {
      const took = formatDuration(new Date(e.at).getTime() - new Date(inc.detected_at).getTime());
      const causes = inc.confirmed.map((c) => c.title);
      const fixes = inc.events.filter((x) => x.type === 'note' && x.kind === 'fix').map((x) => (x.type === 'note' ? x.text : ''));
      const summary = [
        `Resolved after ${took}${e.reason ? ` (${e.reason})` : ''}.`,
        causes.length ? `Cause: ${causes.join('; ')}` : false,
        fixes.length ? `Fix: ${fixes.join('; ')}` : false,
      ];
      add('slack', e, 'resolved', slackText([`:white_check_mark: Resolved ${inc.id}: ${head}`, `Severity: ${inc.severity}   Duration: ${took}`, ...summary.slice(1)]));
      if (before.alert) add('pagerduty', e, 'resolved', pdEvent('resolve', inc, s));
      const comment = summary.filter(Boolean).join('\n');
      add('jira', e, 'resolved', { op: 'comment', body: comment } satisfies JiraOp);
      if (s.jira?.resolve_transition) add('jira', e, 'resolved', { op: 'transition', transition: s.jira.resolve_transition } satisfies JiraOp, ':transition');
      if (mails(inc.severity)) add('email', e, 'resolved', { subject: `[${inc.severity}] Resolved ${inc.id}: ${bare(inc.title)}`, text: [`Resolved: ${inc.title}`, `Duration: ${took}`, ...summary.slice(1)].filter(Boolean).join('\n') });
      continue;
    }
    const line = updateLine(e);
    if (!line) continue;
    const acknowledged = e.type === 'status' && e.from === 'detected';
    add('slack', e, acknowledged ? 'acknowledged' : 'update', slackText([`${acknowledged ? ':eyes: Acknowledged' : ':information_source: Update on'} ${inc.id}: ${head}`, line, `Severity: ${inc.severity}   Status: ${inc.status}   Owner: ${inc.owner}`]));
    if (acknowledged && before.alert) add('pagerduty', e, 'acknowledged', pdEvent('acknowledge', inc, s));
    add('jira', e, acknowledged ? 'acknowledged' : 'update', { op: 'comment', body: `${line}\n(${e.by}, ${e.at})` } satisfies JiraOp);
  }
  return out;
}

/** A title without its "[P1] " prefix, where the severity is said already (a mail's subject). */
function bare(title: string): string {
  return title.replace(/^\[P\d\]\s*/, '');
}

/**
 * What the channels had been told just before an event: the severity and status then, whether a PagerDuty alert is
 * open (triggered at creation or on reaching a paging severity or on reopening, not resolved since; lowering the
 * severity keeps it open to acknowledge and resolve), and whether the stakeholders have had a creation mail.
 */
export function stateBefore(inc: Incident, event: TimelineEvent, s: Settings): { severity: string; status: Status; alert: boolean; mailed: boolean } {
  const pages = (sev: string) => !!s.pagerduty?.severities.includes(sev);
  const mails = (sev: string) => !!s.email?.severities.includes(sev);
  const st = { severity: inc.severity, status: 'detected' as Status, alert: false, mailed: false };
  for (const e of inc.events) {
    if (e.id === event.id) break;
    if (e.type === 'created') {
      st.severity = e.severity;
      st.alert = pages(e.severity);
      st.mailed = mails(e.severity);
    } else if (e.type === 'severity') {
      if (OPEN_STATUSES.includes(st.status)) {
        st.alert ||= pages(e.to);
        st.mailed ||= mails(e.to);
      }
      st.severity = e.to;
    } else if (e.type === 'status') {
      if (!OPEN_STATUSES.includes(e.to) && OPEN_STATUSES.includes(st.status)) st.alert = false;
      else if (OPEN_STATUSES.includes(e.to) && !OPEN_STATUSES.includes(st.status)) {
        st.alert = pages(st.severity);
        st.mailed ||= mails(st.severity);
      }
      st.status = e.to;
    }
  }
  return st;
}

/** A PagerDuty Events API v2 event, without its routing_key: the incident id is the dedup_key, so repeats collapse. */
export function pdEvent(action: 'trigger' | 'acknowledge' | 'resolve', inc: Incident, s: Settings, details?: Record<string, unknown>, severity = inc.severity) {
  const base = { event_action: action, dedup_key: inc.id };
  if (action !== 'trigger') return base;
  return {
    ...base,
    payload: {
      summary: inc.title,
      source: s.pagerduty?.source ?? 'tradingbot',
      severity: PD_SEVERITY[severity] ?? 'error',
      custom_details: { incident: inc.id, ...details },
    },
  };
}
