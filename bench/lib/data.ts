import { randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import { MIB } from './report';

/** Test files are written a chunk at a time, so this process never holds one whole. */
const CHUNK = MIB;

function* randomChunks(size: number): Generator<Buffer> {
  for (let written = 0; written < size; written += CHUNK) {
    yield randomFillSync(Buffer.allocUnsafe(Math.min(CHUNK, size - written)));
  }
}

/** Incompressible bytes, so neither side can win by compression or sparse files. */
export async function writeRandomFile(target: string, size: number): Promise<void> {
  await pipeline(Readable.from(randomChunks(size)), createWriteStream(target));
}

/** A base64 JSON upload body of `size` random bytes; with `plainCopy`, the same bytes also written there as they are. */
export async function writeBase64JsonBody(target: string, size: number, fields: Record<string, unknown>, plainCopy?: string): Promise<void> {
  const head = JSON.stringify(fields).slice(0, -1);
  const copy = plainCopy === undefined ? undefined : createWriteStream(plainCopy);
  function* body(): Generator<string> {
    yield `${head},"data":"`;
    // A multiple of 3 bytes per chunk, so the base64 pieces join without padding in the middle.
    const step = 3 * 256 * 1024;
    for (let written = 0; written < size; written += step) {
      const chunk = randomFillSync(Buffer.allocUnsafe(Math.min(step, size - written)));
      copy?.write(chunk);
      yield chunk.toString('base64');
    }
    yield '"}';
  }
  await pipeline(Readable.from(body()), createWriteStream(target));
  if (copy !== undefined) await new Promise<void>((resolve, reject) => copy.end(() => resolve()).once('error', reject));
}

export interface MultipartBody {
  contentType: string;
  contentLength: number;
  stream: () => Readable;
}

/** A multipart/form-data body with `fields` first, then `file` streamed from disk. */
export function multipartBody(fields: Record<string, string>, filename: string, file: string, fileSize: number): MultipartBody {
  const boundary = `----bench${Date.now().toString(16)}`;
  const fieldParts = Object.entries(fields)
    .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
    .join('');
  const head = Buffer.from(
    `${fieldParts}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* parts(): AsyncGenerator<Buffer> {
    yield head;
    for await (const chunk of createReadStream(file)) yield chunk as Buffer;
    yield tail;
  }
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: head.length + fileSize + tail.length,
    stream: () => Readable.from(parts(), { objectMode: false }),
  };
}

/**
 * A photo-like image: blurred noise compresses like a real photograph (neither flat nor
 * random), and libvips generates it in tiles rather than in this process's heap.
 */
export async function writeImage(target: string, width: number, height: number, format: 'jpeg' | 'png'): Promise<void> {
  const channels = format === 'png' ? 4 : 3;
  const image = sharp({ create: { width, height, channels, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).blur(1.2);
  await (format === 'jpeg' ? image.jpeg({ quality: 88 }) : image.png()).toFile(target);
}
