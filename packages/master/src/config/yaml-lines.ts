/**
 * The YAML line of a config mistake, from its path (`builders[0].workerNames[1]`). Normalisation
 * reports paths of the TypeScript form, where a helper call is gone (`schedulers[0].builderNames`
 * is `schedulers[0].force.builderNames` in YAML): a key not found in a single-key mapping is looked
 * for inside it. A path that does not exist in the document (a missing required key) gets the line
 * of the deepest part that does.
 */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigIssue } from '../model/config-errors.js';

/** `builders[0].workerNames[1]` -> ['builders', 0, 'workerNames', 1] */
export function pathSegments(path: string): Array<string | number> {
  return [...path.matchAll(/\[(\d+)\]|([^.[\]]+)/g)].map((m) => (m[1] !== undefined ? Number(m[1]) : m[2]!));
}

function lineOf(node: { range?: readonly number[] | null } | null | undefined, lines: LineCounter): number | undefined {
  const start = node?.range?.[0];
  return start === undefined ? undefined : lines.linePos(start).line;
}

function keyName(key: unknown): unknown {
  return isScalar(key) ? key.value : key;
}

/** The line of the deepest node of `path` present in the document, or undefined for the whole file. */
export function lineOfPath(doc: Document, lines: LineCounter, path: string): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined;
  for (const seg of pathSegments(path)) {
    if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      node = item;
      line = lineOf(item as Node, lines) ?? line;
      continue;
    }
    if (!isMap(node)) break;
    let map = node;
    const find = () => map.items.find((p) => String(keyName(p.key)) === String(seg));
    let pair = find();
    // A helper written as a single-key mapping (`- force: {...}`): the path skips its name.
    const inner = map.items.length === 1 ? map.items[0]!.value : null;
    if (!pair && isMap(inner)) { map = inner; pair = find(); }
    if (!pair) break;
    line = lineOf(pair.key as Node, lines) ?? line;
    node = pair.value;
  }
  return line;
}

/** The issues with the YAML line of each added. */
export function withLines(issues: readonly ConfigIssue[], doc: Document, lines: LineCounter): ConfigIssue[] {
  return issues.map((i) => {
    const line = i.line ?? (i.path ? lineOfPath(doc, lines, i.path) : undefined);
    return line === undefined ? i : { ...i, line };
  });
}
