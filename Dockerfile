# syntax=docker/dockerfile:1
# Build stage: all dependencies, compile TypeScript.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build

# Runtime stage: production dependencies and the compiled code only, as a non-root user.
FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Liveness, not readiness: a replica must not be marked unhealthy (and replaced) while the database is
# away; it recovers by itself. Node rather than curl, which the slim image lacks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself: it finishes the requests in flight and exits 0.
# The heap flag is start:prod's (a test keeps them equal), and the bench runs the service with it: an
# old-generation ceiling of 512 MB, under which V8 lets the heap grow by about 1.4 times its live size
# (about 40 MB) between full collections instead of up to 4 times. Peak RSS under load goes from about
# 275 MB to about 160 (bench/README.md). Give the container at least 640 MB, so that V8 meets its
# ceiling before the kernel does.
# The young generation is held small while the service starts by main.ts itself (startup-memory.ts),
# not by a flag, which would hold it under load too: about 105 MB idle instead of 140.
CMD ["node", "--max-old-space-size=512", "dist/apps/calls-service/src/main.js"]
