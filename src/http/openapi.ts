import type { FastifyInstance } from 'fastify';

/** OpenAPI document at /openapi.json and browsable docs at /docs (to be filled by the HTTP issue). */
export async function registerOpenApi(_server: FastifyInstance): Promise<void> {}
