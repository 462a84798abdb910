/**
 * Linear-time glob matching. Globs are matched against strings that come from the network (file
 * paths of a push, branch names of a force request, keys of a webhook payload), so they must never
 * compile to a backtracking regular expression: `*-*-*-*-*-*-*-*.txt` as a RegExp takes exponential
 * time on a 255-character path with many `-`, and one such change froze the whole master.
 *
 * A glob dialect parses its pattern into `GlobNode`s; `compileGlobNodes` turns them into a Thompson
 * NFA that is run on the set of live states one character at a time (no backtracking; the sets
 * become the states of a DFA built as texts need them), so a match costs at most O(text length x
 * pattern size) whatever the input, and usually one table lookup per character. Characters are UTF-16 code units,
 * as in a RegExp without the `u` flag, so the dialects keep the meaning their RegExp forms had.
 */

/** What one character must be. `any` excludes `/` (glob `?`, `*`) or the line terminators (RegExp `.`). */
export type CharTest =
  | { readonly kind: 'char'; readonly code: number }
  | { readonly kind: 'any'; readonly except: 'slash' | 'lineEnd' | 'none' }
  | { readonly kind: 'class'; readonly ranges: readonly number[]; readonly negated: boolean };

export type GlobNode =
  /** Exactly one character passing the test. */
  | { readonly kind: 'one'; readonly test: CharTest }
  /** Zero or more characters, each passing the test. */
  | { readonly kind: 'star'; readonly test: CharTest }
  /** The sequence, or nothing. */
  | { readonly kind: 'optional'; readonly seq: readonly GlobNode[] }
  /** One of the sequences. */
  | { readonly kind: 'alt'; readonly options: readonly (readonly GlobNode[])[] };

export type StringPredicate = (text: string) => boolean;

export const literal = (text: string): GlobNode[] =>
  Array.from({ length: text.length }, (_, i) => ({ kind: 'one', test: { kind: 'char', code: text.charCodeAt(i) } }) as const);

const CONSUME = 0;
const SPLIT = 1;
const MATCH = 2;

/** The NFA: per state its kind, its test (CONSUME) and up to two successors. */
class Nfa {
  kinds: number[] = [];
  tests: (CharTest | null)[] = [];
  out1: number[] = [];
  out2: number[] = [];

  add(kind: number, test: CharTest | null, out1 = -1, out2 = -1): number {
    this.kinds.push(kind);
    this.tests.push(test);
    this.out1.push(out1);
    this.out2.push(out2);
    return this.kinds.length - 1;
  }

  /** Builds `seq` so that it continues to state `next`; returns its first state. */
  build(seq: readonly GlobNode[], next: number): number {
    let start = next;
    for (let i = seq.length - 1; i >= 0; i--) start = this.node(seq[i]!, start);
    return start;
  }

  private node(n: GlobNode, next: number): number {
    switch (n.kind) {
      case 'one': return this.add(CONSUME, n.test, next);
      case 'star': {
        const loop = this.add(SPLIT, null, -1, next);
        this.out1[loop] = this.add(CONSUME, n.test, loop);
        return loop;
      }
      case 'optional': return this.add(SPLIT, null, this.build(n.seq, next), next);
      case 'alt': {
        if (n.options.length === 0) return next;
        let start = this.build(n.options[n.options.length - 1]!, next);
        for (let i = n.options.length - 2; i >= 0; i--) start = this.add(SPLIT, null, this.build(n.options[i]!, next), start);
        return start;
      }
    }
  }
}

function passes(t: CharTest, c: number): boolean {
  switch (t.kind) {
    case 'char': return c === t.code;
    case 'any':
      if (t.except === 'slash') return c !== 0x2f;
      if (t.except === 'lineEnd') return c !== 0x0a && c !== 0x0d && c !== 0x2028 && c !== 0x2029;
      return true;
    case 'class': {
      let inside = false;
      for (let i = 0; i < t.ranges.length; i += 2) if (c >= t.ranges[i]! && c <= t.ranges[i + 1]!) { inside = true; break; }
      return inside !== t.negated;
    }
  }
}

/** DFA states kept per compiled glob; past it the cache starts over (memory stays bounded, matching stays linear). */
const MAX_DFA_STATES = 1000;

/** A set of NFA states, with its successors by character filled in as texts need them. */
interface DfaState {
  readonly states: Int32Array;
  readonly accepting: boolean;
  /** Successor per ASCII character (undefined: not computed yet; null: no state left). */
  readonly ascii: (DfaState | null | undefined)[];
  readonly other: Map<number, DfaState | null>;
}

/**
 * A predicate true when the whole text matches the nodes. The NFA is run as a DFA built lazily:
 * each new set of live NFA states costs O(pattern size) once and is then one table lookup per
 * character, so matching is linear in the text's length whatever the pattern and the text.
 */
