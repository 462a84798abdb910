/**
 * Runs the published conformance vectors (vectors/*.json) against a real ProtocolConnection over a
 * real loopback WebSocket, in msgpack and in JSON, and checks the files match their generator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeMessage } from '../src/codec.js';
import type { ProtocolConnection } from '../src/connection.js';
import { KNOWN_OPS, validateCommandArgs } from '../src/validation.js';
import { buildVector, schemaBundle, vectorFiles, type Frame, type Vector } from '../scripts/vectors-build.js';
import { rawPeer } from './support/sockets.js';

const vectorsDir = new URL('../vectors/', import.meta.url);
const loaded: Array<[file: string, vectors: Vector[]]> = Object.keys(vectorFiles).map((file) =>
  [file, JSON.parse(readFileSync(new URL(file, vectorsDir), 'utf8')) as Vector[]]);

/** Handlers that answer each vector's request with the result its expected response carries. */
function installHandlers(conn: ProtocolConnection, vector: Vector): void {
  const expected = vector.expected_response?.json ? decodeMessage(JSON.stringify(vector.expected_response.json), false) : undefined;
  for (const op of KNOWN_OPS) {
    if (op === 'response') continue;
    conn.setHandler(op, (msg) => {
      if (op === 'start_command') {
        const checked = validateCommandArgs(String(msg.command_name), msg.args);
        if (!checked.ok) throw checked.error;
      }
      return expected?.result ?? null;
    });
  }
}

function encodings(frame: Frame): Array<{ encoding: 'msgpack' | 'json'; data: Buffer | string }> {
  const out: Array<{ encoding: 'msgpack' | 'json'; data: Buffer | string }> = [];
  if (frame.msgpack_hex !== undefined) out.push({ encoding: 'msgpack', data: Buffer.from(frame.msgpack_hex, 'hex') });
  if (frame.json !== undefined) out.push({ encoding: 'json', data: JSON.stringify(frame.json) });
  if (frame.json_text !== undefined) out.push({ encoding: 'json', data: frame.json_text });
  return out;
}

test('the vector files are exactly what the generator produces from vector-cases.ts', () => {
  for (const [file, cases] of Object.entries(vectorFiles)) {
    const onDisk = loaded.find(([f]) => f === file)![1];
    assert.deepEqual(onDisk, JSON.parse(JSON.stringify(cases.map(buildVector))), `${file} is stale: regenerate it`);
  }
});

test('vectors/schemas.json is exactly the bundle of the schemas in src/schemas', () => {
  const onDisk: unknown = JSON.parse(readFileSync(new URL('schemas.json', vectorsDir), 'utf8'));
  assert.deepEqual(onDisk, JSON.parse(JSON.stringify(schemaBundle())), 'vectors/schemas.json is stale: regenerate it');
});

test('every op and every command is covered by a vector', () => {
  const all = loaded.flatMap(([, v]) => v);
  const ops = new Set(all.map((v) => (v.request.json as { op?: string } | undefined)?.op));
  for (const op of KNOWN_OPS) if (op !== 'response') assert.ok(ops.has(op), `no vector for op ${op}`);
  const commands = new Set(all.map((v) => (v.request.json as { command_name?: string } | undefined)?.command_name));
  for (const c of ['shell', 'stat', 'glob', 'listdir', 'mkdir', 'rmdir', 'rmfile', 'cpdir', 'upload_file', 'upload_directory', 'download_file']) {
    assert.ok(commands.has(c), `no vector for command ${c}`);
  }
});

test('in every vector the msgpack and JSON forms decode to the same message', () => {
  for (const [, vectors] of loaded) {
    for (const v of vectors) {
      for (const frame of [v.request, v.expected_response]) {
        if (!frame?.msgpack_hex || frame.json === undefined) continue;
        assert.deepEqual(decodeMessage(Buffer.from(frame.msgpack_hex, 'hex'), true), decodeMessage(JSON.stringify(frame.json), false), v.name);
      }
    }
  }
});

for (const [file, vectors] of loaded) {
  for (const vector of vectors) {
    for (const { encoding, data } of encodings(vector.request)) {
      test(`${file} ${vector.name} (${encoding}): ${vector.description}`, async (t) => {
        const peer = await rawPeer();
        t.after(() => peer.shutdown());
        installHandlers(peer.conn, vector);
        for (let i = 0; i < (vector.repeat ?? 1); i++) peer.sendRaw(data);
        const ev = await peer.nextEvent();
        if (vector.expect === 'close') {
          assert.equal(ev.kind, 'close', `expected a close, got ${JSON.stringify(ev)}`);
          assert.equal(ev.kind === 'close' && ev.code, vector.expected_close_code);
          assert.ok(ev.kind === 'close' && ev.reason.length > 0, 'a close carries a reason');
          return;
        }
        assert.equal(ev.kind, 'message', `expected a response, got ${JSON.stringify(ev)}`);
        if (ev.kind !== 'message') return;
        assert.equal(ev.isBinary, encoding === 'msgpack', 'the response mirrors the request encoding');
        const seq = (vector.request.json as { seq_number: number }).seq_number;
        assert.equal(ev.msg.op, 'response');
        assert.equal(ev.msg.seq_number, seq);
        if (vector.expect === 'exception') {
          assert.equal(ev.msg.is_exception, true);
          assert.equal(typeof ev.msg.result, 'string');
          if (vector.expected_response) assert.equal(ev.msg.result, (vector.expected_response.json as { result: string }).result);
        } else {
          assert.equal('is_exception' in ev.msg, false);
          if (encoding === 'msgpack') assert.equal(ev.raw.toString('hex'), vector.expected_response!.msgpack_hex);
          else assert.deepEqual(JSON.parse(ev.raw.toString('utf8')), vector.expected_response!.json);
        }
        // The connection survives everything but a close: it still answers.
        if (vector.expect !== 'close') {
          peer.sendRaw(typeof data === 'string' ? JSON.stringify({ op: 'keepalive', seq_number: 999 }) : Buffer.from('82a26f70a96b656570616c697665aa7365715f6e756d626572cd03e7', 'hex'));
          const alive = await peer.nextEvent();
          assert.ok(alive.kind === 'message' && alive.msg.seq_number === 999);
        }
      });
    }
  }
}
