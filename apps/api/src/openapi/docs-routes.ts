import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Express } from 'express';
import type { BucketTable } from '@loanops/domain';
import { buildOpenApiDocument } from './document.js';

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>LoanOps API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

// Kept in a file of its own (not inline) so the page works under helmet's script-src 'self'.
const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n`;

/**
 * GET /openapi.json (the document, built once) and GET /docs (Swagger UI, served from
 * node_modules: nothing is fetched from elsewhere at run time). Both are public, like the
 * document of any API; what they describe still needs a token.
 */
export function apiDocsRoutes(app: Express, settings: { bucketTable: BucketTable; pageMax: number }): void {
  const document = JSON.stringify(buildOpenApiDocument(settings));
  const assets = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(document);
  });
  app.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  app.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  app.use('/docs/assets', express.static(assets, { index: false, maxAge: '1d' }));
}