export function compileGlobNodes(nodes: readonly GlobNode[]): StringPredicate {
  const nfa = new Nfa();
  const startState = nfa.build(nodes, nfa.add(MATCH, null));
  const { kinds, tests, out1, out2 } = nfa;
  const size = kinds.length;
  // `seen[s] === mark` flags a state already in the set being built, so each is added once.
  const seen = new Int32Array(size);
  let mark = 0;
  const stack = new Int32Array(size);
  const scratch = new Int32Array(size);
  let cache = new Map<string, DfaState>();

  /** Adds `s` and every state it reaches without consuming to `scratch`; returns the new count. */
  const addClosure = (count: number, s: number): number => {
    let top = 0;
    stack[top++] = s;
    while (top > 0) {
      const st = stack[--top]!;
      if (seen[st] === mark) continue;
      seen[st] = mark;
      if (kinds[st] === SPLIT) { stack[top++] = out2[st]!; stack[top++] = out1[st]!; } else scratch[count++] = st;
    }
    return count;
  };
  const newMark = () => { if (++mark === 0x7fffffff) { seen.fill(0); mark = 1; } };
  const intern = (count: number): DfaState | null => {
    if (count === 0) return null;
    const states = scratch.slice(0, count).sort();
    const key = states.join(',');
    let d = cache.get(key);
    if (!d) {
      // Starting over drops every state built so far, the first one too (it is rebuilt on the next call).
      if (cache.size >= MAX_DFA_STATES) { cache = new Map(); first = null; }
      let accepting = false;
      for (const st of states) if (kinds[st] === MATCH) accepting = true;
      d = { states, accepting, ascii: new Array(128), other: new Map() };
      cache.set(key, d);
    }
    return d;
  };
  const step = (d: DfaState, c: number): DfaState | null => {
    newMark();
    let count = 0;
    for (const st of d.states) if (kinds[st] === CONSUME && passes(tests[st]!, c)) count = addClosure(count, out1[st]!);
    const next = intern(count);
    if (c < 128) d.ascii[c] = next; else d.other.set(c, next);
    return next;
  };
  let first: DfaState | null = null;

  return (text) => {
    if (!first) { newMark(); first = intern(addClosure(0, startState))!; }
    let d: DfaState | null = first;
    for (let i = 0; i < text.length && d; i++) {
      const c = text.charCodeAt(i);
      const known: DfaState | null | undefined = c < 128 ? d.ascii[c] : d.other.get(c);
      d = known !== undefined ? known : step(d, c);
    }
    return d !== null && d.accepting;
  };
}

/**
 * The simple wildcard dialect (`*` and `?` only, everything else literal) of authz rules and
 * repository discovery. `except` says what `*` and `?` never match: a line end (the RegExp `.`
 * these globs used to compile to) or `/` (they stay within one path segment).
 */
export function compileWildcard(pattern: string, except: 'lineEnd' | 'slash'): StringPredicate {
  return compileGlobNodes(parseWildcard(pattern, except, false));
}

/**
 * Python's fnmatch, as Buildbot's PullRequestMixin matches property names: `*`, `?`, classes
 * `[abc]`, `[a-z]`, `[!a]` (a `]` right after `[` or `[!` is a member; a `[` without its `]` and
 * a reversed range such as `z-a` match nothing special: the first is literal, the second empty).
 * `*` and `?` stop at line ends, as the RegExp `.` this matching used before did.
 */
export function compileFnmatch(pattern: string): StringPredicate {
  return compileGlobNodes(parseWildcard(pattern, 'lineEnd', true));
}

function parseWildcard(pattern: string, except: 'lineEnd' | 'slash', classes: boolean): GlobNode[] {
  const any: CharTest = { kind: 'any', except };
  const nodes: GlobNode[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') { nodes.push({ kind: 'star', test: any }); continue; }
    if (ch === '?') { nodes.push({ kind: 'one', test: any }); continue; }
    if (ch === '[' && classes) {
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      const end = pattern.indexOf(']', j);
      if (end > 0) {
        nodes.push({ kind: 'one', test: parseClass(pattern.slice(i + 1, end), ['!'], 'empty') });
        i = end;
        continue;
      }
    }
    nodes.push({ kind: 'one', test: { kind: 'char', code: pattern.charCodeAt(i) } });
  }
  return nodes;
}

export class ClassRangeError extends Error {
  constructor(readonly from: string, readonly to: string) {
    super(`the range ${from}-${to} in a [...] class is out of order (write ${to}-${from})`);
    this.name = 'ClassRangeError';
  }
}

/**
 * The inside of a `[...]` class: a leading negation mark, then characters and `a-z` ranges (a `-`
 * first, last or right after a range is literal; every other character, `]` and `\` included, too).
 * A reversed range such as `z-a` throws ClassRangeError, or (`reversed: 'empty'`) matches nothing.
 */
export function parseClass(body: string, negations: readonly string[], reversed: 'throw' | 'empty' = 'throw'): CharTest {
  const negated = body.length > 0 && negations.includes(body[0]!);
  const members = negated ? body.slice(1) : body;
  const ranges: number[] = [];
  for (let p = 0; p < members.length; p++) {
    const from = members.charCodeAt(p);
    if (members[p + 1] === '-' && p + 2 < members.length) {
      const to = members.charCodeAt(p + 2);
      if (to >= from) ranges.push(from, to);
      else if (reversed === 'throw') throw new ClassRangeError(members[p]!, members[p + 2]!);
      p += 2;
    } else ranges.push(from, from);
  }
  return { kind: 'class', ranges, negated };
}
