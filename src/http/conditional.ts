/** Conditional GET, shared by the sale page, the storefront pages and their assets. */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** A strong ETag: a hash of the exact bytes sent, so equal tags mean byte-identical answers. */
export function strongEtag(body: string | Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** True when If-None-Match names this ETag (weak comparison, as RFC 9110 prescribes for it). */
export function notModified(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
