/**
 * Image size and thumbnail, made once when an image is uploaded (sharp/libvips). Guarded against
 * decompression bombs (a pixel limit) and run one at a time, so a burst of uploads cannot make the hub
 * decode many large images at once.
 */
import sharp from "sharp";
import type { Readable } from "node:stream";
import { THUMBNAIL_BOX } from "../../protocol/limits.js";

/** Images with more pixels than this are not decoded (no size, no thumbnail); they stay downloadable. */
export const MAX_IMAGE_PIXELS = 50_000_000;
/** Larger images are not thumbnailed (sharp reads its whole input into memory). */
export const MAX_THUMBNAIL_SOURCE_BYTES = 32 * 1024 * 1024;
export const THUMBNAIL_TYPE = "image/webp";

const DECODABLE: ReadonlySet<string> = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export interface ImageFacts {
  width: number;
  height: number;
  thumbnail: { bytes: Buffer; width: number; height: number; type: string };
}

let queue: Promise<unknown> = Promise.resolve();

/** Undefined when the type is not an image we decode, it is too big, or it does not decode. */
export function imageFacts(type: string, size: number, open: () => Promise<Readable | undefined>) {
  if (!DECODABLE.has(type) || size > MAX_THUMBNAIL_SOURCE_BYTES) return Promise.resolve(undefined);
  const run = queue.then(() => decode(open));
  queue = run.catch(() => undefined);
  return run;
}

async function decode(open: () => Promise<Readable | undefined>): Promise<ImageFacts | undefined> {
  const source = await open();
  if (!source) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk as Buffer);
  const input = Buffer.concat(chunks);
  try {
    const options = { limitInputPixels: MAX_IMAGE_PIXELS, animated: false, failOn: "error" as const };
    const meta = await sharp(input, options).metadata();
    const oriented = meta.autoOrient ?? { width: meta.width, height: meta.height };
    if (!oriented.width || !oriented.height) return undefined;
    const { data, info } = await sharp(input, options)
      .autoOrient()
      .resize(THUMBNAIL_BOX, THUMBNAIL_BOX, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer({ resolveWithObject: true });
    return {
      width: oriented.width,
      height: oriented.height,
      thumbnail: { bytes: data, width: info.width, height: info.height, type: THUMBNAIL_TYPE },
    };
  } catch {
    // Not decodable (truncated, lying magic number, over the pixel limit): a plain file then.
    return undefined;
  }
}
