# syntax=docker/dockerfile:1
# One image for every process: the API, the workers (any --queues) and the migrations.
#   docker build -t loanops .
#   docker run --rm loanops                                          # the API
#   docker run --rm loanops node --import tsx apps/worker/src/main.ts --queues payments

# Stage 1: exactly what the lock file says. Development dependencies stay: the processes run
# TypeScript through tsx (no separate compile step to drift from what the tests ran).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/cli/package.json apps/cli/
COPY migrations/package.json migrations/
COPY packages packages
RUN npm ci --no-audit --no-fund && npm cache clean --force

# Stage 2: the runtime. The code belongs to root and is read-only to the `node` user the
# processes run as; nothing in the image needs to write outside /tmp.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY . .
USER node
EXPOSE 3000
# node itself is PID 1 (not npm, which would not pass SIGTERM on reliably): the processes handle
# SIGTERM/SIGINT themselves and drain before exiting (see the README's "Operations").
CMD ["node", "--import", "tsx", "apps/api/src/main.ts"]
