import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { authmsErrorBody } from '../errors/authms-error.js';

/**
 * The console's build output, dist/console/ of the package (beside dist/ and src/ alike: this file
 * is three folders below the package root, as src/http/console/ and dist/http/console/).
 */
export function defaultConsoleRoot(): string {
  return fileURLToPath(new URL('../../../dist/console/', import.meta.url));
}

/** Where index.html takes this response's style nonce (antd reads it from a meta tag). */
const NONCE_PLACEHOLDER = /%CSP_NONCE%/g;

/** Hashed file names never change content: cached for a year without asking again. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The console's policy: nothing but its own files, no inline script or plugin, no framing; styles
 * also from <style> tags carrying this response's nonce (antd injects them). @fastify/helmet adds
 * the per-response nonces to script-src and style-src; no script uses one (Vite emits none inline).
 */
const CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** The answer while dist/console/ has not been built. */
function notBuilt(reply: FastifyReply) {
  return reply.status(503).send(
    authmsErrorBody({
      statusCode: 503,
      message: 'the console is not built: run npm run build (it writes dist/console/), then reload',
    }),
  );
}

/**
 * Serves the console (a single-page app) from `root`: GET /console and every path below it answer
 * index.html (the app routes deep links itself), read per request so a new build is served at
 * once, never cached without asking (no-cache); /console/assets/* are the hashed files, cached
 * immutably. No authentication: the app shows its own sign-in page, and every API it calls
 * requires a credential. Helmet is registered in this plugin's context only (the Swagger UI at
 * /docs needs inline script): security headers and a strict CSP on every console response.
 */
export const consoleStatic: FastifyPluginAsync<{ root: string }> = async (app, { root }) => {
  await app.register(helmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    xFrameOptions: { action: 'deny' },
  });
  const assets = join(root, 'assets');
  if (existsSync(assets)) {
    await app.register(fastifyStatic, {
      root: assets,
      prefix: '/console/assets/',
      // @fastify/swagger-ui registers @fastify/static too: one reply.sendFile is allowed.
      decorateReply: false,
      index: false,
      cacheControl: false,
      setHeaders: (response) => {
        response.setHeader('cache-control', IMMUTABLE);
      },
    });
  } else {
    app.get('/console/assets/*', { schema: { hide: true } }, (_request, reply) => notBuilt(reply));
  }

  const page = async (_request: unknown, reply: FastifyReply) => {
    let html: string;
    try {
      html = await readFile(join(root, 'index.html'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return notBuilt(reply);
      throw error;
    }
    const nonce = reply.cspNonce.style;
    return reply
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(html.replace(NONCE_PLACEHOLDER, nonce));
  };
  app.get('/console', { schema: { hide: true } }, page);
  app.get('/console/*', { schema: { hide: true } }, page);
};
