/**
 * Test helper: archives no honest worker sends, one per way a tar can be broken, each with the
 * reason the master's error must give. Shared by the DirectoryWriter tests and the end-to-end test
 * that sends them from a crafted worker to a real master process.
 */
import { gzipSync } from 'node:zlib';
import { encodeTarHeader, sealTarHeader } from 'mastro-protocol/tar';
import { tarOf } from './tar-of.js';
import { seededRandom } from '../../../../test/support/seeded-random.js';

export interface BadArchive {
  /** What is wrong with it, as a test-name fragment. */
  kind: string;
  data: Buffer;
  /** What the master's error must say. */
  reason: RegExp;
}

function randomBytesSeeded(n: number, seed: number): Buffer {
  const next = seededRandom(seed);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
  // Never gzip's magic by chance: this case is about a plain archive of noise.
  if (out[0] === 0x1f) out[0] = 0x20;
  return out;
}

export function badArchives(): BadArchive[] {
  const good = tarOf([{ name: 'a.txt', type: 'file', content: 'hello' }, { name: 'b.txt', type: 'file', content: 'x'.repeat(10_000) }]);

  const badChecksum = Buffer.from(good);
  badChecksum[0] = 'z'.charCodeAt(0); // the name changes, the stored checksum does not

  const nonOctal = Buffer.from(good);
  nonOctal.write('0000000001z\0', 124, 'latin1');
  sealTarHeader(nonOctal.subarray(0, 512));

  const paxHeader = encodeTarHeader({ name: 'PaxHeader', type: 'file', size: 2 * 1024 * 1024, mode: 0o644, mtime: 0, linkname: '' });
  paxHeader.write('x', 156, 'latin1');
  sealTarHeader(paxHeader);

  const gzipMagic = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);

  return [
    { kind: 'a bad header checksum', data: badChecksum, reason: /checksum mismatch/ },
    { kind: 'a size that is not octal', data: nonOctal, reason: /size is not an octal number/ },
    { kind: 'random bytes', data: randomBytesSeeded(4096, 7), reason: /tar header/ },
    { kind: 'a gzip of a bad tar', data: gzipSync(badChecksum), reason: /checksum mismatch/ },
    { kind: 'a PAX header over its limit', data: Buffer.concat([paxHeader, Buffer.alloc(1024)]), reason: /metadata entry of 2097152 bytes exceeds/ },
    { kind: 'a corrupt gzip stream', data: Buffer.concat([gzipMagic, randomBytesSeeded(2048, 11)]), reason: /gzip/ },
    { kind: 'a truncated archive', data: good.subarray(0, 3000), reason: /truncated/ },
  ];
}
