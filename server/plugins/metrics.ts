import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ApiError } from '../ApiError.js'
import type { ServerContext } from '../ServerContext.js'
import { errorResponses } from '../schemas.js'

const bearer = /^Bearer\s+(.+)$/i

/**
 * `GET /metrics`: Prometheus text from the shared registry (invocations by status, durations, fetches, queue
 * depths read on scrape, and HTTP requests, counted by route pattern in `buildServer`). With a metrics token
 * configured, only a scraper that sends it as a bearer token gets them.
 */
/** What `/metrics` needs: the API's context, or an operations listener's (`startOpsServer`). */
export type MetricsContext = Pick<ServerContext, 'metrics' | 'matchMetricsToken'>

export const metricsPlugin: FastifyPluginAsyncTypebox<{ context: MetricsContext }> = async (
  app,
  { context },
) => {
  const { metrics, matchMetricsToken } = context
  app.get(
    '/metrics',
    {
      config: { rateLimit: false },
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Open, unless the node has a metrics token: then send `authorization: Bearer <token>` (in Prometheus, `authorization: { credentials: <token> }` in the scrape config).',
        tags: ['operations'],
        produces: ['text/plain'],
        response: {
          200: Type.String({ description: 'Prometheus text exposition format' }),
          ...errorResponses(401),
        },
      },
    },
    async (request, reply) => {
      if (matchMetricsToken) {
        const presented = bearer.exec(request.headers.authorization ?? '')?.[1]?.trim()
        if (!matchMetricsToken(presented)) {
          reply.header('www-authenticate', 'Bearer realm="teefn metrics"')
          throw new ApiError(
            presented === undefined
              ? 'GET /metrics needs the metrics token: send "authorization: Bearer <token>".'
              : 'The metrics token is wrong: send the token the node was configured with.',
            { code: presented === undefined ? 'METRICS_TOKEN_MISSING' : 'METRICS_TOKEN_INVALID' },
          )
        }
      }
      reply.header('content-type', metrics.registry.contentType)
      return metrics.registry.metrics()
    },
  )
}
