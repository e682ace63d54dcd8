/**
 * Koa on node:http2's compatibility API: `createSecureServer(opts, app.callback())` and
 * `createServer(app.callback())` (h2c), with @koa/router and @koa/bodyparser, the
 * contract of support.ts on node:http2 and on h2kit's drop-in.
 */
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { boom, digest, errorBody, frameworkSuite, listen, serverOptions, streamBody, variants, type Http2Api, type Start } from './support.js';

function makeApp(): Koa {
  const app = new Koa();
  // Koa's error handling is a middleware at the top of the stack.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      ctx.status = 500;
      ctx.body = errorBody(err);
    }
  });
  const router = new Router();
  router.get('/hello', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = 'hello';
  });
  router.get('/users/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  router.post('/echo', bodyParser(), (ctx) => {
    ctx.body = { received: ctx.request.body };
  });
  router.get('/boom', () => boom());
  router.get('/stream', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = streamBody();
  });
  router.post('/upload', async (ctx) => {
    ctx.body = await digest(ctx.req);
  });
  router.get('/query', (ctx) => {
    const tag = ctx.query.tag;
    ctx.body = { name: ctx.query.name, tags: tag === undefined ? [] : ([] as string[]).concat(tag) };
  });
  router.get('/cookies', (ctx) => {
    ctx.cookies.set('session', 'abc', { httpOnly: true });
    ctx.cookies.set('theme', 'dark', { httpOnly: false });
    // Koa's cookies do not decode values: the contract's are percent-decoded.
    ctx.body = { a: ctx.cookies.get('a'), b: decodeURIComponent(ctx.cookies.get('b') ?? '') };
  });
  router.get('/redirect', (ctx) => {
    ctx.redirect('/hello');
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

const start = (api: Http2Api): Start => (tls) => {
  // Koa's callback is typed for node:http's objects; node:http2's compat objects stand in for
  // them (the point of the compatibility API).
  const handler = makeApp().callback() as unknown as (req: unknown, res: unknown) => void;
  // h2c through the one-argument form, `createServer(app.callback())`, as Koa's users write it:
  // no options, so no allowHTTP1 (node's default) and no HTTP/1.1 on that port.
  return listen(tls === null ? api.createServer(handler) : api.createSecureServer(serverOptions(tls), handler));
};

frameworkSuite('Koa', await variants(start, { cleartextHTTP1: false }));

