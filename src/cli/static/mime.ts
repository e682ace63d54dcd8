/**
 * Content types by file extension, from the ecosystem's table: `mime-types` over `mime-db`
 * (what `send`, `serve-static` and Express use), so a site gets the same types here as behind
 * those servers and new formats arrive with an `npm update`, not an edit of ours.
 *
 * - Text types carry `charset=utf-8` (mime-types' `contentType`: `text/*`, and the types whose
 *   mime-db entry names UTF-8, such as JavaScript and JSON), the encoding every modern editor
 *   writes, so browsers do not fall back to a locale guess.
 * - An unknown extension is `application/octet-stream`: the browser then downloads the file
 *   instead of sniffing it, the safe default.
 * - Whether a type is worth compressing is mime-db's `compressible` flag; a type the table does
 *   not judge is compressible when it is text (`text/*`, `+json`, `+xml`, `+text`), as the
 *   `compressible` package decides for Express's compression middleware.
 */
import { extname } from 'node:path';
import mimeDb from 'mime-db';
import mimeTypes from 'mime-types';

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** Extension (lowercase, with the dot) -> content-type: the table is asked once per extension. */
const byExtension = new Map<string, string>();
const MAX_REMEMBERED_EXTENSIONS = 1000;

/** The content-type for a file name (by its extension, case-insensitively). */
export function contentTypeOf(fileName: string): string {
  const ext = extname(fileName).toLowerCase();
  let type = byExtension.get(ext);
  if (type === undefined) {
    type = (ext.length > 1 && mimeTypes.contentType(ext)) || DEFAULT_CONTENT_TYPE;
    // Extensions come from request paths: a client could make up endless ones.
    if (byExtension.size >= MAX_REMEMBERED_EXTENSIONS) byExtension.clear();
    byExtension.set(ext, type);
  }
  return type;
}

const TEXT_LIKE = /^text\/|\+(?:json|text|xml)$/;

/** Whether a content-type (parameters allowed) is worth compressing. */
export function isCompressible(contentType: string): boolean {
  const semicolon = contentType.indexOf(';');
  const type = (semicolon >= 0 ? contentType.slice(0, semicolon) : contentType).trim().toLowerCase();
  const known = mimeDb[type]?.compressible;
  return known ?? TEXT_LIKE.test(type);
}
