/**
 * The default message bodies, text and HTML, for a build and for a missing worker: what someone
 * reading the mail needs without opening the UI (builder, result, the changes with their authors,
 * the failing step and the last lines of its log) and the links to read more (the build's page and
 * the log). The same facts as Buildbot's default_mail.txt / default_mail.html templates.
 */
import type { BuildMessageContext, WorkerMessageContext } from './context.js';

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

const shortRev = (rev: string | null) => (rev ? rev.slice(0, 12) : 'HEAD');

export function defaultBuildText(c: BuildMessageContext): string {
  const b = c.build;
  const out: string[] = [];
  out.push(`A ${c.status_detected} has been detected on builder ${c.buildername} while building ${c.projects}.`);
  out.push('Full details are available at:', `    ${c.build_url}`, '');
  out.push(`Build state: ${c.summary}`);
  if (c.sourcestamps) out.push(`Revision: ${c.sourcestamps}`);
  out.push(`Worker: ${c.workername}`);
  if (c.blamelist.length) out.push(`Blamelist: ${c.blamelist.join(', ')}`);
  if (b.changes.length) {
    out.push('', 'Changes:');
    for (const ch of b.changes) out.push(`  - ${shortRev(ch.revision)} by ${ch.author}: ${firstLine(ch.comments)}`);
  }
  const f = c.failing_step;
  if (f) {
    out.push('', `Failing step: ${f.name} (${f.state_string})`);
    if (f.log_tail) {
      const lines = f.log_tail.replace(/\n$/, '').split('\n');
      out.push(`Last ${lines.length} lines of its log ${f.log_name}${f.log_url ? ` (${f.log_url})` : ''}:`);
      for (const l of lines) out.push(`    ${l}`);
    }
  }
  out.push('', `Sincerely,`, ` -The ${c.buildbot_title} system`);
  return out.join('\n') + '\n';
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

export function defaultBuildHtml(c: BuildMessageContext): string {
  const b = c.build;
  const rows: string[] = [];
  const row = (k: string, v: string) => rows.push(`<tr><th align="left">${esc(k)}</th><td>${v}</td></tr>`);
  row('Build state', esc(c.summary));
  if (c.sourcestamps) row('Revision', esc(c.sourcestamps));
  row('Worker', esc(c.workername));
  if (c.blamelist.length) row('Blamelist', esc(c.blamelist.join(', ')));
  const parts = [
    `<p>A ${esc(c.status_detected)} has been detected on builder <a href="${esc(c.build_url)}">${esc(c.buildername)}</a> while building ${esc(c.projects)}.</p>`,
    `<p>Full details are available at <a href="${esc(c.build_url)}">${esc(c.build_url)}</a>.</p>`,
    `<table>${rows.join('')}</table>`,
  ];
  if (b.changes.length) {
    parts.push('<h4>Changes</h4><ul>', ...b.changes.map((ch) =>
      `<li><code>${esc(shortRev(ch.revision))}</code> by ${esc(ch.author)}: ${esc(firstLine(ch.comments))}</li>`), '</ul>');
  }
  const f = c.failing_step;
  if (f) {
    parts.push(`<h4>Failing step: ${esc(f.name)}</h4><p>${esc(f.state_string)}</p>`);
    if (f.log_tail) {
      const n = f.log_tail.replace(/\n$/, '').split('\n').length;
      const name = f.log_url ? `<a href="${esc(f.log_url)}">${esc(f.log_name ?? 'log')}</a>` : esc(f.log_name ?? 'log');
      parts.push(`<p>Last ${n} lines of its log ${name}:</p><pre>${esc(f.log_tail)}</pre>`);
    }
  }
  parts.push(`<p><b>-The ${esc(c.buildbot_title)} system</b></p>`);
  return parts.join('\n') + '\n';
}

/** Buildbot's default_missing_mail.txt. */
export function defaultWorkerMissingText(c: WorkerMessageContext): string {
  const w = c.worker;
  const last = w.lastConnection ? new Date(w.lastConnection * 1000).toISOString() : 'unknown';
  return [
    `The worker named ${w.name} went away.`,
    '',
    `It last disconnected at ${last} (${Math.round(w.missingTimeout)} s ago or more, its missingTimeout).`,
    '',
    `This message goes to its notifyOnMissing addresses: ${w.notify.join(', ') || 'none'}.`,
    '',
    `Sincerely,`,
    ` -The ${c.buildbot_title} system`,
    '',
  ].join('\n');
}

export function defaultWorkerMissingHtml(c: WorkerMessageContext): string {
  const w = c.worker;
  const last = w.lastConnection ? new Date(w.lastConnection * 1000).toISOString() : 'unknown';
  return [
    `<p>The worker named <b>${esc(w.name)}</b> went away.</p>`,
    `<p>It last disconnected at ${esc(last)} (${Math.round(w.missingTimeout)} s ago or more, its missingTimeout).</p>`,
    `<p>The workers page: <a href="${esc(c.buildbot_url)}#/workers">${esc(c.buildbot_url)}#/workers</a></p>`,
    `<p><b>-The ${esc(c.buildbot_title)} system</b></p>`,
    '',
  ].join('\n');
}
