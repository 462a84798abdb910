/**
 * Test helper: a plain (uncompressed) tar of the given members, as a worker's `upload_directory`
 * would stream it, so tests can craft trees a real worker would never send.
 */
import { encodeTarHeader, type TarEntry } from 'mastro-protocol/tar';

export type TarMember = { name: string; type: 'file' | 'symlink' | 'directory'; linkname?: string; content?: string };

export function tarOf(members: TarMember[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const body = Buffer.from(m.content ?? '');
    const entry: TarEntry = { name: m.name, type: m.type, size: m.type === 'file' ? body.length : 0, mode: m.type === 'directory' ? 0o755 : 0o644, mtime: 1_700_000_000, linkname: m.linkname ?? '' };
    blocks.push(encodeTarHeader(entry));
    if (m.type === 'file') blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
