/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: every line
 * must be a `# HELP`, a `# TYPE` or a sample of a family whose TYPE came first; names, labels and
 * values must be well formed. It throws on the first line that is not. `promtool check metrics`
 * (Debian's prometheus package) is the reference linter; `promtoolCheck` runs it on the same text.
 */
import { spawnSync } from 'node:child_process';

export interface Sample { name: string; labels: Record<string, string>; value: number }
export interface Family { name: string; type: string; help: string; samples: Sample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
/** The sample suffixes a family's type allows. */
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'], counter: [''], gauge: [''], untyped: [''] };

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`not a number: ${JSON.stringify(text)} in ${JSON.stringify(line)}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/.exec(text.slice(i));
    if (!m) throw new Error(`malformed labels at ${JSON.stringify(text.slice(i))} in ${JSON.stringify(line)}`);
    if (m[1]! in labels) throw new Error(`label ${m[1]} twice in ${JSON.stringify(line)}`);
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    i += m[0].length;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`expected , between labels in ${JSON.stringify(line)}`);
  }
  return labels;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) { if (/^# (HELP|TYPE)/.test(line)) throw new Error(`malformed ${JSON.stringify(line)}`); continue; }
      const [, kind, name, rest] = m;
      if (!NAME.test(name!)) throw new Error(`bad metric name in ${JSON.stringify(line)}`);
      const f = families.get(name!) ?? { name: name!, type: '', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (f.type) throw new Error(`second TYPE for ${name}`);
        if (!TYPES.has(rest!)) throw new Error(`unknown type ${rest} for ${name}`);
        if (f.samples.length) throw new Error(`TYPE of ${name} after its samples`);
        f.type = rest!;
      } else f.help = rest!;
      families.set(name!, f);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`malformed sample line ${JSON.stringify(line)}`);
    const [, name, labelText, valueText] = m;
    const family = [...families.values()].find((f) => (SUFFIXES[f.type] ?? ['']).some((s) => f.name + s === name));
    if (!family) throw new Error(`sample ${name} belongs to no family with a TYPE`);
    family.samples.push({ name: name!, labels: parseLabels(labelText ?? '', line), value: parseValue(valueText!, line) });
  }
  return families;
}

/** The value of the sample `name` whose labels include `labels`, or undefined. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}

/**
 * `promtool check metrics` on `text`: null when it passes, its complaint otherwise; undefined when
 * promtool is not installed. Its lint remarks on prom-client's own default metrics (`nodejs_*`
 * gauges named `..._total`, as prom-client names them) are not ours to fix and are left out; a
 * parse error or a remark on any other metric is a failure.
 */
export function promtoolCheck(text: string): string | null | undefined {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) return undefined;
  if (r.status === 0) return null;
  const remarks = `${r.stdout}${r.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l && !/^nodejs_\w+ /.test(l));
  return remarks.length ? remarks.join('\n') : null;
}
