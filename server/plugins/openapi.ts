import type { FastifyPluginAsync } from 'fastify'

/** `GET /openapi.json`: the OpenAPI 3.1 document, generated from the routes' schemas. */
export const openApiPlugin: FastifyPluginAsync = async (app) => {
  app.get('/openapi.json', { config: { rateLimit: false }, schema: { hide: true } }, async () =>
    app.swagger(),
  )
}
