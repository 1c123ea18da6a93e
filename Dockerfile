# syntax=docker/dockerfile:1
# flashsale's image: one image for every role. The default command is `serve` (the HTTP API);
# run `worker` or `migrate` by passing it as the command. Checked by test/deploy/manifests.test.ts
# (never built on the development machine, which has no Docker engine: see README, "Deploying").

# Build stage: dev dependencies (TypeScript) and `npm run build` (src/ -> dist/, with the .lua, .sql
# and web files the code reads next to itself).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's `prepare` script builds, and the sources are not copied yet (this
# layer stays cached while only the sources change); the build runs below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies, dist/ and bin/ only; no compiler, no sources.
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would try to compile, and the compiler is a dev dependency.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The outbox (FLASHSALE_OUTBOX, when SMTP_URL is unset) and PGlite (embedded shape) write under .data/.
RUN mkdir -p /app/.data && chown node:node /app/.data
# Listen on every interface inside the container (the default, 127.0.0.1, is unreachable from outside).
ENV HOST=0.0.0.0 PORT=3000
# A larger young generation for V8: a worker's jobs and a server's requests make short-lived objects
# by the million, and with Node's default (16 MB semi-spaces) the collector took ~19 % of a busy
# worker's CPU (README, "Deploying"). It must be set when the process starts, hence NODE_OPTIONS.
ENV NODE_OPTIONS=--max-semi-space-size=64
EXPOSE 3000
# The official image's unprivileged user (uid 1000).
USER node
# Liveness: GET /healthz. node, not curl: the slim image has no curl. `worker` has no HTTP port, so
# its containers turn this off (docker-compose.yml: healthcheck disable; Kubernetes ignores it).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node runs the CLI itself (no npm, no shell wrapper), so SIGTERM reaches the service (README,
# "Under a process manager").
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
