# syntax=docker/dockerfile:1
# Production image: Node 24 on Debian slim, running as the unprivileged `node`
# user, SQLite data in a volume. test/project/dockerfile.test.ts reads these
# instructions (stages, base, USER, exactly what the runtime copies, CMD,
# HEALTHCHECK, STOPSIGNAL, npm ci --omit=dev) and, without Docker, runs the
# build they describe (tsc -p tsconfig.build.json) and starts the result:
# /health, the HEALTHCHECK and a clean exit on SIGTERM.

FROM node:24-slim AS base
WORKDIR /app

# better-sqlite3 is a native module: prebuild-install fetches a binary when it
# can, otherwise node-gyp compiles it, which needs these.
FROM base AS toolchain
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./

# TypeScript compiled with the dev dependencies.
FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY routes ./routes
COPY schemas ./schemas
RUN npm run build

# The runtime's dependencies, from the lock file, compiled against the same
# base image as the runtime; the toolchain stays behind.
FROM toolchain AS prod-deps
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM base AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATABASE_URL=sqlite:/app/data/gateway.db
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/server.js"]
